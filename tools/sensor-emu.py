#!/usr/bin/env python3
"""sensor-emu.py - air for `make run SENSORS=1`: an MH-Z19B (CO2) on COM2 and a
PMS5003 (particulate matter) on COM3, speaking their real protocols over the
QEMU socket chardevs the Makefile gives the machine.

    sensor-emu.py --co2 SOCK --dust SOCK [--control FILE] [--log FILE]

The protocols are tests/system/sensor_emu.py's (the system tests' emulators):
the MH-Z19B answers each "read CO2" command with the current value; the
PMS5003 streams a frame every second. Values drift on their own (CO2 450-900
ppm, PM2.5 4-15 ug/m3) until told otherwise through the control file, one
command a line, read once a second:

    co2 2500        CO2 stays at 2500 ppm        pm25 80     PM2.5 at 80 ug/m3
    auto            both drift again             silent co2  the MH-Z19B stops answering
    talk co2        it answers again

(echo 'co2 2500' >> build/sensors/control). It ends when QEMU closes the
sockets. What it sends goes to the log file, not to the console.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
import sensor_emu  # noqa: E402  (the one implementation of the protocols)

CONNECT_S = 300  # QEMU may still be starting (or the image building)


def connect(make, path):
	"""make(path) once QEMU serves path."""
	deadline = time.monotonic() + CONNECT_S
	while True:
		try:
			return make(path)
		except OSError:
			if time.monotonic() > deadline:
				raise
			time.sleep(0.2)


class Air:
	"""The values the emulators report: drifting, or fixed by the control file."""

	def __init__(self):
		self.rng = random.Random(13)
		self.co2, self.pm25 = 600.0, 8.0
		self.fixed = {}

	def step(self):
		self.co2 = min(900.0, max(450.0, self.co2 + self.rng.uniform(-25, 25)))
		self.pm25 = min(15.0, max(4.0, self.pm25 + self.rng.uniform(-1, 1)))

	def value(self, name):
		return self.fixed.get(name, round(self.co2 if name == "co2" else self.pm25))

	def command(self, line, co2, log):
		words = line.split()
		if words == ["auto"]:
			self.fixed.clear()
		elif len(words) == 2 and words[0] in ("co2", "pm25") and words[1].isdigit():
			self.fixed[words[0]] = int(words[1])
		elif words in (["silent", "co2"], ["talk", "co2"]):
			co2.silent = words[0] == "silent"
		elif words:
			log.write("sensor-emu: unknown command %r (co2 N, pm25 N, auto, silent co2, talk co2)\n" % line)
			return
		log.write("sensor-emu: %s\n" % line.strip())


def read_commands(path, offset):
	"""New complete lines of the control file since offset."""
	try:
		with open(path) as f:
			f.seek(offset)
			text = f.read()
	except OSError:
		return [], offset
	end = text.rfind("\n") + 1
	return text[:end].splitlines(), offset + len(text[:end].encode())


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--co2", required=True, help="COM2's socket (MH-Z19B)")
	ap.add_argument("--dust", required=True, help="COM3's socket (PMS5003)")
	ap.add_argument("--control", help="a file of commands, one a line")
	ap.add_argument("--log", help="where to say what was sent (default: stderr)")
	a = ap.parse_args()
	log = open(a.log, "a", buffering=1) if a.log else sys.stderr
	air = Air()
	offset = os.path.getsize(a.control) if a.control and os.path.exists(a.control) else 0
	co2 = connect(lambda p: sensor_emu.MHZ19B(p, (air.value("co2"),)), a.co2)
	dust = connect(sensor_emu.PMS5003, a.dust)
	log.write("sensor-emu: MH-Z19B on %s, PMS5003 on %s\n" % (a.co2, a.dust))
	while co2.thread.is_alive():
		if a.control:
			lines, offset = read_commands(a.control, offset)
			for line in lines:
				air.command(line, co2, log)
		air.step()
		co2.script = [air.value("co2")]  # what it answers to the next command
		pm = air.value("pm25")
		try:
			dust.frame((max(pm - 2, 0), pm, pm + 5, max(pm - 2, 0), pm, pm + 5))
		except OSError:
			break
		log.write("sensor-emu: co2 %d ppm, pm2.5 %d ug/m3\n" % (co2.script[0], pm))
		time.sleep(1)
	co2.close()
	dust.close()


if __name__ == "__main__":
	main()
