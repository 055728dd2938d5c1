"""The in-kernel self-tests under real firmware: the ISO with optios.test=all on
GRUB's command line (build/optios-selftest.iso), booted by SeaBIOS and by OVMF.
The -kernel self-test boot has no framebuffer, so this is where the console's
pixel checks actually look at pixels, and where ACPI, timers and memory are
tested on the tables and memory map real firmware gives."""

import os
import re

import qemu

TIMEOUT = 240


def run_selftests(ctx, mode):
	iso = os.path.join(ctx.build, "optios-selftest.iso")
	assert os.path.exists(iso), "%s not built (make %s)" % (iso, iso)
	with ctx.machine(mode, iso=iso, disks=qemu.scratch_disks()) as m:
		v = m.wait_exit(timeout=200, silence=60)
		text = m.text()
	failed = re.findall(r"selftest: (\S+) \.\.\. FAIL", text)
	summary = re.search(r"selftest summary: (\d+) passed, (\d+) failed", text)
	assert summary, "no self-test summary (%s)" % v
	assert not failed and v.kind == qemu.PASS, "failed: %s (%s)" % (failed, v)
	assert int(summary.group(1)) >= 40, "only %s self-tests ran" % summary.group(1)
	# the framebuffer checks must have run, not skipped for want of a screen
	assert "no framebuffer: nothing to check" not in text, "the console's pixel checks were skipped"
	assert "selftest: fbcon_draws_glyph_in_colours ... ok" in text, "fbcon pixel test missing"


def test_selftests_under_seabios(ctx):
	run_selftests(ctx, "seabios")


def test_selftests_under_ovmf(ctx):
	run_selftests(ctx, "ovmf")
