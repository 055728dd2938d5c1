"""/data on the disk store, as a user sees it: files written in /data are there
after a power-off and a new boot (virtio-blk and NVMe), an fsync'd file
survives a SIGKILL of QEMU right after fsync returns, a rename replaces a
file atomically across a kill, a blank disk is formatted and a foreign one
refused (the system runs in memory), injected write and flush errors are EIO
for the program while what was committed stays, a full disk is ENOSPC and rm
frees it, df and sync; and the host tool reads what the OS wrote. The store's
own crash campaign is on the host (tests/host/test_store_crash.c)."""

import hashlib
import os
import re
import subprocess
import tempfile
import time

import qemu
import test_devices
import test_handlers
import test_shell

DURABLE = "/test/durable"


def run(m, cmd, timeout=30):
	"""The command's output without kernel log lines."""
	out = test_shell.run(m, cmd, timeout)[0]
	return "".join(line for line in out.splitlines(True) if not re.match(r"\[\s*\d+\.\d+\] ", line))


def tool(ctx, *args, status=0):
	path = os.path.join(ctx.build, "tools", "optios-disk")
	p = subprocess.run([path] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
	assert p.returncode == status, "optios-disk %s: status %d: %r %r" % (" ".join(args), p.returncode,
									   p.stdout[:300], p.stderr[:300])
	return p.stdout.decode(errors="replace")


def boot(ctx, path, kind="virtio", **kw):
	return test_shell.shell(ctx, disks=[qemu.Disk(path, kind=kind, size=kw.pop("size", 64 << 20),
						      blkdebug=kw.pop("blkdebug", None))], **kw)


def file_survives_poweroff(ctx, kind, dev):
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img, kind) as m:
			assert re.search(r"store: %s: formatted a blank device" % dev, m.text()), "no format line"
			assert run(m, "mkdir /data/dir") == ""
			assert run(m, "echo persisted > /data/dir/file") == ""
			m.send_serial("poweroff\r")
			m.wait_for(r"store: everything written is on the disk", timeout=20)
			m.wait_exit(timeout=20)
		with boot(ctx, img, kind) as m:
			log = m.text()
			assert re.search(r"store: mounted %s in \d+\.\d+ ms: \d+ units replayed" % dev, log), "no mount line"
			assert "formatted" not in log
			assert run(m, "cat /data/dir/file") == "persisted\n"
		assert ": clean:" in tool(ctx, "fsck", img)
		assert tool(ctx, "get", img, "/dir/file") == "persisted\n"


def test_store_file_survives_poweroff_virtio(ctx):
	file_survives_poweroff(ctx, "virtio", "vda")


def test_store_file_survives_poweroff_nvme(ctx):
	file_survives_poweroff(ctx, "nvme", "nvme0n1")


def test_store_fsynced_file_survives_sigkill(ctx):
	"""QEMU killed (SIGKILL) as soon as the program prints "synced" after its
	fsync returned: the next boot has the file, and so has the host tool."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img) as m:
			m.send_serial("%s write /data/a hello-after-kill\r" % DURABLE)
			m.wait_for(r"synced", timeout=20)
			m.power_cut()
		assert ": clean:" in tool(ctx, "fsck", img)
		assert tool(ctx, "get", img, "/a") == "hello-after-kill"
		with boot(ctx, img) as m:
			assert run(m, "%s cat /data/a" % DURABLE) == "hello-after-kill\n"


def test_store_rename_is_atomic_across_a_kill(ctx):
	"""A file replaced again and again (write a temporary, fsync, rename over,
	fsync) and QEMU killed in the middle: the file is whole, one of the rounds,
	at least the last one reported synced."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img) as m:
			m.send_serial("%s loop /data/r 400\r" % DURABLE)
			m.wait_for(r"round 6 synced", timeout=60)
			m.power_cut()
			synced = [int(n) for n in re.findall(r"round (\d+) synced", m.text())]
		assert ": clean:" in tool(ctx, "fsck", img)
		with boot(ctx, img) as m:
			got = run(m, "%s cat /data/r" % DURABLE)
		match = re.fullmatch(r"round (\d+)\n", got)
		assert match, "not one whole round: %r" % got
		assert int(match.group(1)) >= max(synced), "round %s lost (synced up to %d)" % (match.group(1), max(synced))


def test_store_garbage_disk_is_refused_and_the_system_runs(ctx):
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with open(img, "wb") as f:
			f.write(os.urandom(1 << 20))
			f.truncate(16 << 20)
		before = hashlib.sha256(open(img, "rb").read()).hexdigest()
		with boot(ctx, img) as m:
			log = m.text()
			assert re.search(r"store: vda refused: not an OptiOS store", log), "no refusal"
			assert "optios-disk fsck" in log, "no hint how to check it"
			assert run(m, "echo in-memory > /data/x") == ""
			assert run(m, "cat /data/x") == "in-memory\n"
			assert "in RAM (no disk store" in run(m, "df")
		assert hashlib.sha256(open(img, "rb").read()).hexdigest() == before, "the refused disk was written"
		tool(ctx, "fsck", img, status=1)


def test_store_write_error_is_eio_and_committed_data_stays(ctx):
	"""A write failing past sector 4000 (QEMU blkdebug): the program's write is
	EIO, the store takes no more changes (logged), the system is up; the next
	boot without errors has what was synced before."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		rule = test_devices.rule("write_aio", "write", 4000)
		with boot(ctx, img, blkdebug=rule) as m:
			assert run(m, "%s write /data/keep kept" % DURABLE) == "synced\n"
			out = run(m, "%s fill /data/big" % DURABLE)
			assert re.fullmatch(r"filled \d+ bytes, then EIO\n", out), out
			assert "store: disk vda failed" in m.text()
			assert run(m, "%s write /data/later x" % DURABLE) == "durable: open: EIO\ndurable: exited with status 1\n"
			assert run(m, "echo up") == "up\n"
		assert ": clean:" in tool(ctx, "fsck", img)
		with boot(ctx, img) as m:
			assert run(m, "%s cat /data/keep" % DURABLE) == "kept\n"


FLUSH_FAILS_AFTER_THE_FIRST = """[set-state]
state = "1"
event = "flush_to_disk"
new_state = "2"

[inject-error]
state = "2"
event = "flush_to_disk"
errno = "5"
"""


def test_store_flush_error_is_eio_for_fsync(ctx):
	"""Every flush after the mount's fails (the disk made by the host tool, so
	the mount's fence is the first flush): fsync returns EIO, the system is
	up, the disk is still clean for the host tool. (No boot handlers: echo's
	start-up, stored at boot, would take the failing flush first.)"""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		tool(ctx, "mkfs", img, "16M")
		with boot(ctx, img, blkdebug=FLUSH_FAILS_AFTER_THE_FIRST, append="optios.conf.handler.boot=0") as m:
			assert "store: mounted vda" in m.text()
			assert "handler: /etc/handlers and /etc/handlers.d/ not read (handler.boot=0)" in m.text()
			assert run(m, "%s write /data/f x" % DURABLE) == "durable: fsync: EIO\ndurable: exited with status 1\n"
			assert "store: disk vda failed" in m.text()
			assert run(m, "echo up") == "up\n"
		assert ": clean:" in tool(ctx, "fsck", img)


def test_store_full_disk_is_enospc_and_rm_frees_it(ctx):
	"""A 1 MiB disk filled by one file: ENOSPC, and the store holds exactly the
	bytes the program was told were written (nothing half done); rm frees the
	space for a new file."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img, size=1 << 20) as m:
			out = run(m, "%s fill /data/big" % DURABLE)
			match = re.fullmatch(r"filled (\d+) bytes, then ENOSPC\n", out)
			assert match and int(match.group(1)) > 0, out
			assert run(m, "sync") == ""
			m.power_cut()
		assert ": clean:" in tool(ctx, "fsck", img)
		assert tool(ctx, "ls", img).split() == ["-", match.group(1), "big"]
		with boot(ctx, img, size=1 << 20) as m:
			assert run(m, "rm /data/big") == ""
			assert run(m, "%s write /data/small s" % DURABLE) == "synced\n"
			out = run(m, "%s fill /data/big2" % DURABLE)
			assert re.fullmatch(r"filled (\d+) bytes, then ENOSPC\n", out), out
		assert ": clean:" in tool(ctx, "fsck", img)


def test_store_df_and_sync(ctx):
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img, size=8 << 20) as m:
			assert run(m, "echo x > /data/x") == ""
			assert run(m, "sync") == ""
			out = run(m, "df")
			assert re.search(r"^/data  store on vda: 8192 KiB, log 8184 KiB, used \d+ KiB, live \d+ KiB, \d+ keys$",
					 out, re.M), out
			committed, durable = map(int, re.search(r"committed (\d+), durable (\d+)", out).groups())
			assert committed == durable, out
			assert re.search(r"^/tmp   RAM \d+ KiB of \d+ KiB$", out, re.M), out


def test_store_group_commit_shares_flushes(ctx):
	"""Four programs each replacing their file ten times (two fsyncs a round)
	on virtio-blk, whose waits sleep the caller: fsyncs that queue while a
	flush is in flight share the next one, so the disk sees fewer flushes
	than fsyncs (measured: 80 fsyncs, 41 flushes)."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img) as m:
			out = run(m, "%s group 4 10" % DURABLE, timeout=60)
			match = re.fullmatch(r"group: 80 fsyncs, (\d+) flushes\n", out)
			assert match, out
			assert int(match.group(1)) < 70, "no flush shared: " + out
			assert run(m, "%s cat /data/g3" % DURABLE) == "round 10\n"


def test_store_handler_file_changes_reach_the_disk(ctx):
	"""The watcher handler appends to /data/summary when a file appears in
	/data/inbox: its run's file change goes to the store (in a transaction
	of its own until the run's whole state is one), so after sync and a
	power cut the next boot and the host tool have it."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img) as m:
			assert run(m, "mkdir /data/inbox") == ""
			test_handlers.add(m, "/apps/watcher")
			assert run(m, "echo one > /data/inbox/a.txt") == ""
			test_handlers.until(m, "a line in /data/summary", test_handlers.summary,
					    lambda s: "/data/inbox/a.txt" in s)
			assert run(m, "echo same-boot >> /data/summary") == ""  # a file the store knows by path only
			assert run(m, "sync") == ""
			m.power_cut()
		assert ": clean:" in tool(ctx, "fsck", img)
		assert re.fullmatch(r"\d+ /data/inbox/a\.txt\nsame-boot\n", tool(ctx, "get", img, "/summary"))
		with boot(ctx, img) as m:
			assert re.fullmatch(r"\d+ /data/inbox/a\.txt\nsame-boot\n", run(m, "cat /data/summary"))
			assert run(m, "echo two >> /data/summary") == ""
			assert run(m, "cat /data/summary").endswith("two\n")


def test_store_power_cut_campaign_foreground(ctx):
	"""Twenty power cuts (SIGKILL of QEMU) at random instants while a program
	replaces a file and fsyncs in a loop, each on the disk the last one left:
	every boot recovers, the host's fsck finds the image clean, and the file
	holds one whole round, at least the last one reported synced. (The random
	instants are logged with their seed to replay a failure.)"""
	import random
	seed = random.randrange(1 << 30)
	rng = random.Random(seed)
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		last = None
		for cut in range(20):
			with boot(ctx, img) as m:
				if last is not None:
					got = run(m, "%s cat /data/r" % DURABLE)
					match = re.fullmatch(r"round (\d+)\n", got)
					assert match and int(match.group(1)) >= last, "cut %d (seed %d): %r, synced %d" % (
						cut, seed, got, last)
				m.send_serial("%s loop /data/r 100000\r" % DURABLE)
				m.wait_for(r"round 1 synced", timeout=30)
				time.sleep(rng.uniform(0.0, 1.0))
				m.power_cut()
				rounds = [int(n) for n in re.findall(r"round (\d+) synced", m.text())]
				last = max(rounds)
			assert ": clean:" in tool(ctx, "fsck", img), "cut %d (seed %d)" % (cut, seed)


def test_store_idle_disk_reclaims_old_versions(ctx):
	"""The bug: store_clean was never called when the disk was idle, so the
	old versions of a rewritten file stayed in the log (about half of it,
	where the cleaning folded into commits starts). 150 rounds of replacing
	one small file on a 2 MiB disk leave old versions over a quarter of the
	log; a moment after the last commit the runner's idle time cleans them
	(no daemon): df's used falls under a quarter of the log."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img, size=2 << 20) as m:
			out = run(m, "%s loop /data/f 150" % DURABLE, timeout=60)
			assert out.endswith("round 150 synced\n"), out[-200:]
			deadline = time.monotonic() + 15
			while True:
				out = run(m, "df")
				log_kib, used = map(int, re.search(r"log (\d+) KiB, used (\d+) KiB", out).groups())
				if used < log_kib // 4 or time.monotonic() > deadline:
					break
				time.sleep(0.5)
			assert used < log_kib // 4, out
			assert run(m, "%s cat /data/f" % DURABLE) == "round 150\n"
		assert ": clean:" in tool(ctx, "fsck", img)


def test_store_statfs_of_data_reported_the_ram_tree(ctx):
	"""The bug: statfs of /data gave the RAM tree's limit (a quarter of the
	RAM) instead of the disk's. Now busybox df /data shows the store's log
	(8184 KiB on an 8 MiB disk, as the shell's df) and a 1 MiB file in its
	used blocks."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		with boot(ctx, img, size=8 << 20) as m:
			assert run(m, "busybox dd if=/dev/zero of=/data/big bs=4096 count=256 status=none") == ""
			out = run(m, "busybox df /data")
			total, used = map(int, re.search(r"^store +(\d+) +(\d+) +\d+ +\d+% /data$", out, re.M).groups())
			assert total == 8184, out
			assert 1024 <= used < 1400, out  # the file, and the boot handlers' snapshots (echo, status)
