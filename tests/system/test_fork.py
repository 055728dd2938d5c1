"""The POSIX process model (issue 11): fork, exec, wait, pipes, poll, locks,
seen from a real musl program run as init (/test/proc_fork, which checks
its own results case by case and exits with the number of failures)."""

import re

import test_handlers
import test_proc
import test_shell


def test_fork_exec_pipes_poll_locks(ctx):
	"""fork+wait status (exit and signal), copy-on-write isolation both ways,
	execve keeping descriptors and closing close-on-exec ones, "#!" scripts
	(and an interpreter the caller may not start), 1 MiB through a
	pipe, end of file, EPIPE (SIGPIPE ignored) and death by SIGPIPE,
	O_NONBLOCK's EAGAIN and PIPE_BUF atomicity, poll/select timeouts and
	readiness, fcntl lock conflict (F_SETLK EAGAIN, F_GETLK names the holder,
	F_SETLKW waits for the holder's close), flock, orphans reaped,
	posix_spawn, process groups and waitid, a fork bomb stopped with EAGAIN
	and the machine still forking after it."""
	text = test_proc.check_passed(ctx, "proc_fork", timeout=110)
	cases = re.findall(r"fork: (\w+): ok", text)
	for name in ("fork_wait", "cow", "exec_fds", "script", "pipe_1mib", "epipe", "nonblock", "poll", "fcntl_lock",
		     "flock", "orphan", "posix_spawn", "groups", "fork_bomb"):
		assert name in cases, "%s did not pass:\n%s" % (name, text[-3000:])
	assert "fork: 0 failures" in text


def test_handler_cannot_fork_or_exec(ctx):
	"""Inside a handler's run fork, vfork, posix_spawn (clone) and execve are
	refused with EPERM: a process made in a run could not be taken back by a
	rollback. The handler's run itself goes on and prints the results."""
	with test_shell.shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/forkrun")
		test_shell.run(m, "emit app:forkrun")
		recs = test_handlers.until(m, "the forkrun run", test_handlers.log,
					   lambda r: test_handlers.outputs(r, "forkrun"))
		out = test_handlers.outputs(recs, "forkrun")[0]["rest"]
		assert out == "forkrun: fork=-1/1 vfork=-1/1 spawn=1 execve=-1/1", out


def test_shell_pipelines(ctx):
	"""The shell runs `a | b | c`: every stage at once, each one's output the
	next one's input through a pipe; builtins in a pipeline run in a forked
	shell; $? is the last stage's; redirections still apply per stage."""
	with test_shell.shell(ctx) as m:
		out, _ = test_shell.run(m, "ls /bin")
		test_shell.check(m, "ls /bin | cat | cat", out)
		test_shell.check(m, "echo 'a|b' two | cat", "a|b two\n")
		test_shell.check(m, "cat /bin/sh | cat > /tmp/sh.copy", "")
		test_shell.check(m, "cat /tmp/sh.copy | cat /tmp/sh.copy | cat > /tmp/sh.copy2", "")
		a, b = test_shell.run(m, "ls -l /bin/sh")[0], test_shell.run(m, "ls -l /tmp/sh.copy2")[0]
		num = lambda s: [w for w in s.split() if w.isdigit()]
		assert num(a) and num(a)[-1] == num(b)[-1], (a, b)
		test_shell.check(m, "echo hi | nosuchprogram", "sh: nosuchprogram: command not found (try help)\n")
		test_shell.check(m, "echo $?", "127\n")
		test_shell.check(m, "echo a |", "sh: a pipeline needs a command on each side of | (at most 8)\n")


def test_ctrl_c_ends_a_whole_pipeline(ctx):
	"""Ctrl+C ended only the newest program of a pipeline: `cat | cat` left
	the first cat reading the console and the shell waiting for it. The
	shell puts a pipeline in one process group; Ctrl+C ends the group."""
	with test_shell.shell(ctx) as m:
		since = m.mark()
		m.send_serial("cat | cat\r")
		m.sleep(0.5)
		m.send_serial("\x03")
		m.wait_for(test_shell.PROMPT, start=since, timeout=10)
		test_shell.check(m, "echo $?", "130\n")
