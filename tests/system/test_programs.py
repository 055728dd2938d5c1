"""Starting programs and what they are told (issue 9), judged from the shell:
unimplemented system calls reach the event log, a damaged manifest is
refused wherever the program would run, a directory is not a program."""

import re

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
