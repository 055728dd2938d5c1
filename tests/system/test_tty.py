"""Consoles (kernel/tty): several text screens switched with Alt+Fn, judged
from QMP screendumps. foreground.max comes from the kernel command line
(optios.conf.foreground.max=N), put into a copy of the ISO's grub.cfg."""

import os
import re
import shutil
import subprocess

import optios

TIMEOUT = 150


def iso_with_args(ctx, name, args):
	"""A copy of the ISO whose GRUB entry adds args to the kernel command line."""
	tree = os.path.join(ctx.fixture_dir, name + ".iso-tree")
	iso = os.path.join(ctx.fixture_dir, name + ".iso")
	shutil.rmtree(tree, ignore_errors=True)
	shutil.copytree(os.path.join(ctx.build, "iso"), tree)
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
	return iso


def ink(screen):
	return screen.count_ink(0, 0, screen.width, screen.height, screen.background())


def test_alt_f2_shows_second_console_and_alt_f1_brings_back_the_first(ctx):
	iso = iso_with_args(ctx, "fgmax2", "optios.conf.foreground.max=2")
	with ctx.machine("seabios", iso=iso) as m:
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
