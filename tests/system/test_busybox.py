"""BusyBox (docs/USERLAND.md): /bin/busybox and its applets in /usr/bin, run
from OptiOS's shell as a user would. The same static binary runs on the
Linux host: each applet's output on OptiOS is compared with its output on the
host for the same files and command line."""

import importlib.util
import os
import re
import subprocess
import tempfile

from test_shell import check, run, shell

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The files the applets work on, made by BusyBox's printf on both systems.
SETUP = [
	"busybox printf 'pear 3\\napple 10\\nfig 7\\napple 2\\n' > t",
	"sed s/fig/kiwi/ t > t2",
	"tar cf a.tar t t2",
	"gzip -c t > t.gz",
]
# Applets a user tries first; the output must be the host's, byte for byte
# (diff's header lines carry file times: compared without them; find's
# order is the directory's: compared sorted).
COMMANDS = [
	"busybox cat t",
	"sort t",
	"sort -k2 -n t",
	"sort -u t",
	"grep -n apple t",
	"grep -c p t",
	"sed -e s/apple/APPLE/g -e 3d t",
	"awk '{ s += $2 } END { print s, NR }' t",
	"wc t",
	"head -n 2 t",
	"tail -n 1 t",
	"uniq -c t",
	"cut -d' ' -f1 t",
	"tr a-z A-Z < t",
	"sha256sum t t2",
	"md5sum t",
	"diff -u t t2",
	"tar tvf a.tar",
	"gzip -dc t.gz",
	"find . -name 't*'",
	"expr 6 \\* 7",
	"seq 3",
	"basename /a/b/c.txt .txt",
]


def host_outputs(busybox, commands):
	"""Each command's output on the host, in a fresh directory laid out by SETUP."""
	outs = []
	with tempfile.TemporaryDirectory(prefix="optios-bb-") as top:
		bindir, d = os.path.join(top, "bin"), os.path.join(top, "work")
		os.makedirs(bindir)
		os.makedirs(d)
		for a in subprocess.run([busybox, "--list"], capture_output=True, text=True).stdout.split():
			if a != "sh":
				os.symlink(busybox, os.path.join(bindir, a))
		os.symlink(busybox, os.path.join(bindir, "busybox"))
		env = {"PATH": bindir, "LC_ALL": "C", "TZ": "UTC"}
		for c in SETUP + commands:
			r = subprocess.run([busybox, "sh", "-c", c], cwd=d, env=env, capture_output=True, text=True,
					   timeout=30)
			status = "%s: exited with status %d\n" % (c.split()[0], r.returncode) if r.returncode else ""
			outs.append(r.stdout + r.stderr + status)  # OptiOS's shell says a failure
	return outs[len(SETUP):]


def normal(cmd, out):
	if cmd.startswith("diff"):
		return "".join(l for l in out.splitlines(True) if not l.startswith(("---", "+++")))
	if cmd.startswith("find"):
		return "".join(sorted(out.splitlines(True)))
	if cmd.startswith("tar tv"):  # owner and date columns differ (the host's files are not root's)
		return re.sub(r"^(\S+) \S+ +(\d+) \S+ \S+ ", r"\1 \2 ", out, flags=re.M)
	return out


def test_busybox_applets_print_what_they_print_on_linux(ctx):
	"""The applets run by name (found in /usr/bin) on files in /data, output as on the Linux host."""
	want = host_outputs(os.path.join(ctx.build, "busybox", "obj", "busybox"), COMMANDS)
	with shell(ctx) as m:
		check(m, "cd /data", "")
		for c in SETUP:
			check(m, c, "")
		for c, w in zip(COMMANDS, want):
			out, _ = run(m, c, timeout=30)
			assert normal(c, out) == normal(c, w), "%s: OptiOS %r, Linux %r" % (c, out, w)


def test_busybox_ls_l_and_file_tools(ctx):
	"""ls -l lists modes, sizes and names; cp, mv, rm, mkdir, touch and chmod
	change /data; BusyBox's grants do not reach outside /data and /tmp."""
	with shell(ctx) as m:
		check(m, "busybox mkdir -p /data/d/e", "")
		check(m, "busybox printf 'hello\\n' > /data/d/f", "")
		check(m, "cp /data/d/f /data/d/g", "")
		check(m, "busybox mv /data/d/g /data/d/h", "")
		check(m, "cp /data/d/f /data/d/g", "")
		check(m, "touch -t 202001020304.05 /data/d/h", "")
		check(m, "chmod 600 /data/d/g", "")
		out, _ = run(m, "busybox ls -l --color=never /data/d")
		lines = out.splitlines()
		assert lines[0] == "total 0" or lines[0].startswith("total "), out
		assert re.match(r"^drwxr-xr-x +\d+ 0 +0 +0 .* e$", lines[1]), out
		assert re.match(r"^-rw-r--r-- +1 0 +0 +6 .* f$", lines[2]), out
		assert re.match(r"^-rw------- +1 0 +0 +6 .* g$", lines[3]), out
		assert re.match(r"^-rw-r--r-- +1 0 +0 +6 Jan  2  2020 h$", lines[4]), out
		check(m, "stat -c %y /data/d/h", "2020-01-02 03:04:05.000000000 +0000\n")
		check(m, "busybox rm -r /data/d", "")
		check(m, "busybox ls /data", "")
		out, _ = run(m, "cp /etc/policy /etc/x")
		assert "cp: can't create '/etc/x'" in out and "status 1" in out, out
		out, _ = run(m, "chmod 600 /etc/policy")
		assert "chmod: /etc/policy: Permission denied" in out and "status 1" in out, out


def test_busybox_sh_hung_at_start_getpgid_missing(ctx):
	"""Was: `busybox sh` called getpgid (ENOSYS) in a loop with kill and hung
	before its prompt. Now its prompt comes, a command runs, exit returns to
	OptiOS's shell. (Line editing prints poll errors until poll exists.)"""
	with shell(ctx) as m:
		start = m.mark()
		m.send_serial("busybox sh\r")
		m.wait_for(re.compile(r"/ # "), timeout=30)
		m.send_serial("echo from ash $((6 * 7))\r")
		m.wait_for(re.compile(r"\nfrom ash 42\r?\n"), timeout=30)
		m.send_serial("exit\r")
		m.wait_for(shell_prompt(), timeout=30)
		assert "killed" not in m.text()[start:], m.text()[start:]


def shell_prompt():
	return re.compile(r"\n/\$ $")


def test_unixcalls_groups_umask_fsync(ctx):
	"""getpgid/getpgrp/getsid (a spawned program leads its own group, in its parent's session), getgroups
	(none), umask (inherited 022, applied to open and mkdir), fsync and
	fdatasync (ramfs: nothing to write back, an open descriptor succeeds),
	sendfile (from an offset that moves, or from the file's own), chmod and
	fchmod, chown (single user: to root only), utimensat/futimens/utimes."""
	with shell(ctx) as m:
		check(m, "/test/unixcalls /tmp/uc", "\n".join([
			"getpgid(0) is pid: 1",
			"getpgrp() is pid: 1",
			"getsid(0) is the parent's: 1",
			"getpgid(parent) is parent: 1",
			"getpgid(999999): -1 No such process",
			"getgroups(0): 0",
			"umask(077) was: 022",
			"umask(022) was: 077",
			"mkdir 0777 under 077: 700",
			"open: 0",
			"open 0666 under 077: 600",
			"write: 1",
			"fsync: 0",
			"fdatasync: 0",
			"fsync(closed): -1 Bad file descriptor",
			"write: 11",
			"456",
			"sendfile(off 4, 3): 3",
			"off now 7, file offset 0",
			"0123456789",
			"",
			"sendfile(NULL, 100): 11",
			"file offset 11",
			"sendfile(at end): 0",
			"sendfile(bad fd): -1 Bad file descriptor",
			"chmod 0640: 0",
			"mode: 640",
			"fchmod 0604: 0",
			"mode: 604",
			"chown 0 0: 0",
			"chown -1 -1: 0",
			"chown 1000 0: -1 Operation not permitted",
			"fchown 0 1000: -1 Operation not permitted",
			"utimensat: 0",
			"mtime: 1577934245.000000005",
			"utimensat omit: 0",
			"mtime: 1577934245.000000005",
			"utimensat bad ns: -1 Invalid argument",
			"utimes: 0",
			"mtime: 1000000000.000007000",
			"futimens: 0",
			"mtime: 42.000000000",
			"futimens(read-only fd): -1 Operation not permitted",
			"fchmod(read-only fd): -1 Operation not permitted",
			"chmod(missing): -1 No such file or directory",
		]) + "\n", timeout=30)


# A slice of BusyBox's own test suite (make busybox-test runs all of it):
# links, and named pipes (diff skips them).
TESTSUITE_SLICE = ["ln", "readlink", "realpath", "diff", "dirname"]


def test_busybox_testsuite_slice_passes_as_on_linux(ctx):
	"""runtest with a few applets' test files, with the same binary on the
	Linux host and on OptiOS: every test that passes on the host passes on
	OptiOS (tools/busybox-test.py, docs/USERLAND.md)."""
	spec = importlib.util.spec_from_file_location("busybox_test", os.path.join(ROOT, "tools", "busybox-test.py"))
	bt = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(bt)
	build = os.path.abspath(ctx.build)
	host, host_res = bt.run_host(build, 300, TESTSUITE_SLICE, name="slice")
	opt, opt_res = bt.run_optios(build, 600, TESTSUITE_SLICE, name="slice")
	assert host["PASS"] >= 40, "the host ran too little of the slice: %r" % host
	lost = sorted(n for n, v in host_res.items() if v == "PASS" and opt_res.get(n) != "PASS")
	assert not lost, "pass on the host, not on OptiOS: %s (log: %s/busybox/slice-optios.log)" % (lost, build)


test_busybox_testsuite_slice_passes_as_on_linux.timeout = 240  # two runs of runtest, one a boot


def test_hostname_f_was_non_recoverable_error_without_etc_hosts(ctx):
	"""Was (BusyBox's test suite, hostname-d-works): `hostname -f` asked DNS
	for the machine's own name (no network: 'Non-recoverable error'). The
	image's /etc/hosts names it, as Linux's does."""
	with shell(ctx) as m:
		check(m, "busybox hostname", "optios\n")
		check(m, "busybox hostname -f", "optios.localdomain\n")
		check(m, "busybox hostname -d", "localdomain\n")


def test_fork_lost_the_umask(ctx):
	"""Was (BusyBox's test suite, uuencode): a forked child had umask 0, so
	uuencode of stdin wrote mode 666 (Linux: 644 under umask 022)."""
	with shell(ctx) as m:
		check(m, "busybox sh -c 'umask; (umask); umask 077; (umask)'", "0022\n0022\n0077\n")
		check(m, "busybox sh -c 'echo x | busybox uuencode f | busybox head -1'", "begin 644 f\n")


def test_sched_getaffinity_was_enosys(ctx):
	"""Was (BusyBox's test suite, taskset): sched_getaffinity and
	sched_setaffinity were ENOSYS. One CPU: its mask is 1; setting a mask
	with CPU 0 in it works, one without it is EINVAL."""
	with shell(ctx) as m:
		out, _ = run(m, "busybox sh -c 'busybox taskset -p $$'")
		assert re.fullmatch(r"pid \d+'s current affinity mask: 1\n", out), out
		check(m, "busybox sh -c 'busybox taskset 0x1 busybox echo ran; echo $?'", "ran\n0\n")
		out, _ = run(m, "busybox sh -c 'busybox taskset 0x2 busybox echo ran; echo $?'")
		assert "Invalid argument" in out and out.endswith("1\n"), out
