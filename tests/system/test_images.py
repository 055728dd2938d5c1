"""The two root images, read on the host (no machine): build/rootfs.cpio, what
`make run` boots, holds what a user needs; build/rootfs-test.cpio, what the
tests boot, is that image plus the test programs and their grants (issue 9:
the user's image held /test, and `policy on` listed test fixtures)."""

import os
import re
import subprocess

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def copy_tree(src, dst):
	"""An image tree (build/rootfs-test.tree) copied with its hard links kept:
	BusyBox's applet names in /usr/bin are one file (shutil.copytree would
	make each a 1.2 MB copy, and the image too big to boot)."""
	os.makedirs(dst, exist_ok=True)
	subprocess.run("tar cf - . | (cd '%s' && tar xf -)" % dst, shell=True, cwd=src, check=True)


def names(image):
	p = subprocess.run(["cpio", "-t", "--quiet"], stdin=open(image, "rb"), capture_output=True, text=True,
			   timeout=30)
	assert p.returncode == 0, p.stderr
	return set(p.stdout.split())


def manifest_names(*dirs):
	found = set()
	for d in dirs:
		for f in os.listdir(os.path.join(ROOT, d)):
			if f.endswith(".manifest"):
				m = re.search(r"^name\s+(\S+)", open(os.path.join(ROOT, d, f)).read(), re.M)
				found.add(m.group(1))
	return found


def test_user_image_holds_no_test_programs(ctx):
	user = names(os.path.join(ctx.build, "rootfs.cpio"))
	test = names(os.path.join(ctx.build, "rootfs-test.cpio"))
	assert "bin/sh" in user and "apps/counter" in user and "etc/policy" in user, sorted(user)
	assert not [n for n in user if n == "test" or n.startswith("test/") or "policy.d" in n], sorted(user)
	# the one file left out of the test image: counter's demo registration
	# (rootfs/etc/handlers.d/demo: a timer every second the idle tests would count)
	demo = {"etc/handlers.d/demo"}
	assert demo <= user and not demo & test, sorted(demo & test)
	assert user - demo < test, "the test image lacks %s" % sorted(user - demo - test)
	assert {"test/handlers/counter2", "test/hostile_spawn", "test/probe_files",
		"etc/policy.d/test.policy"} <= test, sorted(test - user)
	# the shipped policy grants only to programs of the user's image
	user_progs = manifest_names("user/bin", "apps", "user/busybox", "user/lua", "user/sqlite") | {"*"}
	grants = re.findall(r"^grant\s+(\S+)", open(os.path.join(ROOT, "rootfs", "etc", "policy")).read(), re.M)
	assert set(grants) <= user_progs, "grants to test programs in /etc/policy: %s" % (set(grants) - user_progs)
	# what runs on any app: event in the user's image: the example handlers only
	tool = os.path.join(ctx.build, "tools", "policy")
	out = subprocess.run([tool, "--root", os.path.join(ctx.build, "rootfs.tree"), "on", "app:*"],
			     capture_output=True, text=True, timeout=30).stdout
	assert re.findall(r"\((/\S+)\) runs", out) == ["/apps/crasher", "/apps/spinner"], out


def test_images_were_rebuilt_on_every_make_all(ctx):
	"""The image trees are copied afresh on every make, with new times and
	inode numbers: the archive of the same contents must come out byte for
	byte the same (the Makefile's CPIO), or every `make all` rebuilds both
	images and the ISOs (it did: three grub-mkrescue runs per make)."""
	import shutil
	import tempfile
	work = tempfile.mkdtemp(prefix="cpio-")
	try:
		rule = os.path.join(work, "rule.mk")
		open(rule, "w").write("cpio-of-tree:\n\t@$(call CPIO,$(TREE),$(OUT))\n")
		archives = []
		for n in (1, 2):
			tree = os.path.join(work, "tree%d" % n)
			os.makedirs(os.path.join(tree, "bin"))
			open(os.path.join(tree, "bin", "tool"), "w").write("same contents\n")
			os.link(os.path.join(tree, "bin", "tool"), os.path.join(tree, "bin", "alias"))
			os.utime(os.path.join(tree, "bin", "tool"), (1000000 * n, 1000000 * n))
			out = os.path.join(work, "image%d.cpio" % n)
			p = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", rule,
					    "BUILD=" + ctx.build, "TREE=" + tree, "OUT=" + out, "cpio-of-tree"],
					   cwd=ROOT, capture_output=True, text=True, timeout=120)
			assert p.returncode == 0, p.stdout + p.stderr
			archives.append(open(out, "rb").read())
		assert archives[0] == archives[1], "the same tree copied twice gave two different archives"
		assert names(os.path.join(work, "image1.cpio")) >= {"bin/tool", "bin/alias"}
	finally:
		shutil.rmtree(work)
