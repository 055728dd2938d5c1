"""Permissions (issue 5), judged from the shell: a denial reaches the program
as EACCES and is in the event log (`log`) with the program, the call and the
capability it needed; a program that cannot run in the foreground is refused
with the reason, which the shell prints.
/test/permprobe's manifest asks for nothing, not even its console."""

import test_handlers
import test_shell

TIMEOUT = 120


def test_denial_of_an_unseen_path_is_enoent_and_logged(ctx):
	"""permprobe has no file capability, so /tmp/permprobe is outside what
	it can see: the open is refused as if the path did not exist (ENOENT,
	not EACCES, which would tell it the directory exists) and logged."""
	with test_shell.shell(ctx) as m:
		test_handlers.run(m, "/test/permprobe")
		out = test_handlers.run(m, "echo status $?")
		assert out == "status 2\n", "open was not refused with ENOENT (2): %r" % out
		recs = test_handlers.log(m)
		deny = [r for r in recs if r["kind"] == "deny" and r["handler"] == "permprobe"]
		assert deny, "no deny record for permprobe in:\n%s" % "\n".join(str(r) for r in recs[-10:])
		assert deny[-1]["rest"].startswith("open file.write:/tmp/permprobe"), deny[-1]
		assert test_handlers.run(m, "cat /tmp/permprobe").startswith("cat: /tmp/permprobe: No such file"), \
			"the refused open created the file"


def test_background_program_refused_in_foreground(ctx):
	with test_shell.shell(ctx) as m:
		out = test_handlers.run(m, "/apps/counter")
		why = "counter runs in the background only (manifest context): add it as a handler"
		assert "proc: /apps/counter not started: " + why in out, out  # the kernel's log line
		assert "sh: /apps/counter: Permission denied: " + why in out, out  # the shell, from OPTIOS_POLICY_WHY
		assert test_handlers.run(m, "echo status $?") == "status 126\n"


def test_a_copy_on_a_writable_file_system_does_not_inherit_the_names_grants(ctx):
	"""Regression: grants are keyed by the manifest name a program declares;
	a copy of watcher in /data (or any program there declaring that name)
	got watcher's grants. Programs outside the read-only image get only the
	grants to "*"."""
	with test_shell.shell(ctx) as m:
		test_handlers.run(m, "cat /apps/watcher > /data/w")
		out = test_handlers.run(m, "handler add /data/w")
		assert "Permission denied" in out and \
			'/data/w is loaded from a writable file system: only grants to "*" apply' in out, out
		test_handlers.add(m, "/apps/watcher")  # the image's own watcher keeps its grants


def test_shell_emit_of_sys_and_timer_topics_refused(ctx):
	"""Regression (issue 9): /etc/policy granted the shell's emit emit:*, so a
	user could raise sys:boot or a handler's timer by hand. sys:, timer: and
	file: events are the kernel's; emit raises app: events only, and no grant
	can say otherwise (the policy parser refuses it, `policy grant` too)."""
	rule = "only app: topics may be emitted (sys:, timer: and file: events are raised by the kernel alone)"
	with test_shell.shell(ctx) as m:
		for topic in ("sys:boot", "timer:counter.tick"):
			out = test_handlers.run(m, "emit " + topic)
			assert out.startswith("emit: %s: Permission denied (after 0 of 1): %s\n" % (topic, rule)), out
			deny = [r for r in test_handlers.log(m) if r["kind"] == "deny" and r["handler"] == "emit"]
			assert deny and deny[-1]["rest"].startswith("optios_emit emit:" + topic), deny
		out = test_handlers.run(m, "policy grant emit emit:sys:*")
		assert out == "policy: grant emit emit:sys:*: not a capability: %s\n" \
			"policy: exited with status 1\n" % rule, out
		assert "emit:*" not in test_handlers.run(m, "policy"), "a grant of emit:* is in the policy"
		assert test_handlers.run(m, "emit app:fine") == ""
		recs = test_handlers.log(m)
		raised = [r for r in recs if r["kind"] == "event" and r["topic"] in ("sys:boot", "timer:counter.tick")
			  and "source=emit" in r["rest"]]
		assert not raised, raised
		assert [r for r in recs if r["kind"] == "event" and r["topic"] == "app:fine"], recs[-5:]


def test_policy_revoke_applies_to_the_next_exec_of_a_program_started_before(ctx):
	"""A program of the read-only image has its permission set cached by its
	bytes (an exec computes nothing while the policy stays the same): a
	revoke must still refuse its next start, and a grant allow the one
	after, as without the cache."""
	with test_shell.shell(ctx) as m:
		assert test_handlers.run(m, "emit app:cached") == ""
		assert test_handlers.run(m, "emit app:cached") == ""  # now from the cache
		test_handlers.run(m, "policy revoke emit emit:app:*")
		out = test_handlers.run(m, "emit app:cached")
		assert "emit asks for emit:app:*: not granted (policy grant emit emit:app:*)" in out, out
		assert test_handlers.run(m, "echo status $?") == "status 126\n"
		test_handlers.run(m, "policy grant emit emit:app:*")
		assert test_handlers.run(m, "emit app:cached") == ""
		assert test_handlers.run(m, "echo status $?") == "status 0\n"

