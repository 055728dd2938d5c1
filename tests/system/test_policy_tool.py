"""The host policy tool (build/tools/policy) on the image tree make leaves in
build/rootfs-test.tree (the test image), no machine needed: its answers are checked against the
manifest sources (apps/*.manifest, user/test/handlers/*.manifest) read here
independently, under policies written for each test."""

import os
import re
import subprocess

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCES = (("apps", "/apps"), ("user/test/handlers", "/test/handlers"))


def manifests():
	"""{image path: {"name", "version", "events": [pattern], "outputs": [cap]}} of every
	manifest source whose program is in the image."""
	found = {}
	for src, dst in SOURCES:
		for f in sorted(os.listdir(os.path.join(ROOT, src))):
			if not f.endswith(".manifest"):
				continue
			m = {"events": [], "outputs": []}
			for line in open(os.path.join(ROOT, src, f)):
				words = line.split("#", 1)[0].split()
				if len(words) >= 2 and words[0] in ("name", "version"):
					m[words[0]] = words[1]
				elif len(words) >= 2 and words[0] in ("event", "output"):
					m[words[0] + "s"].append(words[1])
			found[dst + "/" + f[:-len(".manifest")]] = m
	return found


class Tool:
	def __init__(self, ctx, policy_text):
		self.bin = os.path.join(ctx.build, "tools", "policy")
		self.tree = os.path.join(ctx.build, "rootfs-test.tree")
		assert os.access(self.bin, os.X_OK), "%s not built (make all)" % self.bin
		assert os.path.isdir(os.path.join(self.tree, "apps")), "%s missing (make all)" % self.tree
		self.policy = ctx.fixture("policy", policy_text.encode())

	def run(self, *args, status=0):
		p = subprocess.run([self.bin, "--root", self.tree, "--policy", self.policy] + list(args),
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
		out = p.stdout.decode()
		assert p.returncode == status, "policy %s: status %d, want %d; stderr: %s" % (
			" ".join(args), p.returncode, status, p.stderr.decode())
		return out


def section(out, title):
	"""The indented lines under "title:" in a show answer."""
	m = re.search(r"^%s:\n((?:  .*\n)*)" % re.escape(title), out, re.M)
	assert m, "no %r section in:\n%s" % (title, out)
	return [l.strip() for l in m.group(1).splitlines()]


def declared(m):
	return ["event:" + e for e in m["events"]] + m["outputs"]


def test_show_declares_what_manifests_say(ctx):
	progs = manifests()
	assert "/apps/watcher" in progs and len(progs) >= 8, sorted(progs)
	tool = Tool(ctx, "# nothing granted\n")
	for path, m in progs.items():
		out = tool.run("show", path)
		assert out.startswith("%s (%s): version %s," % (m["name"], path, m["version"])), out
		assert section(out, "declared") == (declared(m) or ["(none)"]), out
		assert section(out, "effective") == ["(none)"], out
		want = ["%s (policy grant %s %s)" % (c, m["name"], c) for c in declared(m)]
		assert section(out, "missing") == (want or ["(none)"]), out
		for cap in declared(m):
			assert tool.run("check", path, cap) == "deny\n", (path, cap)
	assert tool.run("show", "no-such-program") == "no such program: no-such-program\n"


def pattern_matches(pattern, topic):
	"""lib/topic.c's rule: exact, a prefix ending in *, or a file: directory ending in /."""
	if pattern.endswith("*"):
		return topic.startswith(pattern[:-1])
	if pattern.endswith("/"):
		return topic == pattern[:-1] or topic.startswith(pattern)
	return pattern == topic


def test_grants_make_handlers_run(ctx):
	"""Every program granted exactly what it declares: each declared capability is
	allowed, nothing else; `on` each exact topic lists every program declaring it."""
	progs = manifests()
	lines = ["grant %s %s" % (m["name"], c) for m in progs.values() for c in declared(m)]
	tool = Tool(ctx, "\n".join(sorted(set(lines))) + "\n")
	for path, m in progs.items():
		for cap in declared(m):
			assert tool.run("check", path, cap) == "allow\n", (path, cap)
		assert tool.run("check", path, "file.write:/etc/policy") == "deny\n", path
		assert tool.run("check", path, "policy.manage") == "deny\n", path
	topics = {e for m in progs.values() for e in m["events"] if not e.endswith(("*", "/"))}
	for topic in sorted(topics):
		out = tool.run("on", topic)
		# (a program built by editing another's manifest, hostile_edited, has no source here)
		runs = [r for r in re.findall(r"^  (\S+) \((\S+)\) runs \(by event:(\S+)\)$", out, re.M)
			if not r[1].endswith("/hostile_edited")]
		# a pattern counts too: airwatch's sensor:* runs on sensor:co2
		want = sorted(p for p, m in progs.items() if any(pattern_matches(e, topic) for e in m["events"]))
		assert sorted(p for _, p, _ in runs) == want, out
	out = tool.run("who-can", "event:app:storm")
	assert re.findall(r"^  (\S+) \(", out, re.M) == ["storm", "storm_c", "storm_l"], out


def test_file_grants_by_whole_components(ctx):
	tool = Tool(ctx, "grant watcher file.write:/data/\ngrant watcher event:file:/data/inbox/\n")
	assert tool.run("check", "watcher", "file.write:/data/summary") == "allow\n"
	assert tool.run("check", "watcher", "file.write:/data/other") == "deny\n"  # not declared
	assert tool.run("check", "watcher", "file.write:/data/summary2") == "deny\n"
	assert tool.run("check", "watcher", "file.write:/data/summary/x") == "deny\n"
	assert tool.run("who-can", "file.write:/data/summary") == \
		"who can file.write:/data/summary:\n  watcher (/apps/watcher) by file.write:/data/summary\n"
	out = tool.run("on", "file:/data/inbox/new.txt")
	assert out.startswith("on file:/data/inbox/new.txt:\n  watcher (/apps/watcher) runs"), out
	assert tool.run("on", "file:/data/inboxes/x") == "on file:/data/inboxes/x: no handler runs\n"


def test_bad_input_is_refused(ctx):
	tool = Tool(ctx, "grant * console\ngrant watcher file.write:/data/../etc\n")
	assert tool.run("list") == "grant * console\n"  # the bad line grants nothing
	tool.run("check", "watcher", "file.write:/data/../etc", status=2)
	tool.run("check", "nobody-here", "console", status=2)
	tool.run("frobnicate", status=2)
	assert tool.run("who-can", "file.write:data") == "invalid capability: file.write:data\n"
	assert tool.run("on", "nokind:x") == "invalid topic: nokind:x\n"
