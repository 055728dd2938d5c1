"""The disk tool (build/tools/optios-disk, tools/optios_disk.c: the kernel's
kernel/store code on a file), no machine needed: a store image made, filled,
read back, listed and checked as a user on Linux would; damaged and foreign
images refused with a reason and the right exit status."""

import os
import subprocess

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus", "store")


def disk(ctx, *args, status=0, stdin=b""):
	tool = os.path.join(ctx.build, "tools", "optios-disk")
	assert os.access(tool, os.X_OK), "%s not built (make all)" % tool
	p = subprocess.run([tool] + list(args), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			   timeout=60)
	assert p.returncode == status, "optios-disk %s: status %d, want %d; stdout %r stderr %r" % (
		" ".join(args), p.returncode, status, p.stdout[:300], p.stderr.decode())
	return p.stdout, p.stderr.decode()


def image(ctx, name, data=b""):
	path = ctx.fixture(name, data)
	if not data:
		os.remove(path)
	return path


def test_files_in_and_out(ctx):
	img = image(ctx, "files")
	out, _ = disk(ctx, "mkfs", img, "2M")
	assert b"formatted 512 blocks" in out, out
	big = os.urandom(300000)
	disk(ctx, "mkdir", img, "/dir")
	disk(ctx, "put", img, "/dir/big", stdin=big)
	disk(ctx, "put", img, "/hello", stdin=b"hello\n")
	disk(ctx, "put", img, "/hello", stdin=b"replaced\n")  # an atomic replace
	assert disk(ctx, "get", img, "/dir/big")[0] == big
	assert disk(ctx, "cat", img, "/hello")[0] == b"replaced\n"
	listing = disk(ctx, "ls", img)[0].decode().splitlines()
	assert sorted(l.split()[-1] for l in listing) == ["dir", "hello"], listing
	assert disk(ctx, "ls", img, "/dir")[0].decode().split() == ["-", "300000", "big"]
	out, _ = disk(ctx, "fsck", img)
	assert b": clean:" in out, out
	_, err = disk(ctx, "rm", img, "/dir", status=3)
	assert "not empty" in err, err
	disk(ctx, "rm", img, "/dir/big")
	disk(ctx, "rm", img, "/dir")
	assert disk(ctx, "ls", img)[0].decode().split() == ["-", "9", "hello"]
	_, err = disk(ctx, "get", img, "/dir/big", status=3)
	assert "No such file" in err, err
	assert b"keys" in disk(ctx, "df", img)[0]


def test_full_disk_is_refused_and_stays_clean(ctx):
	img = image(ctx, "full")
	disk(ctx, "mkfs", img, "256K")
	_, err = disk(ctx, "put", img, "/big", stdin=os.urandom(400000), status=3)
	assert "No space left" in err, err
	assert disk(ctx, "ls", img)[0] == b""  # the temporary is gone too
	disk(ctx, "fsck", img)
	disk(ctx, "put", img, "/small", stdin=b"x" * 1000)
	assert disk(ctx, "get", img, "/small")[0] == b"x" * 1000


def test_damage_is_found_by_fsck(ctx):
	img = image(ctx, "damaged")
	disk(ctx, "mkfs", img, "1M")
	disk(ctx, "put", img, "/file", stdin=b"A" * 20000)
	data = bytearray(open(img, "rb").read())
	# the file's first page: log block 2 onwards holds the units; flip a byte
	# of every log block up to the 8th so one of the file's durable blocks is hit
	for block in range(2, 10):
		data[block * 4096 + 3000] ^= 0x55
	img2 = image(ctx, "damaged2", bytes(data))
	_, err = disk(ctx, "fsck", img2, status=1)
	assert "damaged" in err, err


def test_foreign_image_is_refused_and_kept(ctx):
	junk = os.urandom(256 * 1024)
	img = image(ctx, "foreign", junk)
	_, err = disk(ctx, "fsck", img, status=1)
	assert "not an OptiOS store" in err, err
	_, err = disk(ctx, "mkfs", img, status=3)
	assert "refusing to format" in err, err
	assert open(img, "rb").read() == junk
	_, err = disk(ctx, "mkfs", image(ctx, "tiny"), "64K", status=3)
	assert "cannot format" in err, err


def test_log_and_a_recovered_crash_on_the_seed_images(ctx):
	out, _ = disk(ctx, "log", os.path.join(SEEDS, "small.img"), "--verify")
	assert out == b"3 records, chain intact\n", out
	out = disk(ctx, "log", os.path.join(SEEDS, "small.img"))[0].decode().splitlines()
	assert [l.split()[0] for l in out] == ["#1", "#2", "#3"] and "counter" in out[0], out
	# a power cut tore the last commit: read-only recovery, the rest intact
	out, _ = disk(ctx, "fsck", os.path.join(SEEDS, "torn.img"))
	assert b"clean" in out, out
	assert disk(ctx, "cat", os.path.join(SEEDS, "torn.img"), "/a")[0] == b"hello, store\n"


def test_put_killed_half_way_leaves_the_old_file_or_the_new(ctx):
	"""put writes a temporary in several commits, then renames it over the
	file in one: killed (SIGKILL) at any point, the image checks clean and
	the file is the old one or the new one, whole."""
	import time
	tool = os.path.join(ctx.build, "tools", "optios-disk")
	old, new = b"old\n" * 1000, os.urandom(24 << 20)
	src = ctx.fixture("new", new)
	seen = set()
	for delay in (0.005, 0.02, 0.05, 0.1, 0.3):
		img = image(ctx, "killed")
		disk(ctx, "mkfs", img, "64M")
		disk(ctx, "put", img, "/f", stdin=old)
		with open(src, "rb") as f:
			p = subprocess.Popen([tool, "put", img, "/f"], stdin=f, stdout=subprocess.DEVNULL,
					     stderr=subprocess.DEVNULL)
		time.sleep(delay)
		p.kill()
		p.wait()
		disk(ctx, "fsck", img)
		got = disk(ctx, "get", img, "/f")[0]
		assert got in (old, new), "after a kill at %.3f s: %d bytes, neither file" % (delay, len(got))
		seen.add(got == new)
		disk(ctx, "put", img, "/f", stdin=b"again")  # the temporary left behind is no obstacle
		assert disk(ctx, "get", img, "/f")[0] == b"again"
	assert False in seen, "no kill landed before the rename: the test proved nothing"
