"""The power button (issue 13, "Hardware events"): QEMU's `system_powerdown`
(QMP) sets the ACPI power button's status bit, the chipset raises the SCI,
the kernel raises sys:power.button. With no handler subscribed the machine
switches off the way `poweroff` does (handlers drained, the log and /data on
the disk, ACPI S5); with one subscribed the handler decides."""
import re

import qemu
from test_handlers import add, handlers, log, outputs, run, shell, until
from test_persist import disk

TIMEOUT = 150

OFF = r"power: sys:power\.button with no handler subscribed: powering off"


def press(m):
	m.qmp("system_powerdown")


def powers_off_on_the_button(ctx, machine_type):
	"""No subscriber: the button switches the machine off cleanly; /data and
	the log's record of the button are there at the next boot."""
	d = disk(ctx, "button")
	with shell(ctx, disks=[d], machine_type=machine_type) as m:
		run(m, "echo kept > /data/note")
		press(m)
		m.wait_for(OFF, timeout=20)
		m.wait_for(r"store: everything written is on the disk", timeout=20)
		v = m.wait_exit(timeout=20)
		assert "guest-shutdown" in v.detail, "the power button did not switch off through ACPI: %s" % v
	with shell(ctx, disks=[d], machine_type=machine_type) as m:
		assert run(m, "cat /data/note") == "kept\n"
		recs = [r for r in log(m, "-t sys:") if r["kind"] == "event"]
		topics = [r["topic"] for r in recs]
		assert "sys:power.button" in topics, "the button's record is not in the log: %r" % topics
		button = topics.index("sys:power.button")
		assert "sys:shutdown" in topics[button:], "no sys:shutdown after the button: %r" % topics
		assert "subscribers=0" in recs[button]["rest"], recs[button]


def test_power_button_powers_off_cleanly_pc(ctx):
	powers_off_on_the_button(ctx, "pc")


def test_power_button_powers_off_cleanly_q35(ctx):
	powers_off_on_the_button(ctx, "q35")


def button_lines(m):
	return [r["rest"] for r in outputs(log(m, "-h button"), "button")]


def test_power_button_goes_to_its_handler_which_decides(ctx):
	"""A handler subscribed to sys:power.button gets each press with the
	interrupt's time (payload time_ns == the event's time_ns) and a count; the
	machine stays up. Its power off is an effect of its run: asked for in a
	run that rolls back, nothing happens; in a run that commits, the machine
	switches off cleanly, that run's records on the disk."""
	d = disk(ctx, "owned")
	with shell(ctx, disks=[d]) as m:
		add(m, "/test/handlers/button")
		press(m)
		got = until(m, "the button handler's first run", button_lines, lambda l: l)
		first = re.match(r"button: sys:power\.button version=1 what=1 count=1 time_ns=(\d+) event_ns=(\d+) retry=0$",
				 got[0])
		assert first and first.group(1) == first.group(2), got
		assert int(first.group(1)) > 0
		ev = [r for r in log(m, "-t sys:power") if r["kind"] == "event"]
		assert len(ev) == 1 and "subscribers=1" in ev[0]["rest"], ev
		m.sleep(1)
		assert m.verdict() is None and OFF not in m.text(), "the machine went off with a handler subscribed"
		press(m)  # count 2: asks for power off, then faults: rolled back, every attempt
		until(m, "the second press a dead letter", handlers,
		      lambda h: h.get("button", {}).get("fails", 0) >= 3, timeout=30)
		m.sleep(1)
		assert m.verdict() is None, "a rolled-back run switched the machine off"
		press(m)  # count 3: power off, committed
		m.wait_for(r"store: everything written is on the disk", timeout=30)
		v = m.wait_exit(timeout=30)
		assert "guest-shutdown" in v.detail, "the handler's power off: %s" % v
	with shell(ctx, disks=[d]) as m:
		lines = button_lines(m)
		assert [l for l in lines if "count=3" in l] and lines[-1] == "button: power off asked: 0 (ok)", lines
		assert not [l for l in lines if "count=2" in l], "a rolled-back run's output was kept: %r" % lines
