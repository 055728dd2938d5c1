"""Consoles (kernel/tty): several text screens switched with Alt+Fn, judged
from QMP screendumps. foreground.max comes from the kernel command line
(optios.conf.foreground.max=N), put into a copy of the ISO's grub.cfg."""

import os
import re
import shutil
import subprocess
import threading

import optios

TIMEOUT = 150


_isos = {}  # args -> ISO path, built once per run (tests run two at a time)
_isos_lock = threading.Lock()


def iso_with_args(ctx, args):
	"""A copy of the test ISO whose GRUB entry adds args to the kernel command line."""
	with _isos_lock:
		if args not in _isos:
			_isos[args] = build_iso(ctx, "args%d" % len(_isos), args)
		return _isos[args]


def build_iso(ctx, name, args):
	tree = os.path.join(ctx.fixture_dir, name + ".iso-tree")
	iso = os.path.join(ctx.fixture_dir, name + ".iso")
	shutil.rmtree(tree, ignore_errors=True)
	shutil.copytree(os.path.join(ctx.build, "iso-test"), tree)  # the test image's ISO tree
	cfg = os.path.join(tree, "boot", "grub", "grub.cfg")
	with open(cfg) as f:
		text = f.read()
	text, n = re.subn(r"(multiboot2 /boot/kernel\.elf[^\n]*)", r"\1 " + args, text)
	assert n == 1, "no multiboot2 line in grub.cfg"
	with open(cfg, "w") as f:
		f.write(text)
	mkrescue = shutil.which("grub-mkrescue") or shutil.which("grub2-mkrescue")
	assert mkrescue, "grub-mkrescue not found"
	r = subprocess.run([mkrescue, "-o", iso, tree], capture_output=True, text=True)
	assert r.returncode == 0, "grub-mkrescue failed: %s" % r.stderr[-500:]
	shutil.rmtree(tree, ignore_errors=True)
	return iso


def ink(screen):
	return screen.count_ink(0, 0, screen.width, screen.height, screen.background())


def test_alt_f2_shows_second_console_and_alt_f1_brings_back_the_first(ctx):
	check_switch(ctx, "seabios")


def test_alt_f2_under_uefi(ctx):
	check_switch(ctx, "ovmf")


def check_switch(ctx, mode):
	iso = iso_with_args(ctx, "optios.conf.foreground.max=2")
	with ctx.machine(mode, iso=iso) as m:
		optios.boot(m)
		m.wait_for(r"tty: 2 consoles", timeout=30, start=0)
		optios.settle(m)
		first = m.screendump()
		text_ink = ink(first)
		assert text_ink > 5000, "console 0 shows almost nothing (%d pixels of ink)" % text_ink
		m.send_chord("alt-f2")
		m.sleep(1.5)
		second = m.screendump()
		changed, _ = first.diff(second)
		assert changed > text_ink // 2, "Alt+F2 changed only %d pixels" % changed
		assert ink(second) < text_ink // 10, (
			"console 1 should be nearly empty: %d pixels of ink (console 0: %d)" % (ink(second), text_ink))
		m.send_chord("alt-f1")
		m.sleep(1.5)
		back = m.screendump()
		changed, box = first.diff(back)
		assert changed < 200, "Alt+F1 did not bring console 0 back: %d pixels differ in %s" % (changed, box)


def test_alt_f2_with_one_console_changes_nothing(ctx):
	with ctx.machine("seabios") as m:
		optios.boot(m)
		optios.settle(m)
		before = m.screendump()
		m.send_chord("alt-f2")
		m.sleep(1.5)
		changed, box = before.diff(m.screendump())
		assert changed < 200, "Alt+F2 with foreground.max = 1 changed %d pixels in %s" % (changed, box)


# ---- programs on the consoles (/test/ttyprobe as the first program) ----

PROBE = "optios.init=/test/ttyprobe"
PROMPT = r"> "


def probe(ctx, mode="kernel", extra=""):
	"""A started machine running /test/ttyprobe on console 0, at its prompt."""
	if mode == "kernel":
		m = ctx.machine("kernel", append=(PROBE + " " + extra).strip())
	else:
		m = ctx.machine(mode, iso=iso_with_args(ctx, (PROBE + " " + extra).strip()))
	m.start()
	optios.boot(m)
	got = m.wait_for(r"ttyprobe ready\r?\n> |kernel monitor ready", timeout=30)
	if "monitor" in got.group(0):
		m.close()
		raise AssertionError("/test/ttyprobe did not start (the kernel monitor runs instead): "
				     "this build has no user programs or no root image")
	return m


def ask(m, line, want, timeout=10):
	"""Sends line over serial; waits for want (a regex) and returns the match."""
	m.mark()
	m.send_serial(line)
	return m.wait_for(want, timeout=timeout)


def test_serial_cooked_editing_raw_mode_and_eof(ctx):
	m = probe(ctx)
	try:
		ask(m, "hello world\n", r"line: \[hello world\]")
		ask(m, "ab\x7fc\n", r"line: \[ac\]")  # DEL erases
		ask(m, "junk\x15ok\n", r"line: \[ok\]")  # Ctrl+U kills the line
		ask(m, "raw 4\n", r"raw mode")
		m.send_serial("x\x7f\x04y")  # raw: bytes as typed, none of them special
		m.wait_for(r"bytes: 78 7f 04 79", timeout=10)
		ask(m, "after raw\n", r"line: \[after raw\]")  # cooked again
		ask(m, "\x04", r"eof\r?\n> ")
		ask(m, "winsize\n", r"winsize (\d+) (\d+)")
		ask(m, "info\n", r"console 0 active 0 count 1 busy 0x1")
	finally:
		m.close()


def test_ctrl_c_over_serial_ends_the_foreground_program(ctx):
	m = probe(ctx)
	try:
		ask(m, "spin\n", r"spinning")
		m.mark()
		m.send_serial("\x03")
		m.wait_for(r"\^C", timeout=10)
		m.wait_for(r"init: /test/ttyprobe exited with status 130", timeout=10)  # 128 + SIGINT
	finally:
		m.close()


def test_ctrl_c_ends_a_program_waiting_for_input(ctx):
	m = probe(ctx)
	try:
		ask(m, "half a line", r"half a line")
		m.mark()
		m.send_serial("\x03")
		m.wait_for(r"init: /test/ttyprobe exited with status 130", timeout=10)
	finally:
		m.close()


def test_keyboard_types_into_console_and_ctrl_c(ctx):
	m = probe(ctx)
	try:
		m.mark()
		m.type_keys("typed on keys\n")
		m.wait_for(r"line: \[typed on keys\]", timeout=15)
		ask(m, "spin\n", r"spinning")
		m.mark()
		m.send_chord("ctrl-c")
		m.wait_for(r"init: /test/ttyprobe exited with status 130", timeout=10)
	finally:
		m.close()


def test_new_console_programs_up_to_foreground_max(ctx):
	m = probe(ctx, extra="optios.conf.foreground.max=2")
	try:
		m.wait_for(r"tty: 2 consoles", timeout=5, start=0)
		ask(m, "start second\n", r"started pid (\d+)")
		m.sleep(1)
		assert "ttyprobe ready: second" not in m.text(), "the program on console 1 wrote to console 0"
		ask(m, "info\n", r"console 0 active 0 count 2 busy 0x3")
		match = ask(m, "start third\n", r"st(art: [^\r\n]+|arted pid \d+)\r?\n")
		assert "busy" in match.group(0).lower(), "a third program was not refused with EBUSY: %r" % match.group(0)
	finally:
		m.close()


def test_one_console_refuses_a_second_foreground_program(ctx):
	m = probe(ctx)
	try:
		match = ask(m, "start second\n", r"st(art: [^\r\n]+|arted pid \d+)\r?\n")
		assert "busy" in match.group(0).lower(), "expected EBUSY, got %r" % match.group(0)
	finally:
		m.close()


def test_two_consoles_each_run_a_program_and_alt_f2_shows_the_second(ctx):
	m = probe(ctx, "seabios", "optios.conf.foreground.max=2")
	try:
		optios.settle(m)
		ask(m, "start second\n", r"started pid (\d+)")
		optios.settle(m)
		first = m.screendump()
		m.send_chord("alt-f2")
		m.sleep(1.5)
		second = m.screendump()
		changed, _ = first.diff(second)
		assert changed > 5000, "Alt+F2 changed only %d pixels" % changed
		ink2 = ink(second)
		assert ink2 > 500, "console 1 shows nothing: its program's prompt is missing (%d pixels)" % ink2
		m.mark()
		m.type_keys("info\n")  # keys go to console 1 now: nothing on serial
		m.sleep(2)
		assert "console 1" not in m.text()[m.cursor:], "console 1's output went to serial"
		after = m.screendump()
		changed, box = second.diff(after)
		assert changed > 300, "typing on console 1 changed only %d pixels" % changed
		ask(m, "info\n", r"console 0 active 1 count 2 busy 0x3")  # serial is console 0
		m.send_chord("alt-f1")
		m.sleep(1.5)
		back = m.screendump()
		assert back.diff(after)[0] > 5000, "Alt+F1 did not bring console 0 back"
	finally:
		m.close()


def is_red(px):
	r, g, b = px
	return r > 200 and g < 60 and b < 60


def test_program_draws_on_its_screen_until_it_exits(ctx):
	"""optios_fb_map: the program's pixels show and console text does not
	draw over them; when the program ends its console's text comes back."""
	m = probe(ctx, "seabios", "optios.conf.foreground.max=2")
	try:
		optios.settle(m)
		ask(m, "start second\n", r"started pid (\d+)")
		m.send_chord("alt-f2")
		m.sleep(1)
		m.type_keys("draw\n")  # console 1's program maps the framebuffer
		m.sleep(2)
		drawn = m.screendump()
		assert is_red(drawn.pixel(100, 50)), "no red square: pixel %s" % (drawn.pixel(100, 50),)
		m.type_keys("typed text\n")  # echoed and answered, but not drawn over the picture
		m.sleep(1.5)
		still = m.screendump()
		assert is_red(still.pixel(100, 50)) and still.diff(drawn)[0] < 100, (
			"console text drew over the program's picture (%d pixels changed)" % still.diff(drawn)[0])
		m.type_keys("exit 0\n")
		m.sleep(2)
		after = m.screendump()
		assert not is_red(after.pixel(100, 50)), "the picture stayed after the program ended"
		assert ink(after) > 500, "console 1's text did not come back (%d pixels of ink)" % ink(after)
		ask(m, "info\n", r"console 0 active 1 count 2 busy 0x1")  # console 1 is free again
	finally:
		m.close()


def test_program_on_hidden_console_draws_off_screen(ctx):
	"""A program drawing on a console that is not shown must not paint over the
	one that is; its picture appears when its console is shown, and goes
	away again when another console is."""
	m = probe(ctx, "seabios", "optios.conf.foreground.max=2")
	try:
		optios.settle(m)
		before = m.screendump()
		ask(m, "start draw\n", r"started pid (\d+)")  # draws on console 1 at once
		m.sleep(2)
		hidden = m.screendump()
		assert not is_red(hidden.pixel(100, 50)), "the hidden console's program painted over console 0"
		m.send_chord("alt-f2")
		m.sleep(1.5)
		shown = m.screendump()
		assert is_red(shown.pixel(100, 50)), "console 1's picture did not appear: %s" % (shown.pixel(100, 50),)
		m.send_chord("alt-f1")
		m.sleep(1.5)
		back = m.screendump()
		assert not is_red(back.pixel(100, 50)), "console 1's picture stayed on console 0"
		assert back.diff(before)[0] < before.width * before.height // 20, "console 0's text did not come back"
	finally:
		m.close()


# ---- the shell and the clock demo on two consoles ----

CLOCK_BLUE = (0x10, 0x18, 0x40)  # the clock's background (user/bin/clock.c)


def blue_share(screen):
	"""Fraction of pixels (every 7th sampled) in the clock's background colour."""
	p, n, total = screen.pixels, 0, 0
	for i in range(0, len(p) - 2, 21):
		total += 1
		if all(abs(p[i + k] - CLOCK_BLUE[k]) <= 8 for k in range(3)):
			n += 1
	return n / max(total, 1)


def test_shell_starts_clock_on_second_console_alt_fn_and_ctrl_c(ctx):
	"""foreground.max = 2: the shell starts the clock on console 2, which stays
	off screen until Alt+F2; Alt+F1 shows the shell again; Ctrl+C typed on
	console 2 ends the clock and console 2's text comes back."""
	iso = iso_with_args(ctx, "optios.conf.foreground.max=2")
	with ctx.machine("seabios", iso=iso) as m:
		optios.boot(m)
		got = m.wait_for(r"\n/[^\r\n$]*\$ |kernel monitor ready", timeout=60)
		assert "monitor" not in got.group(0), "no shell started"
		optios.settle(m)
		m.mark()
		m.send_serial("start clock\r")
		m.wait_for(r"started [^\r\n]*clock[^\r\n]* on console 2", timeout=20)
		m.sleep(3)
		shell_screen = m.screendump()
		assert blue_share(shell_screen) < 0.05, "the clock on console 2 drew over console 1"
		m.send_chord("alt-f2")
		m.sleep(2)
		clock_screen = m.screendump()
		assert blue_share(clock_screen) > 0.2, "Alt+F2 does not show the clock (%.2f blue)" % blue_share(clock_screen)
		m.send_chord("alt-f1")
		m.sleep(1.5)
		back = m.screendump()
		assert blue_share(back) < 0.05, "Alt+F1 left the clock on screen"
		m.send_chord("alt-f2")
		m.sleep(1.5)
		m.send_chord("ctrl-c")  # to console 2, where the clock runs
		m.sleep(2)
		ended = m.screendump()
		assert blue_share(ended) < 0.05, "the clock did not end on Ctrl+C (%.2f blue)" % blue_share(ended)
		m.mark()
		m.send_serial("console\r")
		m.wait_for(r"console 1 of 2 \(showing 2\)", timeout=10)
