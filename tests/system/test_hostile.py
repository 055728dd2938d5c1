"""Hostile programs (user/test/hostile_*.c, user/test/handlers/hostile_*.c):
each tries one escape from what the policy grants it. Each test checks that
the escape is refused with a clear errno (the program prints it), that the
denial is in `log` with the program, the call, the capability and the event
being handled, and that the system still answers afterwards."""

import re

import test_handlers
import test_shell

TIMEOUT = 120

run = test_handlers.run
shell = test_handlers.shell
EACCES = "denied (EACCES: Permission denied)"
ENOENT = "denied (ENOENT: No such file or directory)"


def denials(m, program):
	"""The deny records of program in `log -a`: dicts with topic (the event
	being handled, "-" in the foreground) and rest ("<call> <capability>")."""
	return [r for r in test_handlers.log(m, "-h " + program) if r["kind"] == "deny"]


def check_denied(m, program, call, cap, topic="-"):
	recs = denials(m, program)
	want = "%s %s" % (call, cap)
	assert any(r["rest"] == want and r["topic"] == topic for r in recs), (
		"no deny record '%s' (event %s) for %s in the log: %r" % (want, topic, program, recs))


def still_answers(m):
	assert run(m, "echo still here") == "still here\n"
	assert "sh" in run(m, "ps")


def lines(out, program):
	"""{what: result} from the program's "NAME: WHAT: RESULT" lines."""
	return dict(re.findall(r"^%s: (.+?): (allowed|denied \(.*\))$" % program,
			       out, re.M))


def test_write_outside_its_grant(ctx):
	"""hostile_write may write below /data/hostile/: /data/other, which it
	cannot see, is absent to it (ENOENT); reading its own file, which it
	sees but may not read, is EACCES. Both refusals are logged."""
	with shell(ctx) as m:
		run(m, "mkdir /data/hostile")
		out = run(m, "/test/hostile_write")
		got = lines(out, "hostile_write")
		assert got == {"create /data/hostile/mine": "allowed", "create /data/other": ENOENT,
			       "read /data/hostile/mine": EACCES}, out
		assert "exited with status" not in out, out
		assert run(m, "ls /data") == "hostile\n"
		check_denied(m, "hostile_write", "open", "file.write:/data/other")
		check_denied(m, "hostile_write", "open", "file.read:/data/hostile/mine")
		still_answers(m)


def test_path_traversal(ctx):
	"""hostile_traverse may use /data/mine/: "..", "//" and "." in absolute and
	relative paths are checked after normalising, so every way out is refused
	and a path that stays inside is allowed. Outside its grant nothing is
	visible: every way out reads as absent (ENOENT)."""
	with shell(ctx) as m:
		run(m, "mkdir /data/mine")
		out = run(m, "/test/hostile_traverse")
		got = lines(out, "hostile_traverse")
		assert got == {
			"create /data/mine/..//mine/./c": "allowed",
			"chdir /data/mine": "allowed",
			"create /data/mine/../other": ENOENT,
			"create //data/mine/../../etc/x": ENOENT,
			"create /data/mine/./../../tmp/x": ENOENT,
			"create ../other": ENOENT,
			"read /data/mine/../../etc/policy": ENOENT,
		}, out
		for cap in ("file.write:/data/other", "file.write:/etc/x", "file.write:/tmp/x",
			    "file.read:/etc/policy"):
			check_denied(m, "hostile_traverse", "open", cap)
		assert run(m, "ls /data") == "mine\n" and run(m, "ls /data/mine") == "c\n"
		assert "x" not in run(m, "ls /tmp").split()
		still_answers(m)


def test_symlink_escape(ctx):
	"""hostile_symlink may use /data/mine/: links it makes there to
	/data/other/secret, /etc/policy and the directory /data/other, and a
	link it follows into /data/other (left there by the shell, pointing
	back into its grant), are refused as absent (ENOENT): a permission is
	checked on the path a link resolves to, and a link is followed only
	where the program sees it. A hard link to the hidden file is absent too.
	Links inside its grant work; making links and reading its own is allowed."""
	with shell(ctx) as m:
		run(m, "mkdir /data/mine")
		run(m, "mkdir /data/other")
		run(m, "echo top > /data/other/secret")
		run(m, "busybox ln -s /data/mine/f /data/other/hop")
		out = run(m, "/test/hostile_symlink")
		got = lines(out, "hostile_symlink")
		assert got == {
			"create /data/mine/f": "allowed",
			"symlink to f": "allowed",
			"read through ok": "allowed",
			"symlink to /data/other/secret": "allowed",
			"readlink s": "allowed",
			"read through s": ENOENT,
			"stat through s": ENOENT,
			"lstat s": "allowed",
			"symlink to ../other": "allowed",
			"create through d": ENOENT,
			"read through d": ENOENT,
			"symlink to /etc/policy": "allowed",
			"read through p": ENOENT,
			"link /data/other/secret": ENOENT,
			"symlink to /data/other/hop": "allowed",
			"read through via": ENOENT,
			"open s O_NOFOLLOW": "denied (ELOOP: Symbolic link loop)",
		}, out
		assert "exited with status" not in out, out
		for call, cap in (("open", "file.read:/data/other/secret"), ("open", "file.write:/data/other/new"),
				  ("open", "file.read:/etc/policy"), ("open", "file.read:/data/other/hop")):
			check_denied(m, "hostile_symlink", call, cap)
		assert run(m, "busybox cat /data/other/secret") == "top\n"
		assert "new" not in run(m, "ls /data/other").split()
		still_answers(m)


def test_subscribe_to_an_ungranted_topic(ctx):
	"""hostile_sub asks for event:app:secret: `handler add` refuses it, naming
	the grant; it never runs; once granted, it can be added."""
	with shell(ctx) as m:
		out = run(m, "handler add /test/handlers/hostile_sub")
		assert out.startswith("handler: /test/handlers/hostile_sub: Permission denied: "), out
		assert "event:app:secret" in out and "policy grant hostile_sub event:app:secret" in out, out
		assert "hostile_sub" not in test_handlers.handlers(m)
		run(m, "emit app:secret")
		assert not [r for r in test_handlers.log(m) if r["handler"] == "hostile_sub" and r["kind"] == "run"]
		run(m, "policy grant hostile_sub event:app:secret")
		assert test_handlers.add(m, "/test/handlers/hostile_sub") == "hostile_sub"
		still_answers(m)


def test_emit_an_ungranted_topic(ctx):
	"""hostile_emit, a handler granted emit:app:hostile.*, emits app:secret in
	a run: EACCES, and the denial names the event it was handling."""
	with shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/hostile_emit")
		run(m, "emit app:hostile.emit")
		recs = test_handlers.until(m, "hostile_emit's output", lambda m: test_handlers.log(m, "-h hostile_emit"),
					   lambda recs: len(test_handlers.outputs(recs, "hostile_emit")) >= 2)
		outs = test_handlers.texts(recs, "hostile_emit")
		assert "hostile_emit: emit app:hostile.ok: allowed" in outs, outs
		assert "hostile_emit: emit app:secret: " + EACCES in outs, outs
		check_denied(m, "hostile_emit", "optios_emit", "emit:app:secret", topic="app:hostile.emit")
		events = [r["topic"] for r in test_handlers.log(m, "-t app:") if r["kind"] == "event"]
		assert "app:secret" not in events and "app:hostile.ok" in events, events
		still_answers(m)


def test_revoke_reaches_the_next_run(ctx):
	"""Revoking hostile_emit's emit:app:hostile.* while it is registered: its
	next run may not emit app:hostile.ok any more."""
	with shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/hostile_emit")
		out = run(m, "policy revoke hostile_emit emit:app:hostile.*")
		assert "revoked emit:app:hostile.* from hostile_emit" in out, out
		run(m, "emit app:hostile.emit")
		recs = test_handlers.until(m, "hostile_emit's output", lambda m: test_handlers.log(m, "-h hostile_emit"),
					   lambda recs: len(test_handlers.outputs(recs, "hostile_emit")) >= 2)
		outs = test_handlers.texts(recs, "hostile_emit")
		assert "hostile_emit: emit app:hostile.ok: " + EACCES in outs, outs
		policy_recs = [r for r in test_handlers.log(m) if r["kind"] == "policy"]
		assert any("revoke hostile_emit emit:app:hostile.*" in r["rest"] for r in policy_recs), policy_recs


def test_policy_grant_did_not_reach_a_running_handler(ctx):
	"""Issue 9: a grant reached a handler only after `handler remove` + `add`.
	hostile_emit's emit:app:hostile.* revoked, then granted again while it
	stays registered: its next run may emit again, and the policy tool says
	so. A grant beyond its manifest (emit:app:secret is not declared) gives
	it nothing."""
	with shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/hostile_emit")
		run(m, "policy revoke hostile_emit emit:app:hostile.*")
		run(m, "emit app:hostile.emit")
		outs = fd_outputs(m, 2, "hostile_emit")
		assert outs[0] == "hostile_emit: emit app:hostile.ok: " + EACCES, outs
		out = run(m, "policy grant hostile_emit emit:app:hostile.*")
		assert ("policy: granted emit:app:hostile.* to hostile_emit (handler hostile_emit: from its "
			"next run, as far as its manifest declares it)\n") in out, out
		out = run(m, "policy grant hostile_emit emit:app:secret")
		assert "policy: granted emit:app:secret to hostile_emit" in out, out
		run(m, "emit app:hostile.emit")
		outs = fd_outputs(m, 4, "hostile_emit")
		assert outs[2:] == ["hostile_emit: emit app:hostile.ok: allowed",
				    "hostile_emit: emit app:secret: " + EACCES], outs
		assert "hostile_emit" in test_handlers.handlers(m), "the handler was not kept"
		out = run(m, "policy grant nobody emit:app:x")
		assert ("policy: granted emit:app:x to nobody (from its next start or handler add, as far "
			"as its manifest declares it)\n") in out, out


def test_log_without_log_read(ctx):
	"""Reading the event log is a capability: without it, EACCES."""
	with shell(ctx) as m:
		out = run(m, "/test/hostile_logread")
		assert lines(out, "hostile_logread") == {"read the event log": EACCES}, out
		check_denied(m, "hostile_logread", "optios_log_read", "log.read")
		still_answers(m)


def test_read_kernel_memory_and_another_handlers_snapshot(ctx):
	"""Kernel memory through system calls is EFAULT; the address where another
	handler keeps a secret shows nothing of it here; a direct load from the
	kernel half ends only the program."""
	with shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/hostile_secret")
		run(m, "emit app:hostile.secret")
		recs = test_handlers.until(m, "hostile_secret's output", lambda m: test_handlers.log(m, "-h hostile_secret"),
					   lambda recs: test_handlers.outputs(recs, "hostile_secret"))
		addr = re.search(r"secret at (0x[0-9a-f]+)", test_handlers.texts(recs, "hostile_secret")[0]).group(1)
		out = run(m, "/test/hostile_peek " + addr)
		got = lines(out, "hostile_peek")
		assert got["write kernel text"].startswith("denied (EFAULT"), out
		assert got["write kernel direct map"].startswith("denied (EFAULT"), out
		# nothing mapped there (the load ends it) or its own memory, never the secret
		assert "hostile_peek: reading another space's %s here\n" % addr in out, out
		assert ("hostile_peek: %s: own memory, not the secret\n" % addr in out or
			"hostile_peek: killed by signal 11" in out), out
		assert "the-secret" not in out and "%s: the secret" % addr not in out, out
		out = run(m, "/test/hostile_peek load")
		assert "hostile_peek: killed by signal 11" in out, out
		still_answers(m)
		assert "ready" in run(m, "handlers")


def fd_outputs(m, n, program):
	"""The output lines of program once there are at least n of them."""
	recs = test_handlers.until(m, "%d output lines of %s" % (n, program),
				   lambda m: test_handlers.log(m, "-h " + program),
				   lambda recs: len(test_handlers.outputs(recs, program)) >= n)
	return test_handlers.texts(recs, program)


def test_handler_reads_a_file_it_has_no_grant_for_through_a_shared_descriptor(ctx):
	"""The descriptor leak of issue 9. hostile_fdplant, granted
	file.read:/data/secret, puts the secret on its descriptor 0 and closes its
	stdout; hostile_fdsteal, without any file capability, reads descriptor 0
	and looks for descriptors it did not open. Handlers used to share one
	descriptor table: it read the secret, and its output was gone, and a file
	left open held its memory after rm. Now each handler has its own table,
	kept by a committed run, put back by a rolled back one, closed by
	`handler remove` (the memory comes back)."""
	with shell(ctx) as m:
		test_handlers.mem(m)
		before = test_handlers.mem(m)
		run(m, "echo topsecret > /data/secret")
		test_handlers.add(m, "/test/handlers/hostile_fdplant")
		test_handlers.add(m, "/test/handlers/hostile_fdsteal")
		run(m, "emit app:hostile.fdplant plant")
		outs = fd_outputs(m, 2, "hostile_fdplant")
		assert outs == ["hostile_fdplant: open /data/secret: allowed", "hostile_fdplant: plant: allowed"], outs
		run(m, "emit app:hostile.fdsteal")
		outs = fd_outputs(m, 2, "hostile_fdsteal")
		assert outs == ["hostile_fdsteal: read fd 0: denied (EAGAIN: Resource temporarily unavailable)",
				"hostile_fdsteal: descriptors above 2: 0"], outs
		# its own table kept what its committed run did ...
		run(m, "emit app:hostile.fdplant read")
		outs = fd_outputs(m, 4, "hostile_fdplant")
		assert outs[2:] == ["hostile_fdplant: fd 0: 9 bytes 'topsecret'", "hostile_fdplant: fd 1: closed"], outs
		# ... and a rolled-back run's close(0), close(2) are undone with it
		run(m, "emit app:hostile.fdplant crash")
		test_handlers.until(m, "the crash rolled back", test_handlers.handlers,
				    lambda h: h["hostile_fdplant"]["fails"] == 1)
		run(m, "emit app:hostile.fdplant read")
		outs = fd_outputs(m, 6, "hostile_fdplant")
		assert outs[4:] == ["hostile_fdplant: fd 0: 9 bytes 'topsecret'", "hostile_fdplant: fd 1: closed"], outs
		# remove closes its descriptors: added again, it starts with its output on 0-2
		run(m, "rm /data/secret")
		assert run(m, "handler remove hostile_fdplant") == "handler: removed hostile_fdplant\n"
		test_handlers.add(m, "/test/handlers/hostile_fdplant")
		run(m, "emit app:hostile.fdplant read")
		outs = fd_outputs(m, 8, "hostile_fdplant")
		assert outs[6:] == ["hostile_fdplant: fd 0: EAGAIN", "hostile_fdplant: fd 1: open"], outs
		run(m, "emit app:hostile.fdsteal")
		outs = fd_outputs(m, 4, "hostile_fdsteal")
		assert outs[2:] == outs[:2], outs
		# the secret, removed while open, was freed with the descriptor that held it
		for name in ("hostile_fdplant", "hostile_fdsteal"):
			run(m, "handler remove " + name)
		after = test_handlers.mem(m)
		assert after == before, "free KiB, snapshots, pages: %r before, %r after" % (before, after)
		still_answers(m)


def test_spawn_an_ungranted_program(ctx):
	"""hostile_spawn may start /test/proc_hello only: /bin/ls is refused."""
	with shell(ctx) as m:
		out = run(m, "/test/hostile_spawn")
		assert "hello from /test/proc_hello" in out, out
		got = lines(out, "hostile_spawn")
		assert got == {"spawn /test/proc_hello": "allowed", "spawn /bin/ls": EACCES}, out
		check_denied(m, "hostile_spawn", "optios_spawn", "spawn:/bin/ls")
		still_answers(m)


def test_contexts(ctx):
	"""A background-only program cannot be started in the foreground, a
	foreground-only one cannot be a handler, a program without a manifest
	cannot be a handler either; each refusal says why."""
	with shell(ctx) as m:
		boot = set(test_handlers.handlers(m))  # those /etc/handlers registers (echo)
		out = run(m, "/apps/counter")  # the kernel's warning may come first
		assert re.search(r"^sh: /apps/counter: Permission denied: counter runs in the background only",
				 out, re.M), out
		out = run(m, "handler add /test/hostile_write")
		assert out.startswith("handler: /test/hostile_write: Permission denied: "), out
		assert "hostile_write runs in the foreground only" in out, out
		out = run(m, "handler add /test/hostile_nomanifest")
		assert out.startswith("handler: /test/hostile_nomanifest: Exec format error: "), out
		assert set(test_handlers.handlers(m)) == boot
		still_answers(m)


def test_no_manifest_gets_its_console_only(ctx):
	"""A program without a manifest runs, prints, and may not create a file."""
	with shell(ctx) as m:
		out = run(m, "/test/hostile_nomanifest")
		assert lines(out, "hostile_nomanifest") == {"create /tmp/nomanifest": ENOENT}, out
		check_denied(m, "hostile_nomanifest", "open", "file.write:/tmp/nomanifest")
		still_answers(m)


def test_memory_limit(ctx):
	"""hostile_memory declares 128 pages: its allocations stop below 512 KiB."""
	with shell(ctx) as m:
		out = run(m, "/test/hostile_memory")
		got = lines(out, "hostile_memory")
		assert len(got) == 1, out
		what, result = next(iter(got.items()))
		kib = int(re.match(r"malloc beyond (\d+) KiB", what).group(1))
		assert 0 < kib < 512 and result == "denied (ENOMEM: Out of memory)", out
		assert denials(m, "hostile_memory"), "no deny record for the memory limit"
		still_answers(m)


def test_edited_manifest(ctx):
	"""hostile_edited is hostile_edit with its manifest section edited after the
	build to ask for file.write:/data/ too: a different version (another code
	hash) whose extra request is refused until granted."""
	with shell(ctx) as m:
		first = run(m, "handler add /test/handlers/hostile_edit")
		code = test_handlers.ADDED.search(first).group(3)
		out = run(m, "handler add /test/handlers/hostile_edited")
		assert out.startswith("handler: /test/handlers/hostile_edited: Permission denied: "), out
		assert "policy grant hostile_edit file.write:/data/" in out, out
		assert test_handlers.handlers(m)["hostile_edit"]["code"] == code
		run(m, "policy grant hostile_edit file.write:/data/")
		out = run(m, "handler add /test/handlers/hostile_edited")
		added = test_handlers.ADDED.search(out)
		assert added and added.group(1) == "hostile_edit" and added.group(3) != code, out
		policy_recs = [r for r in test_handlers.log(m) if r["kind"] == "policy"]
		assert any("grant hostile_edit file.write:/data/" in r["rest"] for r in policy_recs), policy_recs


def test_policy_tool_answers(ctx):
	"""`policy show`, `who-can`, `on` and the list answer from manifests and
	policy: watcher's declared/granted file.write:/data/summary, who can write
	it, what runs on app:crash."""
	with shell(ctx) as m:
		out = run(m, "policy show watcher")
		assert "file.write:/data/summary" in out and "event:file:/data/inbox/" in out, out
		out = run(m, "policy who-can file.write:/data/summary")
		for name in ("watcher", "sh", "mkdir", "rm"):
			assert re.search(r"\b%s\b" % name, out), out
		assert not re.search(r"\bcrasher\b", out), out
		out = run(m, "policy on app:crash")
		assert "crasher" in out and "file.write:/data/crasher.log" in out, out
		out = run(m, "policy")
		assert "grant" in out and "watcher" in out, out
		out = run(m, "policy grant nosuch")
		assert out.startswith("usage: policy"), out


UNVEIL_CALLS = ["stat", "open", "create", "create-excl", "access", "chdir", "opendir", "mkdir", "unlink",
		"rmdir", "truncate", "rename-from", "rename-to", "stat-inside", "stat-through"]


def test_hidden_existing_file_and_missing_file_are_indistinguishable(ctx):
	"""Paths outside every grant are invisible (as with OpenBSD's unveil):
	hostile_unveil, granted /data/mine/ and a listing of /data, gets the same
	answer, ENOENT, from every call on /data/secret (which exists) as on
	/data/missing (which does not), and on a hidden directory as on a missing
	one; its listing of /data shows only what it may see. Each refusal is
	logged; a path it sees but may not change is EACCES; paths of 128 bytes
	and more below its grant work (they were EACCES: CAP_MAX)."""
	with shell(ctx) as m:
		run(m, "mkdir /data/mine")
		run(m, "echo s > /data/secret")
		run(m, "mkdir /data/secretdir")
		out = run(m, "/test/hostile_unveil")
		assert "exited with status" not in out, out
		got = lines(out, "hostile_unveil")
		for hidden, missing in (("/data/secret", "/data/missing"), ("/data/secretdir", "/data/missingdir")):
			for call in UNVEIL_CALLS:
				a, b = got.get("%s %s" % (call, hidden)), got.get("%s %s" % (call, missing))
				assert a == b == ENOENT, "%s: %s on the hidden one, %s on the missing one\n%s" % (
					call, a, b, out)
		listed = re.findall(r"^hostile_unveil: /data has (.+)$", out, re.M)
		assert listed == ["mine"], out
		assert got["rmdir /data"] == EACCES, out
		assert got["write /data/mine/../../etc/x"] == ENOENT, out
		for what in ("create a 211-byte path", "mkdir a 212-byte path", "create a 413-byte path",
			     "read a 413-byte path"):
			assert got[what] == "allowed", out
		assert run(m, "cat /data/secret") == "s\n"  # untouched
		logged = [r["rest"].split(" ", 1)[1] for r in denials(m, "hostile_unveil")]
		for cap in ("file.read:/data/secret", "file.write:/data/secret", "file.write:/data/missingdir",
			    "file.read:/data/secret/inner",
			    "file.write:/data"):
			assert cap in logged, "no deny record for %s: %r" % (cap, logged)
		still_answers(m)


LONG_DIR = "/data/long/" + "/".join(c * 70 for c in "abc")  # 223 bytes


def test_grant_of_a_path_of_128_bytes_or_more_was_refused(ctx):
	"""A grant could not name a path of 128 bytes or more (capabilities were
	127-char strings): the manifest, the policy file and `policy grant`
	refused it. longgrant declares LONG_DIR/box/ (write: granted by the test
	image's drop-in; read: not granted), so it is refused until `policy
	grant` (the system call) grants the read; then it writes and reads a file
	in the 227-byte directory (made by mkdir -p), while its sibling, which
	exists, stays absent to it (ENOENT). `policy` and `policy show` print the
	capability whole, and so do the refusals of a program's start and of
	`handler add` (longwatch)."""
	box, other = LONG_DIR + "/box", LONG_DIR + "/other"
	read_cap = "file.read:%s/" % box

	def said(cmd):  # the command's output without the kernel's log lines
		return "".join(l for l in run(m, cmd).splitlines(True) if not l.startswith("["))

	with shell(ctx) as m:
		assert run(m, "mkdir -p %s %s" % (box, other)) == ""
		run(m, "echo s > %s/secret" % other)
		out = said("/test/longgrant stat %s" % box)
		# said whole: "longgrant asks for CAP: not granted (policy grant longgrant CAP)"
		assert "Permission denied: longgrant asks for %s: not granted (policy grant longgrant %s)\n" % (
			read_cap, read_cap) in out, out
		assert said("policy grant longgrant %s" % read_cap).startswith(
			"policy: granted %s to longgrant" % read_cap)
		out = said("/test/longgrant write %s/f" % box)
		assert out == "longgrant: write: allowed\n", out
		out = said("/test/longgrant read %s/f" % box)
		assert out == "longgrant: read long\nlonggrant: read: allowed\n", out
		for verb, path in (("stat", other), ("read", other + "/secret"), ("write", other + "/f"),
				   ("mkdir", other + "/d"), ("stat", LONG_DIR + "/box2")):
			out = said("/test/longgrant %s %s" % (verb, path))
			assert out == "longgrant: %s: %s\n" % (verb, ENOENT), out
		assert run(m, "cat %s/f" % box) == "long\n"
		listed = run(m, "policy")
		assert "grant longgrant %s\n" % read_cap in listed, listed
		assert "grant longgrant file.write:%s/\n" % box in listed, listed
		shown = run(m, "policy show longgrant")
		assert ("effective:\n  console\n  file.write:%s/\n  %s\n" % (box, read_cap)) in shown, shown
		# a handler asking for both (longwatch, granted neither): handler add names both whole
		out = said("handler add /test/handlers/longwatch")
		for cap in ("file.write:%s/" % box, read_cap):
			assert "longwatch asks for %s: not granted (policy grant longwatch %s)" % (cap, cap) in out, out
		# a log record's text is 128 bytes (optios_log_record): the capability is cut there
		recs = [r["rest"] for r in denials(m, "longgrant")]
		assert any(r.startswith("open file.read:" + LONG_DIR[:60]) for r in recs), recs
		still_answers(m)


def test_directory_granted_itself_told_about_hidden_entries(ctx):
	"""boxprobe is granted /data/box itself (no slash: not what is below it).
	Its link count (2 + subdirectories), rmdir (ENOTEMPTY) and renaming an
	empty directory onto it (ENOTEMPTY) told whether /data/box held entries
	it cannot see. Now it gets the same answers for an empty /data/box as for
	one with a hidden subdirectory: links 1, and EACCES (logged as the
	file.read:/data/box/ it lacks) for both rmdir and rename; the directory
	and its hidden entry are untouched."""
	with shell(ctx) as m:
		run(m, "mkdir /data/box")
		empty = run(m, "/test/boxprobe")
		run(m, "mkdir /data/box/hidden")
		full = run(m, "/test/boxprobe")
		assert full == empty, "empty:\n%s\nwith a hidden entry:\n%s" % (empty, full)
		got = lines(full, "boxprobe")
		assert got == {"stat /data/box": "allowed", "links 1": "allowed",
			       "rename /data/empty /data/box": EACCES, "rmdir /data/box": EACCES}, full
		assert run(m, "ls /data/box") == "hidden\n"
		assert run(m, "ls /data") == "box\nempty\n"
		check_denied(m, "boxprobe", "rmdir", "file.read:/data/box/")
		check_denied(m, "boxprobe", "rename", "file.read:/data/box/")
		run(m, "rm -r /data/box/hidden")
		assert "Directory not empty" not in run(m, "rm -r /data/box")
		still_answers(m)
