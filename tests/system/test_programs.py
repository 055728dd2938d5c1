"""Starting programs and what they are told (issue 9), judged from the shell:
unimplemented system calls reach the event log, a damaged manifest is
refused wherever the program would run, a directory is not a program."""

import re

import optios
import test_handlers
import test_shell

TIMEOUT = 120


def run(m, cmd):
	return test_shell.run(m, cmd)[0]


def test_enosys_only_on_console(ctx):
	"""A program's unimplemented system calls were shown only on the console:
	each is also an `enosys` record in the event log, once per process and call
	number (as the console line), naming the call, its number and the pid."""
	with test_shell.shell(ctx) as m:
		for _ in range(2):
			out = run(m, "/test/nosys")
			assert "nosys: -1 -1 -1 errno 38" in out, out
		recs = [r for r in test_handlers.log(m, "-h nosys") if r["kind"] == "enosys"]
		calls = [(r["a"], r["b"], r["result"]) for r in recs]
		pids = sorted({pid for _, pid, _ in calls})
		assert len(pids) == 2 and sorted(calls) == sorted((nr, pid, -38) for pid in pids for nr in (135, 777)), \
			"enosys records: %r" % recs
		texts = {r["a"]: r["rest"] for r in recs}
		assert texts[135].startswith("called unimplemented unknown call (135) pid="), texts
		assert texts[777].startswith("called unimplemented unknown call (777) pid="), texts
		console = re.findall(r"syscall: nosys\[\d+\] called unimplemented unknown call \((\d+)\)", m.text())
		assert sorted(console) == ["135", "135", "777", "777"], console
		# inside a handler's run: the record names the handler and the event
		test_handlers.add(m, "/test/handlers/nosysrun")
		recs, nosys = run_enosys_handler(m, "nosysrun")
		assert test_handlers.outputs(recs, "nosysrun")[0]["rest"] == "nosysrun: -1", recs
		raised = [r for r in recs if r["kind"] == "event" and r["topic"] == "app:nosysrun"]
		assert len(nosys) == 1 and nosys[0]["topic"] == "app:nosysrun" and \
			nosys[0]["event"] == raised[0]["event"] and nosys[0]["a"] == 135, nosys


def run_enosys_handler(m, name):
	"""Emits app:NAME and waits for handler NAME's run (its console line comes
	when it comes: not in the middle of a command's echo); the log records up
	to its output, and its enosys records among them."""
	since = m.mark()
	run(m, "emit app:" + name)
	m.wait_for(r"syscall: %s\[\d+\] called unimplemented unknown call \(135\): -ENOSYS\r?\n" % name, start=since)
	optios.settle(m)
	recs = test_handlers.until(m, "the %s run" % name, test_handlers.log, lambda r: test_handlers.outputs(r, name))
	return recs, [r for r in recs if r["kind"] == "enosys" and r["handler"] == name]


def test_enosys_of_a_second_handler_was_not_logged(ctx):
	"""The runner's process held the "already logged" set for every handler it
	ran, so after one handler's unimplemented call another handler's same call
	left no record: each handler gets its own first record."""
	with test_shell.shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/nosysrun")
		assert len(run_enosys_handler(m, "nosysrun")[1]) == 1
		test_handlers.add(m, "/test/handlers/nosysrun2")
		second = run_enosys_handler(m, "nosysrun2")[1]
		assert len(second) == 1 and second[0]["topic"] == "app:nosysrun2" and second[0]["a"] == 135, second


DAMAGED = {  # /test/damaged_X (Makefile: proc_hello, its manifest section broken) -> the reason
	"line": "damaged_line.manifest line 6: unknown directive 'frobnicate'",
	"twice": "damaged_twice: manifest section damaged: two sections with the name asked for",
	"cut": "damaged_cut: manifest section damaged: section headers outside the file",
	"bounds": "damaged_bounds: manifest section damaged: section bytes outside the file",
}


def test_damaged_manifest_runs_in_foreground(ctx):
	"""A program whose manifest section could not be read (two of them, the
	file cut inside it, its bytes past the end of the file) ran in the
	foreground with its console, while `handler add` refused it. A damaged
	manifest is refused in both places, and the shell says why."""
	with test_shell.shell(ctx) as m:
		for name, why in DAMAGED.items():
			path = "/test/damaged_" + name
			out = run(m, path)
			assert "hello from" not in out, "%s ran: %r" % (path, out)
			assert "sh: %s: Invalid argument: %s\n" % (path, why) in out, out
			out = run(m, "handler add " + path)
			assert out.startswith("handler: %s: Invalid argument: %s\n" % (path, why)), out
		out = run(m, "/test/proc_hello")  # the program they were made from runs
		assert "hello from /test/proc_hello (argc 1)" in out, out


def test_handler_add_directory_says_no_such_program(ctx):
	"""`handler add /apps` said "no such program" and the shell said "command
	not found" for a directory: both say it is a directory (EISDIR)."""
	with test_shell.shell(ctx) as m:
		out = run(m, "handler add /apps")
		assert out.startswith("handler: /apps: Is a directory: /apps: a directory, not a program\n"), out
		for path in ("/apps", "/bin/", "/test/handlers"):
			out = run(m, path)
			assert out == "sh: %s: Is a directory\n" % path, out
		out = run(m, "handler add /apps/nothing")  # a missing file is still that
		assert out.startswith("handler: /apps/nothing: No such file or directory: /apps/nothing: no such program"), out
