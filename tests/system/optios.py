"""optios.py - what the system tests know about OptiOS's console output.

qemu.py knows nothing about the kernel; this module holds the patterns the
kernel prints (kernel/main.c, kernel/log/klog.c) and small checks built on
them, so a change in the kernel's wording is fixed here once.
"""

import re

BANNER = r"OptiOS 0\.1 \(x86_64\)"
BOOT_COMPLETE = r"\] info: boot complete\r?\n"
LOG_LINE = re.compile(r"^\[\s*\d+\.\d{6}\] (debug|info|warn|error): (.*)$", re.M)
BOOT_TIMEOUT = {"kernel": 30, "seabios": 60, "ovmf": 120}


def boot(m, protocol=None):
	"""Wait for the banner, the loader line and "boot complete" on machine m
	(already started). Returns the boot log text from the banner to the end
	of the "boot complete" line."""
	timeout = BOOT_TIMEOUT[m.mode]
	start = m.wait_for(BANNER, timeout=timeout).start()
	if protocol is not None:
		m.wait_for(r"boot: .* via multiboot%d\b" % protocol, timeout=timeout)
	end = m.wait_for(BOOT_COMPLETE, timeout=timeout).end()
	return m.text()[start:end].replace("\r\n", "\n")


def settle(m, quiet=0.5):
	"""After boot: wait until the console stops printing (the prompt is up)."""
	m.wait_quiet(quiet, timeout=15)


def log_lines(text, level=None):
	"""[(level, message)] of the klog lines in text."""
	return [(lv, msg) for lv, msg in LOG_LINE.findall(text) if level is None or lv == level]


def driver_status(text, driver):
	"""The boot log's verdict on a driver ("up", "no device", "failed (-5)"), or None."""
	m = re.search(r"driver %s: ([^\r\n]*)" % re.escape(driver), text)
	return m.group(1) if m else None


def check_clean_boot_log(log):
	"""No error-level line, no caught exception, no panic in the boot log."""
	errors = [msg for lv, msg in log_lines(log, "error")]
	assert not errors, "error lines in the boot log: %s" % "; ".join(errors)
	for bad in ("KERNEL PANIC", "caught exception"):
		assert bad not in log, "%r in the boot log" % bad


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG])i?B\b")
_TO_MIB = {"K": 1 / 1024, "M": 1, "G": 1024}


def memory_sizes_mib(log):
	"""[(size in MiB, line)] for every "<n> KiB/MiB/GiB" quantity in the log."""
	out = []
	for line in log.splitlines():
		for num, unit in _SIZE.findall(line):
			out.append((float(num) * _TO_MIB[unit], line))
	return out


def check_memory_summary(log, ram_mib=256):
	"""The boot log reports memory: some line gives a size between half the
	machine's RAM and all of it (a total or free count that saw the RAM QEMU
	gave), in KiB, MiB or GiB. Loose on wording on purpose."""
	sizes = memory_sizes_mib(log)
	plausible = [line for mib, line in sizes if ram_mib / 2 <= mib <= ram_mib]
	assert plausible, ("no memory summary: no line between the banner and \"boot complete\" gives a "
			   "size within %d-%d MiB (sizes seen: %s)"
			   % (ram_mib // 2, ram_mib, ", ".join("%.1f MiB" % s for s, _ in sizes) or "none"))
	return plausible
