"""The audit trail (issue 5): the event log is hash-chained, `log verify`
recomputes the chain of what the kernel holds or of a dump (`log dump`), and
/test/logtamper alters a dump the way an attacker would: one byte flipped, or
one record taken out. Every effect is logged, a program spawned included."""

import re

import test_handlers
import test_shell

TIMEOUT = 150

INTACT = re.compile(r"^log verify: (\d+) records, chain intact$", re.M)
BROKEN = re.compile(r"^log verify: (\d+) records, chain broken \((\d+) problems\)$", re.M)
DUMPED = re.compile(r"^log dump: (\d+) records to (\S+)$", re.M)


def run(m, cmd, timeout=30):
	return test_shell.run(m, cmd, timeout)[0]


def activity(m):
	"""Files written, events raised, a handler's runs; returns the seqs `log` shows."""
	run(m, "echo one > /data/a")
	test_handlers.add(m, "/apps/counter")
	run(m, "emit -n 20 app:audit x")
	run(m, "rm /data/a")
	return [r["seq"] for r in test_handlers.log(m)]


def dump(m, path):
	out = run(m, "log dump " + path)
	d = DUMPED.search(out)
	assert d and d.group(2) == path, "log dump: %r" % out
	return int(d.group(1))


def test_log_verify_is_intact_after_activity(ctx):
	with test_shell.shell(ctx) as m:
		seqs = activity(m)
		out = run(m, "log verify")
		v = INTACT.search(out)
		assert v, out
		assert out == v.group(0) + "\n", "log verify: %r" % out  # exit status 0: the shell says nothing
		assert int(v.group(1)) >= len(seqs) > 20, "log verify: %r (log showed %d)" % (out, len(seqs))


def test_an_altered_dump_fails_at_the_altered_record(ctx):
	with test_shell.shell(ctx) as m:
		seqs = activity(m)
		n = dump(m, "/data/log1")
		out = run(m, "log verify /data/log1")
		assert INTACT.search(out) and int(INTACT.search(out).group(1)) == n, out
		k = seqs[len(seqs) // 2]
		assert run(m, "/test/logtamper flip /data/log1 %d" % k) == "logtamper: flipped byte 200 of record #%d\n" % k
		out = run(m, "log verify /data/log1")
		assert out == "log verify: record #%d altered\nlog verify: %d records, chain broken (1 problems)\n" \
			"log: exited with status 1\n" % (k, n), out
		# A byte of the link itself (prev_hash is bytes 320-335): the record is still the one named.
		dump(m, "/data/log2")
		k2 = seqs[len(seqs) // 3]
		run(m, "/test/logtamper flip /data/log2 %d 330" % k2)
		out = run(m, "log verify /data/log2")
		assert "log verify: record #%d altered\n" % k2 in out and BROKEN.search(out), out


def test_a_removed_record_is_reported_missing(ctx):
	with test_shell.shell(ctx) as m:
		seqs = activity(m)
		n = dump(m, "/data/log1")
		k = seqs[len(seqs) // 2]
		assert run(m, "/test/logtamper remove /data/log1 %d" % k) == "logtamper: removed record #%d\n" % k
		out = run(m, "log verify /data/log1")
		assert out == "log verify: record #%d missing\nlog verify: %d records, chain broken (1 problems)\n" \
			"log: exited with status 1\n" % (k, n - 1), out


def test_the_chain_holds_across_the_ring_wrapping(ctx):
	"""Over 1024 records (the ring's size), most never read before they are
	overwritten: the log still verifies from its oldest record."""
	with test_shell.shell(ctx) as m:
		activity(m)
		run(m, "emit -n 600 app:audit y", timeout=60)
		assert len(test_handlers.log(m)) > 600  # read: these records' links are made
		run(m, "emit -n 600 app:audit z", timeout=60)
		out = run(m, "log verify")
		assert INTACT.search(out) and int(INTACT.search(out).group(1)) == 1024, out


def test_spawning_a_program_is_logged_as_an_effect(ctx):
	with test_shell.shell(ctx) as m:
		run(m, "ls /")
		effects = [r for r in test_handlers.log(m, "-h sh") if r["kind"] == "effect"]
		ls = [r for r in effects if re.match(r"spawn /bin/ls pid (\d+) parent (\d+)$", r["rest"].strip())]
		assert ls, "no spawn effect of ls by the shell: %r" % effects
		pid = int(re.search(r"pid (\d+)", ls[-1]["rest"]).group(1))
		assert ls[-1]["a"] == pid, ls[-1]
