"""/dev and /proc (docs/VFS.md): the devices and the process information
BusyBox's ps, free, df, top and uptime read, used as a user would."""

import re

from test_shell import check, run, shell


def test_devproc_explore(ctx):
	with shell(ctx) as m:
		for c in ["busybox ps", "busybox free", "busybox df", "busybox top -n 1 -b", "busybox uptime",
			  "busybox cat /proc/meminfo", "echo x > /dev/null", "head -c 16 /dev/urandom | busybox od",
			  "busybox dd if=/dev/zero of=/tmp/z bs=4096 count=4", "busybox ls -l /dev", "busybox ls /proc",
			  "busybox cat /proc/1/stat", "busybox cat /proc/self/status", "busybox readlink /proc/self",
			  "busybox cat /proc/mounts", "busybox cat /proc/stat /proc/uptime /proc/loadavg",
			  "echo y > /dev/full", "busybox stat /dev/null"]:
			out, _ = run(m, c, timeout=30)
			print("$ %s\n%s" % (c, out))
		assert False
