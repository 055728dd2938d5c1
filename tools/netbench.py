#!/usr/bin/env python3
"""netbench.py - the network benchmarks beside Linux (`make bench` runs them
through tools/bench.py; alone: python3 tools/netbench.py --build build).

Two guests under the same QEMU (-icount shift=0, so an instruction is a
nanosecond of guest time; virtio-net on user networking, host ports
forwarded to port 7), each with the netcount plugin (tools/profile/netcount.c)
counting every guest instruction and every HLT, with host timestamps:

  OptiOS  the test image (/apps/echo and /apps/status registered at boot,
          the shell idle on the serial console);
  Linux   Debian's Linux 6.1 (tools/linux-guest.sh: the kernel package
          linux-image-amd64 depends on, an initramfs whose init configures
          eth0 and becomes echod, a resident UDP+TCP echo daemon).

Figures (docs/NETWORK.md "Benchmarks"):
  udp_echo_total_instructions_{optios,linux}: every guest instruction from
      the first of 200 datagrams sent (one at a time, each waiting for its
      echo) to the last echo received, divided by 200: the interrupt, the
      stack, the daemon or handler, the idle loop, all of it.
  udp_echo_linux_instructions: Linux's span from the frame handed to the
      stack (napi_gro_receive) to the reply handed to the driver
      (dev_hard_start_xmit), median of 9: beside OptiOS's
      udp_echo_handler_instructions (frame in to frame out, bench.py).
  idle_wakeups_per_second_{optios,linux}: HLTs executed in 10 idle seconds
      (network up, nothing arriving) per second: each interrupt that wakes
      an idle CPU is followed by one HLT, so this counts them (goal 0).
  idle_instructions_per_second_{optios,linux}: instructions in those seconds.
  tcp_echo_bytes_per_guest_second_{optios,linux}: 1 MiB sent to the TCP echo
      port and read back, bytes per second of guest CPU (instructions
      executed meanwhile at 1 GHz).
"""

import argparse
import bisect
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

import qemu  # noqa: E402

ICOUNT = ["-icount", "shift=0", "-rtc", "clock=vm"]  # sleep on: idle time passes as the host's
UDP_ECHOES = 200
SPANS = 9
IDLE_SECONDS = 10
TCP_BYTES = 1 << 20
LINUX_APPEND = "console=ttyS0 nokaslr panic=-1 quiet"
LINUX_MARKS = ("napi_gro_receive", "dev_hard_start_xmit")

FIGURES = [
	("udp_echo_total_instructions_optios", "UDP echo, every guest instruction per datagram: OptiOS /apps/echo", "instr"),
	("udp_echo_total_instructions_linux", "the same: Linux 6.1 echod", "instr"),
	("udp_echo_linux_instructions", "Linux 6.1: frame to stack -> reply to driver (vs udp_echo_handler_instructions)", "instr"),
	("idle_wakeups_per_second_optios", "idle with the network up: interrupts that woke the CPU, OptiOS", "/s"),
	("idle_wakeups_per_second_linux", "the same: Linux 6.1", "/s"),
	("idle_instructions_per_second_optios", "idle with the network up: instructions per second, OptiOS", "instr/s"),
	("idle_instructions_per_second_linux", "the same: Linux 6.1", "instr/s"),
	("tcp_echo_bytes_per_guest_second_optios", "TCP echo of 1 MiB: bytes per guest CPU second, OptiOS", "B/s"),
	("tcp_echo_bytes_per_guest_second_linux", "the same: Linux 6.1 echod", "B/s"),
]


def free_port(kind=socket.SOCK_DGRAM):
	with socket.socket(socket.AF_INET, kind) as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class Counts:
	"""The plugin's output file, read as the guest runs."""

	def __init__(self, path):
		self.path = path

	def lines(self):
		with open(self.path) as f:
			return [l.split() for l in f.read().splitlines() if l.strip()]

	def icount_at(self, ns):
		"""Instructions executed by host time ns (the latest record before it)."""
		recs = [(int(l[-1]), int(l[-2])) for l in self.lines() if l[0] in ("tick", "hlt", "mark")]
		recs.sort()
		i = bisect.bisect_right([r[0] for r in recs], ns)
		return recs[i - 1][1] if i else 0

	def hlts(self, t0, t1):
		return sum(1 for l in self.lines() if l[0] == "hlt" and t0 <= int(l[2]) < t1)

	def spans(self, start, end):
		"""Instructions from each mark at start to the next mark at end."""
		out, open_at = [], None
		for l in self.lines():
			if l[0] != "mark":
				continue
			addr, n = int(l[1], 16), int(l[2])
			if addr == start:
				open_at = n
			elif addr == end and open_at is not None:
				out.append(n - open_at)
				open_at = None
		return out


def plugin(build, out, marks=()):
	so = os.path.join(build, "tools", "netcount.so")
	if not os.path.exists(so):
		subprocess.run(["make", "-s", "-C", ROOT, "BUILD=" + build, os.path.join(build, "tools", "netcount.so")],
			       check=True)
	return ["-plugin", "%s,out=%s%s" % (so, out, "".join(",mark=%x" % a for a in marks))]


def udp_echo(port, payload, tries=20):
	with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
		s.settimeout(1)
		for _ in range(tries):
			s.sendto(payload, ("127.0.0.1", port))
			try:
				if s.recvfrom(70000)[0] == payload:
					return True
			except socket.timeout:
				pass
	return False


def udp_series(port, n):
	"""n echoes one at a time; (host ns before the first, after the last) or None."""
	for i in range(5):  # warm: ARP, first translations
		if not udp_echo(port, b"warm %d" % i):
			return None
	t0 = time.monotonic_ns()
	for i in range(n):
		if not udp_echo(port, b"bench %d" % i):
			return None
	return t0, time.monotonic_ns()


def tcp_echo(port, nbytes):
	"""nbytes through the TCP echo port and back: (t0, t1) host ns, or None."""
	data = os.urandom(nbytes)
	with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
		t0 = time.monotonic_ns()
		sender = threading.Thread(target=c.sendall, args=(data,))
		sender.start()
		got = bytearray()
		while len(got) < nbytes:
			b = c.recv(65536)
			if not b:
				break
			got += b
		t1 = time.monotonic_ns()
		sender.join()
	return (t0, t1) if bytes(got) == data else None


def measure(m, counts, udp, tcp, suffix, figs):
	"""The common part: idle, UDP series, TCP bulk on a booted guest."""
	time.sleep(8)  # whatever follows boot (ARP, DHCP's last timers) is over
	t0 = time.monotonic_ns()
	time.sleep(IDLE_SECONDS)
	t1 = time.monotonic_ns()
	time.sleep(0.1)
	figs["idle_wakeups_per_second_" + suffix] = round(counts.hlts(t0, t1) * 1e9 / (t1 - t0))
	figs["idle_instructions_per_second_" + suffix] = round((counts.icount_at(t1) - counts.icount_at(t0)) * 1e9 / (t1 - t0))
	window = udp_series(udp, UDP_ECHOES)
	if window:
		time.sleep(0.1)
		figs["udp_echo_total_instructions_" + suffix] = (counts.icount_at(window[1]) - counts.icount_at(window[0])) // UDP_ECHOES
	window = tcp_echo(tcp, TCP_BYTES)
	if window:
		time.sleep(0.1)
		instr = counts.icount_at(window[1]) - counts.icount_at(window[0])
		figs["tcp_echo_bytes_per_guest_second_" + suffix] = round(TCP_BYTES * 1e9 / max(instr, 1))
	return window is not None


def net_args(udp, tcp):
	return ["-netdev", "user,id=n0,hostfwd=udp:127.0.0.1:%d-:7,hostfwd=tcp:127.0.0.1:%d-:7" % (udp, tcp),
		"-device", "virtio-net-pci,netdev=n0"]


def run_optios(build, timeout):
	figs, udp, tcp = {}, free_port(), free_port(socket.SOCK_STREAM)
	log_dir = os.path.join(build, "bench")
	os.makedirs(log_dir, exist_ok=True)
	out = os.path.join(log_dir, "netcount-optios.txt")
	m = qemu.Machine("kernel", log_dir, "bench-net-optios", kernel=os.path.join(build, "kernel.elf"),
			 initrd=os.path.join(build, "rootfs-test.cpio"),
			 extra_args=ICOUNT + plugin(build, out) + net_args(udp, tcp), silence=timeout)
	with m:
		m.wait_for(r"eth0: address 10\.0\.2\.15 ", timeout=timeout)
		ok = measure(m, Counts(out), udp, tcp, "optios", figs)
		verdict = qemu.Verdict(qemu.PASS if ok else qemu.FAILURE, "measured" if ok else "an echo failed", 0)
		return figs, verdict, m.serial_log_path


def linux_guest(build):
	subprocess.run([os.path.join(ROOT, "tools", "linux-guest.sh"), build], check=True, stdout=subprocess.DEVNULL)
	d = os.path.join(build, "linux")
	return os.path.join(d, "vmlinuz"), os.path.join(d, "initramfs.cpio"), open(os.path.join(d, "version")).read().strip()


def linux_symbols(build, timeout, vmlinuz, initrd):
	"""{name: address} of LINUX_MARKS, from a boot (init prints them; cached)."""
	cache = os.path.join(build, "linux", "symbols")
	if os.path.exists(cache) and os.path.getmtime(cache) > os.path.getmtime(vmlinuz):
		text = open(cache).read()
	else:
		m = qemu.Machine("kernel", os.path.join(build, "bench"), "bench-net-linux-symbols", kernel=vmlinuz, initrd=initrd,
				 append=LINUX_APPEND, extra_args=ICOUNT, silence=timeout)
		with m:
			m.wait_for(r"echod: ready", timeout=timeout)
			text = m.text()
		with open(cache, "w") as f:
			f.write(text)
	found = dict((name, int(addr, 16)) for addr, name in re.findall(r"linux-guest: symbol ([0-9a-f]+) [Tt] (\w+)", text))
	return [found.get(n) for n in LINUX_MARKS]


def run_linux(build, timeout):
	figs, udp, tcp = {}, free_port(), free_port(socket.SOCK_STREAM)
	vmlinuz, initrd, version = linux_guest(build)
	marks = linux_symbols(build, timeout, vmlinuz, initrd)
	if None in marks:
		return figs, qemu.Verdict(qemu.FAILURE, "no address for %s" % (LINUX_MARKS,), 1), ""
	out = os.path.join(build, "bench", "netcount-linux.txt")
	m = qemu.Machine("kernel", os.path.join(build, "bench"), "bench-net-linux", kernel=vmlinuz, initrd=initrd,
			 append=LINUX_APPEND, extra_args=ICOUNT + plugin(build, out, marks) + net_args(udp, tcp),
			 silence=timeout)
	with m:
		m.wait_for(r"echod: ready", timeout=timeout)
		counts = Counts(out)
		ok = measure(m, counts, udp, tcp, "linux", figs)
		spans = counts.spans(*marks)[-UDP_ECHOES:]
		if len(spans) >= SPANS:
			figs["udp_echo_linux_instructions"] = int(statistics.median(spans))
		verdict = qemu.Verdict(qemu.PASS if ok else qemu.FAILURE, version, 0)
		return figs, verdict, m.serial_log_path


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--build", default=os.path.join(ROOT, "build"))
	ap.add_argument("--timeout", type=float, default=400)
	ap.add_argument("--only", choices=("optios", "linux"))
	args = ap.parse_args()
	figs = {}
	for name, fn in (("optios", run_optios), ("linux", run_linux)):
		if args.only and args.only != name:
			continue
		f, verdict, log = fn(args.build, args.timeout)
		figs.update(f)
		print("%s: %s (%s)" % (name, verdict, log))
	for key, what, unit in FIGURES:
		print("%-40s %14s  %s" % (key, "%d %s" % (figs[key], unit) if key in figs else "missing", what))


if __name__ == "__main__":
	main()
