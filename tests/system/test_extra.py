"""Programs from outside the tree. `make all EXTRA=dir` lays a directory over
the root image, keeping paths; sdk/bin/optios-cc builds what goes in it; the
directory's /etc/policy.d and /etc/handlers.d drop-ins bring its grants and
boot list without replacing the shipped files. Images are built into a
scratch build directory, so the suite's own image stays as it is."""

import os
import re
import shutil
import subprocess
import tempfile

import test_handlers
import test_policy_tool
import test_shell

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 180


def scratch_build(ctx, build):
	"""A build directory seeded with the suite's compiled user programs (times
	kept), so make finds them up to date and only lays out the image."""
	os.makedirs(os.path.join(build, "tools"), exist_ok=True)
	shutil.copytree(os.path.join(ctx.build, "rootfs"), os.path.join(build, "rootfs"))
	shutil.copy2(os.path.join(ctx.build, "tools", "manifest-check"), os.path.join(build, "tools"))
	os.makedirs(os.path.join(build, "busybox"), exist_ok=True)
	shutil.copy2(os.path.join(ctx.build, "busybox", "applets"), os.path.join(build, "busybox"))
	return build


def prebuilt(build):
	"""make options that take the seeded BusyBox, Lua and SQLite as they are
	(not fetched and built again)."""
	return ["-o", os.path.join(build, "rootfs", "bin", "busybox"), "-o", os.path.join(build, "busybox", "applets"),
		"-o", os.path.join(build, "rootfs", "bin", "lua"),
		"-o", os.path.join(build, "rootfs", "bin", "sqlite3")]


def build_image_with(ctx, extra, build):
	"""Runs the Makefile's user image rule with EXTRA=extra into build."""
	proc = subprocess.run(["make", "--no-print-directory", "BUILD=" + scratch_build(ctx, build)] + prebuilt(build) +
			      ["EXTRA=" + extra, os.path.join(build, "rootfs.cpio")], cwd=ROOT,
			      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=150)
	out = proc.stdout.decode(errors="replace")
	assert proc.returncode == 0, "make EXTRA=... failed:\n" + out[-2000:]
	return os.path.join(build, "rootfs.cpio")


def write(path, text):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	with open(path, "w") as f:
		f.write(text)


def host_policy(ctx, tree, *args):
	p = subprocess.run([os.path.join(ctx.build, "tools", "policy"), "--root", tree] + list(args),
			   capture_output=True, text=True, timeout=30)
	assert p.returncode == 0, "tools/policy %s: %s" % (" ".join(args), p.stderr)
	return p.stdout, p.stderr


def test_extra_dir_adds_programs_files_and_drop_ins(ctx):
	"""A program and a file laid over the image; /etc/handlers.d adds a handler
	at boot; /etc/policy.d files are read in name order, and a bad line in one
	is reported as FILE:LINE and skipped, by the kernel and the host tool alike."""
	with tempfile.TemporaryDirectory(prefix="optios-extra-") as tmp:
		extra = os.path.join(tmp, "mine")
		# a program of one's own: the SDK example under another name
		os.makedirs(os.path.join(extra, "bin"))
		shutil.copy(os.path.join(ctx.build, "rootfs", "bin", "hello"), os.path.join(extra, "bin", "greet"))
		write(os.path.join(extra, "etc", "notes.txt"), "added with EXTRA\n")
		write(os.path.join(extra, "etc", "handlers.d", "10-counter"), "# at boot\n/apps/counter\n/apps/nosuch\n")
		write(os.path.join(extra, "etc", "policy.d", "20-second.policy"), "grant nobody display\n")
		write(os.path.join(extra, "etc", "policy.d", "10-first.policy"),
		      "grant nobody display\nbogus line\ngrant nobody emit:sys:boot\n")
		write(os.path.join(extra, "etc", "policy.d", "notes.txt"), "not a drop-in: not read\n")
		build = os.path.join(tmp, "build")
		image = build_image_with(ctx, extra, build)
		_, host_err = host_policy(ctx, os.path.join(build, "rootfs.tree"), "list")
		with test_shell.shell(ctx, initrd=image) as m:
			test_shell.check(m, "greet from extra", "hello from OptiOS from extra\n")
			test_shell.check(m, "cat /etc/notes.txt", "added with EXTRA\n")
			out, _ = test_shell.run(m, "ls /bin")
			assert "greet" in out.split() and "sh" in out.split(), "ls /bin: %r" % out
			boot = m.text()
			# the boot list drop-in: counter was added before the shell, nosuch reported
			assert "counter" in test_handlers.handlers(m), boot[-3000:]
			assert "handler: /etc/handlers.d/10-counter:3: /apps/nosuch: error -2" in boot, boot[-3000:]
			guest_list = test_handlers.run(m, "policy")
		wants = ["/etc/policy.d/10-first.policy:2: unknown directive 'bogus' (expected 'grant PROGRAM "
			 "CAPABILITY') (line ignored)",
			 "/etc/policy.d/10-first.policy:3: bad capability 'emit:sys:boot': only app: topics may be "
			 "emitted (sys:, timer: and file: events are raised by the kernel alone) (line ignored)",
			 "/etc/policy.d/20-second.policy:1: 'grant nobody display' is there already (line ignored)"]
		for want in wants:
			assert "perm: " + want in boot, "kernel: no %r in\n%s" % (want, boot[-3000:])
			assert "policy: " + want in host_err, "host tool: no %r in\n%s" % (want, host_err)
		assert "policy.d/notes.txt" not in boot and "notes.txt" not in host_err, host_err
		assert guest_list.count("grant nobody display\n") == 1, guest_list


def readme_steps():
	"""The shell lines of README's "Outside the tree, step by step", and
	docs/HANDLERS.md's copy of them (the same lines)."""
	blocks = []
	for doc in ("README.md", os.path.join("docs", "HANDLERS.md")):
		text = open(os.path.join(ROOT, doc)).read()
		m = re.search(r"^    (OPTIOS=.*?\n(?:    .*\n)*?    make -C \$OPTIOS run EXTRA=\$PWD/dir)\n", text, re.M)
		assert m, "%s: no step-by-step block from OPTIOS=... to make -C $OPTIOS run" % doc
		blocks.append([line[4:] for line in m.group(0).splitlines()])
	assert blocks[0] == blocks[1], "README.md and docs/HANDLERS.md give different steps:\n%r\n%r" % tuple(blocks)
	return blocks[0]


def test_sdk_outside_the_tree_as_readme_says(ctx):
	"""README's steps, run as written in a temporary home: optios-cc builds the
	example program and handler outside the tree, their grants go in a
	drop-in, the image is made with EXTRA (`make ... rootfs.cpio` in a scratch
	build for `make run`, which would boot it interactively); then the handler
	is added, the program raises its event, the handler's output is in the
	log, and its grant is the drop-in's: the shipped /etc/policy is untouched
	and the kernel's `policy show` is the host tool's, byte for byte."""
	steps = readme_steps()
	assert steps[0].startswith("OPTIOS=~/optios ") and steps[-1] == "make -C $OPTIOS run EXTRA=$PWD/dir"
	with tempfile.TemporaryDirectory(prefix="optios-sdk-") as home:
		build = scratch_build(ctx, os.path.join(home, "scratch-build"))
		script = ["set -ex", "OPTIOS=" + ROOT] + steps[1:-1] + [
			"make -C $OPTIOS --no-print-directory BUILD=%s %s EXTRA=$PWD/dir %s/rootfs.cpio" %
			(build, " ".join(prebuilt(build)), build)]
		env = dict(os.environ, HOME=home)
		p = subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=home, stdout=subprocess.PIPE,
				   stderr=subprocess.STDOUT, timeout=150)
		out = p.stdout.decode(errors="replace")
		assert p.returncode == 0, "README's steps failed:\n" + out[-3000:]
		work = os.path.join(home, "hello-optios")
		for f in ("dir/bin/greet", "dir/apps/greeter", "dir/etc/policy.d/greeter.policy"):
			assert os.path.exists(os.path.join(work, f)), "%s not made:\n%s" % (f, out[-2000:])
		tree = os.path.join(build, "rootfs.tree")
		with open(os.path.join(tree, "etc", "policy"), "rb") as a, open(os.path.join(ROOT, "rootfs", "etc",
											   "policy"), "rb") as b:
			assert a.read() == b.read(), "the image's /etc/policy is not the shipped one"
		host_show, _ = host_policy(ctx, tree, "show", "greeter")
		with test_shell.shell(ctx, initrd=os.path.join(build, "rootfs.cpio")) as m:
			assert test_handlers.add(m, "/apps/greeter") == "greeter"
			test_shell.check(m, "greet world", "greet: sent app:greet world\n")
			recs = test_handlers.until(m, "greeter's output", test_handlers.log,
						   lambda r: test_handlers.outputs(r, "greeter"))
			assert test_handlers.texts(recs, "greeter") == ["greeter: hello, world (greeting 1)"], recs
			guest_show = test_handlers.run(m, "policy show greeter")
			assert "perm: /etc" not in m.text(), "warnings about the policy files:\n" + m.text()[-3000:]
		# the grant is the drop-in's, and says so
		assert test_policy_tool.section(guest_show, "granted") == [
			"console (to *, /etc/policy)", "event:app:greet (/etc/policy.d/greeter.policy)"], guest_show
		assert guest_show == host_show, "kernel:\n%s\nhost tool:\n%s" % (guest_show, host_show)


def test_optios_cc_refuses_what_the_kernel_would(ctx):
	"""optios-cc checks the manifest with the kernel's parser before building:
	a bad line fails the build as FILE:LINE: reason and leaves no program;
	so do an output that can never be granted and a context that does not
	fit. A good one ends up in the ELF's manifest section, byte for byte."""
	cc = os.path.join(ROOT, "sdk", "bin", "optios-cc")
	good = open(os.path.join(ROOT, "sdk", "examples", "greeter.manifest")).read()
	cases = [
		(good.replace("queue 8", "sometimes"), ["--handler"],
		 "greeter.manifest:5: unknown policy 'sometimes' (queue, coalesce or latest)"),
		(good + "output emit:sys:boot\n", ["--handler"],
		 "greeter.manifest:7: output 'emit:sys:boot' can never be granted: only app: topics may be emitted"),
		(good, [], "greeter.manifest: a program run from the shell needs context foreground or both"),
		(good.replace("background", "foreground"), ["--handler"],
		 "greeter.manifest: a handler needs context background or both"),
		(good.replace("name     greeter\n", ""), ["--handler"], "greeter.manifest: no 'name' line"),
	]
	env = dict(os.environ, OPTIOS_MANIFEST_CHECK=os.path.join(ctx.build, "tools", "manifest-check"))
	with tempfile.TemporaryDirectory(prefix="optios-cc-") as tmp:
		shutil.copy(os.path.join(ROOT, "sdk", "examples", "greeter.c"), tmp)
		for text, args, want in cases + [(good, ["--handler"], None)]:
			write(os.path.join(tmp, "greeter.manifest"), text)
			p = subprocess.run([cc] + args + ["-o", "out/greeter", "greeter.c"], cwd=tmp, env=env,
					   capture_output=True, text=True, timeout=120)
			made = os.path.exists(os.path.join(tmp, "out", "greeter"))
			if want:
				assert p.returncode != 0 and p.stderr.startswith(want) and not made, (want, p.stderr)
			else:
				assert p.returncode == 0 and made, p.stderr
		section = os.path.join(tmp, "section")
		subprocess.run(["objcopy", "--dump-section", ".optios.manifest=" + section, "out/greeter"], cwd=tmp,
			       check=True)
		assert open(section).read() == good
