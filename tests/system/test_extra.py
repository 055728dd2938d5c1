"""`make all EXTRA=dir` lays a directory over the root image, keeping paths:
a user adds programs and files without touching the tree. The image is built
into a scratch build directory, so the suite's own image stays as it is."""

import os
import shutil
import subprocess
import tempfile

import test_shell

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 180


def build_image_with(extra, build):
	"""Runs the Makefile's root image rule with EXTRA=extra into build."""
	proc = subprocess.run(["make", "--no-print-directory", "BUILD=" + build, "EXTRA=" + extra,
			       os.path.join(build, "rootfs.cpio")], cwd=ROOT, stdout=subprocess.PIPE,
			      stderr=subprocess.STDOUT, timeout=150)
	out = proc.stdout.decode(errors="replace")
	assert proc.returncode == 0, "make EXTRA=... failed:\n" + out[-2000:]
	return os.path.join(build, "rootfs.cpio")


def test_extra_dir_adds_programs_and_files(ctx):
	with tempfile.TemporaryDirectory(prefix="optios-extra-") as tmp:
		extra = os.path.join(tmp, "mine")
		os.makedirs(os.path.join(extra, "bin"))
		os.makedirs(os.path.join(extra, "etc"))
		# a program of one's own: the SDK example under another name
		shutil.copy(os.path.join(ctx.build, "rootfs", "bin", "hello"), os.path.join(extra, "bin", "greet"))
		with open(os.path.join(extra, "etc", "notes.txt"), "w") as f:
			f.write("added with EXTRA\n")
		image = build_image_with(extra, os.path.join(tmp, "build"))
		with test_shell.shell(ctx, initrd=image) as m:
			test_shell.check(m, "greet from extra", "hello from OptiOS from extra\n")
			test_shell.check(m, "cat /etc/notes.txt", "added with EXTRA\n")
			out, _ = test_shell.run(m, "ls /bin")
			assert "greet" in out.split() and "sh" in out.split(), "ls /bin: %r" % out
