"""/dev and /proc (docs/VFS.md): the devices and the process information
BusyBox's ps, free, df, top and uptime read, used as a user would."""

import os
import re
import tempfile

import qemu
from test_shell import check, run, shell


def test_devproc_devices_as_linux(ctx):
	"""A program granted only /tmp opens the free devices (null, zero, full,
	urandom, tty) as on Linux, polls them ready, cannot see /proc; statfs and
	fstatfs report /tmp's size; readlink of a plain file is EINVAL; getrlimit
	gives the fixed limits (64 descriptors), setrlimit cannot raise them."""
	with shell(ctx) as m:
		check(m, "/test/devprobe", "\n".join([
			"write null: 3",
			"read null: 0",
			"read zero: 64, 64 zero bytes",
			"write full: -1 No space left on device",
			"read urandom twice: 32, different",
			"poll null, zero: 2",
			"revents in|out in",
			"null: chr 1, 1:3, mode 666",
			"open tty: 7",
			"open /dev/nosuch: -1 No such file or directory",
			"create /dev/new: -1 No such file or directory",  # not a free device: unseen without a grant
			"open /proc/meminfo: -1 No such file or directory",
			"statfs /tmp: 0",
			"/tmp: bsize 4096, blocks > 0: 1, free <= blocks: 1",
			"fstatfs file in /tmp: 0",
			"same blocks: 1",
			"readlink /tmp/sf: -1 Invalid argument",
			"getrlimit nofile: 0",
			"nofile: 64 64",
			"setrlimit nofile 32: 0",
			"setrlimit nofile 1000: -1 Operation not permitted",
			"getrlimit cpu: 0",
			"cpu: unlimited",
		]) + "\n", timeout=30)


def test_devproc_busybox_devices(ctx):
	"""Redirection to /dev/null, dd from /dev/zero, od of /dev/urandom, ls -l
	/dev with Linux's major and minor numbers, /dev/full's error."""
	with shell(ctx) as m:
		check(m, "echo x > /dev/null", "")
		check(m, "busybox cat /dev/null", "")
		out, _ = run(m, "busybox dd if=/dev/zero of=/tmp/z bs=4096 count=4")
		assert out.startswith("4+0 records in\n4+0 records out\n16384 bytes"), out
		check(m, "busybox od -An -tx1 /tmp/z", " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n*\n")
		out, _ = run(m, "head -c 16 /dev/urandom | busybox od -An -tx1")
		assert re.fullmatch(r"( [0-9a-f]{2}){16}\n", out), out
		out, _ = run(m, "busybox ls -l --color=never /dev")
		for name, num in [("full", "1,   7"), ("null", "1,   3"), ("random", "1,   8"), ("tty", "5,   0"),
				  ("urandom", "1,   9"), ("zero", "1,   5")]:
			assert re.search(r"^crw-rw-rw- +1 0 +0 +%s .* %s$" % (num, name), out, re.M), (name, out)
		out, _ = run(m, "busybox sh -c 'echo y > /dev/full'")
		assert "No space left on device" in out, out
		out, _ = run(m, "busybox touch /dev/new")
		assert "touch: /dev/new: Permission denied" in out, out


def test_devproc_ps_free_df_top_uptime(ctx):
	"""BusyBox's ps, free, df, top -b and uptime read /proc and statfs: their
	lines show the running processes, the memory /proc/meminfo gives, /data
	and /tmp's sizes."""
	with shell(ctx) as m:
		out, _ = run(m, "busybox ps")
		assert re.search(r"^PID +USER +TIME +COMMAND\n", out), out
		assert re.search(r"^ +1 0 +0:00 \[runner\]$", out, re.M), out  # the kernel's: no cmdline
		assert re.search(r"^ +2 0 +0:00 /bin/sh$", out, re.M), out
		assert re.search(r"^ +\d+ 0 +0:00 busybox ps$", out, re.M), out
		mem, _ = run(m, "busybox cat /proc/meminfo")
		total = int(re.search(r"^MemTotal: +(\d+) kB$", mem, re.M).group(1))
		assert re.search(r"^MemAvailable: +\d+ kB$", mem, re.M), mem
		out, _ = run(m, "busybox free")
		row = re.search(r"^Mem: +(\d+) +(\d+) +(\d+) ", out, re.M)
		assert row and int(row.group(1)) == total and int(row.group(2)) + int(row.group(3)) == total, out
		out, _ = run(m, "busybox df")
		for mnt in ("/data", "/tmp"):
			assert re.search(r"^\S+ +(\d+) +\d+ +\d+ +\d+%% %s$" % mnt, out, re.M), out
		root = re.search(r"^/dev/root +(\d+) +(\d+) +0 +100% /$", out, re.M)  # the image: full, read-only
		assert root and root.group(1) == root.group(2) and int(root.group(1)) > 1000, out
		out, _ = run(m, "busybox top -n 1 -b", timeout=30)
		assert re.search(r"^Mem: \d+K used, \d+K free", out, re.M), out
		assert re.search(r"^Load average: [\d.]+ [\d.]+ [\d.]+ \d+/\d+ \d+$", out, re.M), out
		assert re.search(r"^ +\d+ +2 0 +R .* busybox top -n 1 -b$", out, re.M), out
		out, _ = run(m, "busybox uptime")
		assert re.fullmatch(r" \d\d:\d\d:\d\d up +\d+ min, +0 users, +load average: 0.00, 0.00, 0.00\n", out), out


def test_devproc_proc_files_of_a_process(ctx):
	"""/proc/self is the caller's pid (readlink), /proc/PID/stat, status,
	comm and cmdline describe it in Linux's formats; /proc/mounts lists the
	mounts; a missing process is ENOENT; cd into /proc/PID works."""
	with shell(ctx) as m:
		out, _ = run(m, "busybox sh -c 'echo $$; busybox cat /proc/$$/comm /proc/$$/stat /proc/$$/status'")
		pid, comm, stat = out.split("\n")[:3]
		assert comm == "busybox", out
		assert re.fullmatch(r"%s \(busybox\) [RS] 2 %s 2 1025 -1 .*" % (pid, pid), stat) and len(stat.split()) == 52, stat
		assert "\nPid:\t%s\nPPid:\t2\n" % pid in out and re.search(r"\nState:\t(R \(running\)|S \(sleeping\))\n", out), out
		out, _ = run(m, "busybox sh -c 'echo $$; busybox readlink /proc/self; busybox cat /proc/self/cmdline | busybox tr \"\\\\0\" _; echo'")
		sh, cat, cmd = out.split("\n")[:3]
		assert int(cat) > int(sh) and cmd == "busybox_cat_/proc/self/cmdline_", out
		check(m, "busybox cat /proc/mounts", "/dev/root / rootfs ro 0 0\nramfs /data ramfs rw 0 0\n"
		      "tmpfs /tmp tmpfs rw 0 0\ndevtmpfs /dev devtmpfs rw 0 0\nproc /proc proc ro 0 0\n")
		out, _ = run(m, "busybox cat /proc/9999/stat")
		assert "No such file or directory" in out, out
		check(m, "cd /proc/1", "")  # chdir into /proc, relative paths from there
		check(m, "busybox cat comm", "runner\n")
		out, _ = run(m, "cd /proc/1/comm")
		assert "Not a directory" in out, out
		check(m, "cd /", "")
		check(m, "busybox find /proc/1 -name c*", "/proc/1/cmdline\n/proc/1/comm\n")
		out, _ = run(m, "busybox ls -l --color=never /proc")
		assert re.search(r"^lrwxrwxrwx +1 0 +0 +\d+ .* self -> \d+$", out, re.M), out
		assert re.search(r"^-r--r--r-- +1 0 +0 +0 .* meminfo$", out, re.M), out
		assert re.search(r"^dr-xr-xr-x +2 0 +0 +0 .* 2$", out, re.M), out
		out, _ = run(m, "busybox ls --color=never /")
		assert "dev" in out.split() and "proc" in out.split(), out


def test_devproc_df_of_data_on_the_disk_store(ctx):
	"""With a disk, /proc/mounts names /data's store and df reports it."""
	with tempfile.TemporaryDirectory() as d:
		with shell(ctx, disks=[qemu.Disk(os.path.join(d, "disk.img"), kind="virtio", size=8 << 20)]) as m:
			out, _ = run(m, "busybox grep /data /proc/mounts")
			assert out == "store /data optios-store rw 0 0\n", out
			out, _ = run(m, "busybox df /data")
			assert re.search(r"^store +\d+ +\d+ +\d+ +\d+% /data$", out, re.M), out
