"""What a user does at the OptiOS prompt with the userland (issue 11, "Done
when"; docs/USERLAND.md): a pipeline of BusyBox applets, a shell script with
a loop and a function, vi, less and top driven key by key over the serial
console, and the programs a user brings, Lua 5.4 and SQLite 3.40, from
Debian's source packages. Job control (Ctrl+Z, fg, bg, jobs) is
tests/system/test_signals.py's; ps, free, df and top -b test_devproc.py's."""

import os
import re
import tempfile
import time

import test_store
from test_shell import check, run, shell

# The serial console's screen: BusyBox's vi and less draw on 24 lines.
ESC = "\x1b"


def image_bin(ctx):
	"""The names in the test image's /bin (what `ls /bin` lists)."""
	return sorted(os.listdir(os.path.join(ctx.build, "rootfs-test.tree", "bin")))


def write_lines(m, path, lines):
	"""path made of lines by echo and >> (OptiOS's shell, single quotes kept)."""
	check(m, "echo -n > %s" % path, "")
	for line in lines:
		assert "'" not in line, line
		check(m, "echo '%s' >> %s" % (line, path), "")


def screen_until_prompt(m, keys, wait, timeout=20):
	"""Sends keys (a list: each a string, sent after a pause for the
	program to draw), then waits for the shell's prompt; returns what the
	console showed."""
	start = m.mark()
	for k in keys:
		m.send_serial(k)
		time.sleep(wait)
	m.wait_for(re.compile(r"/[^\r\n$ ]*\$ $"), timeout=timeout)
	return m.text()[start:]


def test_pipeline_of_applets_counts_bin(ctx):
	"""`ls /bin | grep s | wc -l`: OptiOS's ls into BusyBox's grep and wc
	through two pipes prints the count the image's /bin has."""
	want = sum(1 for n in image_bin(ctx) if "s" in n)
	with shell(ctx) as m:
		out, _ = run(m, "ls /bin | grep s | wc -l")
		assert out == "%d\n" % want, "ls /bin | grep s | wc -l: %r, the image has %d" % (out, want)
		check(m, "ls /bin | busybox grep -c s", "%d\n" % want)


def test_sh_script_was_ignored_and_path_lacked_usr_bin(ctx):
	"""Was: `sh FILE` ignored FILE and read the console (the shell knew only
	-c); and PATH was /bin, so BusyBox's sh found no applet (`wc: not
	found`). Now a script runs, in BusyBox's sh: a function, a for loop over
	its arguments, a while loop with arithmetic, $(...) with a pipeline of
	applets, && and ||; the same script by `busybox sh`."""
	with shell(ctx) as m:
		check(m, "busybox sh -c 'echo $PATH'", "/bin:/usr/bin\n")
		write_lines(m, "/data/count.sh", [
			"greet() { echo \"hello $1\"; }",
			"for w in \"$@\"; do greet $w; done",
			"i=0",
			"while [ $i -lt 3 ]; do i=$((i + 1)); echo \"i=$i\"; done",
			"echo \"files: $(ls /data | wc -l)\" && false || echo \"status $?\"",
		])
		want = "hello ann\nhello bob\ni=1\ni=2\ni=3\nfiles: 1\nstatus 1\n"
		check(m, "sh /data/count.sh ann bob", want)
		check(m, "busybox sh /data/count.sh ann bob", want)
		out, _ = run(m, "sh /data/nosuch.sh")
		assert re.fullmatch(r"sh: (can't open|cannot open) '?/data/nosuch.sh'?.*\n(sh: exited with status \d+\n)?", out), out


def test_vi_edits_and_saves_a_file(ctx):
	"""BusyBox's vi on the serial console: open a new file, insert two lines,
	Escape, :wq; the file holds them. Open it again, Ctrl+Z (the prompt
	comes back), fg, dd the first line, add one at the end with o, :wq; then
	:q! leaves without saving."""
	with shell(ctx) as m:
		shown = screen_until_prompt(m, ["vi /data/notes\r", "ifirst line\rsecond line" + ESC, ":wq\r"], 2)
		assert "'/data/notes' 2L, 23C" in shown, "vi's save line: %r" % shown[-400:]
		check(m, "cat /data/notes", "first line\nsecond line\n")
		m.send_serial("vi /data/notes\r")
		time.sleep(2)
		m.mark()
		m.send_serial("\x1a")  # vi's own suspend (its raw mode sends no SIGTSTP)
		m.wait_for(re.compile(r"\[1\]\+  Stopped  vi /data/notes\r?\n/\$ $"), timeout=20)
		screen_until_prompt(m, ["fg\r", "dd", "othird line" + ESC, ":wq\r"], 2)
		check(m, "cat /data/notes", "second line\nthird line\n")
		check(m, "jobs", "")
		screen_until_prompt(m, ["vi /data/notes\r", "dd", ":q!\r"], 2)
		check(m, "cat /data/notes", "second line\nthird line\n")


def test_less_pages_and_top_shows_processes(ctx):
	"""less shows a screenful of a 100-line file, space shows the next, q
	leaves to the prompt; top draws its memory, CPU and process lines (itself
	and the shell) and q leaves; ps, free and df answer."""
	with shell(ctx) as m:
		check(m, "seq 1 100 > /data/n", "")
		shown = screen_until_prompt(m, ["less /data/n\r", " ", "q"], 2)
		first = shown.split(ESC + "[7m/data/n")[0]
		assert re.search(r"\n\x1b\[K23\r\n", first) and "\x1b[K24\r\n" not in first, "first page: %r" % first[-300:]
		assert "\x1b[K24\r\n" in shown and "\x1b[K46\r\n" in shown, "no second page: %r" % shown[-400:]
		shown = screen_until_prompt(m, ["top\r", "q"], 4)
		assert re.search(r"Mem: \d+K used, \d+K free", shown), shown[-800:]
		assert re.search(r"PID +PPID +USER +STAT", shown), shown[-800:]
		assert re.search(r"\n +\d+ +\d+ 0 +R .* top\r?\n", shown), shown[-800:]
		assert re.search(r"\n +2 +0 0 +S .* /bin/sh\r?\n", shown), shown[-800:]
		check(m, "echo back", "back\n")
		# ps, free and df by the names a user types (OptiOS's ps and df, BusyBox's free)
		out, _ = run(m, "ps")
		assert re.search(r"^ +2 +0 .* sh$", out, re.M) and re.search(r"^ +\d+ +2 run .* ps$", out, re.M), out
		out, _ = run(m, "free")
		assert re.search(r"^Mem: +\d+ +\d+ +\d+", out, re.M), out
		out, _ = run(m, "df")
		assert re.search(r"^/data ", out, re.M) and re.search(r"^/tmp ", out, re.M), out


def test_ctrl_z_at_the_prompt_hung_the_shell(ctx):
	"""Was: Ctrl+Z at OptiOS's prompt stopped the program and the shell
	waited for it forever (waitpid without WUNTRACED): the console was dead.
	Now the job stops and the prompt comes back; jobs lists it, fg resumes it
	(Ctrl+C then ends it: $? 130), bg runs a stopped one on in the
	background and the prompt says when it is done; a stopped pipeline is
	one job."""
	with shell(ctx) as m:
		m.send_serial("busybox sleep 100\r")
		time.sleep(1)
		m.mark()
		m.send_serial("\x1a")
		m.wait_for(re.compile(r"\[1\]\+  Stopped  busybox sleep 100\r?\n/\$ $"), timeout=20)
		check(m, "jobs", "[1]+  Stopped  busybox sleep 100\n")
		m.mark()
		m.send_serial("fg\r")
		m.wait_for(re.compile(r"fg\r?\nbusybox sleep 100\r?\n"), timeout=20)
		time.sleep(1)
		m.send_serial("\x03")
		m.wait_for(re.compile(r"/\$ $"), timeout=20)
		check(m, "echo $?", "130\n")
		check(m, "jobs", "")
		m.send_serial("busybox sleep 3\r")
		time.sleep(1)
		m.mark()
		m.send_serial("\x1a")
		m.wait_for(re.compile(r"Stopped  busybox sleep 3\r?\n/\$ $"), timeout=20)
		check(m, "bg", "[1]  busybox sleep 3 &\n")
		check(m, "jobs", "[1]+  Running  busybox sleep 3\n")
		time.sleep(4)
		out, _ = run(m, "echo later")  # the prompt after a command says what ended
		assert re.search(r"^later\n\[1\]   Done  busybox sleep 3\n$", out, re.M), out
		m.send_serial("seq 1 1000 | less\r")
		time.sleep(2)
		m.mark()
		m.send_serial("\x1a")
		m.wait_for(re.compile(r"Stopped  seq 1 1000 \| less\r?\n/\$ $"), timeout=20)
		shown = screen_until_prompt(m, ["fg %1\r", "q"], 2)
		assert "seq 1 1000 | less" in shown, shown[-300:]
		check(m, "jobs", "")


def test_lua_popen_and_os_execute(ctx):
	"""Lua 5.4 (/bin/lua): io.popen("ls /bin") reads the listing and its
	close gives the exit status; os.execute returns true/exit/0 and
	nil/exit/3 as on Linux; a popen for writing feeds a program's input."""
	with shell(ctx) as m:
		write_lines(m, "/data/t.lua", [
			"local f = io.popen(\"ls /bin\")",
			"local names = {}",
			"for l in f:lines() do names[#names + 1] = l end",
			"print(\"popen\", #names, table.concat(names, \",\"), f:close())",
			"print(\"execute\", os.execute(\"echo from-sh\"))",
			"print(\"execute\", os.execute(\"exit 3\"))",
			"local w = io.popen(\"busybox wc -c > /data/wc\", \"w\")",
			"w:write(string.rep(\"x\", 1000))",
			"print(\"write\", w:close())",
			"print(_VERSION, math.type(1), (\"%5.1f\"):format(math.pi))",
		])
		names = image_bin(ctx)
		check(m, "lua /data/t.lua", "\n".join([
			"popen\t%d\t%s\ttrue\texit\t0" % (len(names), ",".join(names)),
			"from-sh",
			"execute\ttrue\texit\t0",
			"execute\tnil\texit\t3",
			"write\ttrue\texit\t0",
			"Lua 5.4\tinteger\t  3.1",
		]) + "\n", timeout=60)
		check(m, "cat /data/wc", "1000\n")


SQL_SETUP = [
	"CREATE TABLE t(i INTEGER PRIMARY KEY, s TEXT NOT NULL);",
	"BEGIN;",
]
SQL_CHECK = ("sqlite3 /data/t.db 'PRAGMA integrity_check; SELECT count(*), sum(i), max(length(s)) FROM t WHERE i <= 1000; "
	     "PRAGMA journal_mode; PRAGMA synchronous; PRAGMA locking_mode'")
ASH_PROMPT = r"\n/[^\r\n#]* # $"


def test_sqlite_default_settings_in_data_survives_power_cut(ctx):
	"""SQLite 3.40 (/bin/sqlite3) with its default settings (rollback
	journal, synchronous=FULL, fcntl locks): a database in /data on the disk
	store, 1,000 INSERTs in one transaction, PRAGMA integrity_check ok. A
	second sqlite3 meets a writer's EXCLUSIVE lock (`database is locked`),
	and with .timeout waits for its commit. The power is cut right after a
	last commit (a DELETE) returned: the next boot on the same disk has the
	1,000 rows (made durable by the later commits' fsyncs) and a sound
	database, and the DELETE either done or rolled back whole from its hot
	journal (in journal_mode delete a commit is the journal's unlink, which
	SQLite's default synchronous=FULL does not fsync: not promised durable,
	on Linux neither)."""
	with tempfile.TemporaryDirectory() as d:
		img = os.path.join(d, "disk.img")
		want = "ok\n1000|500500|8\ndelete\n2\nnormal\n"
		with test_store.boot(ctx, img) as m:
			write_lines(m, "/data/ins.sql", SQL_SETUP)
			check(m, "seq 1000 | sed 's/.*/INSERT INTO t VALUES(&, printf(\"row %04d\", &));/' >> /data/ins.sql", "")
			check(m, "echo 'COMMIT;' >> /data/ins.sql", "")
			check(m, "sqlite3 /data/t.db < /data/ins.sql", "", timeout=120)
			check(m, SQL_CHECK, want, timeout=60)
			check(m, "ls /data", "ins.sql\nt.db\n")  # the journal is gone: committed
			# Locks between processes: a writer holds EXCLUSIVE for 4 s.
			m.send_serial("busybox sh -i\r")
			m.wait_for(re.compile(ASH_PROMPT), timeout=30)
			m.mark()
			m.send_serial("(echo 'BEGIN EXCLUSIVE; INSERT INTO t VALUES(1001, \"row 1001\");'; sleep 4; "
				      "echo 'COMMIT;') | sqlite3 /data/t.db &\r")
			m.wait_for(re.compile(ASH_PROMPT), timeout=30)
			time.sleep(1.5)
			m.mark()
			m.send_serial("sqlite3 /data/t.db 'SELECT count(*) FROM t'; echo status $?\r")
			m.wait_for(re.compile(r"database is locked.*\r?\nstatus 5\r?\n"), timeout=30)
			m.mark()
			m.send_serial("sqlite3 -cmd '.timeout 10000' /data/t.db 'SELECT count(*) FROM t'; echo status $?\r")
			m.wait_for(re.compile(r"\n1001\r?\nstatus 0\r?\n"), timeout=40)
			m.mark()
			m.send_serial("sqlite3 /data/t.db 'DELETE FROM t WHERE i = 1001'; echo status $?\r")
			m.wait_for(re.compile(r"\nstatus 0\r?\n"), timeout=40)
			m.power_cut()
		with test_store.boot(ctx, img) as m:
			check(m, SQL_CHECK, want, timeout=60)
			check(m, "sqlite3 /data/t.db 'SELECT s FROM t WHERE i = 777'", "row 0777\n", timeout=60)
			out, _ = run(m, "sqlite3 /data/t.db 'SELECT s FROM t WHERE i > 1000'", timeout=60)
			assert out in ("", "row 1001\n"), "the DELETE half done: %r" % out
			check(m, "ls /data", "ins.sql\nt.db\n")  # a hot journal was rolled back and removed


def test_sqlite_wal_needs_exclusive_locking_without_shared_mappings(ctx):
	"""WAL's index is a MAP_SHARED mapping of DB-shm, and OptiOS maps no
	files (mmap of a file: ENODEV, docs/USERLAND.md): WAL with the default
	locking mode fails cleanly (disk I/O error, SQLite's log names the
	mmap) and the next sqlite3 says so again, nothing worse. With
	PRAGMA locking_mode=EXCLUSIVE first, SQLite keeps the index in its own
	memory and WAL works (one process at a time). When file mappings come,
	the first half of this test is the one to turn around."""
	with shell(ctx) as m:
		out, _ = run(m, "sqlite3 -cmd '.log stderr' /tmp/w.db 'PRAGMA journal_mode=WAL; CREATE TABLE a(x)'", timeout=60)
		assert re.search(r"^wal\n.*\(19\) mmap\(/tmp/w\.db-shm\).*\nError: stepping, disk I/O error \(10\)\n", out,
				 re.M | re.S), out
		check(m, "sqlite3 /tmp/e.db 'PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
		      "CREATE TABLE a(x); INSERT INTO a VALUES(1),(2); SELECT sum(x) FROM a'", "exclusive\nwal\n3\n", timeout=60)
		check(m, "sqlite3 /tmp/e.db 'PRAGMA locking_mode=EXCLUSIVE; SELECT count(*) FROM a; PRAGMA integrity_check; "
		      "PRAGMA journal_mode'", "exclusive\n2\nok\nwal\n", timeout=60)
