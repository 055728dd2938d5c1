"""The harness judged by itself: each way a run can end is provoked on purpose
(with the tiny guests in fixtures.py, or QMP) and must get its own verdict;
QEMU must be gone and its temp files removed afterwards, whatever happened."""

import importlib.util
import os
import re
import time

import fixtures
import optios
import qemu

TIMEOUT = 60


def run_fixture(ctx, name, image, **kw):
	"""Boot a fixture image and wait for QEMU to end; returns (verdict, machine)."""
	kw.setdefault("silence", 5)
	timeout = kw.pop("timeout", 20)
	with ctx.machine("kernel", kernel=ctx.fixture(name, image), **kw) as m:
		return m.wait_exit(timeout=timeout), m


def expect(verdict, kind):
	assert verdict.kind == kind, "verdict %r, want %r" % (str(verdict), kind)


def test_exit_33_is_pass(ctx):
	v, m = run_fixture(ctx, "pass", fixtures.exit_with(0x10, "bye\n"))
	expect(v, qemu.PASS)
	assert m.text() == "bye\n", "serial text %r" % m.text()


def test_exit_35_is_failure(ctx):
	v, _ = run_fixture(ctx, "fail", fixtures.exit_with(0x11))
	expect(v, qemu.FAILURE)


def test_other_debug_exit_value_is_named(ctx):
	v, _ = run_fixture(ctx, "exit7", fixtures.exit_with(0x07))
	expect(v, qemu.EXIT)
	assert v.status == 15 and "0x7" in v.detail, str(v)


def test_pvpanic_is_kernel_panic(ctx):
	v, m = run_fixture(ctx, "panic", fixtures.panic())
	expect(v, qemu.PANIC)
	assert any(e["event"] == "GUEST_PANICKED" for e in m.events), "no GUEST_PANICKED event: %s" % m.events


def test_triple_fault_is_named(ctx):
	v, m = run_fixture(ctx, "triple", fixtures.triple_fault())
	expect(v, qemu.RESET)
	assert "fixture: triple fault" in m.text()
	assert "guest-reset" in v.detail, str(v)


def test_qmp_system_reset_is_unexpected_reset(ctx):
	with ctx.machine("kernel") as m:
		m.wait_for(r"OptiOS", timeout=30)
		m.qmp("system_reset")
		expect(m.wait_exit(timeout=20), qemu.RESET)


def test_silence_with_no_output_at_all(ctx):
	"""A machine that never runs (-S: paused at reset) prints nothing."""
	with ctx.machine("kernel", paused=True, silence=1.5) as m:
		t0 = time.monotonic()
		v = m.wait_exit(timeout=20)
		expect(v, qemu.SILENCE)
		assert time.monotonic() - t0 < 10, "silence took %.1f s to notice" % (time.monotonic() - t0)


def test_silence_after_output_stops(ctx):
	image = fixtures.print_then_hang("hello from fixture\n")
	with ctx.machine("kernel", kernel=ctx.fixture("hang", image), silence=1.5) as m:
		m.wait_for(r"hello from fixture\n", timeout=20)
		try:
			m.wait_for(r"never printed", timeout=20)
		except qemu.MachineError as e:
			expect(e.verdict, qemu.SILENCE)
		else:
			raise AssertionError("waiting on a silent guest returned")


def test_timeout_while_output_flows(ctx):
	with ctx.machine("kernel", kernel=ctx.fixture("chatter", fixtures.chatter()), silence=3) as m:
		try:
			m.wait_for(r"never printed", timeout=2.5)
		except qemu.MachineError as e:
			expect(e.verdict, qemu.TIMEOUT)
		else:
			raise AssertionError("wait_for matched text never printed")
		assert m.running(), "a failed wait must leave the machine running"
		assert m.text().count(".") > 3, "the chatter guest printed %r" % m.text()[:40]


def test_bad_kernel_file_is_qemu_error(ctx):
	v, m = run_fixture(ctx, "bogus", b"this is not a kernel\n" * 100)
	expect(v, qemu.QEMU_ERROR)
	assert "kernel" in v.detail, "QEMU's complaint %r should be in the verdict" % v.detail


def test_qemu_killed_and_temp_removed_on_exception(ctx):
	m = ctx.machine("kernel", kernel=ctx.fixture("hang", fixtures.print_then_hang("hi\n")))
	try:
		with m:
			m.wait_for("hi")
			pid, tmp = m._proc.pid, m._tmp
			assert os.path.exists(os.path.join(tmp, "qmp.sock"))
			raise KeyError("boom")
	except KeyError:
		pass
	assert not _alive(pid), "QEMU pid %d survived" % pid
	assert not os.path.exists(tmp), "temp dir %s left behind" % tmp
	assert m not in qemu._live


def test_keys_arrive_as_scancodes(ctx):
	"""QMP send-key (with shift and ctrl-alt chords) reaches the i8042 as
	the set-1 scancodes a real keyboard would give."""
	with ctx.machine("kernel", kernel=ctx.fixture("kbd", fixtures.keyboard_echo())) as m:
		m.wait_for(r"fixture: keyboard\n", timeout=20)
		start = m.mark()
		m.type_keys("aA!")
		m.send_chord("ctrl-alt-delete")
		want = bytes.fromhex("1e9e" "2a1e9eaa" "2a0282aa" "1d38e053e0d3b89d")
		m.wait_for(re.escape(want.decode("latin-1")), timeout=10, start=start)


def test_serial_input_reaches_guest(ctx):
	"""Bytes written with send_serial arrive unchanged (an echoing guest)."""
	with ctx.machine("kernel", kernel=ctx.fixture("echo", fixtures.serial_echo())) as m:
		m.wait_for(r"fixture: serial\n", timeout=20)
		data = "hello\n\r\x00\xff" + "".join(map(chr, range(0x20, 0x7F)))
		m.send_serial(data)
		m.wait_for(re.escape(data), timeout=10)


def test_ovmf_vars_are_a_private_copy(ctx):
	"""UEFI runs get their own writable OVMF_VARS copy, never the system file."""
	fw = qemu.find_ovmf()
	assert fw, "no OVMF firmware installed"
	with ctx.machine("ovmf", paused=True) as m:
		var_args = [a for a in m.args if "OVMF_VARS" in a]
		assert var_args and all(m._tmp in a for a in var_args), var_args
		assert all(fw[1] not in a for a in var_args)


def test_screendump_reads_pixels(ctx):
	"""VGA text mode under SeaBIOS (before any kernel) already shows text."""
	with ctx.machine("kernel", kernel=ctx.fixture("hang", fixtures.print_then_hang("hi\n"))) as m:
		m.wait_for("hi")
		s = m.screendump()
		assert s.width >= 320 and s.height >= 200, "%dx%d" % (s.width, s.height)
		assert len(s.pixels) == s.width * s.height * 3
		assert s.count_ink(0, 0, s.width, s.height) > 100, "blank screen after SeaBIOS"


def _synthetic_screen(w, h, bg, marks):
	"""A PPM of size w x h in colour bg with white rectangles (x0, y0, x1, y1)."""
	px = bytearray(bytes(bg) * (w * h))
	for x0, y0, x1, y1 in marks:
		for y in range(y0, y1):
			px[(y * w + x0) * 3:(y * w + x1) * 3] = b"\xff" * 3 * (x1 - x0)
	return b"P6\n# made by a test\n%d %d\n255\n" % (w, h) + bytes(px)


def test_screen_geometry(ctx):
	"""Screen finds the background, text rows and what changed between dumps."""
	a = qemu.Screen.from_ppm(_synthetic_screen(64, 48, (0, 0, 170), [(2, 2, 30, 12), (2, 18, 20, 28)]))
	b = qemu.Screen.from_ppm(_synthetic_screen(64, 48, (0, 0, 170),
						   [(2, 2, 30, 12), (2, 18, 20, 28), (24, 19, 40, 27)]))
	assert (a.width, a.height) == (64, 48) and a.background() == (0, 0, 170)
	assert a.pixel(2, 2) == (255, 255, 255) and a.pixel(1, 2) == (0, 0, 170)
	assert a.text_bands() == [(2, 12), (18, 28)], a.text_bands()
	assert a.count_ink(0, 0, 64, 14) == 28 * 10
	assert a.diff(b) == (16 * 8, (24, 19, 40, 27)), a.diff(b)
	assert a.diff(a) == (0, None)


def test_memory_summary_matcher(ctx):
	"""The loose memory-line check takes the likely wordings and refuses
	lines that do not show the machine's RAM."""
	good = ["[    0.000100] info: mm: 254 MiB usable, 250 MiB free, kernel 1.2 MiB",
		"mem: 260096 KiB total", "memory 0.25 GiB", "pmm: 240.5MiB free of 255MiB"]
	for line in good:
		optios.check_memory_summary(line)
	bad = ["mm: 65000 pages free", "mm: 12 MiB heap", "heap 512 MiB", "boot complete", "1 MiB"]
	for line in bad:
		try:
			optios.check_memory_summary(line)
		except AssertionError:
			continue
		raise AssertionError("accepted %r" % line)


def test_keymap_covers_printable_ascii(ctx):
	for c in map(chr, range(0x20, 0x7F)):
		keys = qemu.char_to_qcodes(c)
		assert keys and all(isinstance(k, str) for k in keys), c
		assert (keys[0] == "shift") == (c.isupper() or c in '!@#$%^&*()_+{}:"~|<>?'), (c, keys)
	assert qemu.chord_to_qcodes("ctrl-alt-delete") == ["ctrl", "alt", "delete"]
	assert qemu.chord_to_qcodes("ctrl-C") == ["ctrl", "shift", "c"]


def _runner():
	"""tests/run.py as a module (for its parsers)."""
	root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
	spec = importlib.util.spec_from_file_location("optios_run", os.path.join(root, "tests", "run.py"))
	mod = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(mod)
	return mod


def test_runner_reads_host_results(ctx):
	run = _runner()
	out = ("host: a ... ok\nhost:   t.c:3: check failed: x == 2 (1 != 2)\nhost: b ... FAIL\n"
	       "host: 1 passed, 1 failed\n")
	got = run.parse_host(out, 1)
	assert got == [("host/a", True, ""), ("host/b", False, "t.c:3: check failed: x == 2 (1 != 2)")], got
	crash = "host: a ... ok\n==9==ERROR: AddressSanitizer: heap-buffer-overflow\n"
	got = run.parse_host(crash, 1)
	assert got[0] == ("host/a", True, "") and got[-1][:2] == ("host/unit", False), got
	assert "AddressSanitizer" in got[-1][2], got


SELFTEST_CASES = [
	# (name, serial text, how the fixture ends, expected [(test, ok, reason part)])
	("all_pass", "selftest: a ...\nselftest: a ... ok\nselftest summary: 1 passed, 0 failed\n", 0x10,
	 [("selftest/a", True, ""), ("selftest/boot", True, "")]),
	("one_fails", "selftest: a ...\nselftest:   leaked 1 pages\nselftest: a ... FAIL: -1\n"
	 "selftest: b ...\nselftest: b ... ok\nselftest summary: 1 passed, 1 failed\n", 0x11,
	 [("selftest/a", False, "leaked 1 pages"), ("selftest/b", True, ""), ("selftest/boot", True, "")]),
	("panics_midway", "selftest: a ...\n", "panic",
	 [("selftest/a", False, "did not finish: kernel panic"),
	  ("selftest/boot", False, "no \"selftest summary")]),
	("passes_despite_failure", "selftest: a ... FAIL: -5\nselftest summary: 0 passed, 1 failed\n", 0x10,
	 [("selftest/a", False, "-5"), ("selftest/boot", False, "expected failure")]),
	("miscounts", "selftest: a ... ok\nselftest summary: 2 passed, 0 failed\n", 0x10,
	 [("selftest/a", True, ""), ("selftest/boot", False, "summary says 2 passed")]),
	("resets_after_summary", "selftest: a ... ok\nselftest summary: 1 passed, 0 failed\n", "triple",
	 [("selftest/a", True, ""), ("selftest/boot", False, "triple fault")]),
]


def test_runner_judges_selftest_boots(ctx):
	"""Fake kernels print self-test lines and end in each possible way; the
	runner's verdicts on them must follow."""
	run = _runner()
	for name, text, end, want in SELFTEST_CASES:
		if end == "panic":
			image = fixtures.panic(text)
		elif end == "triple":
			image = fixtures.image(fixtures.print_serial(text) + b"\x0f\x0b")  # ud2, no IDT
		else:
			image = fixtures.exit_with(end, text)
		v, m = run_fixture(ctx, "selftest_" + name, image)
		got = run.parse_selftests(m.text(), v)
		assert [(n, ok) for n, ok, _ in got] == [(n, ok) for n, ok, _ in want], "%s: %s" % (name, got)
		for (n, _, reason), (_, _, part) in zip(got, want):
			assert part in reason, "%s: %s reason %r lacks %r" % (name, n, reason, part)


def _alive(pid):
	try:
		os.kill(pid, 0)
	except ProcessLookupError:
		return False
	# A zombie is dead too; the harness reaps its children, so check.
	try:
		with open("/proc/%d/stat" % pid) as f:
			return f.read().split()[2] != "Z"
	except OSError:
		return False
