#!/usr/bin/env python3
"""profile.py - where one bench figure's instructions go (`make profile KEY=...`).

Boots the benchmark that measures KEY (tools/bench.py's hbench boot, or its
durable boot with an NVMe disk for durable_* keys) twice under -icount:

  1. as `make bench` does: the driver prints "BENCHSPAN key from to", the log
     records its median measurement spans (user/test/hbench.c);
  2. with the itrace plugin (tools/profile/itrace.c), counting every guest
     instruction executed between the TSC reads of those two records (the
     kernel's evlog_slot/evlog_write), per instruction address.

Then prints the window's total beside the figure and the instructions per
function (kernel and the driver's and handler's user code), and with --tree a
call tree rebuilt from the window's trace. Runs are deterministic except for
what depends on the host (NVMe polls, group-commit timing): when the second
boot's median falls on other records, the window is profiled again there.

    python3 tools/profile.py --build build durable_cycle_1page_instructions
    python3 tools/profile.py --build build --tree 8 cycle_1page_instructions

Keys: those hbench prints a BENCHSPAN for (cycle, warm start, commits,
durable cycle). Python 3 standard library; needs binutils' objdump and nm.
"""

import argparse
import bisect
import collections
import os
import re
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import bench  # noqa: E402
import qemu  # noqa: E402

USER_ELFS = [("hbench", "rootfs-test/test/hbench"), ("bench", "rootfs-test/test/handlers/bench")]


class Elf:
	"""An ELF's text symbols and loadable bytes (to tell user programs apart by their bytes)."""

	def __init__(self, path, name):
		self.name = name
		data = open(path, "rb").read()
		self.data = data
		phoff, = struct.unpack_from("<Q", data, 0x20)
		phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
		self.segs = []
		for i in range(phnum):
			p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
			if p_type == 1:
				self.segs.append((p_vaddr, p_offset, p_filesz))
		syms = []
		for line in subprocess.run(["nm", "-n", path], capture_output=True, text=True).stdout.splitlines():
			p = line.split()
			if len(p) == 3 and p[1] in "tTwWiI":
				syms.append((int(p[0], 16), p[2]))
		syms.sort()
		self.addrs = [a for a, _ in syms]
		self.names = [n for _, n in syms]

	def bytes_at(self, va, n):
		for v, off, size in self.segs:
			if v <= va < v + size:
				return self.data[off + va - v: off + min(va - v + n, size)]
		return None

	def sym(self, va):
		i = bisect.bisect_right(self.addrs, va) - 1
		return self.names[i] if i >= 0 else "?"


class Symbolizer:
	def __init__(self, kernel, users):
		self.k = Elf(kernel, "kernel")
		self.users = [Elf(p, n) for n, p in users if os.path.exists(p)]
		self.cache = {}

	def lookup(self, va, hexbytes):
		key = (va, hexbytes)
		if key not in self.cache:
			self.cache[key] = self._lookup(va, hexbytes)
		return self.cache[key]

	def _lookup(self, va, hexbytes):
		if va >= 0xffff800000000000:
			return self.k.sym(va)
		b = bytes.fromhex(hexbytes)
		hits = [u for u in self.users if u.bytes_at(va, len(b)) == b]
		return "%s:%s" % (hits[0].name, hits[0].sym(va)) if hits else "user:%#x" % va


def record_sites(kernel):
	"""Addresses of the rdtsc that stamps each log record (evlog_slot, evlog_write)."""
	out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", kernel], capture_output=True, text=True).stdout
	sites, fn = [], None
	for line in out.splitlines():
		m = re.match(r"^([0-9a-f]+) <(\w+)>:$", line)
		if m:
			fn = m.group(2)
		elif fn in ("evlog_slot", "evlog_write", "stamp") and re.search(r"\brdtsc\b", line):
			sites.append(line.split(":")[0].strip())
	if not sites:
		sys.exit("profile: no rdtsc found in evlog_slot/evlog_write of %s" % kernel)
	return sites


def boot(build, key, plugin=None):
	"""One boot of the driver measuring key; returns (console text, verdict)."""
	durable = key.startswith("durable_")
	extra = list(bench.ICOUNT_ARGS) + (["-plugin", plugin] if plugin else [])
	m = qemu.Machine("kernel", os.path.join(build, "profile"), "profile", kernel=os.path.join(build, "kernel.elf"),
			 append="optios.init=/test/hbench", extra_args=extra, silence=900,
			 disks=[qemu.Disk(kind="nvme")] if durable else [])
	with m:
		verdict = m.wait_exit(timeout=1800)
		return m.text(), verdict


def spans(text):
	return {k: (int(a), int(b)) for k, a, b in re.findall(r"^BENCHSPAN (\w+) (\d+) (\d+)\r?$", text, re.M)}


def flat(sym, hist, top):
	c = collections.Counter()
	for line in open(hist):
		va, n, b = line.split()
		c[sym.lookup(int(va, 16), b)] += int(n)
	total = sum(c.values())
	for fn, n in c.most_common(top):
		print("%10d %5.1f%%  %s" % (n, 100.0 * n / max(total, 1), fn))


def is_call(b):
	if b.startswith("e8"):
		return True
	for pre in ("ff", "41ff"):
		if b.startswith(pre) and len(b) >= len(pre) + 2:
			return (int(b[len(pre):len(pre) + 2], 16) >> 3) & 7 == 2
	return False


def tree(sym, trace, depth, share):
	"""Inclusive instructions per call path, rebuilt from calls and returns."""
	incl, stack, total = collections.Counter(), [], 0
	prev_call = prev_ret = False
	for line in open(trace):
		_, va, b = line.split()
		fn = sym.lookup(int(va, 16), b)
		if prev_call:
			stack.append(fn)
		elif not stack or stack[-1] != fn:
			if fn in stack:  # a return (or a jump back into a caller)
				while stack[-1] != fn:
					stack.pop()
			elif prev_ret and stack:
				stack[-1] = fn
			else:  # a tail call, an interrupt, a system call entry
				stack.append(fn)
		total += 1
		for i in range(min(depth, len(stack))):
			incl[" > ".join(stack[:i + 1])] += 1
		prev_call, prev_ret = is_call(b), b.startswith(("c3", "c2", "f3c3"))
	for path, n in sorted(incl.items()):
		if n >= total * share:
			print("%10d %5.1f%%  %s" % (n, 100.0 * n / max(total, 1), path))


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("key")
	ap.add_argument("--build", default=os.path.join(ROOT, "build"))
	ap.add_argument("--top", type=int, default=40, help="functions listed")
	ap.add_argument("--tree", type=int, default=0, metavar="DEPTH", help="also a call tree this deep")
	args = ap.parse_args()
	kernel = os.path.join(args.build, "kernel.elf")
	plugin_so = os.path.join(args.build, "tools", "itrace.so")
	if not os.path.exists(plugin_so):
		sys.exit("profile: %s missing (make profile builds it)" % plugin_so)
	text, verdict = boot(args.build, args.key)
	found = spans(text)
	if args.key not in found:
		sys.exit("profile: the bench printed no span for %s (%s); keys with one: %s" % (
			args.key, verdict, ", ".join(sorted(found)) or "none"))
	span, figure = found[args.key], bench.parse(text).get(args.key)
	out = os.path.join(args.build, "profile", args.key)
	os.makedirs(os.path.dirname(out), exist_ok=True)
	sites = ",".join("rec=" + s for s in record_sites(kernel))
	for attempt in range(3):
		plugin = "%s,out=%s,%s,span=%d-%d%s" % (plugin_so, out, sites, span[0], span[1],
							",trace=1" if args.tree else "")
		text, verdict = boot(args.build, args.key, plugin)
		again = spans(text).get(args.key)
		if again == span or again is None:
			break
		print("profile: this boot's median is records %d-%d, not %d-%d: profiling those" % (again + span))
		span, figure = again, bench.parse(text).get(args.key)
	window = re.search(r"^window (-?\d+)", open(out + ".markers").read(), re.M)
	print("%s = %s (records %d-%d); instructions in the window: %s" % (
		args.key, figure, span[0], span[1], window.group(1) if window else "?"))
	if args.key.startswith("durable_cycle"):
		print("(the figure leaves out the driver's device waits: the window has them, in nvme's submit)")
	sym = Symbolizer(kernel, [(n, os.path.join(args.build, p)) for n, p in USER_ELFS])
	flat(sym, out + ".hist", args.top)
	if args.tree:
		print("\ncall tree (inclusive, paths of 0.5% and more):")
		tree(sym, out + ".trace", args.tree, 0.005)
	return 0


if __name__ == "__main__":
	sys.exit(main())
