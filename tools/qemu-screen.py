#!/usr/bin/env python3
"""qemu-screen.py - look at and type into a running QEMU through its QMP socket.

    qemu-screen.py SOCK shot OUT.png        screendump, converted to PNG
    qemu-screen.py SOCK type 'text'         types text with send-key (US layout)
    qemu-screen.py SOCK keys ctrl-c alt-f2  sends key chords (qcode names joined by '-')

QEMU writes screendumps as PPM (P6); the PNG is written here with zlib and
crc32 only, so no imaging library is needed.
"""
import json
import os
import socket
import struct
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
from qemu import Screen  # noqa: E402  (the one PPM parser)


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self._reply()  # greeting
        self.call("qmp_capabilities")

    def _reply(self):
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("QMP socket closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def call(self, cmd, **args):
        self.sock.sendall(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        msg = self._reply()
        if "error" in msg:
            raise RuntimeError(f"{cmd}: {msg['error']}")
        return msg.get("return")


def read_ppm(path):
    """(width, height, RGB bytes) of a P6 PPM, parsed by the test harness's Screen."""
    with open(path, "rb") as f:
        screen = Screen.from_ppm(f.read())
    return screen.width, screen.height, screen.pixels


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def write_png(path, w, h, rgb):
    raw = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))  # filter 0 per row
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += png_chunk(b"IDAT", zlib.compress(raw, 6)) + png_chunk(b"IEND", b"")
    open(path, "wb").write(png)


def shot(q, out):
    fd, ppm = tempfile.mkstemp(suffix=".ppm")
    os.close(fd)
    try:
        q.call("screendump", filename=ppm)
        write_png(out, *read_ppm(ppm))
    finally:
        os.unlink(ppm)


SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9',
           ')': '0', '_': 'minus', '+': 'equal', '{': 'bracket_left', '}': 'bracket_right', '|': 'backslash',
           ':': 'semicolon', '"': 'apostrophe', '~': 'grave_accent', '<': 'comma', '>': 'dot', '?': 'slash'}
PLAIN = {' ': 'spc', '\n': 'ret', '\t': 'tab', '-': 'minus', '=': 'equal', '[': 'bracket_left',
         ']': 'bracket_right', '\\': 'backslash', ';': 'semicolon', "'": 'apostrophe', '`': 'grave_accent',
         ',': 'comma', '.': 'dot', '/': 'slash'}


def chord_for(ch):
    if ch.isalpha() and ch.isupper():
        return ["shift", ch.lower()]
    if ch in SHIFTED:
        return ["shift", SHIFTED[ch]]
    return [PLAIN.get(ch, ch)]


def send(q, names):
    q.call("send-key", keys=[{"type": "qcode", "data": n} for n in names])
    time.sleep(0.05)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    q = Qmp(argv[1])
    if argv[2] == "shot":
        shot(q, argv[3])
    elif argv[2] == "type":
        for ch in argv[3]:
            send(q, chord_for(ch))
    elif argv[2] == "keys":
        for chord in argv[3:]:
            send(q, chord.split("-"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
