"""Symbolic and hard links as a user makes them with BusyBox (ln, ln -s,
readlink, ls -l, stat, rm): in /tmp (RAM) and in /data on the disk store,
where they survive a reboot and `optios-disk fsck` finds the image clean;
paths through links to directories, relative and absolute targets, a loop,
/proc/self (docs/VFS.md, "Links")."""

import os
import re
import tempfile

import test_shell
import test_store
from test_shell import check, run, shell


def links_in(m, d):
	"""The same user session in directory d: every answer as on Linux."""
	run(m, "cd %s" % d)
	run(m, "busybox mkdir -p sub/deep")
	run(m, "echo hello > sub/deep/f")
	check(m, "busybox ln -s sub/deep dl", "")
	check(m, "busybox ln -s %s/sub/deep/f abs" % d, "")
	check(m, "busybox cat dl/f", "hello\n")  # a link to a directory in the middle of a path
	check(m, "busybox cat abs", "hello\n")
	check(m, "busybox readlink dl", "sub/deep\n")
	check(m, "busybox readlink -f dl/f", "%s/sub/deep/f\n" % d)
	out, _ = run(m, "busybox ls -l --color=never dl abs")
	assert re.search(r"^lrwxrwxrwx +1 0 +0 +\d+ .* abs -> %s/sub/deep/f$" % d, out, re.M), out
	assert re.search(r"^lrwxrwxrwx +1 0 +0 +8 .* dl -> sub/deep$", out, re.M), out
	check(m, "busybox ln sub/deep/f hard", "")
	out, _ = run(m, "busybox ls -li hard sub/deep/f")
	inos = re.findall(r"^ *(\d+) -rw-r--r-- +2 ", out, re.M)
	assert len(inos) == 2 and inos[0] == inos[1], out
	check(m, "echo more >> hard", "")
	check(m, "busybox cat sub/deep/f", "hello\nmore\n")  # one file, two names
	check(m, "busybox rm sub/deep/f", "")
	check(m, "busybox cat hard", "hello\nmore\n")
	out, _ = run(m, "busybox cat abs")  # dangling now
	assert "No such file or directory" in out, out
	check(m, "busybox ln -s loop2 loop1", "")
	check(m, "busybox ln -s loop1 loop2", "")
	out, _ = run(m, "busybox cat loop1")
	assert "Symbolic link loop" in out or "Too many levels of symbolic links" in out, out
	check(m, "busybox rm dl", "")
	check(m, "busybox ls sub/deep", "")  # rm of a link leaves what it points to
	run(m, "cd /")


def test_links_busybox_in_tmp(ctx):
	"""ln -s, ln, readlink (-f), ls -l showing '->' and the link count,
	cat through a link to a directory, a dangling link, a loop, in /tmp;
	/proc/self is a link to the caller's /proc/PID."""
	with shell(ctx) as m:
		links_in(m, "/tmp")
		out, _ = run(m, "busybox ls -l --color=never /proc/self")
		assert re.search(r"^lrwxrwxrwx .* /proc/self -> \d+$", out, re.M), out
		out, _ = run(m, "busybox sh -c 'echo $$; busybox readlink /proc/self; busybox cat /proc/self/stat'")
		pid, link, stat = out.splitlines()[:3]
		# readlink is a child of the shell; cat runs inside it (a NOFORK applet): the shell's pid
		assert int(link) > int(pid) and stat.startswith(pid + " (busybox)"), out


def test_links_persist_in_data(ctx):
	"""The same in /data on the disk store; after a power-off and a new
	boot the hard link (its count 2) and the symbolic link are there, and the
	host tool finds the image clean."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with test_store.boot(ctx, img) as m:
			links_in(m, "/data")
			m.send_serial("poweroff\r")
			m.wait_for(r"store: everything written is on the disk", timeout=20)
			m.wait_exit(timeout=20)
		with test_store.boot(ctx, img) as m:
			check(m, "busybox readlink /data/loop1", "loop2\n")
			check(m, "busybox cat /data/hard", "hello\nmore\n")
			out, _ = run(m, "busybox ls -l --color=never /data/abs /data/hard")
			assert re.search(r"^lrwxrwxrwx .* /data/abs -> /data/sub/deep/f$", out, re.M), out
			assert re.search(r"^-rw-r--r-- +1 .* /data/hard$", out, re.M), out
			check(m, "busybox ln /data/hard /data/hard2", "")
		assert ": clean:" in test_store.tool(ctx, "fsck", img)
		listing = test_store.tool(ctx, "ls", img, "/")
		assert re.search(r"^l +5 loop1$", listing, re.M), listing
