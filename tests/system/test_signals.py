"""Signals (issue 11): user handlers, masks, restarts, timers, stops and
forged sigreturn frames, seen from a real musl program run as init
(/test/signals checks its own results case by case and exits with the
number of failures)."""

import re

import test_proc


def test_signal_handlers_timers_stops_and_forged_frames(ctx):
	"""A handler with siginfo; the mask while it runs; SA_RESTART against
	EINTR on a pipe read; sigaltstack; alarm; a periodic setitimer; kill by
	group; SIGCHLD; a SIGSEGV handler that siglongjmps out twice; SIGSTOP,
	SIGCONT and SIGTSTP through waitpid WUNTRACED/WCONTINUED; execve resets a
	caught SIGPIPE and keeps an ignored signal; forged sigreturn contexts
	(kernel or null selectors, non-canonical or kernel rip) end the forger
	with SIGSEGV and the kernel goes on."""
	text = test_proc.check_passed(ctx, "signals", timeout=60)
	cases = re.findall(r"signals: (\w+): ok", text)
	for name in ("handler_siginfo", "mask_in_handler", "restart_vs_eintr", "sigaltstack", "alarm",
		     "itimer_periodic", "kill_group", "sigchld", "segv_longjmp", "stop_cont", "exec_resets",
		     "forged_frames"):
		assert name in cases, "%s did not pass:\n%s" % (name, text[-3000:])
	assert "signals: 0 failures" in text
