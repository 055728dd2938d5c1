"""The tree stays honest to the architecture (STYLE.md): these checks read the
sources, no machine needed.
- Portable code never says asm: inline asm and assembly files live only under
  arch/x86_64/.
- lib depends on nothing; arch never includes drivers."""

import os
import re

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
KERNEL_DIRS = ("arch", "kernel", "drivers", "lib")
ASM_RE = re.compile(r"\b(__asm__|asm)\s*(volatile|__volatile__)?\s*\(")


def sources(*dirs, exts=(".c", ".h", ".S", ".s")):
	for d in dirs:
		for base, _, files in os.walk(os.path.join(ROOT, d)):
			for f in files:
				if f.endswith(exts):
					path = os.path.join(base, f)
					yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def includes(text):
	return re.findall(r'^\s*#\s*include\s*[<"]([^">]+)[">]', text, re.M)


def test_asm_only_under_arch(ctx):
	bad = []
	for path, text in sources(*KERNEL_DIRS):
		if path.startswith("arch/x86_64/"):
			continue
		if path.endswith((".S", ".s")):
			bad.append(path + " (assembly file)")
		for n, line in enumerate(text.splitlines(), 1):
			if ASM_RE.search(line):
				bad.append("%s:%d: %s" % (path, n, line.strip()))
	assert not bad, "assembly outside arch/x86_64:\n" + "\n".join(bad)


def test_lib_depends_on_nothing(ctx):
	bad = ["%s includes %s" % (p, i) for p, t in sources("lib") for i in includes(t)
	       if i.startswith(("kernel/", "drivers/", "arch/", "arch.h"))]
	assert not bad, "\n".join(bad)


def test_arch_never_includes_drivers(ctx):
	bad = ["%s includes %s" % (p, i) for p, t in sources("arch") for i in includes(t)
	       if i.startswith("drivers/")]
	assert not bad, "\n".join(bad)
