"""What a handler's run may and may not do, and handlers at boot and
shutdown (issue 4): the clock reads the event's time, calls that would block
fail, emitted events are raised only when the run commits, /etc/handlers
registers handlers before sys:boot, and power-off raises sys:shutdown and
waits for the handlers. Tools and helpers come from test_handlers."""

import os
import re
import subprocess
import tempfile

import test_images
import test_shell
from test_handlers import add, log, outputs, run, shell, until

TIMEOUT = 120


def when_lines(m, count):
	"""The first count output lines of the `when` test handler."""
	recs = until(m, "%d when lines" % count, log, lambda r: len(outputs(r, "when")) >= count)
	return [o["rest"] for o in outputs(recs, "when")][:count]


def test_clock_reads_the_event_time_and_runs_never_block(ctx):
	"""Inside a run clock_gettime returns the event's timestamp; nanosleep,
	sched_yield and reading stdin fail at once with EAGAIN; starting a
	program or changing the policy fails with EPERM."""
	with shell(ctx) as m:
		add(m, "/test/handlers/when")
		run(m, "emit app:when")
		run(m, "emit app:when")
		lines = when_lines(m, 2)
		for line in lines:
			f = dict(kv.split("=", 1) for kv in line.split()[1:])
			assert f["event_ns"] == f["clock_ns"], line
			assert f["sleep"] == "EAGAIN" and f["yield"] == "EAGAIN" and f["read"] == "EAGAIN", line
			assert f["spawn"] == "EPERM" and f["policy"] == "EPERM", line
		times = [int(dict(kv.split("=", 1) for kv in l.split()[1:])["event_ns"]) for l in lines]
		assert times[0] < times[1], lines


def test_emitted_events_are_raised_only_when_the_run_commits(ctx):
	"""A run's optios_emit is raised at commit (source: the handler); a run
	that emits and then faults leaves no event behind."""
	with shell(ctx) as m:
		add(m, "/test/handlers/when")
		run(m, "emit app:when emit")
		recs = until(m, "the echo event", log, lambda r: any(x["topic"] == "app:when.echo" for x in r))
		echo = [r for r in recs if r["kind"] == "event" and r["topic"] == "app:when.echo"]
		runs = [r for r in recs if r["kind"] == "run" and r["handler"] == "when"]
		commit = [r for r in recs if r["kind"] == "commit" and r["handler"] == "when"]
		assert len(echo) == 1 and "source=when" in echo[0]["rest"], echo
		# the run ended at run.tsc + commit.c (its length); the echo is raised after that
		assert runs and commit and echo[0]["tsc"] >= runs[0]["tsc"] + commit[0]["c"], recs
		run(m, "emit app:when emit-fail")
		recs = until(m, "the rollback", log, lambda r: any(x["kind"] == "rollback" for x in r))
		run(m, "emit app:when")  # a later committed run: the queue has moved past the failed one
		recs = until(m, "3 when runs", log, lambda r: len(outputs(r, "when")) >= 2)
		echoes = [r for r in recs if r["kind"] == "event" and r["topic"] == "app:when.echo"]
		assert len(echoes) == 1, "a rolled-back run's emit was raised: %r" % echoes


def image_with_boot_list(ctx, tmp, lines):
	"""The test image with /etc/handlers replaced."""
	tree = os.path.join(tmp, "tree")
	test_images.copy_tree(os.path.join(ctx.build, "rootfs-test.tree"), tree)
	with open(os.path.join(tree, "etc", "handlers"), "w") as f:
		f.write("".join(l + "\n" for l in lines))
	names = subprocess.run("find . -mindepth 1 | LC_ALL=C sort", shell=True, cwd=tree, check=True,
			       stdout=subprocess.PIPE).stdout
	image = os.path.join(tmp, "rootfs.cpio")
	with open(image, "wb") as out:
		subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, input=names, stdout=out, check=True)
	return image


def test_boot_list_registers_handlers_before_sys_boot_and_poweroff_raises_sys_shutdown(ctx):
	"""/etc/handlers names handlers to register at boot (a missing one is
	reported and skipped); sys:boot follows their start-up, so a handler of
	the list receives it; poweroff raises sys:shutdown and waits for it."""
	with tempfile.TemporaryDirectory(prefix="optios-boot-list-") as tmp:
		image = image_with_boot_list(ctx, tmp, ["# boot list", "/test/handlers/sysrec", "/apps/nosuch  # gone"])
		with shell(ctx, initrd=image) as m:
			assert re.search(r"handler: /etc/handlers:3: /apps/nosuch: error -2", m.text()), m.text()[-2000:]
			recs = until(m, "sysrec saw sys:boot", log, lambda r: outputs(r, "sysrec"))
			assert outputs(recs, "sysrec")[0]["rest"].startswith("sysrec: sys:boot"), outputs(recs, "sysrec")
			ready = [r for r in recs if r["kind"] == "handler" and r["rest"].startswith("ready")]
			boot = [r for r in recs if r["kind"] == "event" and r["topic"] == "sys:boot"]
			assert ready and boot and ready[0]["seq"] < boot[0]["seq"], recs
			m.send_serial("poweroff\r")
			m.wait_for(r"handler: sys:shutdown raised; handlers finished \((\d+) log records since\)",
				   timeout=30)
			n = int(re.search(r"\((\d+) log records since\)", m.text()).group(1))
			assert n >= 4, "sys:shutdown: event, run, output and commit expected, %d records" % n
