"""The kernel monitor (optios.init=monitor, or when no shell can start) answers
on the console: the person at the machine can ask
the kernel for its interrupt counts, uptime and memory. The idle test is the
issue's acceptance check: ten seconds of idle with no deadline armed take zero
timer interrupts, as the kernel itself reports."""

import re

import optios

TIMEOUT = 60


def booted(ctx, mode="kernel"):
	m = ctx.machine(mode, append="optios.init=monitor")
	m.start()
	log = optios.boot(m)
	m.wait_for(r"kmon> ", timeout=10)
	m.mark()
	return m, log


def ask(m, command, until, timeout=10):
	"""Types a command on serial; returns everything it printed up to and
	including the pattern (line ends as "\n")."""
	start = m.mark()
	m.send_serial(command + "\r")
	m.wait_for(until, timeout=timeout)
	return m.text()[start:].replace("\r\n", "\n")


def irq_counts(text):
	"""{source name: count} from the monitor's "irqs" report."""
	return {name: int(n) for name, n in re.findall(r"vector +\d+ (\S+) +(\d+)", text)}


def uptime_s(m):
	got = ask(m, "uptime", r"up (\d+)\.(\d+) s")
	sec, ms = re.search(r"up (\d+)\.(\d+) s", got).groups()
	return int(sec) + int(ms) / 1000


def test_idle_10s_takes_no_timer_interrupt(ctx):
	m, _ = booted(ctx)
	before = irq_counts(ask(m, "irqs", r"interrupts by source:(?:.*\r?\n)*?kmon> "))
	start = uptime_s(m)
	m.sleep(10)
	end = uptime_s(m)
	after = irq_counts(ask(m, "irqs", r"interrupts by source:(?:.*\r?\n)*?kmon> "))
	assert end - start >= 9.5, "guest clock advanced only %.3f s over 10 s idle" % (end - start)
	assert "timer" in after, "no timer source in the report: %r" % after
	assert after["timer"] == before["timer"], "timer interrupts during idle: %d -> %d" % (
		before["timer"], after["timer"])


def test_help_lists_commands(ctx):
	m, _ = booted(ctx)
	got = ask(m, "help", r"reboot .*\r?\n")
	for cmd in ("irqs", "uptime", "mem", "log", "poweroff"):
		assert re.search(r"^\s+%s\s" % cmd, got, re.M), "%s missing from help: %r" % (cmd, got)


def test_unknown_command_is_named(ctx):
	m, _ = booted(ctx)
	ask(m, "frobnicate", r"frobnicate: unknown command")


def test_poweroff_ends_the_machine(ctx):
	m, _ = booted(ctx)
	m.send_serial("poweroff\r")
	m.wait_for(r"powering off", timeout=10)
	v = m.wait_exit(timeout=10)
	assert "guest-shutdown" in v.detail, "machine did not power off through ACPI: %s" % v
