"""The file system at boot: the root image arrives as a module on every boot
path and is reported; /etc/kernel.conf problems are reported with their line
and the boot goes on; a missing or damaged image is a warning, not a failure.
And the file system calls: the same static musl program (user/test/fsprobe.c)
prints the same lines on OptiOS (in /data) as on the host Linux (in a
temporary directory)."""

import os
import subprocess
import tempfile

import optios


def newc(members):
	"""A cpio newc archive of [(name, mode, data bytes)], with the trailer."""
	out = bytearray()

	def pad():
		while len(out) % 4:
			out.append(0)

	for i, (name, mode, data) in enumerate(members + [("TRAILER!!!", 0, b"")]):
		fields = [i + 1, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(name) + 1, 0]
		out += b"070701" + b"".join(b"%08X" % f for f in fields)
		out += name.encode() + b"\0"
		pad()
		out += data
		pad()
	return bytes(out)


def vfs_lines(log):
	return [msg for lv, msg in optios.log_lines(log) if msg.startswith(("vfs:", "kernel.conf"))]


def check_image_reported(log):
	lines = vfs_lines(log)
	files = [l for l in lines if l.startswith("vfs: root image ") and " files, " in l]
	assert files, "no root image line in the boot log: %s" % lines
	n = int(files[0].split()[3])
	assert n >= 2, "root image with %d files (expected /etc/kernel.conf, /bin/...)" % n
	for mount in ("/data", "/tmp"):
		assert any(l.startswith("vfs: %s: in-memory" % mount) for l in lines), "%s not mounted: %s" % (mount, lines)
	warnings = [msg for lv, msg in optios.log_lines(log, "warn") if "kernel.conf" in msg or "vfs" in msg]
	assert not warnings, "warnings about the image or kernel.conf: %s" % warnings


def test_kernel_boot_has_root_image(ctx):
	with ctx.machine("kernel") as m:
		check_image_reported(optios.boot(m))


def test_seabios_boot_has_root_image(ctx):
	with ctx.machine("seabios") as m:
		check_image_reported(optios.boot(m))


def test_kernel_conf_problems_name_their_line(ctx):
	conf = b"# test\nforeground.max = 99\nno.such.key = 1\nlog.level = info\nlog.level = loud\n"
	image = ctx.fixture("conf", newc([("etc", 0o040755, b""), ("etc/kernel.conf", 0o100644, conf)]))
	with ctx.machine("kernel", initrd=image) as m:
		log = optios.boot(m)
	warns = [msg for lv, msg in optios.log_lines(log, "warn")]
	for line in (2, 3, 5):
		assert any(w.startswith("kernel.conf:%d:" % line) for w in warns), \
			"no warning for kernel.conf line %d: %s" % (line, warns)
	assert not any(w.startswith(("kernel.conf:1:", "kernel.conf:4:")) for w in warns), warns


def test_missing_image_is_a_warning(ctx):
	with ctx.machine("kernel", initrd="") as m:
		log = optios.boot(m)
	warns = [msg for lv, msg in optios.log_lines(log, "warn")]
	assert any("no root image module" in w for w in warns), "no warning without a module: %s" % warns
	assert any(l.startswith("vfs: /data: in-memory") for l in vfs_lines(log)), vfs_lines(log)


def test_damaged_image_keeps_what_came_before(ctx):
	good = newc([("etc", 0o040755, b""), ("etc/a", 0o100644, b"A" * 100), ("etc/b", 0o100644, b"B" * 100)])
	image = ctx.fixture("damaged", good[:-150])  # cuts into etc/b
	with ctx.machine("kernel", initrd=image) as m:
		log = optios.boot(m)
	warns = [msg for lv, msg in optios.log_lines(log, "warn")]
	assert any("root image damaged" in w for w in warns), "no warning for a damaged image: %s" % warns
	assert any(l.startswith("vfs: root image 1 files") for l in vfs_lines(log)), vfs_lines(log)


def probe_lines(text):
	"""The lines from "fsprobe: begin" to "fsprobe: end", or None."""
	text = text.replace("\r\n", "\n")
	start, end = text.find("fsprobe: begin\n"), text.find("fsprobe: end\n")
	if start < 0 or end < 0:
		return None
	return text[start:end].split("\n")


def test_fsprobe_same_as_linux(ctx):
	probe = os.path.join(os.path.dirname(os.path.abspath(ctx.kernel)), "rootfs-test", "test", "fsprobe")
	assert os.path.exists(probe), "%s was not built" % probe
	with tempfile.TemporaryDirectory() as d:
		host = subprocess.run([probe, d], capture_output=True, text=True, timeout=60)
	assert host.returncode == 0, "fsprobe on the host: status %d\n%s" % (host.returncode, host.stdout[-2000:])
	want = probe_lines(host.stdout)
	with ctx.machine("kernel", append="optios.init=/test/fsprobe") as m:
		try:
			m.wait_for(r"fsprobe: end\r?\n", timeout=90)
		except AssertionError as e:
			if "init: started" not in m.text():
				raise AssertionError("no user program started (optios.init needs the process subsystem): %s" % e)
			raise
		got = probe_lines(m.text())
	for i, (w, g) in enumerate(zip(want, got)):
		assert w == g, "line %d differs: Linux %r, OptiOS %r" % (i + 1, w, g)
	assert len(want) == len(got), "Linux printed %d lines, OptiOS %d" % (len(want), len(got))
