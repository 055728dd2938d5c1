"""Signals (issue 11): user handlers, masks, restarts, timers, stops and
forged sigreturn frames, seen from a real musl program run as init
(/test/signals checks its own results case by case and exits with the
number of failures)."""

import re
import time

import test_shell

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
		     "itimer_periodic", "kill_group", "sigchld", "segv_longjmp", "stop_cont", "fpe_resethand_tkill", "exec_resets",
		     "forged_frames"):
		assert name in cases, "%s did not pass:\n%s" % (name, text[-3000:])
	assert "signals: 0 failures" in text


def ash(m):
	"""Starts BusyBox sh (job control on: -i on the console) from OptiOS's
	shell and waits for its prompt."""
	m.send_serial("busybox sh -i\r")
	m.send_serial("PS1='ash> '\r")
	m.wait_for(re.compile(r"\nash> $"), timeout=30)


def ash_run(m, line, want, timeout=20):
	m.mark()
	m.send_serial(line + "\r")
	got = m.wait_for(re.compile(want), timeout=timeout)
	m.wait_for(re.compile(r"ash> $"), timeout=timeout)
	return got


def test_busybox_sh_job_control_ctrl_z_fg_bg_ctrl_c(ctx):
	"""BusyBox sh on the serial console: a foreground `sleep 100`, Ctrl+Z
	stops it (ash says Stopped, `jobs` lists it), `fg` resumes it in the
	foreground, Ctrl+C ends it and not the shell; `bg` runs a stopped job in
	the background; a background `cat` reading the console stops
	(SIGTTIN); Ctrl+\\ ends a foreground job with SIGQUIT; the shell
	still answers, and `exit` returns to OptiOS's shell."""
	with test_shell.shell(ctx) as m:
		ash(m)
		m.mark()
		m.send_serial("busybox sleep 100\r")
		time.sleep(1)
		m.send_serial("\x1a")
		m.wait_for(re.compile(r"Stopped"), timeout=20)
		m.wait_for(re.compile(r"ash> $"), timeout=20)
		ash_run(m, "jobs", r"\[1\]\+\s+Stopped\s+busybox sleep 100")
		m.mark()
		m.send_serial("fg\r")
		m.wait_for(re.compile(r"busybox sleep 100"), timeout=20)
		time.sleep(1)
		m.send_serial("\x03")
		m.wait_for(re.compile(r"ash> $"), timeout=20)
		ash_run(m, "echo alive $((6 * 7))", r"\nalive 42\r?\n")
		out = ash_run(m, "jobs; echo jobs-done", r"jobs-done\r?\n((?:.*\n)*?)jobs-done\r?\n")
		assert "sleep" not in out.group(1), "a job left after Ctrl+C: %r" % out.group(1)
		# bg: a stopped job runs on in the background
		m.mark()
		m.send_serial("busybox sleep 100\r")
		time.sleep(1)
		m.send_serial("\x1a")
		m.wait_for(re.compile(r"Stopped"), timeout=20)
		m.wait_for(re.compile(r"ash> $"), timeout=20)
		ash_run(m, "bg", r"busybox sleep 100")
		ash_run(m, "jobs", r"\[1\]\+\s+Running\s+busybox sleep 100")
		ash_run(m, "kill %1; wait", r"\[1\]\+\s+Terminated\s+busybox sleep 100")
		# a background job reading the console stops (SIGTTIN)
		ash_run(m, "busybox cat &", r"busybox cat &")
		time.sleep(1)
		ash_run(m, "jobs", r"\[1\]\+\s+Stopped.*busybox cat")
		ash_run(m, "kill -9 %1", r"kill -9 %1")
		time.sleep(0.5)
		out = ash_run(m, "jobs; echo gone", r"gone\r?\n((?:.*\n)*?)gone\r?\n")
		assert re.search(r"\[1\]\+\s+Killed\s+busybox cat", out.group(1)), "a stopped cat and SIGKILL: %r" % out.group(1)
		# Ctrl+\: SIGQUIT ends the foreground job
		m.mark()
		m.send_serial("busybox sleep 100; echo status $?\r")
		time.sleep(1)
		m.send_serial("\x1c")
		m.wait_for(re.compile(r"status 131"), timeout=20)
		m.wait_for(re.compile(r"ash> $"), timeout=20)
		m.mark()
		m.send_serial("exit\r")
		m.wait_for(test_shell.PROMPT, timeout=20)
