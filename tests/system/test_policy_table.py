"""The golden table: programs (their manifests, as the default /etc/policy
grants them) x capabilities -> allow or deny, written down here once and
checked two ways that must agree with it and with each other:

  - the host tool, from the image tree alone: `build/tools/policy --root
    build/rootfs-test.tree check NAME CAP`;
  - the kernel, by doing it: /test/NAME (user/test/probe.c under NAME's
    manifest) attempts the action each capability stands for and prints
    allow or deny (EACCES).

And for every program in the image, `policy show NAME` in the running system
prints the same bytes as the host tool's `show NAME`."""

import concurrent.futures
import os
import subprocess

import test_handlers

TIMEOUT = 150

PROGRAMS = ["probe", "probe_files", "probe_events", "probe_admin"]
# capability -> the programs allowed it (everyone else: deny)
ALL = set(PROGRAMS)
GOLDEN = {
	"console": ALL,
	"file.read:/etc/policy": {"probe_files"},
	"file.read:/etc/kernel.conf": {"probe_files"},
	"file.read:/etc": {"probe_files"},  # a directory grant covers the directory itself
	"file.read:/et": set(),
	"file.read:/bin/ls": set(),
	"file.write:/data/probe/x": {"probe_files"},
	"file.write:/data/probe/deeper/x": {"probe_files"},
	"file.write:/data/probe": {"probe_files"},
	"file.write:/data/probex": set(),  # whole components: not below /data/probe/
	"file.write:/data/x": set(),
	"file.write:/tmp/probe": {"probe_files"},
	"file.write:/tmp/probe2": set(),
	"file.write:/etc/x": set(),
	"emit:app:probe.a": {"probe_events"},
	"emit:app:probe.a.b": {"probe_events"},
	"emit:app:probe": set(),
	"emit:app:other": set(),
	"spawn:/test/proc_hello": {"probe_events"},
	"spawn:/bin/ls": set(),
	"log.read": {"probe_admin"},
	"handler.manage": {"probe_admin"},
	"policy.manage": {"probe_admin"},
	"display": {"probe_admin"},
	"power": {"probe_admin"},
	"dev.block": set(),  # raw sectors: the test program blk alone (test.policy)
}


def expected(program, cap):
	return "allow" if program in GOLDEN[cap] else "deny"


def tool(ctx, *args, may_fail=False):
	exe = os.path.join(ctx.build, "tools", "policy")
	tree = os.path.join(ctx.build, "rootfs-test.tree")
	assert os.path.exists(exe), "no host policy tool at %s (make all builds it)" % exe
	r = subprocess.run([exe, "--root", tree] + list(args), capture_output=True, text=True, timeout=30)
	assert r.returncode == 0 or may_fail, "policy %s: status %d: %s" % (" ".join(args), r.returncode, r.stderr)
	return r.stdout if r.returncode == 0 else None


def test_golden_table_host_tool(ctx):
	"""Every cell through the host tool's `check NAME CAP`."""
	cells = [(program, cap) for program in PROGRAMS for cap in GOLDEN]
	with concurrent.futures.ThreadPoolExecutor(4) as pool:
		answers = pool.map(lambda cell: tool(ctx, "check", *cell).strip(), cells)
	wrong = ["%s %s: host tool says %s, table %s" % (program, cap, got, expected(program, cap))
		 for (program, cap), got in zip(cells, answers) if got != expected(program, cap)]
	assert not wrong, "\n".join(wrong)


def test_golden_table_kernel(ctx):
	"""Every cell through the kernel: each probe attempts every action."""
	wrong = []
	with test_handlers.shell(ctx) as m:
		test_handlers.run(m, "mkdir /data/probe")
		test_handlers.run(m, "mkdir /data/probe/deeper")  # ENOENT means deny: every path exists
		for program in PROGRAMS:
			out = test_handlers.run(m, "/test/%s %s" % (program, " ".join(GOLDEN)), timeout=30)
			got = dict(line.rsplit(" ", 1) for line in out.splitlines() if line.endswith(("allow", "deny")))
			for cap in GOLDEN:
				if got.get(cap) != expected(program, cap):
					wrong.append("%s %s: kernel says %s, table %s" % (program, cap, got.get(cap),
											  expected(program, cap)))
	assert not wrong, "\n".join(wrong)


def image_programs(ctx):
	"""The image path of every program in /bin, /apps and /test."""
	tree = os.path.join(ctx.build, "rootfs-test.tree")
	paths = []
	for top in ("bin", "apps", "test"):
		for root, _, files in os.walk(os.path.join(tree, top)):
			paths += ["/" + os.path.relpath(os.path.join(root, f), tree) for f in files]
	return sorted(paths)


def test_show_agrees_for_every_program(ctx):
	"""`policy show PATH` in the running system and the host tool's answer are
	the same bytes, for every program in the image that has a manifest."""
	paths = image_programs(ctx)
	host = {p: tool(ctx, "show", p) for p in paths}
	paths = [p for p in paths if not host[p].startswith("no such program")]
	assert len(paths) > 50, "the host tool knows only %s" % paths
	with test_handlers.shell(ctx) as m:
		for p in paths:
			got = test_handlers.run(m, "policy show " + p)
			assert got == host[p], "policy show %s:\nkernel:\n%s\nhost tool:\n%s" % (p, got, host[p])


# Programs that ask for more than /etc/policy grants, on purpose (test_hostile.py).
REFUSED = {"hostile_sub", "hostile_edited", "longgrant", "longwatch"}  # longgrant: until its test grants the rest


def test_default_policy_grants_every_shipped_request(ctx):
	"""Every program in the image, but those that must be refused (hostile ones;
	longgrant, whose test grants the rest through `policy grant`; longwatch),
	gets all it declares from the default /etc/policy (else it would not
	start): the host tool's `show PATH` lists nothing missing."""
	missing = []
	for path in image_programs(ctx):
		shown = tool(ctx, "show", path)
		if os.path.basename(path) not in REFUSED and not shown.startswith("no such program") and \
				not shown.rstrip().endswith("missing:\n  (none)"):
			missing.append(shown)
	assert not missing, "\n".join(missing)


def test_policy_catalogue_left_out_programs_past_128(ctx):
	"""The kernel's list of programs held 128 and dropped the rest silently:
	`policy show` of a program past them said "no such program" (the test
	image came within 6 of it). The list starts at 16 and grows, so the last
	programs in path order exercise its growth many times over."""
	paths = [p for p in image_programs(ctx) if not tool(ctx, "show", p).startswith("no such program")]
	assert len(paths) > 64, paths
	with test_handlers.shell(ctx) as m:
		for p in paths[-3:]:
			got = test_handlers.run(m, "policy show " + p)
			assert got == tool(ctx, "show", p), "policy show %s:\n%s" % (p, got)
