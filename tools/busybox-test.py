#!/usr/bin/env python3
"""busybox-test.py - BusyBox's own test suite (testsuite/runtest in the
fetched source) with the binary the image carries, on the Linux host and on
OptiOS, counts side by side (`make busybox-test`, docs/USERLAND.md).

Host: the testsuite is copied to $BUILD/busybox/testrun-host/ beside the
binary and its .config (runtest's bindir), and runtest runs there.
OptiOS: the test image plus /usr/share/busybox/{testsuite,.config} is packed
into $BUILD/busybox/testrun-optios.cpio and booted; at the shell prompt the suite is
copied to /tmp/bb (runtest writes beside itself), /tmp/bb/busybox made a
symbolic link to /bin/busybox (the image's binary, with its grants: BusyBox
may start what is in /tmp, runtest's scripts and applet links), then
BusyBox's sh sources runtest. Its PASS:/FAIL:/SKIPPED:/UNTESTED: lines come over the serial
console; the run ends when OptiOS's prompt is back, or at the time limit.

Prints `host: PASS n FAIL n ...`, `optios: PASS n FAIL n ...` and the tests
that pass on the host and not on OptiOS. Exit status 0 when both ran."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

import optios  # noqa: E402
import qemu  # noqa: E402
import test_images  # noqa: E402

RESULT = re.compile(r"^(PASS|FAIL|SKIPPED|UNTESTED): (.*?)\r?$", re.M)
KINDS = ("PASS", "FAIL", "SKIPPED", "UNTESTED")


def canon(name):
	"""A test's name as both runs can compare it: a few names hold \\n, \\t,
	\\r, which the host's run prints interpreted (the line ends at \\n) and
	OptiOS's as written."""
	return name.split("\\n")[0].replace("\\t", "\t").replace("\\r", "").rstrip("\r")


def counts(text):
	res = {}
	for kind, name in RESULT.findall(text):
		res.setdefault(canon(name), kind)  # the first verdict of a name
	tally = {k: sum(1 for v in res.values() if v == k) for k in KINDS}
	return tally, res


def line(who, tally):
	return "%s: %s" % (who, " ".join("%s %d" % (k, tally[k]) for k in KINDS))


def testsuite_dir():
	src = subprocess.run([os.path.join(ROOT, "tools", "fetch-source.sh"), "--dir", "busybox"],
			     capture_output=True, text=True, check=True).stdout.strip()
	return os.path.join(src, "testsuite")


def run_host(build, timeout, applets=(), name="testrun"):
	top = os.path.join(build, "busybox", name + "-host")
	shutil.rmtree(top, ignore_errors=True)
	os.makedirs(top)
	shutil.copy2(os.path.join(build, "busybox", "obj", "busybox"), top)
	shutil.copy2(os.path.join(build, "busybox", "obj", ".config"), top)
	shutil.copytree(testsuite_dir(), os.path.join(top, "testsuite"), symlinks=True)
	# testing.sh wants an echo that knows -ne (else it compiles one with gcc)
	os.makedirs(os.path.join(top, "echo"))
	os.symlink(os.path.join(top, "busybox"), os.path.join(top, "echo", "echo"))
	env = dict(os.environ, bindir=top, LC_ALL="C", TZ="UTC", ECHO=os.path.join(top, "echo", "echo"))
	try:
		p = subprocess.run(["./busybox", "sh", "-c", "cd testsuite && . ./runtest " + " ".join(applets)], cwd=top, env=env,
				   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
		out = p.stdout.decode(errors="replace")
	except subprocess.TimeoutExpired as e:
		out = (e.stdout or b"").decode(errors="replace")
		print("host: runtest did not finish in %d s: the counts are of what ran" % timeout)
	with open(os.path.join(build, "busybox", name + "-host.log"), "w") as f:
		f.write(out)
	return counts(out)


def make_image(build, name="testrun"):
	"""The test image's tree plus the testsuite, as $BUILD/busybox/NAME-optios.cpio."""
	tree = os.path.join(build, "busybox", name + "-optios.tree")
	shutil.rmtree(tree, ignore_errors=True)
	test_images.copy_tree(os.path.join(build, "rootfs-test.tree"), tree)
	share = os.path.join(tree, "usr", "share", "busybox")
	os.makedirs(share)
	shutil.copytree(testsuite_dir(), os.path.join(share, "testsuite"), symlinks=False)
	# OptiOS's /bin/sh is its own shell, not a POSIX one: the scripts' "#!/bin/sh"
	# becomes BusyBox's sh, as /bin/sh is on the Linux host (a POSIX shell)
	for top, _, files in os.walk(os.path.join(share, "testsuite")):
		for name in files:
			path = os.path.join(top, name)
			with open(path, "rb") as f:
				data = f.read()
			if data.startswith(b"#!/bin/sh"):
				with open(path, "wb") as f:
					f.write(b"#!/bin/busybox sh" + data[len(b"#!/bin/sh"):])
	shutil.copy2(os.path.join(build, "busybox", "obj", ".config"), share)
	image = os.path.join(build, "busybox", name + "-optios.cpio")
	subprocess.run("cd %s && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet > %s" % (tree, image),
		       shell=True, check=True)
	return image


def run_optios(build, timeout, applets=(), name="testrun"):
	image = make_image(build, name)
	log_dir = os.path.join(build, "busybox")
	prompt = re.compile(r"\n/[^\r\n$]*\$ ")
	with qemu.Machine("kernel", log_dir, name + "-optios", kernel=os.path.join(build, "kernel.elf"),
			  initrd=image) as m:
		optios.boot(m)
		m.wait_for(re.compile(r"(?:^|\n)/\$ "), timeout=60)
		optios.settle(m)
		# bindir/busybox is a link to the image's /bin/busybox: the same binary, started with its grants
		for cmd in ["busybox cp -r /usr/share/busybox /tmp/bb", "busybox ln -s /bin/busybox /tmp/bb/busybox",
			    "cd /tmp/bb/testsuite"]:
			m.send_serial(cmd + "\r")
			m.wait_for(prompt, timeout=60)
		start = m.mark()
		# ash's echo knows -ne: testing.sh then needs no $(echo -ne) (a pipe)
		# OptiOS's PATH is /bin, whose own sh, rm, ls... are not what runtest expects: the applets
		# (/usr/bin) first; SHELL (unset on OptiOS, the host's login shell there): BusyBox's sh
		m.send_serial("busybox sh -c 'bindir=/tmp/bb ECHO=echo PATH=/usr/bin:/bin SHELL=/usr/bin/sh; export bindir ECHO PATH SHELL; . ./runtest %s'\r"
			      % " ".join(applets))
		deadline = time.monotonic() + timeout
		ended = False
		while time.monotonic() < deadline:
			time.sleep(2)
			if prompt.search(m.text()[start + 10:]):
				ended = True
				break
		out = m.text()[start:]
	with open(os.path.join(build, "busybox", name + "-optios.log"), "w") as f:
		f.write(out)
	if not ended:
		print("optios: runtest did not finish in %d s (log: %s/busybox/%s-optios.log)" % (timeout, build, name))
	return counts(out)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--build", default=os.path.join(ROOT, "build"))
	ap.add_argument("--host-only", action="store_true")
	ap.add_argument("--optios-only", action="store_true")
	ap.add_argument("--timeout", type=int, default=1800, help="seconds for each run (default 1800)")
	ap.add_argument("--name", default="testrun", help="names the run's files in $BUILD/busybox/ (default testrun)")
	ap.add_argument("applets", nargs="*", help="only these applets' tests (runtest's arguments)")
	a = ap.parse_args()
	host, host_res = run_host(a.build, a.timeout, a.applets, a.name) if not a.optios_only else ({k: 0 for k in KINDS}, {})
	if not a.optios_only:
		print(line("host", host))
	if a.host_only:
		return 0
	opt, opt_res = run_optios(a.build, a.timeout, a.applets, a.name)
	print(line("optios", opt))
	lost = sorted(n for n, v in host_res.items() if v == "PASS" and opt_res.get(n) != "PASS")
	print("pass on the host, not on OptiOS: %d%s" % (len(lost), (" (first: %s)" % ", ".join(lost[:10])) if lost else ""))
	return 0


if __name__ == "__main__":
	sys.exit(main())
