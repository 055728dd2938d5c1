"""Handlers, their snapshots and timers on the disk (issue 10, "What
persists"): a machine with a disk file, stopped (poweroff or SIGKILL), booted
again on the same file."""
import os
import re

import qemu
import test_devices
from test_store import tool
from test_handlers import add, handlers, log, outputs, run, shell, until

TIMEOUT = 180


def disk(ctx, name):
	"""A fresh disk file for this test, to boot again on."""
	os.makedirs(ctx.fixture_dir, exist_ok=True)
	path = os.path.join(ctx.fixture_dir, "%s.%s.img" % (ctx._base, name))
	if os.path.exists(path):
		os.remove(path)
	return qemu.Disk(path)


def counts(m, after=0):
	"""counter's counts in the log, in order, from records after seq `after`."""
	return [int(re.search(r"count=(\d+)", r["rest"]).group(1)) for r in outputs(log(m, "-h counter"), "counter")
		if r["seq"] > after]


def count_at_least(m, n, after=0):
	return until(m, "counter count >= %d" % n, lambda m: counts(m, after), lambda c: c and max(c) >= n,
		     timeout=40)


def restored_at_of(m, name):
	"""The seq of name's "restored from disk" record of this boot."""
	recs = [r for r in log(m, "-h " + name) if r["kind"] == "handler" and "restored from disk" in r["rest"]]
	assert recs, "%s was not restored from the disk" % name
	return recs[-1]["seq"]


def restored_at(m):
	return restored_at_of(m, "counter")


def boot_after(ctx, d, seen, exact):
	"""Boots on d: counter is listed and its first count follows seen."""
	with shell(ctx, disks=[d]) as m:
		assert "restored from the disk" in m.text(), "no restore line in the boot log"
		assert "counter" in handlers(m), run(m, "handlers")
		c = count_at_least(m, 1, after=restored_at(m))
		first = c[0]
		if exact:
			assert first == seen + 1, "count after a clean power-off: %d, last before it %d" % (first, seen)
		else:  # the last count shown may not have been flushed yet: it may come once more, never less
			assert first >= seen, "count went back: %d after %d" % (first, seen)
		recs = log(m, "-h counter")
		assert counts(m, after=0)[:seen] == list(range(1, seen + 1)), "the first boot's counts: %r" % counts(m)
		added = [r for r in recs if r["kind"] == "handler" and "added /apps/counter" in r["rest"]]
		assert len(added) == 2, "the first boot's records are not in the log: %r" % added
		out = run(m, "log verify")
		assert re.search(r"log verify: \d+ records, chain intact", out), out
		return max(c)


def test_counter_continues_after_power_off(ctx):
	d = disk(ctx, "off")
	with shell(ctx, disks=[d]) as m:
		add(m, "/apps/counter")
		seen = max(count_at_least(m, 3))
		m.send_serial("poweroff\n")
		m.wait_exit(timeout=20)
	boot_after(ctx, d, seen, exact=True)


def test_counter_continues_after_a_power_cut(ctx):
	d = disk(ctx, "cut")
	with shell(ctx, disks=[d]) as m:
		add(m, "/apps/counter")
		seen = max(count_at_least(m, 3))
		m.power_cut()
	seen = boot_after(ctx, d, seen, exact=False)


def test_policy_grant_and_revoke_survive_a_reboot(ctx):
	"""A grant and a revoke (of a grant /etc/policy makes) are on the disk:
	after a power cut they hold again, over the files."""
	d = disk(ctx, "policy")
	with shell(ctx, disks=[d]) as m:
		before = run(m, "policy who-can file.write:/data/x")
		assert " rm (" in before, before
		out = run(m, "policy grant touch file.write:/data/")
		assert "policy: granted" in out, out
		out = run(m, "policy revoke rm file.write:/data/")
		assert "policy: revoked" in out, out
		during = run(m, "policy who-can file.write:/data/x")
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		after = run(m, "policy who-can file.write:/data/x")
		assert after == during, "before the cut:\n%s\nafter it:\n%s" % (during, after)
		assert " rm (" not in after, after
		out = run(m, "policy grant touch file.write:/data/")  # no program declares it: who-can cannot show it
		assert "exists" in out, "the grant did not survive: %r" % out
		assert "2 changes from the disk" in m.text(), "boot log: no stored policy changes"


def flaky_oks(m, after):
	return [r["rest"] for r in outputs(log(m, "-h flaky"), "flaky") if r["seq"] > after and " ok" in r["rest"]]


def test_pending_events_survive_a_power_cut(ctx):
	"""flaky holds a failing event for a retry a minute away, two more wait
	behind it in its queue; after a power cut all three are queued again,
	in order, and run (the first failing once more, then retried)."""
	d = disk(ctx, "queue")
	with shell(ctx, disks=[d], append="optios.conf.handler.retry_delay_ms=60000") as m:
		add(m, "/test/handlers/flaky")
		run(m, "emit app:flaky 1")
		until(m, "flaky's first attempt rolled back", lambda m: log(m, "-h flaky"),
		      lambda recs: any(r["kind"] == "rollback" for r in recs))
		run(m, "emit app:flaky 0")
		run(m, "emit app:flaky 0")
		assert handlers(m)["flaky"]["subs"][0]["pending"] == 3, run(m, "handlers -v")
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		after = restored_at_of(m, "flaky")
		assert "flaky: 3 stored events queued again" in m.text(), "boot log: events not queued again"
		oks = until(m, "three flaky runs", lambda m: flaky_oks(m, after), lambda o: len(o) == 3)
		assert [re.search(r"retry (\d)", o).group(1) for o in oks] == ["1", "0", "0"], oks


def test_new_version_in_a_new_image_resets_the_snapshot(ctx):
	"""counter counts on the disk; the next boot's image has version 2 at
	/apps/counter: the stored snapshot is dropped (logged as a reset) and the
	count starts again from 1."""
	import tempfile
	import shutil
	from test_extra import build_image_with
	d = disk(ctx, "version")
	with tempfile.TemporaryDirectory(prefix="optios-persist-") as tmp:
		extra = os.path.join(tmp, "extra")
		os.makedirs(os.path.join(extra, "apps"))
		shutil.copy(os.path.join(ctx.build, "rootfs-test", "test", "handlers", "counter2"),
			    os.path.join(extra, "apps", "counter"))
		image = build_image_with(ctx, extra, os.path.join(tmp, "build"))
		with shell(ctx, disks=[d]) as m:
			add(m, "/apps/counter")
			count_at_least(m, 2)
			m.send_serial("poweroff\n")
			m.wait_exit(timeout=20)
		with shell(ctx, disks=[d], initrd=image) as m:
			h = handlers(m)
			assert h["counter"]["version"] == 2, run(m, "handlers")
			recs = log(m, "-h counter")
			reset = [r for r in recs if r["kind"] == "handler" and "reset: stored version 1" in r["rest"]]
			assert reset, [r["rest"] for r in recs if r["kind"] == "handler"]
			c = count_at_least(m, 1, after=reset[-1]["seq"])
			assert c[0] == 1, "count after the reset: %r" % c


def rec_time(recs, handler, kind, text):
	got = [r for r in recs if r["handler"] == handler and r["kind"] == kind and text in r["rest"]]
	assert got, "no %s record of %s with %r" % (kind, handler, text)
	return got[-1]


def test_timer_deadline_and_sys_boot_after_a_power_cut(ctx):
	"""alarm's one-shot timer (8 s) keeps the time it had left at its last
	commit across a power cut (time off does not count); sys:boot is raised
	after every stored handler is restored, and sysrec gets it."""
	d = disk(ctx, "timer")
	with shell(ctx, disks=[d]) as m:
		add(m, "/test/handlers/alarm")
		add(m, "/test/handlers/sysrec")
		m.sleep(4)
		run(m, "emit app:alarm")
		recs = until(m, "alarm poked", lambda m: log(m, "-h alarm"),
			     lambda recs: any("poked 1" in r["rest"] for r in recs))
		ready = rec_time(recs, "alarm", "handler", "ready")
		poked = rec_time(recs, "alarm", "output", "poked 1")
		left = 8.0 - (poked["time_ns"] - ready["time_ns"]) / 1e9
		assert 1.5 < left < 6.5, "alarm poked %.1f s before its ring" % left
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		recs = until(m, "alarm rang", lambda m: log(m), lambda recs: any(
			r["handler"] == "alarm" and "alarm: rang" in r["rest"] for r in recs), timeout=15)
		restored = rec_time(recs, "alarm", "handler", "restored from disk")
		rang = rec_time(recs, "alarm", "output", "alarm: rang")
		took = (rang["time_ns"] - restored["time_ns"]) / 1e9
		assert abs(took - left) < 1.5, "rang %.1f s after the restore; %.1f s were left" % (took, left)
		boot = [r for r in recs if r["kind"] == "event" and r["topic"] == "sys:boot"]
		last_restore = max(r["seq"] for r in recs if r["kind"] == "handler" and "restored from disk" in r["rest"])
		assert boot and boot[-1]["seq"] > last_restore, "sys:boot before the restore: %r" % boot
		assert any(r["kind"] == "run" and r["handler"] == "sysrec" and r["topic"] == "sys:boot" and
			   r["seq"] > boot[-1]["seq"] for r in recs), "sysrec did not run sys:boot after the restore"


def test_disk_full_rolls_the_run_back(ctx):
	"""On a disk too small for them, runs that dirty 200 pages cannot be
	committed: each rolls back with "disk full" in the log, the system stays
	up, and a run that fits still commits."""
	d = qemu.Disk(size=1 << 20)
	with shell(ctx, disks=[d]) as m:
		add(m, "/test/handlers/bench")
		run(m, "emit app:bench 200")
		recs = until(m, "a disk-full dead letter", lambda m: log(m, "-h bench"),
			     lambda recs: any(r["kind"] == "retry" and "dead letter" in r["rest"] for r in recs))
		full = [r for r in recs if r["kind"] == "rollback" and "disk full" in r["rest"]]
		assert len(full) == 3, [r["rest"] for r in recs]  # each attempt
		assert full[0]["result"] == 7, full  # OPTIOS_RUN_NOSPACE
		assert "commit above could not be written" in full[0]["rest"], full
		before = max(r["seq"] for r in recs)
		run(m, "emit app:bench 1")
		until(m, "a 1-page run committed", lambda m: log(m, "-h bench"),
		      lambda recs: any(r["kind"] == "commit" and r["seq"] > before and r["a"] == 1 for r in recs))
		assert "sh" in run(m, "ps"), "the shell is gone"


def test_a_runs_file_change_is_in_its_commit(ctx):
	"""watcher appends to /data/summary in its run: the file change is part
	of the run's one transaction, so after a power cut summary holds the
	line of every committed run (log verify over both boots passes too)."""
	d = disk(ctx, "watch")
	with shell(ctx, disks=[d]) as m:
		run(m, "mkdir /data/inbox")
		add(m, "/apps/watcher")
		run(m, "echo one > /data/inbox/a")
		run(m, "echo two > /data/inbox/b")
		until(m, "two summary lines", lambda m: run(m, "cat /data/summary"), lambda t: t.count("\n") >= 2)
		# A run's file change shows in RAM at its commit and its log record a
		# moment later: wait for both records before the cut.
		until(m, "two commit records", lambda m: [r for r in log(m, "-h watcher") if r["kind"] == "commit"],
			lambda c: len(c) >= 2)
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		text = run(m, "cat /data/summary")
		# what survived is one thing: each run's line and its commit record
		# together, or neither
		commits = [r for r in log(m, "-h watcher") if r["kind"] == "commit"]
		assert len(text.splitlines()) == len(commits), (text, commits)
		for r, line in zip(commits, text.splitlines()):
			assert r["topic"][len("file:"):] in line, (r, line)
		out = run(m, "log verify")
		assert re.search(r"log verify: \d+ records, chain intact", out), out


def test_a_runs_file_change_is_hidden_until_its_commit_is_durable(ctx):
	"""The output gate for files: every flush waits 1.5 s first
	(store.flush_delay_ms), so watcher's commit of its /data/summary append
	stays un-durable that long. A program polling /data/summary from the
	moment it creates the trigger sees it only once that commit is durable
	(without the gate: within a few ms), and a power cut right after it saw
	it loses nothing it saw."""
	d = disk(ctx, "gate")
	with shell(ctx, disks=[d], append="optios.conf.store.flush_delay_ms=1500") as m:
		run(m, "mkdir /data/inbox")
		add(m, "/apps/watcher")
		run(m, "sync", timeout=40)  # the runner idle, no flush in flight: the run starts at once
		out = run(m, "/test/durable watch /data/inbox/a /data/summary", timeout=40)
		seen = re.fullmatch(r"saw \d+ bytes after (\d+) ms: durable (\d+) of (\d+) committed\n", out)
		assert seen, out
		assert int(seen.group(1)) >= 700, "%s: seen before its commit's flush" % out
		assert int(seen.group(2)) >= int(seen.group(3)) - 1, out  # at most the runner's log records after it
		line = run(m, "cat /data/summary")
		assert line.endswith(" /data/inbox/a\n"), line
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		assert run(m, "cat /data/summary") == line


def test_policy_grant_record_and_chmod_utimes_survive_a_cut_right_after(ctx):
	"""Two bugs: a policy change's log record reached the disk only with a
	later run's commit, and chmod/utimes on /data changed only the RAM tree.
	A power cut right after `policy grant` (which syncs) keeps the grant, its
	log record, and the mode and mtime set before it."""
	d = disk(ctx, "grantcut")
	with shell(ctx, disks=[d]) as m:
		run(m, "echo x > /data/f")
		assert run(m, "busybox chmod 640 /data/f") == ""
		assert run(m, "busybox touch -d '2001-02-03 04:05:06' /data/f") == ""
		before = run(m, "busybox stat -c '%a %Y' /data/f")
		assert before.startswith("640 "), before
		out = run(m, "policy grant touch file.write:/data/")
		assert "policy: granted" in out, out
		m.power_cut()
	with shell(ctx, disks=[d]) as m:
		assert run(m, "busybox stat -c '%a %Y' /data/f") == before
		out = run(m, "policy grant touch file.write:/data/")
		assert "exists" in out, "the grant did not survive: %r" % out
		recs = [r for r in log(m, "") if r["kind"] == "policy" and "grant touch file.write:/data/" in r["rest"]]
		assert len(recs) == 1, "the first boot's grant record was lost: %r" % recs  # the second grant failed: no record


def test_disk_error_in_a_runs_commit_rolls_it_back_and_the_handler_goes_on(ctx):
	"""A device write failing in the middle of a handler run's commit (QEMU
	blkdebug: every write touching one sector ahead of the log's head): the
	run rolls back with "disk error" in the log, the system stays up, the
	handler's next runs commit (in memory: the store takes no more changes
	this boot), and the next boot without the error finds the disk clean
	with the handler at its last durable commit and the log's chain intact."""
	d = disk(ctx, "eio")
	with shell(ctx, disks=[d]) as m:
		add(m, "/test/handlers/bench")
		run(m, "emit app:bench 1")
		until(m, "a commit", lambda m: log(m, "-h bench"), lambda recs: any(r["kind"] == "commit" for r in recs))
		run(m, "sync")
		used = int(re.search(r"used (\d+) KiB", run(m, "df")).group(1)) // 4
		m.send_serial("poweroff\r")
		m.wait_exit(timeout=20)
	bad = qemu.Disk(d.path, blkdebug=test_devices.rule("write_aio", "write", (2 + used + 100) * 8))
	with shell(ctx, disks=[bad]) as m:
		# The kernel's line about the failed disk comes on the console at the
		# failure: wait for it and for quiet, or it lands inside a command's
		# echo (it did, under load: "the shell did not echo 'log -a -h bench'")
		m.send_serial("emit app:bench 250\r")
		m.wait_for(r"store: disk vda failed", timeout=60)
		m.wait_quiet()
		recs = until(m, "a disk-error rollback", lambda m: log(m, "-h bench"),
			     lambda recs: any(r["kind"] == "rollback" for r in recs))
		rb = [r for r in recs if r["kind"] == "rollback"][0]
		assert rb["result"] == 8 and "disk error: the commit above could not be written" in rb["rest"], rb
		assert "store: disk vda failed" in m.text()
		assert run(m, "echo up") == "up\n"
		until(m, "a commit after the rollback", lambda m: log(m, "-h bench"),
		      lambda recs: any(r["kind"] == "commit" and r["seq"] > rb["seq"] for r in recs))
		m.power_cut()
	assert ": clean:" in tool(ctx, "fsck", d.path)
	with shell(ctx, disks=[d]) as m:
		restored_at_of(m, "bench")
		out = run(m, "log verify")
		assert re.search(r"log verify: \d+ records, chain intact", out), out
		before = max(r["seq"] for r in log(m, "-h bench"))
		run(m, "emit app:bench 1")
		until(m, "a commit on the repaired disk", lambda m: log(m, "-h bench"),
		      lambda recs: any(r["kind"] == "commit" and r["seq"] > before for r in recs))


def test_a_runs_file_event_waits_for_its_commits_flush(ctx):
	"""The output gate for file: events: dropper's run creates
	/data/inbox/x, which watcher watches. Its file: event is raised only
	after the flush that makes dropper's commit durable (flushes delayed
	1 s): in the log, the event and watcher's run come after that durable
	record (before the gate held them, the event was raised at the commit)."""
	d = disk(ctx, "fevent")
	with shell(ctx, disks=[d], append="optios.conf.store.flush_delay_ms=1000") as m:
		run(m, "mkdir /data/inbox")
		add(m, "/apps/watcher")
		add(m, "/test/handlers/dropper")
		run(m, "sync", timeout=40)
		run(m, "emit app:drop x")
		def seen(recs):
			commits = [r["seq"] for r in recs if r["kind"] == "commit" and r["handler"] == "dropper"]
			return commits and any(r["kind"] == "commit" and r["handler"] == "watcher" for r in recs) and \
				any(r["kind"] == "durable" and r["seq"] > commits[0] for r in recs)
		recs = until(m, "watcher's commit and dropper's flush", lambda m: log(m, ""), seen)
		commit = [r for r in recs if r["kind"] == "commit" and r["handler"] == "dropper"][0]
		durable = [r for r in recs if r["kind"] == "durable" and r["seq"] > commit["seq"]][0]
		event = [r for r in recs if r["kind"] == "event" and r["topic"] == "file:/data/inbox/x"][0]
		ran = [r for r in recs if r["kind"] == "run" and r["handler"] == "watcher"][0]
		assert durable["seq"] < event["seq"] < ran["seq"], (commit, durable, event, ran)
