"""png.py - reads a PNG with the standard library (zlib) for the tests that
check a screenshot: 8-bit greyscale, RGB, grey+alpha and RGBA, not
interlaced (what Chromium and QEMU's screendumps write). read(path) ->
(width, height, pixels) with pixels a list of rows of (r, g, b) tuples."""

import struct
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def _paeth(a, b, c):
	p = a + b - c
	pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
	return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(raw, width, height, bpp):
	stride = width * bpp
	rows, prev, pos = [], bytearray(stride), 0
	for _ in range(height):
		ftype, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
		pos += 1 + stride
		assert len(line) == stride, "PNG: image data ends early"
		for i in range(stride):
			a = line[i - bpp] if i >= bpp else 0
			b = prev[i]
			c = prev[i - bpp] if i >= bpp else 0
			if ftype == 1:
				line[i] = (line[i] + a) & 0xFF
			elif ftype == 2:
				line[i] = (line[i] + b) & 0xFF
			elif ftype == 3:
				line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
			elif ftype == 4:
				line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
			else:
				assert ftype == 0, "PNG: unknown filter %d" % ftype
		rows.append(line)
		prev = line
	return rows


def read(path):
	data = open(path, "rb").read()
	assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG" % path
	pos, idat, ihdr = 8, b"", None
	while pos < len(data):
		length, kind = struct.unpack(">I4s", data[pos:pos + 8])
		body = data[pos + 8:pos + 8 + length]
		crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
		assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "PNG: bad CRC in %r" % kind
		if kind == b"IHDR":
			ihdr = struct.unpack(">IIBBBBB", body)
		elif kind == b"IDAT":
			idat += body
		elif kind == b"IEND":
			break
		pos += 12 + length
	width, height, depth, ctype, _comp, _filt, interlace = ihdr
	assert depth == 8 and ctype in CHANNELS and interlace == 0, "PNG: unsupported format %r" % (ihdr,)
	bpp = CHANNELS[ctype]
	rows = _unfilter(zlib.decompress(idat), width, height, bpp)
	pixels = []
	for line in rows:
		if bpp >= 3:
			pixels.append([tuple(line[i:i + 3]) for i in range(0, len(line), bpp)])
		else:
			pixels.append([(line[i],) * 3 for i in range(0, len(line), bpp)])
	return width, height, pixels
