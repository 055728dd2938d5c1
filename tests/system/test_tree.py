"""The tree stays honest to the architecture (docs/ARCHITECTURE.md, STYLE.md):
these checks read the sources, no machine needed. The rules are those of
tools/check-includes.py against its table, tools/includes.allowed:
- every folder-to-folder include is an edge of the table;
- no *_internal.h is included from outside its folder;
- portable code never says asm (inline asm and assembly files live only under
  arch/x86_64/);
- the kernel's core folders (the table's @core) include each other without
  a cycle;
and the table itself keeps the rule docs/ARCHITECTURE.md states: lib depends
on nothing, arch includes no kernel or driver header, kernel code no driver
header, programs only the SDK, the ABI and the C library."""

import importlib.util
import os

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
_spec = importlib.util.spec_from_file_location("check_includes", os.path.join(ROOT, "tools", "check-includes.py"))
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def violations(rule):
	bad = check.run(rule)
	return "%d violation(s):\n%s" % (len(bad), "\n".join(bad)) if bad else ""


def test_include_graph(ctx):
	bad = violations("graph")
	assert not bad, bad


def test_internal_headers_stay_in_their_folder(ctx):
	bad = violations("internal")
	assert not bad, bad


def test_asm_only_under_arch(ctx):
	bad = violations("asm")
	assert not bad, bad


def test_include_table_names_real_folders(ctx):
	bad = violations("table")
	assert not bad, bad


def test_kernel_core_has_no_include_cycle(ctx):
	bad = violations("core")
	assert not bad, bad


def rows(table, prefix):
	return {r: t for r, t in table.items() if r == prefix or r.startswith(prefix + "/")}


def test_lib_depends_on_nothing(ctx):
	table = check.load_table()
	assert table["lib"] <= {"cc", "abi"}, "tools/includes.allowed lets lib include %s" % sorted(table["lib"])


def test_arch_never_includes_drivers(ctx):
	allowed = check.load_table()["arch"]
	bad = sorted(t for t in allowed if t.startswith(("kernel", "drivers")))
	assert not bad, "tools/includes.allowed lets arch include %s" % bad


def test_kernel_includes_no_driver_header(ctx):
	table = check.load_table()
	bad = ["%s -> %s" % (r, t) for r, ts in sorted(rows(table, "kernel").items()) for t in sorted(ts)
	       if t.startswith("drivers")]
	assert not bad, "tools/includes.allowed lets kernel code include drivers: %s" % bad


def test_programs_include_only_the_sdk(ctx):
	table = check.load_table()
	bad = []
	for folder in ("sdk", "user", "apps"):
		extra = table[folder] - {"cc", "libc", "abi", "sdk"}
		if extra:
			bad.append("%s -> %s" % (folder, sorted(extra)))
	assert not bad, "tools/includes.allowed lets programs include %s" % bad


def test_services_below_the_process_layer_include_none_above(ctx):
	"""exec and event include no other service, fs only event (docs/
	ARCHITECTURE.md "Dependency rule"): the table may not let them reach up
	into the cycle of proc, syscall, handler, perm and tty."""
	table, services = check.load_table(), check.load_groups()["services"]
	below = {"kernel/exec": set(), "kernel/event": set(), "kernel/fs": {"kernel/event"}}
	bad = ["%s -> %s" % (row, sorted((table[row] & services) - {row} - ok)) for row, ok in below.items()
	       if (table[row] & services) - {row} - ok]
	assert not bad, "tools/includes.allowed lets a lower service include one above it: %s" % bad
