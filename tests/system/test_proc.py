"""Processes, seen from real musl programs: each test boots the kernel with
the root image as -initrd and `optios.init=/test/NAME`, so the program runs
as the first process instead of the shell; the kernel prints
"init: PATH exited with status N" and ends QEMU (33 if N is 0, 35 otherwise).
The programs (user/test/proc_*.c) check their own results and exit non-zero
on any failure; these tests also read what they printed."""

import os
import re

import optios

TIMEOUT = 120


def run_init(ctx, program, timeout=90, cpu=None):
	"""Boots with program as init; returns (verdict, serial text). Without the
	image's boot handlers (handler.boot=0): programs that count free pages and
	heap around each case saw echo's start-up end in the middle of one
	(proc.hostile_programs: heap 573280 -> 573240 in badptr)."""
	rootfs = os.path.join(ctx.build, "rootfs-test.cpio")
	assert os.path.exists(rootfs), "no root image at %s (make test builds it)" % rootfs
	extra = ["-initrd", rootfs] + (["-cpu", cpu] if cpu else [])
	with ctx.machine("kernel", append="optios.init=/test/%s optios.conf.handler.boot=0" % program,
			 extra_args=extra) as m:
		optios.boot(m)
		verdict = m.wait_exit(timeout=timeout)
		return verdict, m.text().replace("\r\n", "\n")


def exit_status(text, program):
	m = re.search(r"init: /test/%s exited with status (\d+)" % re.escape(program), text)
	assert m, "no exit line for %s; output ends with:\n%s" % (program, text[-1500:])
	return int(m.group(1))


def check_passed(ctx, program, **kw):
	verdict, text = run_init(ctx, program, **kw)
	status = exit_status(text, program)
	assert status == 0, "%s exited with status %d:\n%s" % (program, status, text[-3000:])
	assert verdict.kind == "pass", "QEMU verdict %s after status 0" % verdict
	assert "KERNEL FAULT" not in text and "KERNEL PANIC" not in text, text[-3000:]
	return text


def test_hello_exit_status(ctx):
	"""A hello world runs in ring 3, prints through write, and its exit status
	reaches the kernel; a non-zero status ends QEMU with the failure code."""
	text = check_passed(ctx, "proc_hello")
	assert "hello from /test/proc_hello (argc 1)" in text, text[-2000:]


def test_libc_program(ctx):
	"""malloc (small, 8 MiB, realloc), printf with floats, clock_gettime,
	nanosleep, uname, getrandom in a static musl program."""
	text = check_passed(ctx, "proc_libc")
	assert "proc_libc: all checks passed" in text
	m = re.search(r"time: slept (\d+) ms", text)
	assert m and 20 <= int(m.group(1)) < 1000, "nanosleep(20 ms) took %s" % (m and m.group(1))


def test_hostile_programs(ctx):
	"""Bad pointers and lengths into the system calls, kernel reads and writes,
	executing data, privileged instructions, stack overflow, unbounded malloc,
	a spawn storm: each child ends as expected, the kernel carries on, and
	free pages and kernel heap come back to what they were."""
	text = check_passed(ctx, "proc_hostile", timeout=110)
	cases = re.findall(r"hostile: (\S+): (signal|exit) (\d+), free pages (\d+) -> (\d+), heap (\d+) -> (\d+): (\w+)", text)
	assert len(cases) >= 19, "only %d cases reported:\n%s" % (len(cases), text[-3000:])
	bad = [c for c in cases if c[-1] != "ok"]
	assert not bad, "cases failed: %s" % bad
	for what in ("cli", "hlt", "inout", "cr3"):
		assert any(c[0] == what and c[1] == "signal" and c[2] == "11" for c in cases), what
	assert re.search(r"proc_hostile\[\d+\]: page fault at 0xffffffff80100000 \(read, protection\) rip 0x", text)
	assert re.search(r"proc_hostile\[\d+\]: page fault at 0x0 \(write, not present\) rip 0x", text)
	assert re.search(r"proc_hostile\[\d+\]: general protection fault", text)


def test_hostile_with_smep_smap(ctx):
	"""The same with -cpu max: SMEP and SMAP on; the kernel's user copies go
	through the direct map and still work."""
	text = check_passed(ctx, "proc_hostile", timeout=110, cpu="max")
	assert "SMEP on, SMAP on" in text, "SMEP/SMAP not reported on"


def test_time_slicing_and_kill(ctx):
	"""Two CPU-bound programs share the CPU (each loses it repeatedly within
	300 ms); kill ends a sleeping and a spinning program with its signal."""
	text = check_passed(ctx, "proc_sched")
	assert "sched: killed sleeper 130, spinner 143" in text


def test_missing_init_falls_back_to_monitor(ctx):
	"""A missing init program is reported and the kernel monitor takes over."""
	with ctx.machine("kernel", append="optios.init=/test/none") as m:
		optios.boot(m)
		verdict = m.wait_exit(timeout=30)
		text = m.text()
	assert "init: /test/none cannot start" in text, text[-1500:]
	assert verdict.kind == "failure", "with optios.init a start failure ends QEMU with 35: %s" % verdict
