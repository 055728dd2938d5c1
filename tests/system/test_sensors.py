"""Sensors (issue 13, docs/SENSORS.md): the emulators (sensor_emu.py) speak
the MH-Z19B and PMS5003 protocols on COM2 and COM3; the test image's
/etc/sensors.conf names them co2 and dust. Test handlers print what they
get into the event log (sensorlog, sensorbatch) or count it (sensorstorm);
`sensors` shows the kernel's side. Each test checks what the emulator sent
against what arrived, and the counters exactly."""

import contextlib
import re
import shutil
import tempfile

import optios
import sensor_emu
import test_handlers
from test_handlers import until

TIMEOUT = 150

EV = re.compile(r"^ev (\S+) seq=(\d+) time=(\d+) n=(\d+) first=(\d+) skipped=(\d+) unit=(\d+) scale=(-?\d+)$")
SAMPLE = re.compile(r"^s (\S+) #(\d+) t=(\d+) v=([\d,-]+)$")
HEAD = re.compile(r"^(\S+): (\S+) on (\S+) (\d+) baud, period (\d+) ms, ([a-z ]+), (\d+) subscribers?$")
NUMS = re.compile(r"([a-z-]+) (\d+(?:\.\d+)?)")


@contextlib.contextmanager
def sensors_machine(ctx, co2_script=(400,), storm=False):
	"""A shell with the MH-Z19B emulator on COM2 and the PMS5003 one on COM3
	(and, with storm, a second PMS5003 on COM4: sensor:storm)."""
	tmp = tempfile.mkdtemp(prefix="optios-sensors-")
	args, paths = sensor_emu.serial_args(tmp, ["com2", "com3"] + (["com4"] if storm else []))
	emus = []
	try:
		with test_handlers.shell(ctx, extra_args=args) as m:
			emus.append(sensor_emu.MHZ19B(paths["com2"], co2_script))
			emus.append(sensor_emu.PMS5003(paths["com3"]))
			if storm:
				emus.append(sensor_emu.PMS5003(paths["com4"]))
			yield (m,) + tuple(emus)
	finally:
		for e in emus:
			e.close()
		shutil.rmtree(tmp, ignore_errors=True)


def run(m, cmd, timeout=20):
	"""test_handlers.run, once more if a kernel log line (a device going
	silent, a bad-input report) landed inside the command's echo."""
	try:
		return test_handlers.run(m, cmd, timeout)
	except AssertionError as e:
		if "did not echo" not in str(e):
			raise
		optios.settle(m)
		return test_handlers.run(m, cmd, timeout)


KLOG = re.compile(r"\[\s*\d+\.\d+\] \w+: [^\r\n]*(?:\r?\n)?")


def add(m, path):
	"""`handler add PATH` (a kernel log line inside its output set aside)."""
	out = KLOG.sub("", run(m, "handler add " + path, timeout=30))
	a = test_handlers.ADDED.search(out)
	assert a, "handler add %s: %r" % (path, out)
	return a.group(1)


def sensors(m):
	"""{name: dict} from `sensors`: the head line's fields and every counter."""
	out, devs, cur = run(m, "sensors"), {}, None
	for line in out.splitlines():
		h = HEAD.match(line)
		if h:
			keys = ("name", "model", "port", "baud", "period_ms", "state", "subscribers")
			cur = dict(zip(keys, h.groups()))
			devs[cur["name"]] = cur
		elif cur and line.startswith("  last:"):
			cur["last"] = [int(x) for x in line.split()[1:] if re.fullmatch(r"-?\d+", x)][:6]
		elif cur:
			for k, v in NUMS.findall(line):
				cur[k] = float(v) if "." in v else int(v)
	return devs


def samples(m, handler):
	"""[(topic, event dict, [(no, t, values)])] from the handler's log lines, in order."""
	events = []
	try:
		recs = test_handlers.log(m, "-h " + handler)
	except AssertionError as e:
		if "did not echo" not in str(e):
			raise
		optios.settle(m)
		recs = test_handlers.log(m, "-h " + handler)
	for text in test_handlers.texts(recs, handler):
		e, s = EV.match(text), SAMPLE.match(text)
		if e:
			keys = ("topic", "seq", "time", "n", "first", "skipped", "unit", "scale")
			ev = dict(zip(keys, e.groups()))
			for k in keys[1:]:
				ev[k] = int(ev[k])
			events.append((ev["topic"], ev, []))
		elif s:
			events[-1][2].append((int(s.group(2)), int(s.group(3)), [int(x) for x in s.group(4).split(",")]))
	return events


def values_of(events, topic):
	return [v for t, _, ss in events if t == topic for _, _, v in ss]


def test_sensor_readings_arrive_with_interrupt_times(ctx):
	"""CO2 (polled) and dust (streaming) values arrive as the emulators sent
	them, with their unit, in batches of one sample; each sample's time is
	the interrupt's (before the run that handles it starts, and before the
	event's own time); `sensors` shows the last readings and subscribers."""
	with sensors_machine(ctx, co2_script=(400, 415, 1234, 5000)) as (m, co2, dust):
		assert add(m, "/test/handlers/sensorlog") == "sensorlog"
		co2.wait_answers(4)
		pms = [(1, 2, 3, 4, 5, 6), (10, 20, 30, 11, 21, 31), (500, 999, 1000, 300, 600, 900)]
		dust.frames(pms, spacing=0.2)
		got = until(m, "4 co2 and 3 dust samples", lambda m: samples(m, "sensorlog"),
			    lambda ev: len(values_of(ev, "sensor:co2")) >= 4 and len(values_of(ev, "sensor:dust")) >= 3)
		assert values_of(got, "sensor:co2")[:4] == [[400], [415], [1234], [5000]], got
		assert values_of(got, "sensor:dust") == [list(p) for p in pms], got
		runs = {r["event"]: r["time_ns"] for r in test_handlers.log(m, "-h sensorlog") if r["kind"] == "run"}
		last_t = {}
		for topic, ev, ss in got:
			assert ev["n"] == len(ss) == 1, ev
			assert ev["unit"] == (1 if topic == "sensor:co2" else 2) and ev["scale"] == 0, ev
			no, t, _ = ss[0]
			assert no == ev["first"] and t <= ev["time"], (ev, ss)
			assert t > last_t.get(topic, 0), "sample times go forward: %r" % got
			last_t[topic] = t
			if ev["seq"] in runs:  # the log's time is in microseconds
				assert t // 1000 <= runs[ev["seq"]] // 1000, "sample stamped after its run began: %r" % ev
		devs = sensors(m)
		assert devs["co2"]["state"] == "active" and devs["co2"]["subscribers"] == "1", devs
		assert devs["dust"]["last"] == list(pms[-1]), devs
		assert devs["dust"]["samples"] == 3 and devs["dust"]["bad-checksum"] == 0, devs
		assert devs["co2"]["polls"] >= 4 and devs["co2"]["bad-checksum"] == 0, devs


def test_sensor_batch_carries_the_samples(ctx):
	"""A subscription with period=50ms latency=3s gets its dust samples in
	batches: the first full (7 samples, the most a 256-byte payload holds),
	the rest when the oldest waiting one is 3 s old; together exactly the
	frames sent, in order, with increasing times, none skipped."""
	with sensors_machine(ctx) as (m, co2, dust):
		assert add(m, "/test/handlers/sensorbatch") == "sensorbatch"
		pms = [(i, i + 1, i + 2, i + 3, i + 4, i + 5) for i in range(10, 110, 10)]
		dust.frames(pms, spacing=0.1)
		got = until(m, "10 dust samples", lambda m: samples(m, "sensorbatch"),
			    lambda ev: len(values_of(ev, "sensor:dust")) >= 10)
		assert values_of(got, "sensor:dust") == [list(p) for p in pms], got
		assert [ev["n"] for _, ev, _ in got] == [7, 3], got
		assert all(ev["skipped"] == 0 for _, ev, _ in got), got
		times = [t for _, _, ss in got for _, t, _ in ss]
		assert times == sorted(times) and len(set(times)) == 10, times
		first2 = got[1][2][0][1]
		assert got[1][1]["time"] >= first2 + 3 * 10**9, "the second batch waited for its latency: %r" % got
		assert got[0][1]["time"] == got[0][2][-1][1], "a full batch goes out with its last sample: %r" % got
		assert got[1][1]["first"] == got[0][1]["first"] + 7, got
		devs = sensors(m)
		assert devs["dust"]["delivered"] == 10 and devs["dust"]["rate-limited"] == 0, devs


def storm_totals(m, name):
	"""The handler's totals (sensorstorm.c), asked for with app:sensorstorm."""
	out = until(m, name + "'s totals", lambda m: texts_of(m, name), lambda t: t)
	return {k: int(v) for k, v in (kv.split("=") for kv in out[-1].split()[1:])}


def texts_of(m, handler):
	try:
		return test_handlers.texts(test_handlers.log(m, "-h " + handler), handler)
	except AssertionError as e:
		if "did not echo" not in str(e):
			raise
		optios.settle(m)
		return test_handlers.texts(test_handlers.log(m, "-h " + handler), handler)


def test_sensor_storm_meets_the_rate_limit_with_exact_counters(ctx):
	"""2,000 PMS5003 frames sent back to back on COM4 (sensor:storm, 115200
	baud, FIFO trigger 14; QEMU's UART does not pace reception at the baud
	rate, so they may arrive faster than the line could carry them:
	docs/SENSORS.md) to two subscriptions: sensorstorm (no period: the
	background cap, at most one sample per 5 ms) and sensorturbo (period=1ms,
	granted sensor.fast: one per 0.875 ms at most, 1/8 of jitter allowed).
	Every frame is accounted for: samples == (delivered + rate-limited) / 2,
	each queue's posted == delivered + dropped + coalesced + pending, and each
	handler counted exactly the events its queue delivered."""
	n = 2000
	with sensors_machine(ctx, storm=True) as (m, co2, dust, storm):
		assert add(m, "/test/handlers/sensorstorm") == "sensorstorm"
		assert add(m, "/test/handlers/sensorturbo") == "sensorturbo"
		frame = sensor_emu.pms5003_frame((1, 2, 3, 4, 5, 6))
		storm.raw(frame * n)
		frames = lambda d: d["samples"] + d["bad-checksum"] + d["truncated"]
		devs = until(m, "%d storm frames" % n, sensors, lambda d: frames(d["storm"]) >= n, timeout=60)
		d = devs["storm"]
		# every frame is a sample unless the guest stalled over 100 ms inside
		# one (a loaded host): then it is counted truncated, never lost
		assert frames(d) == n and d["bad-checksum"] == 0 and d["truncated"] <= n // 100, d
		assert d["delivered"] + d["rate-limited"] == 2 * d["samples"] and d["rate-limited"] > 0, d
		run(m, "emit app:sensorstorm")
		hs = test_handlers.handlers(m)
		posted = 0
		for name, min_gap in (("sensorstorm", 5 * 10**6), ("sensorturbo", 875 * 10**3)):
			st = storm_totals(m, name)
			sub = [s for s in hs[name]["subs"] if s["pattern"] == "sensor:storm"][0]
			assert sub["posted"] == sub["delivered"] + sub["dropped"] + sub["coalesced"] + sub["pending"], sub
			assert st["events"] == st["samples"] == sub["delivered"], (name, st, sub)
			assert st["min_gap_ns"] >= min_gap, "%s: faster than its rate: %r" % (name, st)
			posted += sub["posted"]
			span = (st["last_ns"] - st["first_ns"]) / 1e9
			print("storm: %s got %d samples over %.2f s (%.0f/s), min gap %d us; queue dropped %d" %
			      (name, st["samples"], span, st["samples"] / span, st["min_gap_ns"] // 1000, sub["dropped"]))
		assert posted == d["delivered"], (posted, d)
		out = run(m, "policy who-can sensor.fast")
		assert "sensorturbo" in out and "sensorstorm" not in out, out


def test_sensor_corrupt_and_truncated_frames_counted_never_delivered(ctx):
	"""A bad checksum, a frame cut short, garbage bytes, and a corrupt CO2
	answer: each counted exactly, logged, and no value of theirs reaches
	the handler, which still gets the good frames around them."""
	with sensors_machine(ctx) as (m, co2, dust):
		assert add(m, "/test/handlers/sensorlog") == "sensorlog"
		co2.wait_answers(1)
		co2.corrupt_next = 1
		co2.wait_answers(2)
		good1, bad, cut, good2 = (1, 1, 1, 1, 1, 1), (7, 7, 7, 7, 7, 7), (8, 8, 8, 8, 8, 8), (2, 2, 2, 2, 2, 2)
		dust.frame(good1)
		f = bytearray(sensor_emu.pms5003_frame(bad))
		f[31] ^= 0x01
		dust.raw(f)
		m.sleep(0.2)
		dust.raw(sensor_emu.pms5003_frame(cut)[:20])
		m.sleep(1.0)  # a pause inside a frame (> 100 ms) cuts it
		dust.raw(b"\x00\x11\x22\x33\x44")
		m.sleep(0.1)
		dust.frame(good2)
		got = until(m, "2 dust samples", lambda m: samples(m, "sensorlog"),
			    lambda ev: len(values_of(ev, "sensor:dust")) >= 2)
		m.sleep(0.5)
		got = samples(m, "sensorlog")
		assert values_of(got, "sensor:dust") == [list(good1), list(good2)], got
		assert [[400]] * len(values_of(got, "sensor:co2")) == values_of(got, "sensor:co2"), got
		d = sensors(m)
		assert (d["dust"]["bad-checksum"], d["dust"]["truncated"], d["dust"]["garbage"]) == (1, 1, 5), d
		assert d["dust"]["samples"] == 2, d
		assert d["co2"]["bad-checksum"] == 1 and d["co2"]["timeouts"] >= 1, d
		assert re.search(r"sensor dust \(COM3\): bad input: \d+ bad checksum", m.text()), "no log line"


def test_sensor_silent_reported_and_back(ctx):
	"""An MH-Z19B that stops answering: after three polls without answer
	(period 500 ms) the kernel logs it silent, raises sys:sensor.silent and
	`sensors` says so; when it answers again it is active again."""
	with sensors_machine(ctx) as (m, co2, dust):
		assert add(m, "/test/handlers/sensorlog") == "sensorlog"
		co2.wait_answers(2)
		co2.silent = True
		m.wait_for(re.compile(r"sensor co2 \(COM2\): silent: no good frame for \d+ ms"), timeout=20)
		d = sensors(m)["co2"]
		assert d["state"] == "silent" and d["silences"] == 1 and d["timeouts"] >= 3, d
		recs = test_handlers.log(m, "-t sys:sensor.silent")
		assert [r for r in recs if r["kind"] == "event"], recs
		co2.silent = False
		m.wait_for(re.compile(r"sensor co2 \(COM2\): answering again"), timeout=20)
		optios.settle(m)
		d = until(m, "co2 active", sensors, lambda d: d["co2"]["state"] == "active")["co2"]
		assert d["silences"] == 1, d


def test_sensor_polled_only_while_subscribed(ctx):
	"""No subscriber, no command to the MH-Z19B (no timer of ours either);
	one handler subscribing starts the polls, removing it stops them."""
	with sensors_machine(ctx) as (m, co2, dust):
		m.sleep(1.5)
		assert co2.commands == 0 and sensors(m)["co2"]["polls"] == 0
		assert add(m, "/test/handlers/sensorlog") == "sensorlog"
		co2.wait_commands(3)
		run(m, "handler remove sensorlog")
		polls = sensors(m)["co2"]["polls"]
		m.sleep(1.5)
		assert sensors(m)["co2"]["polls"] == polls, "polled after the last subscriber left"


def test_sensor_rate_above_cap_needs_sensor_fast(ctx):
	"""period=1ms (1 kHz) is above the background cap: refused with the
	reason; policy who-can names the capability's holders."""
	with sensors_machine(ctx) as (m, co2, dust):
		out = run(m, "handler add /test/handlers/sensorfast", timeout=30)
		assert "above the background rate cap of 200 Hz (sensor.background_hz): needs the capability sensor.fast" \
			in out, out
		out = run(m, "policy who-can sensor.fast")
		assert "sensorfast" not in out, out
		assert "sensorfast" not in test_handlers.handlers(m)
