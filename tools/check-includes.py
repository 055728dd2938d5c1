#!/usr/bin/env python3
"""check-includes.py - the dependency rule of docs/ARCHITECTURE.md, checked.

Reads every C and assembly source and header of the tree (arch/, kernel/,
drivers/, lib/, include/, sdk/, user/, apps/, tools/; not tests/, which may
look inside anything they test), resolves each #include the way the build
does (the including file's folder first, then the -I paths of its kind of
code), and checks five rules:

  graph     every include from one folder into another is an edge of the
            table tools/includes.allowed (written once; a folder the table
            does not name fails, so a new subsystem gets its line);
  internal  a header named *_internal.h is included only from its own folder;
  asm       no inline asm or assembly file outside arch/x86_64/ (user/test/
            programs excepted: they provoke the CPU on purpose);
  table     the table itself names only real folders and known names;
  core      the folders of the table's @core group include each other
            without a cycle.

Prints one line per violation (file:line: what) and exits 1 if there was
any, 0 otherwise. `--graph` prints the folder graph as found, `--unused`
the table's edges nothing uses. tests/system/test_tree.py runs each rule as
a named test of `make test`.

Python 3 standard library only.
"""

import argparse
import fnmatch
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TABLE = "tools/includes.allowed"
TOPS = ("arch", "kernel", "drivers", "lib", "include", "sdk", "user", "apps", "tools")
EXTS = (".c", ".h", ".S", ".s", ".def")
# The compiler's own headers, all a freestanding kernel may use.
FREESTANDING = {"stdint.h", "stddef.h", "stdbool.h", "stdarg.h", "stdalign.h", "stdnoreturn.h",
		"limits.h", "float.h", "iso646.h"}
# Names of include targets that are not folders of the tree.
PSEUDO = {"cc": "the compiler's freestanding headers (" + ", ".join(sorted(FREESTANDING)) + ")",
	  "libc": "the C library (musl for programs, the host's for tools)",
	  "lwip": "lwIP's headers (lwip/..., netif/...: build/deps/, the Makefile's LWIP_INC)"}
# Third-party headers, outside the tree: their include prefixes.
THIRD_PARTY = {"lwip/": "lwip", "netif/": "lwip"}
INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^">]+)[">]')
ASM_RE = re.compile(r"\b(__asm__|asm)\s*(volatile|__volatile__)?\s*\(")


def search_path(path):
	"""The -I directories the build gives code at path (the Makefile's
	KCFLAGS, UCFLAGS and the host tools' flags)."""
	top = path.split("/", 1)[0]
	if top in ("arch", "kernel", "drivers", "lib", "include"):
		return [".", "include", "arch/x86_64"]
	if top in ("sdk", "user", "apps"):
		return ["sdk/include", "include", "."]
	return [".", "include"]


def folder_of(path):
	"""The table's name for the folder that owns path (a file of the tree)."""
	parts = path.split("/")
	top = parts[0]
	if top == "arch":
		return "arch"
	if top == "include":
		return "abi" if parts[1:3] == ["optios", "abi"] else "include"
	if top in ("kernel", "drivers"):
		return "/".join(parts[:2]) if len(parts) > 2 else top
	return top


def resolve(path, quote, name):
	"""The tree file an include names, or None for a header of the
	compiler or the C library."""
	dirs = ([os.path.dirname(path)] if quote == '"' else []) + search_path(path)
	for d in dirs:
		cand = os.path.normpath(os.path.join(d, name))
		if not cand.startswith("..") and os.path.isfile(os.path.join(ROOT, cand)):
			return cand
	return None


def target_of(resolved, name):
	if resolved is None:
		for prefix, dep in THIRD_PARTY.items():
			if name.startswith(prefix):
				return dep
		return "cc" if name in FREESTANDING else "libc"
	return folder_of(resolved)


def sources():
	"""(path, text) of every checked file, sorted."""
	found = []
	for top in TOPS:
		for base, dirs, files in os.walk(os.path.join(ROOT, top)):
			dirs.sort()
			for f in sorted(files):
				if f.endswith(EXTS):
					path = os.path.relpath(os.path.join(base, f), ROOT)
					with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as fh:
						found.append((path, fh.read()))
	return found


def includes(path, text):
	"""[(line number, quote, name, resolved path or None)] of a file."""
	out = []
	for n, line in enumerate(text.splitlines(), 1):
		m = INCLUDE_RE.match(line)
		if m:
			out.append((n, m.group(1), m.group(2), resolve(path, m.group(1), m.group(2))))
	return out


def load_table(path=None):
	"""{row: set of allowed targets} from the table. A row is a folder, a
	pattern of folders (drivers/*), or a file (adding to its folder's row);
	"@name: ..." defines a group that rows use as @name. Raises ValueError
	on a malformed line."""
	return parse_table(path)[0]


def load_groups(path=None):
	"""{name: set of folders} of the table's @groups."""
	return parse_table(path)[1]


def parse_table(path=None):
	path = path or os.path.join(ROOT, TABLE)
	table, groups = {}, {}
	with open(path, encoding="utf-8") as f:
		for n, raw in enumerate(f, 1):
			line = raw.split("#", 1)[0].strip()
			if not line:
				continue
			row, sep, rest = line.partition(":")
			row = row.strip()
			if not sep or not row:
				raise ValueError("%s:%d: expected \"folder: folders it may include\"" % (TABLE, n))
			targets = set()
			for word in rest.split():
				if word.startswith("@"):
					if word[1:] not in groups:
						raise ValueError("%s:%d: group %s is not defined above" % (TABLE, n, word))
					targets |= groups[word[1:]]
				else:
					targets.add(word)
			into = groups if row.startswith("@") else table
			key = row.lstrip("@")
			if key in into:
				raise ValueError("%s:%d: %s has a line already" % (TABLE, n, row))
			into[key] = targets
	return table, groups


def allowed_for(table, path):
	"""The targets code at path may include, or None if no row covers its
	folder (an exact row wins over a pattern)."""
	folder = folder_of(path)
	if folder in table:
		allowed = table[folder]
	else:
		rows = [r for r in table if "*" in r and fnmatch.fnmatchcase(folder, r)]
		if not rows:
			return None
		allowed = set().union(*(table[r] for r in rows))
	return allowed | table.get(path, set())


# ---- the rules ----

def check_graph(files, table):
	bad = []
	for path, text in files:
		folder = folder_of(path)
		allowed = allowed_for(table, path)
		for n, quote, name, res in includes(path, text):
			target = target_of(res, name)
			if target == folder:
				continue
			if allowed is None:
				bad.append("%s:%d: folder %s has no line in %s (add one: what it may include)"
					   % (path, n, folder, TABLE))
				break
			if target not in allowed:
				bad.append("%s:%d: %s may not include %s (%s): not an edge of %s"
					   % (path, n, folder, target, res or "<%s>" % name, TABLE))
	return bad


def check_internal(files):
	bad = []
	for path, text in files:
		for n, quote, name, res in includes(path, text):
			if res and res.endswith("_internal.h") and os.path.dirname(res) != os.path.dirname(path):
				bad.append("%s:%d: includes %s, internal to %s/" % (path, n, res, os.path.dirname(res)))
	return bad


def check_asm(files):
	bad = []
	for path, text in files:
		if path.startswith(("arch/x86_64/", "user/test/")):
			continue
		if path.endswith((".S", ".s")):
			bad.append("%s: an assembly file outside arch/x86_64/" % path)
		for n, line in enumerate(text.splitlines(), 1):
			if ASM_RE.search(line):
				bad.append("%s:%d: asm outside arch/x86_64/: %s" % (path, n, line.strip()))
	return bad


def check_table(files, table):
	known = {folder_of(p) for p, _ in files} | set(PSEUDO)
	paths = {p for p, _ in files}
	bad = []
	for row, targets in sorted(table.items()):
		real = row in known or row in paths or ("*" in row and any(fnmatch.fnmatchcase(k, row) for k in known))
		if not real:
			bad.append("%s: row %s names no folder or file of the tree" % (TABLE, row))
		for t in sorted(targets - known):
			bad.append("%s: row %s allows %s, which is no folder of the tree" % (TABLE, row, t))
	return bad


def check_core_acyclic(files, groups):
	"""The folders of @core include each other without a cycle (the table
	could allow one; this keeps the layer a layer)."""
	core = groups.get("core", set())
	g = {f: {t: at for t, at in ts.items() if t in core} for f, ts in graph(files).items() if f in core}
	state, path, bad = {}, [], []

	def visit(f):
		state[f] = "open"
		path.append(f)
		for t in sorted(g.get(f, {})):
			if state.get(t) == "open":
				cycle = path[path.index(t):] + [t]
				bad.append("the kernel's core has an include cycle: %s (%s)"
					   % (" -> ".join(cycle), ", ".join(g[a][b] for a, b in zip(cycle, cycle[1:]))))
			elif t not in state:
				visit(t)
		path.pop()
		state[f] = "done"

	for f in sorted(g):
		if f not in state:
			visit(f)
	return bad


def graph(files):
	"""{folder: {target: first include seen}} as found."""
	g = {}
	for path, text in files:
		folder = folder_of(path)
		for n, quote, name, res in includes(path, text):
			target = target_of(res, name)
			if target != folder:
				g.setdefault(folder, {}).setdefault(target, "%s:%d" % (path, n))
	return g


RULES = {
	"graph": lambda files, table: check_graph(files, table),
	"internal": lambda files, table: check_internal(files),
	"asm": lambda files, table: check_asm(files),
	"table": lambda files, table: check_table(files, table),
	"core": lambda files, table: check_core_acyclic(files, load_groups()),
}


def run(rule, files=None, table=None):
	"""The violations of one rule (a list of lines)."""
	files = files if files is not None else sources()
	table = table if table is not None else load_table()
	return RULES[rule](files, table)


def main(argv):
	p = argparse.ArgumentParser(description="Check the include graph against " + TABLE + ".")
	p.add_argument("rules", nargs="*", help="rules to check: %s (default: all)" % ", ".join(sorted(RULES)))
	p.add_argument("--graph", action="store_true", help="print the folder graph as found")
	p.add_argument("--unused", action="store_true", help="print the table's edges nothing uses")
	args = p.parse_args(argv)
	for r in args.rules:
		if r not in RULES:
			p.error("no rule %s (rules: %s)" % (r, ", ".join(sorted(RULES))))
	files = sources()
	try:
		table = load_table()
	except ValueError as e:
		print(e)
		return 1
	if args.graph:
		for folder, found in sorted(graph(files).items()):
			print("%s: %s" % (folder, " ".join(sorted(found))))
		return 0
	if args.unused:
		for row, targets in sorted(table.items()):
			used = set()
			for path, text in files:
				folder = folder_of(path)
				covers = path == row or folder == row or (
					"*" in row and folder not in table and fnmatch.fnmatchcase(folder, row))
				if covers:
					used |= {target_of(res, name) for _, _, name, res in includes(path, text)}
			for t in sorted(targets - used):
				print("%s: %s unused" % (row, t))
		return 0
	bad = []
	for rule in args.rules or sorted(RULES):
		bad += run(rule, files, table)
	for line in bad:
		print(line)
	return 1 if bad else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
