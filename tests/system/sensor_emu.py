"""Host-side emulators of the serial sensors OptiOS drives (docs/SENSORS.md),
speaking their real protocols over a QEMU chardev socket:

- MHZ19B: Winsen's CO2 sensor. Reads 9-byte commands; to "read CO2" (FF 01
  86 00 00 00 00 00 79, checksum checked) it answers FF 86 HH LL 47 00 00 00
  CS with the next value of its script (the last one repeats), unless told
  to be silent; answers can be corrupted on purpose.
- PMS5003: Plantower's particulate sensor. Streams 32-byte frames 42 4D 00 1C,
  13 big-endian words (PM1.0/2.5/10 CF=1, the same "atmospheric", six
  particle counts, reserved), the 16-bit sum of the bytes before it; the
  test decides when, and what (good, corrupt, cut short, garbage).

serial_args(dir, names) gives QEMU the arguments: after the console (COM1,
the harness's stdio chardev) each name becomes the next -serial, so the
first is COM2, the second COM3: a unix socket chardev that QEMU serves
(server=on, wait=off: the guest boots without us); an emulator connects to
it once QEMU runs.
"""

import os
import socket
import struct
import threading
import time


def serial_args(tmpdir, names):
	"""QEMU arguments for one socket chardev per name, in COM2, COM3, ... order,
	and {name: socket path}."""
	args, paths = [], {}
	for name in names:
		path = os.path.join(tmpdir, name + ".sock")
		args += ["-chardev", "socket,id=%s,path=%s,server=on,wait=off" % (name, path), "-serial",
			 "chardev:" + name]
		paths[name] = path
	return args, paths


def mhz19b_checksum(frame):
	return (0x100 - sum(frame[1:8])) & 0xFF


def mhz19b_answer(ppm):
	f = bytearray([0xFF, 0x86, (ppm >> 8) & 0xFF, ppm & 0xFF, 0x47, 0, 0, 0, 0])
	f[8] = mhz19b_checksum(f)
	return bytes(f)


READ_CO2 = bytes([0xFF, 0x01, 0x86, 0, 0, 0, 0, 0, 0x79])


def pms5003_frame(pm, counts=(0, 0, 0, 0, 0, 0)):
	"""pm: the six concentrations (CF=1 PM1.0, 2.5, 10, then atmospheric)."""
	words = list(pm) + list(counts) + [0]
	body = struct.pack(">2sH13H", b"BM", 28, *words)
	return body + struct.pack(">H", sum(body) & 0xFFFF)


class Link:
	"""A connection to one of QEMU's socket chardevs."""

	def __init__(self, path, timeout=30):
		deadline = time.monotonic() + timeout
		while True:
			try:
				self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
				self.sock.connect(path)
				break
			except OSError:
				self.sock.close()
				if time.monotonic() > deadline:
					raise
				time.sleep(0.05)
		self.lock = threading.Lock()
		self.closed = False

	def send(self, data):
		with self.lock:
			self.sock.sendall(data)

	def close(self):
		self.closed = True
		try:
			self.sock.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass
		self.sock.close()


class MHZ19B(Link):
	"""Answers "read CO2" with script[0], script[1], ... (the last repeats)."""

	def __init__(self, path, script=(400,)):
		super().__init__(path)
		self.script = list(script)
		self.answered = []  # the values sent, in order
		self.commands = 0  # good "read CO2" commands received
		self.bad_commands = 0
		self.silent = False
		self.corrupt_next = 0  # answers to send with a wrong checksum
		self.cond = threading.Condition()
		self.thread = threading.Thread(target=self._serve, daemon=True, name="mhz19b")
		self.thread.start()

	def _serve(self):
		buf = b""
		while not self.closed:
			try:
				data = self.sock.recv(64)
			except OSError:
				return
			if not data:
				return
			buf += data
			while len(buf) >= 9:
				start = buf.find(b"\xff")
				if start < 0:
					buf = b""
					break
				buf = buf[start:]
				if len(buf) < 9:
					break
				cmd, buf = buf[:9], buf[9:]
				self._command(cmd)

	def _command(self, cmd):
		with self.cond:
			if cmd != READ_CO2:
				self.bad_commands += 1
				return
			self.commands += 1
			if self.silent:
				self.cond.notify_all()
				return
			ppm = self.script[min(len(self.answered), len(self.script) - 1)]
			answer = bytearray(mhz19b_answer(ppm))
			if self.corrupt_next:
				self.corrupt_next -= 1
				answer[8] ^= 0x01
			else:
				self.answered.append(ppm)
			self.cond.notify_all()
		self.send(bytes(answer))

	def wait_answers(self, n, timeout=30):
		with self.cond:
			if not self.cond.wait_for(lambda: len(self.answered) >= n, timeout):
				raise AssertionError("mhz19b: %d answers, wanted %d (%d commands)" %
						     (len(self.answered), n, self.commands))

	def wait_commands(self, n, timeout=30):
		with self.cond:
			if not self.cond.wait_for(lambda: self.commands >= n, timeout):
				raise AssertionError("mhz19b: %d commands, wanted %d" % (self.commands, n))


class PMS5003(Link):
	"""Streams frames when told to (the test is the sensor's clock)."""

	def frame(self, pm):
		self.send(pms5003_frame(pm))

	def frames(self, pms, spacing=0.0):
		for pm in pms:
			self.frame(pm)
			if spacing:
				time.sleep(spacing)

	def raw(self, data):
		self.send(bytes(data))
