"""qemu.py - drive one QEMU machine for a system test (Python 3 standard library only).

Theory of operation
-------------------
A Machine is one qemu-system-x86_64 process plus three helper threads:

  * the serial reader: QEMU's COM1 is a stdio chardev on pipes. The reader
    os.read()s the stdout pipe as bytes arrive, appends them to `_text` (decoded
    as Latin-1, so one byte is one character and offsets match the raw log),
    writes every byte to <log_dir>/<name>.serial.log and notes the time of the
    last byte (for silence detection). Serial input is written to stdin.
  * the QMP reader: QMP is a unix socket in the machine's private temp dir.
    Replies are matched to commands by "id"; events (GUEST_PANICKED, SHUTDOWN,
    RESET) are kept in `events`. All QMP traffic goes to <name>.qemu.log.
  * the exit watcher: waits for the process and records its exit status,
    but only once the serial reader has drained the pipe and the QMP reader
    has read the socket to its end (or QMP_DRAIN_S passed): QEMU writes its
    SHUTDOWN or GUEST_PANICKED event before it exits, but the QMP reader may
    not have read it yet when the process is gone, and a verdict decided
    then (status 0 and no SHUTDOWN: "reset") would be wrong and is kept.

All three notify one Condition, `_cond`; every wait in this file is a loop on
that condition, so a wait ends as soon as the thing it waits for happens, the
machine exits, it times out, the output goes silent, or the test is aborted.
When a wait cannot succeed it raises MachineError (an AssertionError), whose
message names the verdict, so a test that just lets it propagate fails with a
useful reason.

Verdicts (the `kind` of a Verdict) are a fixed vocabulary, see the constants
below. The exit status carries most of it: isa-debug-exit turns a write of v
to port 0xf4 into status 2v+1 (0x10 -> 33 pass, 0x11 -> 35 failure);
`-action panic=exit-failure` makes a pvpanic exit 1; with -no-reboot a guest
reset (a triple fault) makes QEMU exit 0, which is why a 0 we did not ask for
(by QMP quit) is never a success.

Invariants: a Machine owns a private temp dir (QMP socket, OVMF vars copy,
screendumps) that close() removes; close() always leaves no QEMU process
behind (SIGTERM, then SIGKILL); every started Machine is in `_live` until
closed, and kill_all() (run at exit and by the runner on Ctrl+C) closes them.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# ---- verdict vocabulary ----
PASS = "pass"  # isa-debug-exit 0x10: status 33
FAILURE = "failure"  # isa-debug-exit 0x11: status 35
PANIC = "kernel panic"  # pvpanic
RESET = "triple fault / unexpected reset"  # status 0 we did not ask for
SILENCE = "silence"  # no serial output for too long
TIMEOUT = "timeout"  # output went on, but not what we waited for
QEMU_ERROR = "qemu error"  # QEMU refused to start or crashed
EXIT = "unexpected exit status"  # any other status (e.g. another debug-exit value)
STOPPED = "stopped"  # we quit or killed it ourselves
ABORTED = "aborted"  # the test runner gave up on the test

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
QMP_DRAIN_S = 5.0  # how long the exit watcher waits for QMP's last events after QEMU exited
OVMF_CODE_CANDIDATES = [
	"/usr/share/OVMF/OVMF_CODE_4M.fd",
	"/usr/share/OVMF/OVMF_CODE.fd",
	"/usr/share/edk2/ovmf/OVMF_CODE.fd",
	"/opt/homebrew/share/qemu/edk2-x86_64-code.fd",
	"/usr/local/share/qemu/edk2-x86_64-code.fd",
]
BOOT_MODES = ("kernel", "seabios", "ovmf")

# Typical silence allowed before the first byte / between bytes, per boot mode
# (TCG, two machines at once). OVMF prints little while it initialises.
DEFAULT_SILENCE = {"kernel": 15.0, "seabios": 20.0, "ovmf": 45.0}


class Verdict:
	def __init__(self, kind, detail="", status=None):
		self.kind = kind
		self.detail = detail
		self.status = status

	def __str__(self):
		s = self.kind
		if self.status is not None:
			s += " (exit status %d)" % self.status
		return s + (": " + self.detail if self.detail else "")

	def __repr__(self):
		return "Verdict(%r, %r, %r)" % (self.kind, self.detail, self.status)


class MachineError(AssertionError):
	"""A wait that cannot succeed; carries the verdict that explains why."""

	def __init__(self, verdict, waiting_for):
		self.verdict = verdict
		super().__init__("%s while waiting for %s" % (verdict, waiting_for))


class QMPError(Exception):
	pass


def find_ovmf():
	"""(code, vars) firmware paths, or None when no OVMF is installed."""
	for code in OVMF_CODE_CANDIDATES:
		if not os.path.exists(code):
			continue
		for a, b in (("CODE", "VARS"), ("code", "vars"), ("x86_64-code", "i386-vars")):
			var = code.replace(a, b)
			if var != code and os.path.exists(var):
				return code, var
	return None


_action_ok = None


def qemu_has_panic_exit():
	"""Whether this QEMU knows -action panic=exit-failure (QEMU >= 7.1)."""
	global _action_ok
	if _action_ok is None:
		try:
			out = subprocess.run([QEMU, "-help"], capture_output=True, text=True, timeout=10)
			_action_ok = "exit-failure" in (out.stdout + out.stderr)
		except (OSError, subprocess.SubprocessError):
			_action_ok = False
	return _action_ok


# ---- keyboard: characters to QMP qcodes ----
_UNSHIFTED = {" ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal", "[": "bracket_left",
	      "]": "bracket_right", ";": "semicolon", "'": "apostrophe", "`": "grave_accent",
	      "\\": "backslash", ",": "comma", ".": "dot", "/": "slash", "\b": "backspace"}
_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9",
	    ")": "0", "_": "minus", "+": "equal", "{": "bracket_left", "}": "bracket_right",
	    ":": "semicolon", '"': "apostrophe", "~": "grave_accent", "|": "backslash", "<": "comma",
	    ">": "dot", "?": "slash"}
_MODIFIERS = {"shift": "shift", "ctrl": "ctrl", "alt": "alt", "altgr": "alt_r", "meta": "meta_l",
	      "shift_r": "shift_r", "ctrl_r": "ctrl_r"}


def char_to_qcodes(ch):
	"""The qcodes to press together for one character (US layout)."""
	if "a" <= ch <= "z" or "0" <= ch <= "9":
		return [ch]
	if "A" <= ch <= "Z":
		return ["shift", ch.lower()]
	if ch in _UNSHIFTED:
		return [_UNSHIFTED[ch]]
	if ch in _SHIFTED:
		return ["shift", _SHIFTED[ch]]
	raise ValueError("no key for character %r" % ch)


def chord_to_qcodes(chord):
	"""'ctrl-alt-delete' or 'shift-a' -> ['ctrl', 'alt', 'delete'] (modifiers first)."""
	parts = chord.split("-") if chord != "-" else ["-"]
	keys = []
	for p in parts:
		if p in _MODIFIERS:
			keys.append(_MODIFIERS[p])
		elif len(p) == 1:
			keys.extend(char_to_qcodes(p))
		else:
			keys.append(p)  # a qcode by name: ret, esc, f1, up, delete, ...
	return keys


# ---- screen ----
class Screen:
	"""A screendump: width, height and RGB pixels (3 bytes each, row-major)."""

	def __init__(self, width, height, pixels):
		self.width = width
		self.height = height
		self.pixels = pixels

	@classmethod
	def from_ppm(cls, data):
		fields = []
		pos = 0
		while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed
			while data[pos:pos + 1].isspace():
				pos += 1
			if data[pos:pos + 1] == b"#":
				pos = data.index(b"\n", pos)
				continue
			end = pos
			while not data[end:end + 1].isspace():
				end += 1
			fields.append(data[pos:end])
			pos = end
		if fields[0] != b"P6" or fields[3] != b"255":
			raise ValueError("not an 8-bit P6 PPM: %r" % fields)
		w, h = int(fields[1]), int(fields[2])
		pixels = data[pos + 1:pos + 1 + w * h * 3]
		if len(pixels) != w * h * 3:
			raise ValueError("PPM truncated: %d of %d bytes" % (len(pixels), w * h * 3))
		return cls(w, h, pixels)

	def pixel(self, x, y):
		i = (y * self.width + x) * 3
		return tuple(self.pixels[i:i + 3])

	def row(self, y):
		return self.pixels[y * self.width * 3:(y + 1) * self.width * 3]

	def background(self):
		"""The most common colour (sampled every 7th pixel)."""
		counts = {}
		p = self.pixels
		for i in range(0, len(p) - 2, 21):
			c = p[i:i + 3]
			counts[c] = counts.get(c, 0) + 1
		return tuple(max(counts, key=counts.get))

	def ink_per_row(self, bg=None, x0=0, x1=None):
		"""For each scan line, how many pixels in [x0, x1) differ from bg."""
		bg = bytes(bg or self.background())
		x1 = self.width if x1 is None else x1
		out = []
		for y in range(self.height):
			r = self.row(y)[x0 * 3:x1 * 3]
			out.append(sum(1 for i in range(0, len(r), 3) if r[i:i + 3] != bg))
		return out

	def count_ink(self, x0, y0, x1, y1, bg=None):
		return sum(self.ink_per_row(bg, x0, x1)[y0:y1])

	def diff(self, other):
		"""(changed pixel count, bounding box (x0, y0, x1, y1) or None) against another dump."""
		if (self.width, self.height) != (other.width, other.height):
			raise ValueError("screens differ in size")
		n, box = 0, None
		for y in range(self.height):
			a, b = self.row(y), other.row(y)
			if a == b:
				continue
			for x in range(self.width):
				if a[x * 3:x * 3 + 3] != b[x * 3:x * 3 + 3]:
					n += 1
					if box is None:
						box = [x, y, x + 1, y + 1]
					else:
						box = [min(box[0], x), box[1], max(box[2], x + 1), y + 1]
		return n, (tuple(box) if box else None)

	def text_bands(self, bg=None, min_ink=1, gap=2):
		"""Vertical extents [(y0, y1)] of rows of text: runs of scan lines with ink,
		merging runs separated by fewer than `gap` empty lines."""
		bands = []
		for y, ink in enumerate(self.ink_per_row(bg)):
			if ink < min_ink:
				continue
			if bands and y - bands[-1][1] < gap:
				bands[-1][1] = y + 1
			else:
				bands.append([y, y + 1])
		return [tuple(b) for b in bands]


# ---- disks ----
class Disk:
	"""A disk attached to a Machine: a raw file (path, or a new sparse file of
	`size` bytes in the machine's temp dir), as virtio-blk ("virtio") or NVMe
	("nvme"), behind the bridge whose id is `bus` if given; `blkdebug` is the text of a QEMU blkdebug rule file, e.g.
	'[inject-error]\nevent = "write_aio"\nerrno = "5"\n', which fails the
	matching requests with that host errno (5 = EIO)."""

	def __init__(self, path=None, size=64 << 20, kind="virtio", blkdebug=None, bus=None):
		if kind not in ("virtio", "nvme"):
			raise ValueError("disk kind must be virtio or nvme")
		self.path, self.size, self.kind, self.blkdebug = path, size, kind, blkdebug
		self.bus = bus  # the id of a bridge (extra_args) to put it behind, or None

	def args(self, tmp, i):
		path = self.path or os.path.join(tmp, "disk%d.img" % i)
		if not os.path.exists(path):
			with open(path, "wb") as f:
				f.truncate(self.size)
		if self.blkdebug is None:
			drive = "file=%s,format=raw" % path
		else:
			conf = os.path.join(tmp, "blkdebug%d.conf" % i)
			with open(conf, "w") as f:
				f.write(self.blkdebug)
			# raw on top: the raw driver raises the events (read_aio, write_aio, flush_to_disk) on its blkdebug child
			drive = "driver=raw,file.driver=blkdebug,file.config=%s,file.image.filename=%s,werror=report,rerror=report" % (
				conf, path)
		dev = "virtio-blk-pci,drive=d%d" % i if self.kind == "virtio" else "nvme,drive=d%d,serial=optios%d" % (i, i)
		if self.bus:
			dev += ",bus=" + self.bus
		return ["-drive", drive + ",if=none,cache=writeback,id=d%d" % i, "-device", dev]


def scratch_disks():
	"""The disks every self-test boot attaches: a fresh virtio-blk one (vda)
	and a fresh NVMe one (nvme0n1), which the drivers' self-tests write."""
	return [Disk(), Disk(kind="nvme")]


# ---- the machine ----
_live = set()
_live_lock = threading.Lock()


def kill_all():
	"""Close every machine still running (exit, Ctrl+C, runner abort)."""
	with _live_lock:
		machines = list(_live)
	for m in machines:
		m.close()


atexit.register(kill_all)


class Machine:
	"""One QEMU run. Use as a context manager: `with Machine(...) as m:`."""

	def __init__(self, mode, log_dir, name, kernel=None, iso=None, append="", paused=False,
		     memory="256M", extra_args=(), silence=None, initrd=None, disks=(), machine_type=None):
		if mode not in BOOT_MODES:
			raise ValueError("mode must be one of %s" % (BOOT_MODES,))
		self.mode, self.name, self.log_dir = mode, name, log_dir
		self.kernel, self.iso, self.append = kernel, iso, append
		self.initrd = initrd  # -kernel mode: None = rootfs-test.cpio beside the kernel, "" = no module
		self.paused, self.memory, self.extra_args = paused, memory, list(extra_args)
		self.disks = list(disks)  # Disk objects, attached in order (vda, vdb, ...)
		self.machine_type = machine_type  # None: QEMU's default (pc); or "pc", "q35"
		self.silence = DEFAULT_SILENCE[mode] if silence is None else silence
		self.serial_log_path = os.path.join(log_dir, name + ".serial.log")
		self.qemu_log_path = os.path.join(log_dir, name + ".qemu.log")
		self.events = []
		self.cursor = 0  # where the next wait_for starts searching
		self._cond = threading.Condition()
		self._text = ""
		self._last_output = None
		self._status = None
		self._verdict = None
		self._asked_to_stop = False
		self._aborted = False
		self._qmp = None
		self._qmp_sock = None
		self._qmp_replies = {}
		self._qmp_reading = False  # QMP connected: its reader reports the socket's end ("eof")
		self._qmp_id = 0
		self._qmp_lock = threading.Lock()
		self._threads = []
		self._proc = None
		self._tmp = None
		self._closed = False
		self.args = None  # the command line, once started
		self.qemu = QEMU  # the program (a test of this file may put a fake QEMU here)

	# -- lifetime --
	def __enter__(self):
		self.start()
		return self

	def __exit__(self, *exc):
		self.close()
		return False

	def command_line(self):
		args = [self.qemu, "-m", self.memory, "-no-reboot", "-display", "none", "-monitor", "none",
			"-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
			"-qmp", "unix:%s,server=on,wait=off" % self._qmp_path(),
			"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device", "pvpanic"]
		args += ["-action", "panic=exit-failure" if qemu_has_panic_exit() else "panic=pause"]
		if self.mode == "kernel":
			args += ["-kernel", self._kernel_link(), "-append", self.append]
			# The root image as a module (the ISO's GRUB loads it too): by
			# default the test image built beside the kernel (the user's
			# image plus the test programs and their grants).
			rootfs = self.initrd
			if rootfs is None:
				rootfs = os.path.join(os.path.dirname(os.path.abspath(self.kernel)), "rootfs-test.cpio")
				rootfs = rootfs if os.path.exists(rootfs) else ""
			if rootfs:
				args += ["-initrd", rootfs]
		else:
			args += self._firmware_args() + ["-cdrom", self.iso]
		if self.machine_type:
			args += ["-machine", self.machine_type]
		if self.paused:
			args.append("-S")
		if not any(a in ("-nic", "-netdev", "-net") for a in self.extra_args):
			args += ["-nic", "none"]  # QEMU's default NIC only where a test asks for a network
		args += self.extra_args
		for i, d in enumerate(self.disks):  # after extra_args: a disk may sit behind a bridge given there
			args += d.args(self._tmp, i)
		return args

	def _qmp_path(self):
		return os.path.join(self._tmp, "qmp.sock")

	def _kernel_link(self):
		"""QEMU puts the -kernel path in front of the command line, and the
		kernel keeps only so many bytes of it: hand it a short path (a link in
		the temp dir) so a deep checkout cannot push the arguments out."""
		link = os.path.join(self._tmp, "kernel")
		if not os.path.lexists(link):
			os.symlink(os.path.abspath(self.kernel), link)
		return link

	def _firmware_args(self):
		if self.mode != "ovmf":
			return []  # QEMU's default firmware is SeaBIOS
		fw = find_ovmf()
		if fw is None:
			why = Verdict(QEMU_ERROR, "no OVMF firmware found (apt install ovmf)")
			raise MachineError(why, "start")
		vars_copy = os.path.join(self._tmp, "OVMF_VARS.fd")
		shutil.copyfile(fw[1], vars_copy)
		return ["-drive", "if=pflash,format=raw,readonly=on,file=" + fw[0],
			"-drive", "if=pflash,format=raw,file=" + vars_copy]

	def start(self):
		os.makedirs(self.log_dir, exist_ok=True)
		self._tmp = tempfile.mkdtemp(prefix="optios-qemu-")
		with _live_lock:
			_live.add(self)
		try:
			args = self.args = self.command_line()
			self._qlog = open(self.qemu_log_path, "w")
			self._slog = open(self.serial_log_path, "wb")
			self._log("command: " + " ".join(_quote(a) for a in args))
			self._stderr = open(os.path.join(self._tmp, "stderr"), "w+")
			# Own session: a Ctrl+C at the terminal reaches the runner, which
			# then closes every machine itself.
			self._proc = subprocess.Popen(_orphan_guard() + args, stdin=subprocess.PIPE,
						      stdout=subprocess.PIPE, stderr=self._stderr,
						      start_new_session=True)
			self._last_output = time.monotonic()
			self._spawn(self._read_serial)
			self._spawn(self._watch_exit)
			self._connect_qmp()
		except BaseException:
			self.close()
			raise

	def _spawn(self, fn):
		t = threading.Thread(target=fn, daemon=True, name="%s:%s" % (self.name, fn.__name__))
		t.start()
		self._threads.append(t)

	def power_cut(self):
		"""SIGKILL QEMU now, as a power cut: whatever the disk image holds at
		this instant is what the next boot finds (cache=writeback: what QEMU
		wrote to the file; a flush has made it reach the file)."""
		p = self._proc
		if p is not None and p.poll() is None:
			_signal(p, signal.SIGKILL)
			p.wait()
		self.close()

	def close(self):
		"""Stop QEMU (if running), wait for the helper threads, remove temp files.
		Safe to call more than once and from any thread."""
		with self._cond:
			if self._closed:
				return
			self._closed = True
			self._asked_to_stop = True
			self._cond.notify_all()
		p = self._proc
		if p is not None and p.poll() is None:
			_signal(p, signal.SIGTERM)
			try:
				p.wait(timeout=3)
			except subprocess.TimeoutExpired:
				_signal(p, signal.SIGKILL)
				p.wait()
		if self._qmp_sock is not None:  # wakes the QMP reader if QEMU lingers
			try:
				self._qmp_sock.shutdown(socket.SHUT_RDWR)
			except OSError:
				pass
			self._qmp_file.close()
			self._qmp_sock.close()
		for t in self._threads:
			if t is not threading.current_thread():
				t.join(timeout=5)
		if p is not None:
			for f in (p.stdin, p.stdout):
				try:
					f.close()
				except OSError:
					pass
		self._finish_logs()
		if self._tmp:
			shutil.rmtree(self._tmp, ignore_errors=True)
		with _live_lock:
			_live.discard(self)

	def _finish_logs(self):
		if not hasattr(self, "_qlog"):
			return
		err = self.stderr_text()
		if err:
			self._log("qemu stderr:\n" + err.rstrip())
		self._log("verdict: %s" % (self.verdict() or "running"))
		self._qlog.close()
		self._slog.close()
		self._stderr.close()

	def abort(self):
		"""Give up (runner timeout): every wait raises ABORTED, QEMU is stopped."""
		with self._cond:
			self._aborted = True
			self._cond.notify_all()
		self.close()

	# -- helper threads --
	def _read_serial(self):
		fd = self._proc.stdout.fileno()
		while True:
			try:
				chunk = os.read(fd, 4096)
			except OSError:
				chunk = b""
			if not chunk:
				break
			try:
				self._slog.write(chunk)
				self._slog.flush()
			except ValueError:
				pass  # log closed by a close() that gave up waiting for us
			with self._cond:
				self._text += chunk.decode("latin-1")
				self._last_output = time.monotonic()
				self._cond.notify_all()

	def _watch_exit(self):
		status = self._proc.wait()
		for t in self._threads:  # let the serial reader drain the pipe first
			if t.name.endswith("_read_serial"):
				t.join(timeout=2)
		# ... and the QMP reader the socket: the events QEMU sent before it
		# exited decide the verdict (SHUTDOWN's reason, GUEST_PANICKED)
		deadline = time.monotonic() + QMP_DRAIN_S
		with self._cond:
			while self._qmp_reading and "eof" not in self._qmp_replies and time.monotonic() < deadline:
				self._cond.wait(0.05)
			self._status = status
			self._cond.notify_all()

	def _connect_qmp(self):
		"""Connect to QMP and negotiate capabilities. QEMU may accept the
		connection and then die (a bad kernel file): then there is no QMP
		and the exit status, not this, is the verdict."""
		s = self._qmp_socket()
		if s is None:
			return  # QEMU died at start; the exit watcher has the verdict
		self._qmp = self._qmp_sock = s  # _qmp is None once QMP is unusable
		self._qmp_file = s.makefile("rb")
		with self._cond:
			self._qmp_reading = True  # from here the exit watcher waits for "eof"
		try:
			greeting = self._qmp_file.readline()
			self._log("qmp< " + greeting.decode(errors="replace").rstrip())
			if not greeting:
				raise OSError("QMP closed before its greeting")
			self._spawn(self._read_qmp)
			self.qmp("qmp_capabilities")
		except (OSError, MachineError) as e:
			self._log("qmp: %s" % e)
			self._qmp = None
			with self._cond:
				if not any(t.name.endswith("_read_qmp") for t in self._threads):
					self._qmp_replies["eof"] = True  # no reader will say so
					self._cond.notify_all()
			self._proc.wait(timeout=5)

	def _qmp_socket(self):
		path = self._qmp_path()
		deadline = time.monotonic() + 15
		while time.monotonic() < deadline:
			if self._proc.poll() is not None:
				return None
			s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
			try:
				s.connect(path)
				return s
			except OSError:
				s.close()
				time.sleep(0.02)
		raise MachineError(Verdict(QEMU_ERROR, "QMP socket never appeared"), "QMP")

	def _read_qmp(self):
		while True:
			try:
				line = self._qmp_file.readline()
			except (OSError, ValueError):
				line = b""
			if not line:
				break
			self._log("qmp< " + line.decode(errors="replace").rstrip())
			try:
				msg = json.loads(line)
			except ValueError:
				continue
			with self._cond:
				if "event" in msg:
					self.events.append(msg)
					if msg["event"] == "GUEST_PANICKED" and not qemu_has_panic_exit():
						self._verdict = Verdict(PANIC, "GUEST_PANICKED event")
				elif "id" in msg:
					self._qmp_replies[msg["id"]] = msg
				self._cond.notify_all()
		with self._cond:
			self._qmp_replies["eof"] = True
			self._cond.notify_all()

	def _log(self, line):
		with self._cond:
			if not self._qlog.closed:
				self._qlog.write("%8.3f %s\n" % (time.monotonic() - _T0, line))
				self._qlog.flush()

	# -- verdict --
	def stderr_text(self):
		try:
			self._stderr.flush()
			with open(self._stderr.name, errors="replace") as f:
				return f.read()
		except (OSError, AttributeError, ValueError):
			return ""

	def running(self):
		with self._cond:
			return self._status is None and not self._closed

	def verdict(self):
		"""The machine's verdict, or None while it runs and nothing decided one."""
		with self._cond:
			if self._verdict is not None:
				return self._verdict
			if self._status is None:
				return None
			self._verdict = self._classify(self._status)
			return self._verdict

	def _classify(self, status):
		events = [e["event"] for e in self.events]
		panicked = "GUEST_PANICKED" in events or "KERNEL PANIC" in self._text
		shutdown = [e.get("data", {}).get("reason", "?") for e in self.events
			    if e["event"] == "SHUTDOWN"]
		if status == 33:
			return Verdict(PASS, status=status)
		if status == 35:
			return Verdict(FAILURE, "the guest reported failure", status)
		if status == 1 and panicked:
			return Verdict(PANIC, _panic_detail(self._text), status)
		by_guest = bool(shutdown) and shutdown[0].startswith("guest")
		if self._asked_to_stop and status in (0, -signal.SIGTERM, -signal.SIGKILL) and not by_guest:
			how = " (%s)" % shutdown[0] if shutdown else ""
			return Verdict(STOPPED, "by the harness" + how, status)
		if status == 0:
			why = ("SHUTDOWN reason: " + shutdown[0]) if shutdown else "exit 0 under -no-reboot"
			return Verdict(RESET, why, status)
		if status < 0:
			return Verdict(QEMU_ERROR, "killed by signal %d" % -status, status)
		err = self.stderr_text().strip()
		if status == 1 and err:
			return Verdict(QEMU_ERROR, err.splitlines()[-1], status)
		if status == 1:
			return Verdict(PANIC, "exit status 1 (pvpanic)", status)
		if status & 1:
			return Verdict(EXIT, "isa-debug-exit value %#x" % (status >> 1), status)
		return Verdict(EXIT, "", status)

	# -- waiting --
	def _failure_locked(self, deadline, silence, since):
		"""Why a wait must stop now (a Verdict), or None. Called with _cond held.
		Silence counts from the later of the last byte and `since` (the wait's
		start), so a quiet prompt before the wait is not held against it."""
		now = time.monotonic()
		if self._aborted:
			return Verdict(ABORTED, "the runner gave up (test time limit)")
		if self._verdict is not None or self._status is not None:
			return self.verdict()
		if self._closed:
			return Verdict(STOPPED, "machine closed")
		if silence is not None and now - max(self._last_output, since) > silence:
			return Verdict(SILENCE, "no serial output for %.1f s" % silence)
		if deadline is not None and now > deadline:
			return Verdict(TIMEOUT, "")
		return None

	def wait_for(self, pattern, timeout=30, silence="default", start=None, flags=0):
		"""Wait until `pattern` (a regex, searched in the serial text from `start`,
		by default where the previous match ended) appears. Returns the match;
		match.start()/end() are offsets into text(). Raises MachineError on exit,
		silence (no output for `silence` seconds; None disables), timeout or abort.
		A failed wait leaves the machine running: a test may try something else."""
		rx = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
		silence = self.silence if silence == "default" else silence
		since = time.monotonic()
		deadline = since + timeout
		pos = self.cursor if start is None else start
		with self._cond:
			while True:
				m = rx.search(self._text, pos)
				if m:
					self.cursor = m.end()
					return m
				why = self._failure_locked(deadline, silence, since)
				if why is not None:
					if why.kind == TIMEOUT:
						why.detail = "not seen in %g s" % timeout
					self._log("wait for %r failed: %s" % (rx.pattern, why))
					raise MachineError(why, repr(rx.pattern))
				self._cond.wait(0.1)

	def wait_quiet(self, quiet=0.5, timeout=10):
		"""Wait until the serial output has been still for `quiet` seconds."""
		since = time.monotonic()
		deadline = since + timeout
		with self._cond:
			while time.monotonic() - self._last_output < quiet:
				why = self._failure_locked(deadline, None, since)
				if why is not None:
					if why.kind == TIMEOUT:
						why.detail = "output never paused for %g s" % quiet
					raise MachineError(why, "quiet serial")
				self._cond.wait(0.05)

	def wait_exit(self, timeout=60, silence="default"):
		"""Wait for QEMU to end by itself and return its verdict. On silence or
		timeout QEMU is stopped and that becomes the verdict."""
		silence = self.silence if silence == "default" else silence
		since = time.monotonic()
		deadline = since + timeout
		with self._cond:
			while self._status is None:
				why = self._failure_locked(deadline, silence, since)
				if why is not None:
					if why.kind == TIMEOUT:
						why.detail = "still running after %g s" % timeout
					if self._verdict is None:
						self._verdict = why
					break
				self._cond.wait(0.1)
		if self.running():
			self.close()
		return self.verdict()

	def sleep(self, seconds):
		"""Sleep, but raise MachineError at once if the machine ends or is aborted."""
		since = time.monotonic()
		deadline = since + seconds
		with self._cond:
			while time.monotonic() < deadline:
				why = self._failure_locked(None, None, since)
				if why is not None:
					raise MachineError(why, "sleep")
				self._cond.wait(min(0.1, max(0.0, deadline - time.monotonic())))

	# -- serial --
	def text(self):
		"""Everything read from the serial port so far (one char per byte)."""
		with self._cond:
			return self._text

	def mark(self):
		"""Move the search cursor to the end of the output and return it."""
		with self._cond:
			self.cursor = len(self._text)
			return self.cursor

	def send_serial(self, data):
		if isinstance(data, str):
			data = data.encode("latin-1")
		self._log("serial> %r" % data)
		try:
			self._proc.stdin.write(data)
			self._proc.stdin.flush()
		except (OSError, ValueError) as e:
			raise MachineError(self.verdict() or Verdict(STOPPED, str(e)), "serial input")

	# -- QMP --
	def qmp(self, command, timeout=20, **arguments):
		"""Run one QMP command; returns its "return" value, raises QMPError on "error"."""
		if self._qmp is None:
			why = self.verdict() or Verdict(QEMU_ERROR, "no QMP connection")
			raise MachineError(why, command)
		with self._qmp_lock:
			self._qmp_id += 1
			ident = "h%d" % self._qmp_id
			msg = {"execute": command, "id": ident}
			if arguments:
				msg["arguments"] = arguments
			line = json.dumps(msg)
			self._log("qmp> " + line)
			try:
				self._qmp.sendall(line.encode() + b"\n")
			except OSError as e:
				raise MachineError(self.verdict() or Verdict(QEMU_ERROR, str(e)), command)
		deadline = time.monotonic() + timeout
		with self._cond:
			while ident not in self._qmp_replies:
				if "eof" in self._qmp_replies or time.monotonic() > deadline:
					why = self._verdict or Verdict(QEMU_ERROR, "QMP closed or no reply")
					raise MachineError(why, "QMP " + command)
				self._cond.wait(0.1)
			reply = self._qmp_replies.pop(ident)
		if "error" in reply:
			raise QMPError("%s: %s" % (command, reply["error"].get("desc", reply["error"])))
		return reply.get("return")

	def send_keys(self, qcodes, hold_ms=30):
		"""Press the qcodes together (a chord), then release them."""
		keys = [{"type": "qcode", "data": k} for k in qcodes]
		self.qmp("send-key", keys=keys, **{"hold-time": hold_ms})

	def send_chord(self, chord, hold_ms=30):
		"""send_chord('ctrl-alt-delete'), send_chord('shift-a'), send_chord('ret')."""
		self.send_keys(chord_to_qcodes(chord), hold_ms)

	def type_keys(self, text, hold_ms=30, gap=0.01):
		"""Type text on the PS/2 keyboard, one key (with shift if needed) at a time."""
		for ch in text:
			self.send_keys(char_to_qcodes(ch), hold_ms)
			time.sleep(gap + hold_ms / 1000.0)

	def screendump(self):
		path = os.path.join(self._tmp, "screen.ppm")
		self.qmp("screendump", filename=path)
		with open(path, "rb") as f:
			data = f.read()
		os.unlink(path)
		return Screen.from_ppm(data)

	def quit(self):
		"""Ask QEMU to quit; its verdict becomes STOPPED."""
		with self._cond:
			self._asked_to_stop = True
		try:
			self.qmp("quit", timeout=5)
		except (MachineError, QMPError):
			pass
		try:
			self._proc.wait(timeout=5)
		except subprocess.TimeoutExpired:
			pass
		self.close()


_T0 = time.monotonic()


def _quote(a):
	return a if re.fullmatch(r"[\w@%+=:,./-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def _orphan_guard():
	"""A command prefix that kills QEMU if the harness dies without cleaning up
	(kill -9): Linux's parent-death signal, set by util-linux setpriv before
	it execs QEMU. The signal follows the thread that started QEMU; test
	threads outlive their machines, so it only fires when the harness is gone."""
	if sys.platform.startswith("linux") and shutil.which("setpriv"):
		return ["setpriv", "--pdeathsig", "KILL", "--"]
	return []


def _signal(proc, sig):
	try:
		os.killpg(proc.pid, sig)  # QEMU leads its own session
	except (ProcessLookupError, PermissionError):
		try:
			proc.send_signal(sig)
		except ProcessLookupError:
			pass


def _panic_detail(text):
	m = re.search(r"KERNEL PANIC: ([^\r\n]*)", text)
	return m.group(1) if m else "pvpanic"
