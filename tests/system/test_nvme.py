"""The NVMe disk as a user and a test see it: lspci names its driver, sectors
written and flushed come back in a second QEMU on the same file (and are in
the file), injected I/O errors (QEMU blkdebug) reach the caller as EIO while
the disk and the system go on. The driver's own paths (PRP lists, splitting,
odd buffers, a lost command) are the nvme_* self-tests."""

import os
import re
import tempfile

import qemu
import test_devices
import test_shell

TIMEOUT = 120

# 00:04.0 Non-Volatile memory controller [0108]: 1b36:0010 (rev 02) driver nvme, - (polled: no interrupt)
NVME_LINE = r"^(\S+) Non-Volatile memory controller \[0108\]: 1b36:0010 \(rev \w\w\) driver nvme, -$"


def run(m, cmd, timeout=20):
	"""The command's output without the kernel log lines (a device error is
	logged on the same console)."""
	out = test_shell.run(m, cmd, timeout)[0]
	return "".join(line for line in out.splitlines(True) if not re.match(r"\[\s*\d+\.\d+\] ", line))


def nvme(path=None, blkdebug=None, size=64 << 20):
	return qemu.Disk(path, size=size, kind="nvme", blkdebug=blkdebug)


def test_lspci_names_the_nvme_driver(ctx):
	with test_shell.shell(ctx, disks=[nvme()], machine_type="q35") as m:
		out = run(m, "lspci")
		assert re.search(NVME_LINE, out, re.M), "no NVMe line with its driver in lspci:\n" + out
		log = m.text()
		assert re.search(r"nvme0: QEMU NVMe Ctrl \(serial optios0, .*\), nvme0n1: 131072 sectors of 512 bytes", log)
		assert "nothing will persist" not in log
		info = run(m, "/test/blk info nvme0n1")
		assert info.startswith("blk: nvme0n1: 131072 sectors of 512 bytes;"), info


def test_nvme_sectors_survive_a_restart(ctx):
	"""Written and flushed on nvme0n1, seen in the file, read back by a second
	QEMU (another machine type) on the same file."""
	test_devices.sectors_survive_a_restart(ctx, "nvme", "nvme0n1")


def test_nvme_blkdebug_errors_are_eio_and_the_system_stays_up(ctx):
	"""Read, write and flush failures injected by QEMU reach the caller as EIO,
	are logged, and leave the disk's other sectors and operations working."""
	rule = test_devices.rule
	disks = [nvme(blkdebug=rule("read_aio", "read", 40)), nvme(blkdebug=rule("write_aio", "write")),
		 nvme(blkdebug=rule("flush_to_disk", "flush"))]
	eio = "blk: %s: I/O error\nblk: exited with status 1\n"
	with test_shell.shell(ctx, disks=disks) as m:
		assert run(m, "/test/blk write nvme0n1 36 8 0x44") == "blk: write: ok\n"
		assert run(m, "/test/blk read nvme0n1 39 2") == eio % "read"  # touches sector 40
		assert run(m, "/test/blk read nvme0n1 36 3") == "".join(
			"blk: sector %d: 44\n" % s for s in (36, 37, 38)) + "blk: read: ok\n"
		assert run(m, "/test/blk write nvme1n1 0 1 0x22") == eio % "write"
		assert run(m, "/test/blk read nvme1n1 0 1") == "blk: sector 0: 00\nblk: read: ok\n"
		assert run(m, "/test/blk flush nvme1n1") == "blk: flush: ok\n"
		assert run(m, "/test/blk write nvme2n1 0 1 0x33") == "blk: write: ok\n"
		assert run(m, "/test/blk flush nvme2n1") == eio % "flush"
		assert run(m, "/test/blk read nvme2n1 0 1") == "blk: sector 0: 33\nblk: read: ok\n"
		info = run(m, "/test/blk info nvme0n1")
		assert "errors 1\n" in info, info
		log = m.text()
		assert re.search(r"nvme0: read of sectors 39\.\.40: media: unrecovered read error", log), "read error not logged"
		assert re.search(r"nvme1: write of sectors 0\.\.0: media: write fault", log), "write error not logged"
		assert re.search(r"nvme2: flush: ", log), "flush error not logged"
		assert "resetting" not in log, "a device error is not a lost command"
		assert run(m, "echo up") == "up\n"


def test_selftests_on_a_4k_sector_namespace(ctx):
	"""A namespace formatted with 4096-byte sectors (its LBA format picked by
	FLBAS among QEMU's eight): the read/write self-tests pass on it too."""
	spec = "nvme_rw_1_8_sectors_and_prp_list,nvme_rw_buffers_at_any_address,nvme_device_error_is_eio"
	with tempfile.TemporaryDirectory() as d:
		path = os.path.join(d, "disk.img")
		with open(path, "wb") as f:
			f.truncate(64 << 20)
		args = ["-drive", "file=%s,format=raw,if=none,id=n0" % path, "-device", "nvme,id=nc0,serial=optios0",
			"-device", "nvme-ns,drive=n0,bus=nc0,nsid=1,logical_block_size=4096,physical_block_size=4096"]
		with ctx.machine("kernel", append="optios.test=" + spec, extra_args=args) as m:
			verdict = m.wait_exit(timeout=60)
			text = m.text()
	assert "nvme0n1: 16384 sectors of 4096 bytes" in text, "not a 4 KiB-sector disk"
	assert len(re.findall(r"^selftest: nvme_\w+ \.\.\. ok", text, re.M)) == 3, "not all three passed"
	assert verdict.kind == qemu.PASS, "self-tests on a 4 KiB-sector namespace: %s" % verdict


def test_failed_reset_leaves_the_disk_dead_and_the_system_up(ctx):
	"""A lost command whose reset fails too: the disk gives EIO from then on,
	says so once, and the kernel carries on (the self-test ends normally)."""
	with ctx.machine("kernel", append="optios.test=nvme_failed_reset_leaves_disk_dead", disks=[nvme()]) as m:
		verdict = m.wait_exit(timeout=60)
		text = m.text()
	assert "selftest: nvme_failed_reset_leaves_disk_dead ... ok" in text, "the self-test did not pass"
	assert text.count("nvme0n1 gives EIO from now on") == 1, "the dead disk is not reported once"
	assert verdict.kind == qemu.PASS, "machine: %s" % verdict
