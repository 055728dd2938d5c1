"""Devices as a user and a test see them: lspci under both machine types,
the virtio-blk disk's raw sectors across a QEMU restart, injected I/O errors
(QEMU blkdebug) reaching the caller as EIO with the system staying up, and the
boot's word when there is no disk."""

import os
import re
import tempfile

import optios
import qemu
import test_shell

TIMEOUT = 120

# 00:04.0 SCSI storage controller [0100]: 1af4:1001 (rev 00) driver virtio-blk, MSI-X
VIRTIO_LINE = r"^(\S+) SCSI storage controller \[0100\]: 1af4:1001 \(rev \w\w\) driver virtio-blk, MSI-X$"


def run(m, cmd, timeout=20):
	return test_shell.run(m, cmd, timeout)[0]


def lspci_lists_the_disk(ctx, machine_type, host_bridge, access):
	with test_shell.shell(ctx, disks=[qemu.Disk()], machine_type=machine_type) as m:
		out = run(m, "lspci")
		disk = re.search(VIRTIO_LINE, out, re.M)
		assert disk, "no virtio-blk line with its driver and MSI-X in lspci:\n" + out
		assert re.search(r"^00:00\.0 Host bridge \[0600\]: %s " % host_bridge, out, re.M), out
		log = m.text()
		assert re.search(r"pci: configuration by %s" % access, log), "wrong configuration access"
		assert re.search(r"pci: %s 1af4:1001 .*: driver virtio-blk \(MSI-X\)" % re.escape(disk.group(1)), log)
		assert "nothing will persist" not in log


def test_lspci_pc(ctx):
	"""QEMU pc (i440FX): configuration by port I/O; lspci lists the disk with its driver."""
	lspci_lists_the_disk(ctx, "pc", "8086:1237", r"port I/O \(no MCFG\)")


def test_lspci_q35(ctx):
	"""QEMU q35: configuration by ECAM found through ACPI's MCFG."""
	lspci_lists_the_disk(ctx, "q35", "8086:29c0", r"ECAM \(1 segments\)")


def test_lspci_disk_behind_bridges(ctx):
	"""The walk follows bridges: a disk behind a PCI Express root port (q35; the
	modern-only virtio device 1af4:1042 there) and behind a PCI-PCI bridge (pc)."""
	cases = [("q35", "pcie-root-port,id=br0,chassis=1", r"^01:00\.0 .*: 1af4:1042 .* driver virtio-blk, MSI-X$"),
		 ("pc", "pci-bridge,id=br0,chassis_nr=1", r"^01:\w\w\.0 .*: 1af4:1001 .* driver virtio-blk, MSI-X$")]
	for machine_type, bridge, line in cases:
		with test_shell.shell(ctx, disks=[qemu.Disk(bus="br0")], machine_type=machine_type,
				      extra_args=["-device", bridge]) as m:
			out = run(m, "lspci")
			assert re.search(r"^00:\w\w\.0 PCI bridge \[0604\]", out, re.M), out
			assert re.search(line, out, re.M), out
			assert run(m, "/test/blk write vda 5 1 0x77") == "blk: write: ok\n"
			assert run(m, "/test/blk read vda 5 1") == "blk: sector 5: 77\nblk: read: ok\n"


def test_no_disk_nothing_will_persist(ctx):
	"""Without a disk the boot says so, once."""
	with ctx.machine("kernel") as m:
		optios.boot(m)
		log = m.text()
		assert log.count("block: no disk: nothing will persist") == 1, "no (or a repeated) no-disk line"


def test_intx_fallback_carries_the_disk(ctx):
	"""optios.pci_irq=intx: the disk works through its legacy pin and the I/O APIC."""
	with test_shell.shell(ctx, disks=[qemu.Disk()], append="optios.pci_irq=intx") as m:
		assert re.search(r"driver virtio-blk, INTx$", run(m, "lspci"), re.M)
		assert run(m, "/test/blk write vda 3 2 0x5a") == "blk: write: ok\n"
		assert run(m, "/test/blk read vda 3 2") == "blk: sector 3: 5a\nblk: sector 4: 5a\nblk: read: ok\n"


def sectors_survive_a_restart(ctx, kind, dev):
	"""Written and flushed on dev (a disk of kind), read back by a second QEMU
	(q35) on the same file, and seen in the file itself. optios.disk=none:
	the store stays off the disk (a boot handler's start-up, stored at boot,
	wrote over the sectors)."""
	with tempfile.TemporaryDirectory() as d:
		path = os.path.join(d, "disk.img")
		with test_shell.shell(ctx, disks=[qemu.Disk(path, kind=kind)], append="optios.disk=none") as m:
			assert run(m, "/test/blk write %s 100 8 0xa5" % dev) == "blk: write: ok\n"
			assert run(m, "/test/blk write %s 107 1 0x3c" % dev) == "blk: write: ok\n"
			assert run(m, "/test/blk flush %s" % dev) == "blk: flush: ok\n"
		with open(path, "rb") as f:
			f.seek(100 * 512)
			data = f.read(8 * 512)
		assert data == b"\xa5" * 7 * 512 + b"\x3c" * 512, "the file does not hold what was written"
		with test_shell.shell(ctx, disks=[qemu.Disk(path, kind=kind)], machine_type="q35",
				      append="optios.disk=none") as m:
			out = run(m, "/test/blk read %s 99 9" % dev)
			want = "".join("blk: sector %d: %s\n" % (s, "a5" if s < 107 else "3c") for s in range(100, 108))
			assert out == "blk: sector 99: 00\n" + want + "blk: read: ok\n", out


def test_raw_sectors_survive_a_restart(ctx):
	"""Through virtio-blk (NVMe: system/nvme.nvme_sectors_survive_a_restart)."""
	sectors_survive_a_restart(ctx, "virtio", "vda")


def rule(event, iotype, sector=None):
	"""Once event has happened, every request of iotype (touching sector, if
	given) fails with EIO (5)."""
	where = 'sector = "%d"\n' % sector if sector is not None else ""
	return '[inject-error]\nevent = "%s"\niotype = "%s"\nerrno = "5"\n%s' % (event, iotype, where)


def test_blkdebug_errors_are_eio_and_the_system_stays_up(ctx):
	"""Read, write and flush failures injected by QEMU reach the caller as EIO;
	the other operations on the same disk still work, and so does the system."""
	disks = [qemu.Disk(blkdebug=rule("read_aio", "read")), qemu.Disk(blkdebug=rule("write_aio", "write")),
		 qemu.Disk(blkdebug=rule("flush_to_disk", "flush"))]
	# optios.disk=none: the store stays off vda (its mount's reads would count as errors here)
	with test_shell.shell(ctx, disks=disks, append="optios.disk=none") as m:
		assert run(m, "/test/blk read vda 0 1") == "blk: read: I/O error\nblk: exited with status 1\n"
		assert run(m, "/test/blk write vda 0 1 0x11") == "blk: write: ok\n"
		assert run(m, "/test/blk write vdb 0 1 0x22") == "blk: write: I/O error\nblk: exited with status 1\n"
		assert run(m, "/test/blk read vdb 0 1") == "blk: sector 0: 00\nblk: read: ok\n"
		assert run(m, "/test/blk write vdc 0 1 0x33") == "blk: write: ok\n"
		assert run(m, "/test/blk flush vdc") == "blk: flush: I/O error\nblk: exited with status 1\n"
		assert run(m, "/test/blk read vdc 0 1") == "blk: sector 0: 33\nblk: read: ok\n"
		info = run(m, "/test/blk info vda")
		assert "errors 1\n" in info, info
		assert run(m, "echo up") == "up\n"


def test_blk_refused_without_grant_and_bad_requests(ctx):
	"""A program without dev.block is refused; bad devices and ranges are clean errors."""
	with test_shell.shell(ctx, disks=[qemu.Disk(size=1 << 20)]) as m:
		assert run(m, "/test/probe dev.block") == "dev.block deny\n"
		assert run(m, "/test/blk info nosuch") == "blk: info: No such device\nblk: exited with status 1\n"
		assert run(m, "/test/blk read vda 2048 1") == "blk: read: Invalid argument\nblk: exited with status 1\n"  # 1 MiB = 2048 sectors
		assert run(m, "/test/blk read vda 2047 2") == "blk: read: Invalid argument\nblk: exited with status 1\n"
		assert run(m, "/test/blk read vda 0 129") == "blk: read: Invalid argument\nblk: exited with status 1\n"
		assert run(m, "/test/blk read vda 2047 1") == "blk: sector 2047: 00\nblk: read: ok\n"


def run_selftests(ctx, machine_type, append, kind):
	"""The PCI and virtio-blk self-tests on one machine type, with QEMU's edu
	device (an MSI/INTx interrupt source) and a scratch disk."""
	tests = "pci_irq_edu,virtio_blk_round_trip,virtio_blk_silent_device_times_out"
	with ctx.machine("kernel", append=("optios.test=%s %s" % (tests, append)).strip(), disks=[qemu.Disk()],
			 machine_type=machine_type, extra_args=["-device", "edu"], initrd="") as m:
		v = m.wait_exit(timeout=60)
		text = m.text()
	assert "selftest summary: 3 passed, 0 failed" in text and v.kind == qemu.PASS, "%s:\n%s" % (v, text[-1500:])
	assert "edu interrupt by %s" % kind in text, "the edu device's interrupt was not %s" % kind
	assert re.search(r"driver virtio-blk \(%s\)" % ("INTx" if kind == "INTx" else "MSI-X"), text)


def test_selftests_pc_msi(ctx):
	"""pc: MSI (edu) and MSI-X (the disk)."""
	run_selftests(ctx, "pc", "", "MSI")


def test_selftests_q35_msi(ctx):
	run_selftests(ctx, "q35", "", "MSI")


def test_selftests_pc_intx(ctx):
	"""optios.pci_irq=intx: both devices through their pins and the I/O APIC."""
	run_selftests(ctx, "pc", "optios.pci_irq=intx", "INTx")


def test_selftests_q35_intx(ctx):
	run_selftests(ctx, "q35", "optios.pci_irq=intx", "INTx")
