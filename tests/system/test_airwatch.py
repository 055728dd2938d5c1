"""apps/airwatch with the sensor emulators attached (issue 13, "Done when"):
a user adds airwatch, sees readings arrive in `log` with their sample times,
watches `sensors`, sees app:air.bad when the emulator sends high values (once:
hysteresis), and presses the power button to shut down cleanly."""
import re

import qemu
from test_handlers import add, log, run, texts, until
from test_sensors import sensors, sensors_machine

TIMEOUT = 180

# airwatch's line: sample time (s.us), sensor, quantity, value, unit, moving average
READING = re.compile(r"^airwatch: (\d+)\.(\d{6}) (\S+) (co2|pm2\.5) (-?\d+) (ppm|ug/m3) avg (-?\d+)$")


def readings(m, quantity=None):
	"""[(sample ns, sensor, quantity, value, avg, record ns)] from airwatch's output records."""
	got = []
	for r in log(m, "-h airwatch"):
		x = READING.match(r["rest"]) if r["kind"] == "output" else None
		if x and (quantity is None or x.group(4) == quantity):
			t = int(x.group(1)) * 10**9 + int(x.group(2)) * 1000
			got.append((t, x.group(3), x.group(4), int(x.group(5)), int(x.group(7)), r["time_ns"]))
	return got


def air_events(m, kind):
	return [r for r in log(m, "-t app:air." + kind) if r["kind"] == "event"]


def test_airwatch_readings_alarm_once_and_power_button(ctx):
	low, high = 600, 2000
	script = [low] * 4 + [high]  # the emulator repeats its last value
	with sensors_machine(ctx, co2_script=script) as (m, co2, dust):
		add(m, "/apps/airwatch")
		# readings arrive in the log with their sample times, in the emulator's order
		co2s = until(m, "airwatch's CO2 readings", lambda m: readings(m, "co2"), lambda r: len(r) >= 3, timeout=40)
		assert [v for _, _, _, v, _, _ in co2s[:3]] == [low] * 3, co2s
		times = [t for t, _, _, _, _, _ in co2s]
		assert times == sorted(set(times)), "sample times not increasing: %r" % times
		assert all(t <= rec for t, _, _, _, _, rec in co2s), "a sample time after its run: %r" % co2s
		assert all(s == "co2" and a == low for _, s, _, _, a, _ in co2s[:3]), co2s
		# the PMS5003 streams: PM2.5 "atmospheric" is value 4
		dust.frames([(5, 12, 20, 5, 11, 19)] * 2, spacing=0.3)
		pm = until(m, "airwatch's PM2.5 readings", lambda m: readings(m, "pm2.5"), lambda r: len(r) >= 2)
		assert [(s, v, a) for _, s, _, v, a, _ in pm[:2]] == [("dust", 11, 11), ("dust", 11, 11)], pm
		devs = sensors(m)
		assert devs["co2"]["state"] == "active" and devs["co2"]["subscribers"] == "1", devs["co2"]
		assert devs["dust"]["state"] == "active", devs["dust"]
		# high values: the moving average crosses 1400 ppm: one app:air.bad
		bad = until(m, "app:air.bad", lambda m: air_events(m, "bad"), lambda e: e, timeout=60)
		assert "source=airwatch" in bad[0]["rest"], bad
		n = len(readings(m, "co2"))
		until(m, "4 more CO2 readings", lambda m: readings(m, "co2"), lambda r: len(r) >= n + 4, timeout=40)
		assert len(air_events(m, "bad")) == 1, "app:air.bad more than once: %r" % air_events(m, "bad")
		assert air_events(m, "good") == []
		lines = texts(log(m, "-h airwatch"), "airwatch")
		assert any(re.match(r"airwatch: app:air\.bad co2 \d+ ppm above 1400$", l) for l in lines), lines
		# the same readings in /data/airwatch.log
		logged = run(m, "cat /data/airwatch.log").splitlines()
		shown = [l[len("airwatch: "):] for l in lines if READING.match(l)]
		assert logged[:len(shown)] == shown[:len(logged)] and len(logged) >= 5, (logged, shown)
		# the power button: nobody subscribed to it, so the machine switches off cleanly
		m.qmp("system_powerdown")
		m.wait_for(r"store: everything written is on the disk|handler: sys:shutdown raised", timeout=30)
		v = m.wait_exit(timeout=30)
		assert "guest-shutdown" in v.detail, "the power button: %s" % v
