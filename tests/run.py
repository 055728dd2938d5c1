#!/usr/bin/env python3
"""run.py - the `make test` driver (Python 3 standard library only).

Runs, in order:
  host      $(BUILD)/host/unit, one result per "host: NAME ... ok|FAIL" line;
  selftest  one -kernel boot with optios.test=all (or the -k selection), one
            result per "selftest: NAME ... ok|FAIL: ..." line, plus
            "selftest/boot": the boot must print "selftest summary:" with counts
            matching the lines and end with the exit status they call for
            (33 all passed, 35 some failed);
  system    every test_*(ctx) function of tests/system/test_*.py, two at a
            time (the machines have two cores and QEMU runs TCG), each with a
            time limit after which its machines are stopped.

Prints one "PASS name" / "FAIL name: reason (log: path)" line per test and,
as the very last line, "N passed, M failed". Exits 1 if anything failed (or
nothing ran), 130 on Ctrl+C after stopping every QEMU it started.

A system test fails by raising AssertionError (the message is the reason);
any other exception is reported as an error in the test. A module may set
TIMEOUT (seconds) for its tests, a function may carry a `timeout` attribute.
"""

import argparse
import concurrent.futures
import glob
import importlib.util
import inspect
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_DIR = os.path.join(ROOT, "tests", "system")
sys.path.insert(0, SYSTEM_DIR)

import qemu  # noqa: E402  (tests/system/qemu.py)

DEFAULT_TIMEOUT = 90  # seconds per system test
SELFTEST_TIMEOUT = 180
KERNEL_CMDLINE_MAX = 120  # optios.test= value must fit the kernel's buffer


class Reporter:
	"""Prints results as they come (thread-safe) and keeps the counts."""

	def __init__(self, verbose):
		self.verbose = verbose
		self.passed = 0
		self.failed = 0
		self.lock = threading.Lock()

	def report(self, name, ok, reason="", log=None, seconds=None):
		with self.lock:
			if ok:
				self.passed += 1
				line = "PASS " + name
			else:
				self.failed += 1
				line = "FAIL %s: %s" % (name, _one_line(reason) or "failed")
				if log:
					line += " (log: %s)" % os.path.relpath(log)
			if self.verbose and seconds is not None:
				line += "  [%.1f s]" % seconds
			print(line, flush=True)

	def summary(self):
		return "%d passed, %d failed" % (self.passed, self.failed)


def _one_line(text, limit=300):
	text = " | ".join(s.strip() for s in str(text).strip().splitlines() if s.strip())
	return text if len(text) <= limit else text[:limit - 3] + "..."


def selected(name, args):
	return not args.k or any(k in name for k in args.k)


# ---- host unit tests ----
def host_names():
	names = []
	for path in sorted(glob.glob(os.path.join(ROOT, "tests", "host", "*.c"))):
		with open(path, errors="replace") as f:
			names += re.findall(r"^TEST\((\w+)\)", f.read(), re.M)
	return ["host/" + n for n in names]


def parse_host(out, status):
	"""[(name, ok, reason)] from the unit runner's output and exit status."""
	results, details, seen_fail, summary = [], [], False, False
	for line in out.splitlines():
		m = re.match(r"host: (\S+) \.\.\. (ok|FAIL)\s*$", line)
		if m:
			results.append(("host/" + m.group(1), m.group(2) == "ok", "; ".join(details)))
			seen_fail |= m.group(2) == "FAIL"
			details = []
		elif line.startswith("host:   "):
			details.append(line[len("host:   "):].strip())
		elif re.match(r"host: \d+ passed, \d+ failed", line):
			summary = True
	# A crash (sanitizer report, signal) ends the runner mid-test: the test
	# that was running never printed its line, so report the runner itself.
	if (status != 0 and not seen_fail) or not summary:
		tail = [l for l in out.splitlines() if l.strip()][-3:]
		results.append(("host/unit", False, "runner ended with status %s before its summary: %s"
				% (status, " | ".join(tail))))
	return results


def run_host(args, rep, log_dir):
	binary = os.path.join(args.build, "host", "unit")
	log = os.path.join(log_dir, "host.log")
	if not os.access(binary, os.X_OK):
		rep.report("host/unit", False, "%s not built (make %s)" % (binary, binary))
		return
	t0 = time.monotonic()
	try:
		proc = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
		out, status = proc.stdout.decode(errors="replace"), proc.returncode
	except subprocess.TimeoutExpired as e:
		out, status = (e.stdout or b"").decode(errors="replace"), "timeout"
	with open(log, "w") as f:
		f.write(out)
	for name, ok, reason in parse_host(out, status):
		if selected(name, args) or name == "host/unit":
			rep.report(name, ok, reason, log, time.monotonic() - t0)


# ---- fuzz smoke runs ----
FUZZ_TARGETS = ("elf", "cpio", "path", "conf", "manifest", "policy", "store", "net", "http")
FUZZ_SMOKE_SECONDS = 4


def fuzz_names():
	return ["fuzz/" + t for t in FUZZ_TARGETS]


def run_fuzz(args, rep, log_dir):
	"""A short libFuzzer run of each parser target (make fuzz runs longer)."""
	targets = [t for t in FUZZ_TARGETS if selected("fuzz/" + t, args)]
	missing = [t for t in targets if not os.access(os.path.join(args.build, "fuzz", "fuzz_" + t), os.X_OK)]
	for t in missing:
		rep.report("fuzz/" + t, False, "not built (make fuzz-build)")
	targets = [t for t in targets if t not in missing]
	if not targets:
		return
	log = os.path.join(log_dir, "fuzz.log")
	t0 = time.monotonic()
	proc = subprocess.run([os.path.join(ROOT, "tests", "fuzz", "run.sh"), args.build, str(FUZZ_SMOKE_SECONDS)]
			      + targets, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
	out = proc.stdout.decode(errors="replace")
	with open(log, "w") as f:
		f.write(out)
	seen = set()
	for m in re.finditer(r"^fuzz: (\w+) \.\.\. (ok|FAIL)(.*)$", out, re.M):
		seen.add(m.group(1))
		rep.report("fuzz/" + m.group(1), m.group(2) == "ok", m.group(3).strip(), log, time.monotonic() - t0)
	for t in targets:
		if t not in seen:
			rep.report("fuzz/" + t, False, "no result from tests/fuzz/run.sh", log)


# ---- in-kernel self-tests ----
def selftest_names():
	names = []
	for top in ("arch", "kernel", "drivers", "lib"):
		for path in sorted(glob.glob(os.path.join(ROOT, top, "**", "*.c"), recursive=True)):
			with open(path, errors="replace") as f:
				names += re.findall(r"^SELFTEST\((\w+)\)", f.read(), re.M)
	return ["selftest/" + n for n in names]


def selftest_spec(args):
	if not args.k:
		return "all"
	every = selftest_names()
	names = [n.split("/", 1)[1] for n in every if selected(n, args)]
	spec = ",".join(names)
	return spec if len(names) < len(every) and len(spec) <= KERNEL_CMDLINE_MAX else "all"


def run_selftests(args, rep, log_dir, kernel=None, name="selftest"):
	kernel = kernel or os.path.join(args.build, "kernel.elf")
	if not os.path.exists(kernel):
		rep.report("selftest/boot", False, "%s not built" % kernel)
		return
	t0 = time.monotonic()
	m = qemu.Machine("kernel", log_dir, name, kernel=kernel, append="optios.test=" + selftest_spec(args),
			 silence=60, disks=qemu.scratch_disks())
	with m:
		verdict = m.wait_exit(timeout=SELFTEST_TIMEOUT)
	for test, ok, reason in parse_selftests(m.text(), verdict):
		if selected(test, args) or test == "selftest/boot":
			rep.report(test, ok, reason, m.serial_log_path, time.monotonic() - t0)


def parse_selftests(text, verdict):
	"""[(name, ok, reason)] from a self-test boot's serial text and verdict,
	ending with selftest/boot (see judge_selftest_boot)."""
	text = text.replace("\r\n", "\n")
	results, running, details = [], None, []
	for line in text.splitlines():
		mt = re.match(r"selftest: (\S+) \.\.\.(?: (ok|FAIL)(?:: (.*))?)?\s*$", line)
		if mt and mt.group(2) is None:
			running, details = mt.group(1), []
		elif mt:
			ok = mt.group(2) == "ok"
			reason = "; ".join(details + ["returned " + (mt.group(3) or "?")])
			results.append(("selftest/" + mt.group(1), ok, "" if ok else reason))
			running = None
		elif line.startswith("selftest:   "):
			details.append(line.strip()[len("selftest:"):].strip())
	if running is not None:
		results.append(("selftest/" + running, False, "did not finish: %s" % verdict))
	passed = sum(1 for r in results if r[1])
	results.append(("selftest/boot",) + judge_selftest_boot(text, passed, len(results) - passed, verdict))
	return results


def judge_selftest_boot(text, passed, failed, verdict):
	"""(ok, reason) for the self-test boot as a whole."""
	m = re.search(r"^selftest summary: (\d+) passed, (\d+) failed", text, re.M)
	if not m:
		return False, "no \"selftest summary:\" line; machine: %s" % verdict
	if (int(m.group(1)), int(m.group(2))) != (passed, failed):
		return False, "summary says %s passed, %s failed but the lines say %d, %d" % (
			m.group(1), m.group(2), passed, failed)
	want = qemu.FAILURE if failed or passed == 0 else qemu.PASS
	if verdict.kind != want:
		return False, "expected %s, machine: %s" % (want, verdict)
	return True, ""


# ---- system tests ----
class Context:
	"""What a system test gets: paths, and machines that are stopped when the
	test ends (or when it runs out of time)."""

	def __init__(self, name, build, log_dir):
		self.name = name
		self.build = build
		self.log_dir = log_dir
		self.kernel = os.path.join(build, "kernel.elf")
		self.iso = os.path.join(build, "optios-test.iso")  # the test image (make test builds it)
		self.fixture_dir = os.path.join(build, "test-fixtures")
		self.machines = []
		self.aborted = False
		self._lock = threading.Lock()
		self._base = name.split("/", 1)[-1]

	def machine(self, mode="kernel", **kw):
		"""A Machine (not started: use `with ctx.machine(...) as m:`). Defaults:
		the kernel for mode "kernel", the ISO otherwise."""
		with self._lock:
			if _stopping.is_set() and not self.aborted:
				self.aborted = "interrupted"
			if self.aborted:
				raise AssertionError("test aborted (%s)" % self.aborted)
			n = len(self.machines)
			log_name = self._base + ("" if n == 0 else ".%d" % (n + 1))
			if mode == "kernel":
				kw.setdefault("kernel", self.kernel)
			else:
				kw.setdefault("iso", self.iso)
			m = qemu.Machine(mode, self.log_dir, log_name, **kw)
			self.machines.append(m)
			return m

	def fixture(self, name, data):
		"""Write a fixture image under $(BUILD)/test-fixtures and return its path."""
		os.makedirs(self.fixture_dir, exist_ok=True)
		path = os.path.join(self.fixture_dir, "%s.%s.bin" % (self._base, name))
		with open(path, "wb") as f:
			f.write(data)
		return path

	def last_log(self):
		return self.machines[-1].serial_log_path if self.machines else None

	def abort(self, why="time limit"):
		with self._lock:
			self.aborted = why
			machines = list(self.machines)
		for m in machines:
			m.abort()

	def close(self):
		for m in self.machines:
			m.close()


def load_system_tests():
	"""[(name, function or None, timeout, import error)] in file and definition order."""
	tests = []
	for path in sorted(glob.glob(os.path.join(SYSTEM_DIR, "test_*.py"))):
		mod_name = os.path.basename(path)[:-3]
		short = mod_name[len("test_"):]
		try:
			spec = importlib.util.spec_from_file_location(mod_name, path)
			mod = importlib.util.module_from_spec(spec)
			spec.loader.exec_module(mod)
		except Exception:
			tests.append(("system/" + short, None, 0, traceback.format_exc()))
			continue
		default = getattr(mod, "TIMEOUT", DEFAULT_TIMEOUT)
		fns = [f for n, f in vars(mod).items() if n.startswith("test_") and inspect.isfunction(f)
		       and f.__module__ == mod_name]
		fns.sort(key=lambda f: f.__code__.co_firstlineno)
		for f in fns:
			tests.append(("system/%s.%s" % (short, f.__name__[len("test_"):]), f,
				      getattr(f, "timeout", default), None))
	return tests


_contexts = set()
_contexts_lock = threading.Lock()
_stopping = threading.Event()  # set on Ctrl+C: start nothing new


def run_one_system(name, fn, timeout, args, rep, log_dir):
	ctx = Context(name, args.build, log_dir)
	with _contexts_lock:
		_contexts.add(ctx)
	watchdog = threading.Timer(timeout, ctx.abort, args=("time limit",))
	watchdog.daemon = True
	t0 = time.monotonic()
	ok, reason = False, ""
	watchdog.start()
	try:
		fn(ctx)
		ok = True
	except AssertionError as e:
		reason = str(e) or "assertion failed"
		_write_traceback(ctx, name)
	except Exception as e:
		reason = "error: %s: %s" % (type(e).__name__, e)
		_write_traceback(ctx, name)
	finally:
		watchdog.cancel()
		ctx.close()
		with _contexts_lock:
			_contexts.discard(ctx)
	if ctx.aborted == "interrupted":
		ok, reason = False, "interrupted"
	elif ctx.aborted:
		ok, reason = False, "timeout: test exceeded its %g s limit (%s)" % (timeout, reason)
	rep.report(name, ok, reason, ctx.last_log() or _traceback_path(ctx), time.monotonic() - t0)


def _traceback_path(ctx):
	return os.path.join(ctx.log_dir, ctx._base + ".traceback.txt")


def _write_traceback(ctx, name):
	with open(_traceback_path(ctx), "w") as f:
		f.write("%s\n\n%s" % (name, traceback.format_exc()))


def run_system(args, rep, log_dir):
	tests = [t for t in load_system_tests() if selected(t[0], args)]
	pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
	try:
		futures = []
		for name, fn, timeout, err in tests:
			if fn is None:
				rep.report(name, False, "import failed: " + err.strip().splitlines()[-1])
				continue
			futures.append(pool.submit(run_one_system, name, fn, timeout, args, rep, log_dir))
		pending = set(futures)
		while pending:  # short waits, so Ctrl+C reaches this thread
			done, pending = concurrent.futures.wait(pending, timeout=0.2)
			for f in done:
				f.result()
	except BaseException:
		# Ctrl+C / SIGTERM: drop queued tests, stop running ones, then wait
		# for their threads (quick once their machines are gone).
		pool.shutdown(wait=False, cancel_futures=True)
		abort_everything("interrupted")
		raise
	finally:
		pool.shutdown(wait=True)


def abort_everything(why):
	_stopping.set()
	with _contexts_lock:
		ctxs = list(_contexts)
	for c in ctxs:
		c.abort(why)
	qemu.kill_all()


# ---- main ----
def parse_args(argv):
	p = argparse.ArgumentParser(description="Run OptiOS's host, self- and system tests.")
	p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory (default build)")
	p.add_argument("-k", action="append", metavar="SUBSTRING",
		       help="only tests whose name contains SUBSTRING (repeatable: any)")
	p.add_argument("--only", choices=("host", "fuzz", "selftest", "system"), action="append",
		       help="run only this kind (repeatable)")
	p.add_argument("--list", action="store_true", help="list test names and exit")
	p.add_argument("-j", "--jobs", type=int, default=2, help="system tests at a time (default 2)")
	p.add_argument("-v", "--verbose", action="store_true", help="show how long each test took")
	return p.parse_args(argv)


def list_tests(args, kinds):
	names = []
	if "host" in kinds:
		names += host_names()
	if "fuzz" in kinds:
		names += fuzz_names()
	if "selftest" in kinds:
		names += selftest_names() + ["selftest/boot"]
	if "system" in kinds:
		names += [t[0] for t in load_system_tests()]
	for n in names:
		if selected(n, args):
			print(n)


def wants(kind, kinds, args, names):
	return kind in kinds and (not args.k or any(selected(n, args) for n in names))


def main(argv):
	args = parse_args(argv)
	args.build = os.path.abspath(args.build)
	kinds = args.only or ["host", "fuzz", "selftest", "system"]
	if args.list:
		list_tests(args, kinds)
		return 0
	log_dir = os.path.join(args.build, "test-logs")
	os.makedirs(log_dir, exist_ok=True)
	for old in glob.glob(os.path.join(log_dir, "*")):
		if os.path.isfile(old):
			os.unlink(old)
	rep = Reporter(args.verbose)
	signal.signal(signal.SIGINT, _interrupt)
	signal.signal(signal.SIGTERM, _interrupt)
	signal.signal(signal.SIGHUP, _interrupt)
	t0 = time.monotonic()
	try:
		if wants("host", kinds, args, host_names()):
			run_host(args, rep, log_dir)
		if wants("fuzz", kinds, args, fuzz_names()):
			run_fuzz(args, rep, log_dir)
		if wants("selftest", kinds, args, selftest_names() + ["selftest/boot"]):
			run_selftests(args, rep, log_dir)
		if "system" in kinds:
			run_system(args, rep, log_dir)
	except KeyboardInterrupt:
		abort_everything("interrupted")
		print("interrupted: every QEMU stopped", flush=True)
		print(rep.summary(), flush=True)
		return 130
	if args.verbose:
		print("total %.1f s" % (time.monotonic() - t0), flush=True)
	print(rep.summary(), flush=True)
	return 1 if rep.failed or rep.passed == 0 else 0


def _interrupt(signum, frame):
	raise KeyboardInterrupt


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
