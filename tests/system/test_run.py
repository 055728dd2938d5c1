"""`make run` itself, as a user runs it (no display: the serial console on
stdio): `reboot` reboots the machine instead of ending QEMU (issue 9: it
passed -no-reboot), QMP answers on build/qmp.sock, and the disk (DISK=, created
on first use) is attached as vda with a word on how to start fresh; the
host ports it prints reach the status page and echo (issue 12)."""

import contextlib
import fcntl
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 300  # a test may first wait for the other's `make run` (make_run_alone)


class Console:
	"""What `make run` writes, read by a thread; keys go to its stdin."""

	def __init__(self, proc):
		self.proc, self.text, self.lock = proc, "", threading.Lock()
		threading.Thread(target=self._read, daemon=True).start()

	def _read(self):
		while True:
			b = self.proc.stdout.read1(4096)
			if not b:
				return
			with self.lock:
				self.text += b.decode(errors="replace")

	def wait_for(self, pattern, start=0, timeout=60):
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			with self.lock:
				m = re.compile(pattern).search(self.text, start)
			if m:
				return m
			assert self.proc.poll() is None, "make run ended (status %s):\n%s" % (self.proc.poll(),
											  self.text[-2000:])
			time.sleep(0.1)
		raise AssertionError("no %r from make run in %d s:\n%s" % (pattern, timeout, self.text[-2000:]))

	def type(self, line):
		self.proc.stdin.write(line.encode() + b"\r")
		self.proc.stdin.flush()


@contextlib.contextmanager
def make_run_alone(ctx):
	"""One `make run` at a time in a build tree: its rule remakes the user's
	image in build/rootfs.tree every time, and two at once collided there
	("cp: cannot create regular file .../rootfs.tree/bin/mv: File exists")."""
	with open(os.path.join(ctx.build, "make-run.lock"), "w") as f:
		fcntl.flock(f, fcntl.LOCK_EX)
		yield


def qmp(path, command):
	"""One QMP command on a fresh connection; its "return"."""
	with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
		s.settimeout(10)
		s.connect(path)
		f = s.makefile("rwb")
		json.loads(f.readline())  # greeting
		for cmd in ("qmp_capabilities", command):
			f.write(json.dumps({"execute": cmd}).encode() + b"\n")
			f.flush()
			while True:
				reply = json.loads(f.readline())
				if "return" in reply or "error" in reply:
					break
		return reply.get("return", reply)


def status_and_echo(status_port, echo_port):
	"""Issue 12's "done when", as a user does it on the ports make run
	printed: the status page answers with counter (registered at boot in
	the user's image) whose runs go up between two fetches; a datagram to
	the echo port comes back, and so do bytes over TCP."""
	import socket as sk
	import urllib.request

	def counter_runs():
		for _ in range(40):
			try:
				with urllib.request.urlopen("http://localhost:%d/status.json" % status_port, timeout=10) as r:
					page = json.loads(r.read())
				return {h["name"]: h for h in page["handlers"]}["counter"]["runs"]
			except (OSError, KeyError):
				time.sleep(0.5)
		raise AssertionError("no status page with counter on localhost:%d" % status_port)
	first = counter_runs()
	time.sleep(3)
	assert counter_runs() >= first + 2, "counter's runs did not go up"
	with sk.socket(sk.AF_INET, sk.SOCK_DGRAM) as u:
		u.settimeout(1)
		got = None
		for _ in range(10):
			u.sendto(b"hello echo", ("127.0.0.1", echo_port))
			try:
				got = u.recvfrom(100)[0]
				break
			except sk.timeout:
				pass
	assert got == b"hello echo", got
	with sk.create_connection(("127.0.0.1", echo_port), timeout=10) as t:
		t.sendall(b"over tcp\n")
		got = b""
		while len(got) < 9:
			got += t.recv(100)
	assert got == b"over tcp\n", got


def test_make_run_reboots_and_answers_qmp(ctx):
	env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
	sock = os.path.join(ctx.build, "qmp.sock")
	tmp = tempfile.TemporaryDirectory()
	disk = os.path.join(tmp.name, "sub", "disk.img")
	from test_net import free_port
	status_port, echo_port = free_port(), free_port()
	with make_run_alone(ctx):
		proc = subprocess.Popen(["make", "--no-print-directory", "-s", "BUILD=" + ctx.build, "DISK=" + disk,
					 "STATUS_PORT=%d" % status_port, "ECHO_PORT=%d" % echo_port, "run"],
					cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
					stderr=subprocess.STDOUT, start_new_session=True)
		try:
			con = Console(proc)
			first = con.wait_for(r"\n/\$ ", timeout=90)
			assert "OptiOS: created %s (64M, empty)" % disk in con.text, con.text[:2000]
			assert "start fresh: rm %s, or make run DISK=" % disk in con.text, con.text[:2000]
			assert re.search(r"vda: virtio-blk, 131072 sectors of 512 bytes", con.text), "no vda in the boot log"
			assert os.path.getsize(disk) == 64 << 20
			assert "OptiOS: network virtio (QEMU user networking" in con.text, con.text[:2000]
			con.wait_for(r"eth0: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(DHCP\)", 0,
				     timeout=20)
			assert "OptiOS: status page: http://localhost:%d/" % status_port in con.text, con.text[:3000]
			assert "OptiOS: echo: TCP and UDP localhost:%d" % echo_port in con.text, con.text[:3000]
			status_and_echo(status_port, echo_port)
			assert qmp(sock, "query-status")["status"] == "running"
			con.type("reboot")
			banner = con.wait_for(r"OptiOS \d+\.\d+ \(x86_64\)", first.end(), timeout=60)
			con.wait_for(r"\n/\$ ", banner.end(), timeout=90)  # booted again, same QEMU
			assert proc.poll() is None
			qmp(sock, "quit")
			assert proc.wait(timeout=20) == 0, con.text[-2000:]
		finally:
			if proc.poll() is None:
				os.killpg(proc.pid, 9)
				proc.wait()
			tmp.cleanup()


def test_make_run_sensors_attaches_the_emulators(ctx):
	"""`make run SENSORS=1`: the emulators on COM2 and COM3 (tools/sensor-emu.py),
	airwatch added by hand sees their readings, a value written to the control
	file reaches it (app:air.bad), and the power button switches off cleanly."""
	env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
	tmp = tempfile.TemporaryDirectory(prefix="optios-run-")
	sock, sensors = os.path.join(tmp.name, "qmp.sock"), os.path.join(tmp.name, "s")
	with make_run_alone(ctx):
		proc = subprocess.Popen(["make", "--no-print-directory", "-s", "BUILD=" + ctx.build, "SENSORS=1",
					 "SENSOR_DIR=" + sensors, "QMP_SOCK=" + sock, "DISK=" + os.path.join(tmp.name, "d.img"),
					 "NET_IF=none", "run"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
					stderr=subprocess.STDOUT, start_new_session=True)
		try:
			con = Console(proc)
			prompt = con.wait_for(r"\n/\$ ", timeout=90)
			assert "OptiOS: sensors: MH-Z19B on COM2 and PMS5003 on COM3" in con.text, con.text[:2000]
			assert re.search(r"sensor co2: mhz19b on COM2", con.text) and re.search(r"sensor dust: pms5003 on COM3",
												 con.text), con.text[-3000:]
			con.type("handler add /apps/airwatch")
			con.wait_for(r"handler: added airwatch", prompt.end(), timeout=30)
			co2 = r"airwatch: \d+\.\d{6} co2 co2 \d+ ppm avg \d+"
			dust = r"airwatch: \d+\.\d{6} dust pm2\.5 \d+ ug/m3 avg \d+"
			deadline = time.monotonic() + 60
			while not (re.search(co2, con.text[prompt.end():]) and re.search(dust, con.text[prompt.end():])):
				assert time.monotonic() < deadline, "no CO2 and PM2.5 readings from airwatch:\n" + con.text[-2000:]
				con.type("log -h airwatch -t sensor:co2 -n 8")  # run, output, commit, effect: one event's four
				con.type("log -h airwatch -t sensor:dust -n 8")
				time.sleep(2)
			with open(os.path.join(sensors, "control"), "a") as f:
				f.write("co2 2500\n")
			mark = len(con.text)
			deadline = time.monotonic() + 60
			while not re.search(r"event - app:air\.bad source=airwatch", con.text[mark:]):
				assert time.monotonic() < deadline, "no app:air.bad:\n" + con.text[-2000:]
				con.type("log -t app:air")
				time.sleep(2)
			qmp(sock, "system_powerdown")
			assert proc.wait(timeout=40) == 0, con.text[-2000:]
			assert "power: sys:power.button with no handler subscribed: powering off" in con.text, con.text[-2000:]
			with open(os.path.join(sensors, "emu.log")) as f:
				assert "sensor-emu: co2 2500" in f.read()
		finally:
			if proc.poll() is None:
				os.killpg(proc.pid, 9)
				proc.wait()
			tmp.cleanup()
