"""Console input: bytes sent on the serial line and keys pressed on the PS/2
keyboard (QMP send-key) reach the console, which echoes them on serial.
Serial input needs the serial IRQ routed (I/O APIC); keys need the PS/2
driver: until those exist these fail, and the reason says which one."""

import re

import optios
import qemu


def booted(ctx, mode="kernel"):
	# with a root image the kernel starts the shell: ask for the monitor
	m = ctx.machine(mode, append="optios.init=monitor") if mode == "kernel" else ctx.machine(mode)
	m.start()
	log = optios.boot(m)
	optios.settle(m)
	m.mark()
	return m, log


def expect_echo(m, log, typed, driver):
	"""The console echoes what was typed, then a newline, on serial."""
	try:
		m.wait_for(re.escape(typed) + r"\r?\n", timeout=10, silence=5)
	except qemu.MachineError as e:
		got = m.text()[m.cursor:]
		raise AssertionError("%r not echoed (%s; got %r); boot log: driver %s: %s" % (
			typed, e.verdict.kind, got[-60:], driver, optios.driver_status(log, driver)))


def test_serial_echo(ctx):
	m, log = booted(ctx)
	m.send_serial("hello\n")
	expect_echo(m, log, "hello", "serial")


def test_serial_echo_carriage_return(ctx):
	"""A terminal sends CR for Enter; the console must take it as end of line."""
	m, log = booted(ctx)
	m.send_serial("cr-line\r")
	expect_echo(m, log, "cr-line", "serial")


def test_keyboard_echo(ctx):
	m, log = booted(ctx)
	m.type_keys("hello\n")
	expect_echo(m, log, "hello", "ps2-keyboard")


def test_keyboard_shift_and_symbols(ctx):
	"""Shift chords for capitals and symbols (US layout)."""
	typed = "Hi, World! (a_b) {x} 1+2=3 ~|?"
	m, log = booted(ctx)
	m.type_keys(typed + "\n")
	expect_echo(m, log, typed, "ps2-keyboard")
