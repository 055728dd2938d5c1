"""tools/fetch-source.sh (docs/DEPS.md): third-party sources, pinned in
tools/deps.lock, checked and unpacked the same way every time. No machine:
the script runs on the host, on copies of the files the build already
fetched (build/deps/download/busybox), in scratch build directories,
with the build's private apt lists: no network (the unreachable mirror is
127.0.0.1)."""

import os
import shutil
import subprocess
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
FETCH = os.path.join(ROOT, "tools", "fetch-source.sh")


def lock_lines(name):
	with open(os.path.join(ROOT, "tools", "deps.lock")) as f:
		lines = [l for l in f if l.split()[:1] == [name] or l.split()[:1] == ["mirror"]]
	return lines


def fetch(build, lock_text, *args, **env):
	lock = os.path.join(build, "test.lock")
	with open(lock, "w") as f:
		f.write(lock_text)
	e = dict(os.environ, OPTIOS_DEPS_LOCK=lock, **env)
	return subprocess.run([FETCH, "--build", build] + list(args), capture_output=True, text=True, env=e, timeout=120)


def seeded(ctx, tmp, name):
	"""A scratch build directory holding the package's downloaded files."""
	src = os.path.join(ctx.build, "deps", "download", name)
	assert os.path.isdir(src), "%s: the build fetched no %s (make all runs tools/fetch-source.sh)" % (src, name)
	dst = os.path.join(tmp, "deps", "download", name)
	shutil.copytree(src, dst)
	return tmp


def test_fetch_unpacks_once_and_then_does_nothing(ctx):
	"""From the files alone: checked, unpacked by dpkg-source; a second run
	does nothing; the tar + patch way (no dpkg-source) gives the same tree."""
	with tempfile.TemporaryDirectory(prefix="optios-deps-") as tmp:
		b = seeded(ctx, tmp, "busybox")
		r = fetch(b, "".join(lock_lines("busybox")), "busybox")
		assert r.returncode == 0 and "busybox 1:1.35.0-4+deb12u1 in" in r.stdout, r.stdout + r.stderr
		tree = os.path.join(b, "deps", "busybox-1.35.0-4+deb12u1")
		assert os.path.isfile(os.path.join(tree, "testsuite", "runtest")), os.listdir(tree)
		r = fetch(b, "".join(lock_lines("busybox")), "busybox")
		assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
		b2 = seeded(ctx, os.path.join(tmp, "b2"), "busybox")
		r = fetch(b2, "".join(lock_lines("busybox")), "busybox", OPTIOS_NO_DPKG_SOURCE="1")
		assert r.returncode == 0, r.stdout + r.stderr
		d = subprocess.run(["diff", "-r", "-x", ".pc", "-x", ".optios-fetched", tree,
				    os.path.join(b2, "deps", "busybox-1.35.0-4+deb12u1")], capture_output=True, text=True)
		assert d.returncode == 0, "tar + patch differs from dpkg-source:\n" + d.stdout[:2000]


def test_fetch_refuses_a_checksum_mismatch(ctx):
	with tempfile.TemporaryDirectory(prefix="optios-deps-") as tmp:
		b = seeded(ctx, tmp, "busybox")
		lines = lock_lines("busybox")
		bad = [l.replace("faeeb244", "faeeb245") if ".orig." in l else l for l in lines]
		r = fetch(b, "".join(bad), "busybox")
		assert r.returncode == 1, r.stdout + r.stderr
		assert "busybox_1.35.0.orig.tar.bz2: SHA-256 faeeb244c35a" in r.stderr, r.stderr
		assert "tools/deps.lock expects faeeb245c35a" in r.stderr, r.stderr
		assert os.path.exists(os.path.join(b, "deps", "download", "busybox", "busybox_1.35.0.orig.tar.bz2.bad"))
		assert not os.path.exists(os.path.join(b, "deps", "busybox-1.35.0-4+deb12u1"))


def test_fetch_names_what_it_cannot_do(ctx):
	"""A name not in the lock; a version the mirror does not have (names the ones it
	has); a mirror that does not answer (says the network may be down)."""
	with tempfile.TemporaryDirectory(prefix="optios-deps-") as tmp:
		r = fetch(tmp, "".join(lock_lines("lwip")), "nosuchpkg")
		assert r.returncode == 1 and "nosuchpkg: not in" in r.stderr, r.stderr
		r = fetch(tmp, "".join(lock_lines("lwip")), "lwip",
			  OPTIOS_DEBIAN_MIRROR="http://127.0.0.1:9/debian")
		assert r.returncode == 1 and "got no source index from http://127.0.0.1:9/debian (network down?" \
			in r.stderr, r.stderr
		# the suite's own private apt lists (made when the build fetched BusyBox)
		shutil.copytree(os.path.join(ctx.build, "apt"), os.path.join(tmp, "apt"), dirs_exist_ok=True)
		old = [l.replace("2.1.3+dfsg1-2 ", "2.0.0-1 ") for l in lock_lines("lwip")]
		r = fetch(tmp, "".join(old), "lwip")
		assert r.returncode == 1, r.stdout + r.stderr
		assert "lwip 2.0.0-1 is not in the mirror (it has: 2.1.3+dfsg1-2" in r.stderr, r.stderr
