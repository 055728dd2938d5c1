"""Time, interrupt controllers and ACPI power, judged from outside: a
ten-second idle that takes no timer interrupt beyond the one deadline that
ends it, the clock calibrated without an HPET (the PIT path), and ACPI power
off and reset, which QEMU reports as guest-initiated SHUTDOWN events."""

import re

import qemu

TIMEOUT = 120


def selftests(ctx, spec, extra_args=(), silence=None, timeout=90):
	"""Boots -kernel with optios.test=spec (and the scratch disks the disk
	drivers' self-tests need); returns (machine text, verdict)."""
	with ctx.machine("kernel", append="optios.test=" + spec, extra_args=extra_args, silence=silence,
			 disks=qemu.scratch_disks()) as m:
		verdict = m.wait_exit(timeout=timeout)
		return m.text(), verdict


def shutdown_reasons(m):
	return [e.get("data", {}).get("reason") for e in m.events if e["event"] == "SHUTDOWN"]


def test_idle_10s_takes_one_timer_interrupt(ctx):
	text, verdict = selftests(ctx, "idle_10s", silence=30)
	line = re.search(r"10000 ms idle \(([\w-]+)\): (\d+) timer interrupt\(s\), (\d+) other, (\d+) halt", text)
	assert line, "no idle report; machine: %s" % verdict
	assert line.group(2) == "1" and line.group(3) == "0", "idle took interrupts: %s" % line.group(0)
	assert verdict.kind == qemu.PASS, "idle_10s: %s" % verdict


def test_clock_and_timers_without_hpet(ctx):
	spec = "clock_monotonic,clock_rate_vs_pit,timer_order,timer_cancel,timer_idle_tickless"
	text, verdict = selftests(ctx, spec, extra_args=["-machine", "pc,hpet=off"])
	assert "measured against the PIT" in text, "the clock did not fall back to the PIT"
	assert verdict.kind == qemu.PASS, "time self-tests without HPET: %s" % verdict


def power(ctx, test, machine, want):
	with ctx.machine("kernel", append="optios.test=" + test, extra_args=["-machine", machine]) as m:
		verdict = m.wait_exit(timeout=60)
		reasons = shutdown_reasons(m)
		assert reasons and reasons[0] == want, "%s on %s: SHUTDOWN %s, machine: %s" % (
			test, machine, reasons, verdict)


def test_acpi_poweroff_pc(ctx):
	power(ctx, "acpi_poweroff", "pc", "guest-shutdown")


def test_acpi_poweroff_q35(ctx):
	power(ctx, "acpi_poweroff", "q35", "guest-shutdown")


def test_acpi_reboot_q35_reset_register(ctx):
	power(ctx, "acpi_reboot", "q35", "guest-reset")


def test_acpi_reboot_pc_8042(ctx):
	power(ctx, "acpi_reboot", "pc", "guest-reset")


def test_no_acpi_falls_back_and_passes(ctx):
	"""No ACPI tables at all: a clear error, default APIC addresses, the PIT;
	every self-test still passes (the ACPI ones say they were skipped)."""
	text, verdict = selftests(ctx, "all", extra_args=["-machine", "pc,acpi=off"], timeout=120)
	assert "acpi: no usable ACPI tables" in text, "no clear error for the missing ACPI tables"
	assert "measured against the PIT" in text, "the clock did not fall back to the PIT"
	assert verdict.kind == qemu.PASS, "self-tests without ACPI: %s" % verdict


def test_poweroff_without_acpi_halts_with_reason(ctx):
	with ctx.machine("kernel", append="optios.test=acpi_poweroff", extra_args=["-machine", "pc,acpi=off"]) as m:
		m.wait_for(r"power off impossible \(no FADT\): halting", timeout=60)
		m.sleep(1)
		assert m.verdict() is None, "the machine did not stay halted: %s" % m.verdict()
