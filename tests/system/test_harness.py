"""The harness itself (tests/system/qemu.py), checked against a fake QEMU
(fake_qemu.py): no machine is booted."""

import os

import qemu

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_qemu.py")


def test_verdict_was_decided_before_the_shutdown_event_was_read(ctx):
	"""Bug (shell.poweroff_and_reboot flaked under load): the exit watcher
	published QEMU's exit status as soon as the process ended, before the QMP
	reader had read the SHUTDOWN event QEMU sent just before, so a guest's
	power-off (status 0) was judged "reset: exit 0 under -no-reboot" and kept.
	The fake QEMU sends its SHUTDOWN a second after it exits: the verdict
	must still name guest-shutdown."""
	m = ctx.machine("kernel", initrd="")
	m.qemu = FAKE
	with m:
		m.wait_for(r"powering off", timeout=10)
		v = m.wait_exit(timeout=15)
	assert v.kind == qemu.RESET and "guest-shutdown" in v.detail, "verdict: %s" % v
