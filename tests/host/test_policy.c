/*
 * test_policy.c - lib/policy.c and lib/topic.c: capability syntax, the
 * covers/allows tables (with traversal-looking objects), topic pattern
 * overlaps, the policy file (errors with line numbers, bad lines skipped),
 * grant/revoke/generation, policy_set_compute, and the three queries on a small
 * program table, compared with golden text.
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "lib/policy.h"
#include "lib/topic.h"
#include "unit.h"

static struct policy pol;
static char err[256];
static char out[4096];

/* Like CHECK_STR for answers many lines long: shows both in full. */
static void text_is(const char *file, int line, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	fprintf(stderr, "--- got:\n%s--- want:\n%s---\n", got, want);
	unit_fail(file, line, "answer differs");
}
#define CHECK_TEXT(got, want) text_is(__FILE__, __LINE__, got, want)

/* Parses an exact-size heap copy of text (AddressSanitizer sees any overread). */
static int parse(const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	memcpy(copy, text, len);
	int r = policy_parse(copy, len, &pol, err, sizeof err);
	free(copy);
	return r;
}

TEST(policy_cap_parse_accepts_each_kind)
{
	static const struct {
		const char *cap;
		enum policy_cap kind;
		const char *object;
	} good[] = {
		{"file.read:/etc/thermo.conf", CAP_FILE_READ, "/etc/thermo.conf"},
		{"file.write:/data/", CAP_FILE_WRITE, "/data/"},
		{"file.write:/", CAP_FILE_WRITE, "/"},
		{"emit:app:thermo.*", CAP_EMIT, "app:thermo.*"},
		{"event:file:/data/inbox/", CAP_EVENT, "file:/data/inbox/"},
		{"event:*", CAP_EVENT, "*"},
		{"spawn:/bin/ls", CAP_SPAWN, "/bin/ls"},
		{"console", CAP_CONSOLE, ""},
		{"display", CAP_DISPLAY, ""},
		{"log.read", CAP_LOG_READ, ""},
		{"handler.manage", CAP_HANDLER_MANAGE, ""},
		{"policy.manage", CAP_POLICY_MANAGE, ""},
		{"power", CAP_POWER, ""},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		enum policy_cap kind = CAP_KINDS;
		const char *object = NULL;
		CHECK_EQ(policy_cap_parse(good[i].cap, &kind, &object), 0);
		CHECK_EQ(kind, good[i].kind);
		CHECK_STR(object ? object : "(null)", good[i].object);
	}
	CHECK_STR(policy_cap_kind_name(CAP_FILE_WRITE), "file.write");
	CHECK_STR(policy_cap_kind_name(CAP_HANDLER_MANAGE), "handler.manage");
	CHECK_STR(policy_cap_kind_name(CAP_KINDS), "?");
	CHECK_EQ(policy_cap_parse("console", NULL, NULL), 0);
}

TEST(policy_cap_parse_refuses_bad_ones)
{
	static const char *const bad[] = {
		"",
		"bogus",
		"Console",
		"console:",
		"console:x",
		"power:/",
		"file.read",
		"file.read:",
		"file.read:data/x",
		"file.read:/data/../etc",
		"file.read:/data/..",
		"file.read:/data/./x",
		"file.read://data",
		"file.read:/data//x",
		"file.write:/a b",
		"file.write:/a\tb",
		"file.write:/caf\xc3\xa9",
		"emit",
		"emit:",
		"emit:bogus:x",
		"emit:app:",
		"emit:app:a*b",
		"emit:app:a b",
		"event:file:/a/../b",
		"event:file:data",
		"spawn:bin/ls",
		":console",
		" console",
		"file.read :/x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum policy_cap kind = CAP_KINDS;
		int r = policy_cap_parse(bad[i], &kind, NULL);
		if (r != -EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK_EQ(r, -EINVAL);
		CHECK_EQ(kind, CAP_KINDS); /* untouched */
	}
	CHECK_EQ(policy_cap_parse(NULL, NULL, NULL), -EINVAL);
	/* a path of 4095 bytes (PATH_MAX - 1) is one, 4096 are not */
	static char cap[CAP_MAX + 1];
	memset(cap, 'a', sizeof cap);
	memcpy(cap, "file.read:/", 11);
	cap[10 + 4095] = '\0';
	CHECK_EQ(policy_cap_parse(cap, NULL, NULL), 0);
	cap[10 + 4095] = 'a';
	cap[10 + 4096] = '\0';
	CHECK_EQ(policy_cap_parse(cap, NULL, NULL), -EINVAL);
	CHECK_STR(policy_cap_problem(cap), "path longer than PATH_MAX - 1 (4095) bytes");
	cap[10 + 4096] = 'a';
	cap[CAP_MAX] = '\0';
	CHECK_STR(policy_cap_problem(cap), "too long");
}

TEST(policy_cap_covers_table)
{
	static const struct {
		const char *g, *c;
		bool covers;
	} t[] = {
		/* paths: a trailing '/' is a directory, by whole components */
		{"file.read:/data/", "file.read:/data/x", true},
		{"file.read:/data/", "file.read:/data/x/y", true},
		{"file.read:/data/", "file.read:/data/x/", true},
		{"file.read:/data/", "file.read:/data/", true},
		{"file.read:/data/", "file.read:/data", true},
		{"file.read:/data/", "file.read:/datax", false},
		{"file.read:/data/", "file.read:/", false},
		{"file.read:/data", "file.read:/data", true},
		{"file.read:/data", "file.read:/data/x", false},
		{"file.read:/data", "file.read:/data/", false},
		{"file.read:/data/in", "file.read:/data/inbox", false},
		{"file.read:/data/in/", "file.read:/data/inbox", false},
		{"file.read:/data/in/", "file.read:/data/inbox/", false},
		{"file.read:/", "file.read:/etc/passwd", true},
		{"file.read:/", "file.read:/", true},
		{"file.read:/", "file.write:/x", false},
		{"spawn:/apps/", "spawn:/apps/counter", true},
		/* objects that look like traversal are not capabilities at all */
		{"file.read:/data/", "file.read:/data/../etc", false},
		{"file.read:/data/", "file.read:/data/./x", false},
		{"file.read:/data/", "file.read:/data//x", false},
		{"file.read:/data/../", "file.read:/data/x", false},
		/* patterns */
		{"emit:app:*", "emit:app:x.*", true},
		{"emit:app:*", "emit:app:x", true},
		{"emit:app:x", "emit:app:*", false},
		{"emit:app:x", "emit:app:x", true},
		{"emit:app:x", "emit:app:xy", false},
		{"emit:app:x.*", "emit:app:x.y", true},
		{"emit:app:x.*", "emit:app:x", false},
		{"emit:app:x.*", "emit:app:xy.*", false},
		{"emit:*", "emit:sys:boot", false}, /* emit:* is not a capability: app: only */
		{"emit:app:*", "emit:*", false},
		{"emit:app:*", "emit:app:*", true},
		{"event:file:/data/", "event:file:/data/inbox/", true},
		{"event:file:/data/", "event:file:/data/inbox", true},
		{"event:file:/data/", "event:file:/data/in*", true},
		{"event:file:/data/", "event:file:/data*", false},
		{"event:file:/data/inbox/", "event:file:/data/", false},
		{"event:file:/data", "event:file:/database", false},
		{"event:file:/", "event:file:/x/y", true},
		{"event:file:/", "event:file:/*", true},
		{"event:file:*", "event:file:/x", true},
		{"event:file:/data*", "event:file:/data/", true},
		{"event:app:*", "emit:app:x", false},
		/* bare kinds */
		{"console", "console", true},
		{"console", "display", false},
		{"power", "power", true},
		{"bogus", "bogus", false},
		{"console", "console:x", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (policy_cap_covers(t[i].g, t[i].c) != t[i].covers)
			fprintf(stderr, "policy_cap_covers(%s, %s) should be %d\n", t[i].g, t[i].c, t[i].covers);
		CHECK_EQ(policy_cap_covers(t[i].g, t[i].c), t[i].covers);
	}
}

TEST(policy_cap_allows_table)
{
	static const struct {
		const char *c;
		enum policy_cap kind;
		const char *object;
		bool allows;
	} t[] = {
		{"file.write:/data/", CAP_FILE_WRITE, "/data/x", true},
		{"file.write:/data/", CAP_FILE_WRITE, "/data", true},
		{"file.write:/data/", CAP_FILE_WRITE, "/datax", false},
		{"file.write:/data/", CAP_FILE_READ, "/data/x", false},
		{"file.write:/data/", CAP_FILE_WRITE, "/data/../etc/passwd", false},
		{"file.write:/data/", CAP_FILE_WRITE, "/data//x", false},
		{"file.write:/data/", CAP_FILE_WRITE, "data/x", false},
		{"file.write:/data/", CAP_FILE_WRITE, "", false},
		{"file.write:/data/", CAP_FILE_WRITE, NULL, false},
		{"file.write:/data/summary", CAP_FILE_WRITE, "/data/summary", true},
		{"file.write:/data/summary", CAP_FILE_WRITE, "/data/summary2", false},
		{"file.write:/data/summary", CAP_FILE_WRITE, "/data/summary/x", false},
		{"spawn:/apps/counter", CAP_SPAWN, "/apps/counter", true},
		{"spawn:/apps/counter", CAP_SPAWN, "/apps/spinner", false},
		{"emit:app:x.*", CAP_EMIT, "app:x.y", true},
		{"emit:app:x.*", CAP_EMIT, "app:xy", false},
		{"emit:app:x.*", CAP_EMIT, "app:x.*", true},
		{"emit:app:x", CAP_EMIT, "app:x", true},
		{"emit:file:/data/", CAP_EMIT, "file:/data/a/../../etc", false},
		{"event:file:/data/inbox/", CAP_EVENT, "file:/data/inbox/", true},
		{"event:file:/data/inbox/", CAP_EVENT, "file:/data/inboxes/", false},
		{"console", CAP_CONSOLE, "", true},
		{"console", CAP_CONSOLE, NULL, true},
		{"console", CAP_CONSOLE, "x", false},
		{"console", CAP_DISPLAY, "", false},
		{"bogus", CAP_CONSOLE, "", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		bool got = policy_cap_allows(t[i].c, t[i].kind, t[i].object);
		if (got != t[i].allows)
			fprintf(stderr, "policy_cap_allows(%s, %d, %s) should be %d\n", t[i].c, t[i].kind,
				t[i].object ? t[i].object : "NULL", t[i].allows);
		CHECK_EQ(got, t[i].allows);
	}
}

TEST(policy_topic_patterns_overlap)
{
	static const struct {
		const char *a, *b;
		bool overlaps;
	} t[] = {
		{"app:x", "app:x", true},
		{"app:x", "app:y", false},
		{"app:*", "app:x", true},
		{"app:x.*", "app:*", true},
		{"app:x.*", "app:y.*", false},
		{"*", "sys:boot", true},
		{"app:*", "sys:*", false},
		{"file:/data/", "file:/data/inbox/x", true},
		{"file:/data/inbox/", "file:/data/", true},
		{"file:/data/inbox", "file:/data/inboxes", false},
		{"file:/da*", "file:/data/", true},
		{"file:/data/x*", "file:/data", true},
		{"file:/datax*", "file:/data", false},
		{"file:/", "file:/anything", true},
		{"app:*", "file:/data/", false},
		{"app:x", "app:x*", true},
		{"app:bad pattern", "app:*", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CHECK_EQ(topic_overlaps(t[i].a, t[i].b), t[i].overlaps);
		CHECK_EQ(topic_overlaps(t[i].b, t[i].a), t[i].overlaps);
	}
	CHECK(topic_pattern_valid("app:thermo.*"));
	CHECK(topic_pattern_valid("file:*"));
	CHECK(!topic_pattern_valid("file:/a//b"));
	CHECK(!topic_pattern_valid("**"));
	CHECK(!topic_pattern_valid(""));
}

TEST(policy_parse_reads_grants_and_comments)
{
	memset(&pol, 0, sizeof pol);
	const char *text = "# the system policy\n"
			   "\n"
			   "grant  *        console   # every program\n"
			   "\tgrant watcher file.write:/data/summary\r\n"
			   "grant watcher event:file:/data/inbox/";
	CHECK_EQ(parse(text), 0);
	CHECK_STR(err, "");
	CHECK_EQ(pol.n, 3);
	CHECK_EQ(pol.generation, 1);
	CHECK_STR(pol.grants[0].program, "*");
	CHECK_STR(policy_grant_cap(&pol, 0), "console");
	CHECK_STR(pol.grants[1].program, "watcher");
	CHECK_STR(policy_grant_cap(&pol, 1), "file.write:/data/summary");
	CHECK_STR(policy_grant_cap(&pol, 2), "event:file:/data/inbox/");
	CHECK(policy_granted(&pol, "watcher", "console"));
	CHECK(policy_granted(&pol, "anyone", "console"));
	CHECK(policy_granted(&pol, "watcher", "file.write:/data/summary"));
	CHECK(!policy_granted(&pol, "counter", "file.write:/data/summary"));
	CHECK(!policy_granted(&pol, "watcher", "file.write:/data/"));
	CHECK(!policy_granted(&pol, "watcher", "display"));
	CHECK(!policy_granted(NULL, "watcher", "console"));
	/* parsing again replaces the grants and moves the generation on */
	CHECK_EQ(parse("grant * display\n"), 0);
	CHECK_EQ(pol.n, 1);
	CHECK_EQ(pol.generation, 2);
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(pol.n, 0);
	CHECK_EQ(policy_parse(NULL, 5, &pol, err, sizeof err), 0);
}

TEST(policy_parse_errors_name_the_line)
{
	static const struct {
		const char *text, *err;
	} t[] = {
		{"allow * console\n",
		 "line 1: unknown directive 'allow' (expected 'grant PROGRAM CAPABILITY')"},
		{"\ngrant watcher\n", "line 2: expected 'grant PROGRAM CAPABILITY'"},
		{"grant a b c\n", "line 1: expected 'grant PROGRAM CAPABILITY'"},
		{"#\n#\ngrant Watcher console\n",
		 "line 3: bad program name 'Watcher' (1-31 chars of a-z 0-9 _ -, or *)"},
		{"grant abcdefghijklmnopqrstuvwxyz012345 console\n",
		 "line 1: bad program name 'abcdefghijklmnopqrstuvwxyz012345' (1-31 chars of a-z 0-9 _ -, or "
		 "*)"},
		{"grant w file.write:/data/../etc\n",
		 "line 1: bad capability 'file.write:/data/../etc': not a normal absolute path"},
		{"grant w emit:app:a*b\n", "line 1: bad capability 'emit:app:a*b': not a topic pattern"},
		{"grant w net.teleport:udp\n", "line 1: bad capability 'net.teleport:udp': unknown kind"},
		{"grant w net.send:udp\n", "line 1: bad capability 'net.send:udp': not PROTO:HOST:PORT (HOST a.b.c.d or *, a port 1-65535 or *)"},
		{"grant w console:x\n", "line 1: bad capability 'console:x': this kind takes no object"},
		{"grant w file.read\n", "line 1: bad capability 'file.read': this kind needs an object"},
		{"grant w console\ngrant w console\n", "line 2: 'grant w console' is there already"},
		{"grant w cons\001ole\n", "line 1: control character 0x01"},
		{"grant w con\0sole\n", "line 1: control character 0x00"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* the NUL case: the text goes on after it */
		size_t len = strlen(t[i].text);
		if (strcmp(t[i].text, "grant w con") == 0)
			len = sizeof "grant w con\0sole\n" - 1;
		CHECK_EQ(policy_parse(t[i].text, len, &pol, err, sizeof err), -EINVAL);
		CHECK_TEXT(err, t[i].err);
	}
	static char line[POLICY_LINE_MAX + 2];
	memset(line, ' ', sizeof line);
	memcpy(line, "grant * console", 15);
	CHECK_EQ(policy_parse(line, POLICY_LINE_MAX, &pol, err, sizeof err), 0);
	CHECK_EQ(policy_parse(line, POLICY_LINE_MAX + 1, &pol, err, sizeof err), -EINVAL);
	CHECK_STR(err, "line 1: line longer than 4240 bytes");
	static char big[POLICY_TEXT_MAX + 1];
	memset(big, '\n', sizeof big);
	memcpy(big, "grant * console\n", 16);
	CHECK_EQ(policy_parse(big, POLICY_TEXT_MAX, &pol, err, sizeof err), 0);
	CHECK_EQ(pol.n, 1);
	CHECK_EQ(policy_parse(big, POLICY_TEXT_MAX + 1, &pol, err, sizeof err), -EINVAL);
	CHECK_STR(err, "policy longer than 16384 bytes");
	CHECK_EQ(pol.n, 0);
	/* a short err buffer is cut, NUL-terminated; no buffer at all is fine */
	char tiny[8];
	CHECK_EQ(policy_parse("nonsense", 8, &pol, tiny, sizeof tiny), -EINVAL);
	CHECK_STR(tiny, "line 1:");
	CHECK_EQ(policy_parse("nonsense", 8, &pol, NULL, 0), -EINVAL);
}

TEST(policy_parse_skips_bad_lines_only)
{
	CHECK_EQ(parse("grant * console\n"
		       "grant w file.write:/data/../etc\n"
		       "grant w file.write:/data/\n"
		       "oops\n"
		       "grant w display\n"),
		 -EINVAL);
	CHECK_STR(err, "line 2: bad capability 'file.write:/data/../etc': not a normal absolute path");
	CHECK_EQ(pol.n, 3);
	CHECK_STR(policy_grant_cap(&pol, 1), "file.write:/data/");
	CHECK_STR(policy_grant_cap(&pol, 2), "display");
	CHECK(!policy_granted(&pol, "w", "file.write:/etc/x"));
}

/* Issue 9: the shipped policy granted the shell's emit emit:*, so a user
 * could raise sys:boot or a handler's timer by hand. */
#define EMIT_RULE \
	"only app: topics may be emitted (sys:, timer: and file: events are raised by the kernel alone)"

TEST(policy_emit_of_kernel_topics_refused)
{
	static const char *const refused[] = {
		"emit:*",	"emit:sys:boot",    "emit:sys:*", "emit:timer:counter.tick",
		"emit:timer:*", "emit:file:/data/", "emit:file:*"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		CHECK_EQ(policy_cap_parse(refused[i], NULL, NULL), -EINVAL);
		CHECK(strcmp(policy_cap_problem(refused[i]), EMIT_RULE) == 0);
		CHECK_EQ(policy_grant(&pol, "emit", refused[i]), -EINVAL);
		CHECK(!policy_cap_allows(refused[i], CAP_EMIT, "sys:boot"));
	}
	CHECK(policy_cap_problem("emit:app:*") == NULL);
	CHECK(policy_cap_problem("emit:app:x.y") == NULL);
	CHECK(policy_cap_allows("emit:app:*", CAP_EMIT, "app:x"));
	CHECK(!policy_cap_allows("emit:app:*", CAP_EMIT, "sys:boot"));
	CHECK_STR(policy_cap_problem("emit:"), "this kind needs an object");
	CHECK_STR(policy_cap_problem("bogus"), "unknown kind");
	/* event: of kernel topics stays grantable: handlers subscribe to them */
	CHECK(policy_cap_problem("event:sys:*") == NULL);
	CHECK_EQ(parse("grant emit emit:*\ngrant emit emit:app:*\n"), -EINVAL);
	CHECK(strcmp(err, "line 1: bad capability 'emit:*': " EMIT_RULE) == 0);
	CHECK_EQ(pol.n, 1);
	CHECK_STR(policy_grant_cap(&pol, 0), "emit:app:*");
}

struct bad_lines {
	unsigned n, line[8];
	char why[8][POLICY_WHY_MAX];
};

static void note_bad(void *arg, unsigned line, const char *why)
{
	struct bad_lines *b = arg;
	if (b->n < 8) {
		b->line[b->n] = line;
		snprintf(b->why[b->n], sizeof b->why[0], "%s", why);
	}
	b->n++;
}

/* /etc/policy then the drop-ins: one policy, every bad line reported with
 * its number in its own file, the good lines of each file kept. */
TEST(policy_load_adds_files_and_reports_each_bad_line)
{
	struct bad_lines shipped = {0}, dropin = {0};
	memset(&pol, 0, sizeof pol);
	const char *etc = "grant * console\ngrant sh file.read:/\n";
	CHECK_EQ(policy_load(&pol, "/etc/policy", etc, strlen(etc), note_bad, &shipped), 0);
	const char *d = "# mine\n"
			"grant mine event:app:mine\n"
			"grant mine emit:sys:boot\n"
			"nonsense here\n"
			"grant * console\n"
			"grant mine file.write:/data/mine/\n";
	CHECK_EQ(policy_load(&pol, "/etc/policy.d/mine.policy", d, strlen(d), note_bad, &dropin), 3);
	CHECK_EQ(shipped.n, 0);
	CHECK_EQ(dropin.n, 3);
	CHECK_EQ(dropin.line[0], 3);
	CHECK_EQ(dropin.line[1], 4);
	CHECK_EQ(dropin.line[2], 5);
	CHECK(strstr(dropin.why[0], "only app: topics") != NULL);
	CHECK_STR(dropin.why[1], "unknown directive 'nonsense' (expected 'grant PROGRAM CAPABILITY')");
	CHECK_STR(dropin.why[2], "'grant * console' is there already");
	CHECK_EQ(pol.n, 4);
	CHECK(policy_granted(&pol, "mine", "event:app:mine"));
	CHECK(policy_granted(&pol, "mine", "file.write:/data/mine/x"));
	CHECK(policy_granted(&pol, "sh", "file.read:/etc/policy"));
	/* each grant remembers its file; policy_show names it */
	CHECK_EQ(pol.nsources, 2);
	CHECK_STR(pol.sources[pol.grants[1].source - 1], "/etc/policy");
	CHECK_STR(pol.sources[pol.grants[2].source - 1], "/etc/policy.d/mine.policy");
	static struct manifest mine;
	const char *mt = "name mine\nversion 1\nevent app:mine queue\n";
	CHECK_EQ(manifest_parse(mt, strlen(mt), &mine, err, sizeof err), 0);
	struct policy_program prog = {"/apps/mine", &mine};
	policy_show(&pol, &prog, 1, "mine", out, sizeof out);
	CHECK_TEXT(strstr(out, "granted:"), "granted:\n"
					    "  console (to *, /etc/policy)\n"
					    "  event:app:mine (/etc/policy.d/mine.policy)\n"
					    "  file.write:/data/mine/ (/etc/policy.d/mine.policy)\n"
					    "effective:\n"
					    "  event:app:mine\n"
					    "missing:\n"
					    "  (none)\n");
	CHECK_EQ(policy_load(&pol, NULL, "grant x console", 15, NULL, NULL), 0); /* no reporter */
	CHECK_EQ(pol.grants[pol.n - 1].source, 0);
	static char big[POLICY_TEXT_MAX + 1];
	memset(big, '#', sizeof big);
	struct bad_lines whole = {0};
	CHECK_EQ(policy_load(&pol, "/etc/policy.d/big.policy", big, sizeof big, note_bad, &whole), 1);
	CHECK_EQ(whole.line[0], 0);
	CHECK_STR(whole.why[0], "policy longer than 16384 bytes");
}

TEST(policy_dropin_names)
{
	CHECK(policy_dropin_name("mine.policy"));
	CHECK(policy_dropin_name("10-test.policy"));
	CHECK(!policy_dropin_name(".policy"));
	CHECK(!policy_dropin_name(".hidden.policy"));
	CHECK(!policy_dropin_name("mine.policy~"));
	CHECK(!policy_dropin_name("mine"));
	CHECK(!policy_dropin_name("policy"));
}

TEST(policy_grant_revoke_generation)
{
	memset(&pol, 0, sizeof pol);
	CHECK_EQ(policy_grant(&pol, "watcher", "file.write:/data/"), 0);
	CHECK_EQ(policy_grant(&pol, "*", "console"), 0);
	CHECK_EQ(policy_grant(&pol, "watcher", "display"), 0);
	CHECK_EQ(pol.generation, 3);
	CHECK_EQ(policy_grant(&pol, "watcher", "display"), -EEXIST);
	CHECK_EQ(policy_grant(&pol, "Watcher", "display"), -EINVAL);
	CHECK_EQ(policy_grant(&pol, "watcher", "file.write:/data/../x"), -EINVAL);
	CHECK_EQ(policy_grant(&pol, "", "console"), -EINVAL);
	CHECK_EQ(policy_grant(&pol, NULL, "console"), -EINVAL);
	CHECK_EQ(pol.generation, 3); /* refusals change nothing */
	CHECK(policy_granted(&pol, "watcher", "file.write:/data/x"));
	CHECK_EQ(policy_revoke(&pol, "watcher", "file.write:/data/x"), -ENOENT); /* exactly that grant */
	CHECK_EQ(policy_revoke(&pol, "other", "console"), -ENOENT);
	CHECK_EQ(policy_revoke(&pol, "watcher", "file.write:/data/"), 0);
	CHECK_EQ(pol.generation, 4);
	CHECK(!policy_granted(&pol, "watcher", "file.write:/data/x"));
	CHECK_EQ(pol.n, 2);
	CHECK_STR(policy_grant_cap(&pol, 0), "console"); /* the order is kept */
	CHECK_STR(policy_grant_cap(&pol, 1), "display");
	CHECK_EQ(policy_list(&pol, out, sizeof out), strlen(out));
	CHECK_TEXT(out, "grant * console\ngrant watcher display\n");
	char cap[32];
	for (int i = (int)pol.n; i < POLICY_GRANTS_MAX; i++) {
		snprintf(cap, sizeof cap, "file.read:/f%d", i);
		CHECK_EQ(policy_grant(&pol, "many", cap), 0);
	}
	CHECK_EQ(policy_grant(&pol, "many", "file.read:/last"), -ENOSPC);
	CHECK_EQ(pol.n, POLICY_GRANTS_MAX);
	/* what policy_list writes parses back to the same grants */
	static struct policy again;
	static char text[POLICY_TEXT_MAX];
	size_t len = policy_list(&pol, text, sizeof text);
	CHECK(len < sizeof text);
	CHECK_EQ(policy_parse(text, len, &again, err, sizeof err), 0);
	CHECK_EQ(again.n, pol.n);
	CHECK(memcmp(again.grants, pol.grants, sizeof pol.grants) == 0);
	/* a short buffer: cut and terminated, the full length returned */
	CHECK_EQ(policy_list(&pol, text, 5), len);
	CHECK_TEXT(text, "gran");
}

/* ---- permissions and the queries, on a small image ---- */

static struct manifest watcher, relay, sink, shell, counter1, counter2;
static struct policy_program progs[] = {
	{"/apps/watcher", &watcher}, {"/test/handlers/counter2", &counter2},
	{"/apps/relay", &relay},     {"/apps/sink", &sink},
	{"/bin/edit", &shell},	     {"/apps/counter", &counter1},
	{"/bin/none", NULL},
};
#define NPROGS (sizeof progs / sizeof progs[0])

static void load(struct manifest *m, const char *text)
{
	CHECK_EQ(manifest_parse(text, strlen(text), m, err, sizeof err), 0);
	CHECK_STR(err, "");
}

static void setup(void)
{
	load(&watcher, "name watcher\nversion 1\nevent file:/data/inbox/ queue 32\n"
		       "output file.write:/data/summary\noutput display\noutput net.send:udp\n");
	load(&relay, "name relay\nversion 3\nbudget 10ms\nmemory 64\nevent app:crash queue\n"
		     "output emit:app:relay.*\n");
	load(&sink, "name sink\nversion 1\ncontext both\nevent app:relay.done queue\nevent app:other queue\n"
		    "output emit:app:crash\noutput console\n");
	load(&shell, "name edit\nversion 1\ncontext foreground\nevent app:crash queue\noutput console\n");
	load(&counter1, "name counter\nversion 1\nevent timer:counter.tick latest\n");
	load(&counter2, "name counter\nversion 2\nevent timer:counter.tick latest\nbudget 1500us\n");
	memset(&pol, 0, sizeof pol);
	static const char *text = "grant * console\n"
				  "grant watcher event:file:/data/\n"
				  "grant watcher file.write:/data/summary\n"
				  "grant relay event:app:crash\n"
				  "grant relay emit:app:*\n"
				  "grant sink event:app:relay.*\n"
				  "grant sink emit:app:crash\n"
				  "grant edit event:app:crash\n"
				  "grant counter event:timer:counter.*\n";
	CHECK_EQ(parse(text), 0);
}

TEST(policy_perm_set_compute)
{
	static struct policy_set s;
	setup();
	policy_set_compute(&s, &watcher, &pol);
	CHECK_STR(s.name, "watcher");
	CHECK_EQ(s.contexts, MANIFEST_CTX_BACKGROUND);
	CHECK_EQ(s.generation, pol.generation);
	CHECK_EQ(s.n, 4);
	CHECK_STR(policy_set_cap(&s, 0), "event:file:/data/inbox/");
	CHECK_STR(policy_set_cap(&s, 1), "file.write:/data/summary");
	CHECK_STR(policy_set_cap(&s, 2), "display");
	CHECK_STR(policy_set_cap(&s, 3), "net.send:udp"); /* invalid: declared, never granted */
	CHECK(s.granted[0] && s.granted[1] && !s.granted[2] && !s.granted[3]);
	CHECK_EQ(policy_set_missing(&s), 2);
	CHECK(policy_set_allows(&s, CAP_FILE_WRITE, "/data/summary"));
	CHECK(!policy_set_allows(&s, CAP_FILE_WRITE, "/data/other"));
	CHECK(!policy_set_allows(&s, CAP_FILE_WRITE, "/data/inbox/../summary"));
	CHECK(policy_set_allows(&s, CAP_EVENT, "file:/data/inbox/"));
	CHECK(policy_set_allows(&s, CAP_EVENT, "file:/data/inbox/a"));
	CHECK(!policy_set_allows(&s, CAP_EVENT, "file:/data/"));
	CHECK(!policy_set_allows(&s, CAP_DISPLAY, ""));
	/* console is granted to *, but watcher does not declare it */
	CHECK(!policy_set_allows(&s, CAP_CONSOLE, ""));

	policy_set_compute(&s, &relay, &pol);
	CHECK_EQ(s.budget_ns, 10000000);
	CHECK_EQ(s.memory_pages, 64);
	CHECK_EQ(policy_set_missing(&s), 0);
	CHECK(policy_set_allows(&s, CAP_EMIT, "app:relay.x"));
	CHECK(!policy_set_allows(&s, CAP_EMIT, "app:relayx"));

	policy_set_compute(&s, NULL, &pol); /* no manifest: its console only */
	CHECK_EQ(s.n, 1);
	CHECK_STR(policy_set_cap(&s, 0), "console");
	CHECK(s.granted[0]);
	CHECK_STR(s.name, "");
	CHECK(policy_set_allows(&s, CAP_CONSOLE, ""));
	CHECK(!policy_set_allows(&s, CAP_FILE_READ, "/etc/policy"));
	policy_set_compute(&s, NULL, NULL);
	CHECK(policy_set_allows(&s, CAP_CONSOLE, NULL));

	/* a revoke shows in the next computation, with a new generation */
	uint64_t gen = pol.generation;
	CHECK_EQ(policy_revoke(&pol, "relay", "emit:app:*"), 0);
	policy_set_compute(&s, &relay, &pol);
	CHECK(s.generation > gen);
	CHECK_EQ(policy_set_missing(&s), 1);
	CHECK(!policy_set_allows(&s, CAP_EMIT, "app:relay.x"));
}

TEST(policy_show_golden)
{
	setup();
	size_t len = policy_show(&pol, progs, NPROGS, "watcher", out, sizeof out);
	CHECK_TEXT(out, "watcher (/apps/watcher): version 1, background\n"
			"declared:\n"
			"  event:file:/data/inbox/\n"
			"  file.write:/data/summary\n"
			"  display\n"
			"  net.send:udp\n"
			"granted:\n"
			"  console (to *)\n"
			"  event:file:/data/\n"
			"  file.write:/data/summary\n"
			"effective:\n"
			"  event:file:/data/inbox/\n"
			"  file.write:/data/summary\n"
			"missing:\n"
			"  display (policy grant watcher display)\n"
			"  net.send:udp (invalid: not PROTO:HOST:PORT (HOST a.b.c.d or *, a port 1-65535 or *))\n");
	CHECK_EQ(len, strlen(out));
	/* two programs of one name, in path order; a path names one */
	policy_show(&pol, progs, NPROGS, "counter", out, sizeof out);
	CHECK_TEXT(out, "counter (/apps/counter): version 1, background\n"
			"declared:\n"
			"  event:timer:counter.tick\n"
			"granted:\n"
			"  console (to *)\n"
			"  event:timer:counter.*\n"
			"effective:\n"
			"  event:timer:counter.tick\n"
			"missing:\n"
			"  (none)\n"
			"\n"
			"counter (/test/handlers/counter2): version 2, background, budget 1500us\n"
			"declared:\n"
			"  event:timer:counter.tick\n"
			"granted:\n"
			"  console (to *)\n"
			"  event:timer:counter.*\n"
			"effective:\n"
			"  event:timer:counter.tick\n"
			"missing:\n"
			"  (none)\n");
	policy_show(&pol, progs, NPROGS, "/apps/relay", out, sizeof out);
	CHECK_TEXT(out, "relay (/apps/relay): version 3, background, budget 10ms, memory 64 pages\n"
			"declared:\n"
			"  event:app:crash\n"
			"  emit:app:relay.*\n"
			"granted:\n"
			"  console (to *)\n"
			"  event:app:crash\n"
			"  emit:app:*\n"
			"effective:\n"
			"  event:app:crash\n"
			"  emit:app:relay.*\n"
			"missing:\n"
			"  (none)\n");
	len = policy_show(&pol, progs, NPROGS, "ghost", out, sizeof out);
	CHECK_EQ(len, strlen(out));
	CHECK_TEXT(out, "no such program: ghost\n");
	policy_show(&pol, progs, NPROGS, NULL, out, sizeof out);
	CHECK_TEXT(out, "no such program: \n");
	CHECK(policy_program_find(progs, NPROGS, "ghost") == NULL);
	CHECK(policy_program_find(progs, NPROGS, "counter") == &progs[1]);
	CHECK(policy_program_find(progs, NPROGS, "/apps/counter") == &progs[5]);
	CHECK(policy_program_find(progs, NPROGS, "/bin/none") == NULL); /* no manifest */
	/* cut short: terminated, and the length it needs */
	char small[16];
	len = policy_show(&pol, progs, NPROGS, "watcher", out, sizeof out);
	CHECK_EQ(policy_show(&pol, progs, NPROGS, "watcher", small, sizeof small), len);
	CHECK_STR(small, "watcher (/apps/");
	CHECK_EQ(policy_show(&pol, progs, NPROGS, "watcher", NULL, 0), len);
}

TEST(policy_who_can_golden)
{
	setup();
	policy_who_can(&pol, progs, NPROGS, "file.write:/data/summary", out, sizeof out);
	CHECK_TEXT(out, "who can file.write:/data/summary:\n"
			"  watcher (/apps/watcher) by file.write:/data/summary\n");
	policy_who_can(&pol, progs, NPROGS, "file.write:/data/", out, sizeof out);
	CHECK_TEXT(out, "who can file.write:/data/:\n  nobody\n");
	policy_who_can(&pol, progs, NPROGS, "console", out, sizeof out);
	CHECK_TEXT(out, "who can console:\n"
			"  edit (/bin/edit) by console\n"
			"  sink (/apps/sink) by console\n"
			"  any program without a manifest\n");
	policy_who_can(&pol, progs, NPROGS, "emit:app:relay.done", out, sizeof out);
	CHECK_TEXT(out, "who can emit:app:relay.done:\n"
			"  relay (/apps/relay) by emit:app:relay.*\n");
	policy_who_can(&pol, progs, NPROGS, "event:timer:counter.tick", out, sizeof out);
	CHECK_TEXT(out, "who can event:timer:counter.tick:\n"
			"  counter (/apps/counter) by event:timer:counter.tick\n"
			"  counter (/test/handlers/counter2) by event:timer:counter.tick\n");
	policy_who_can(&pol, progs, NPROGS, "file.write:/data/../etc", out, sizeof out);
	CHECK_TEXT(out, "invalid capability: file.write:/data/../etc\n");
}

TEST(policy_on_golden)
{
	setup();
	/* relay runs; it may emit app:relay.*, which sink handles; sink may emit
	 * app:crash, but relay was listed already. edit is foreground only. */
	policy_on(&pol, progs, NPROGS, "app:crash", out, sizeof out);
	CHECK_TEXT(out, "on app:crash:\n"
			"  relay (/apps/relay) runs (by event:app:crash)\n"
			"    event:app:crash\n"
			"    emit:app:relay.*\n"
			"  sink (/apps/sink) may then run (by event:app:relay.done, after emit:app:relay.* "
			"of relay)\n"
			"    event:app:relay.done\n"
			"    emit:app:crash\n"
			"    console\n");
	policy_on(&pol, progs, NPROGS, "app:relay.done", out, sizeof out);
	CHECK_TEXT(out,
		   "on app:relay.done:\n"
		   "  sink (/apps/sink) runs (by event:app:relay.done)\n"
		   "    event:app:relay.done\n"
		   "    emit:app:crash\n"
		   "    console\n"
		   "  relay (/apps/relay) may then run (by event:app:crash, after emit:app:crash of sink)\n"
		   "    event:app:crash\n"
		   "    emit:app:relay.*\n");
	policy_on(&pol, progs, NPROGS, "file:/data/inbox/a.txt", out, sizeof out);
	CHECK_TEXT(out, "on file:/data/inbox/a.txt:\n"
			"  watcher (/apps/watcher) runs (by event:file:/data/inbox/)\n"
			"    event:file:/data/inbox/\n"
			"    file.write:/data/summary\n");
	/* a pattern: every handler of a topic it may match */
	policy_on(&pol, progs, NPROGS, "timer:*", out, sizeof out);
	CHECK_TEXT(out, "on timer:*:\n"
			"  counter (/apps/counter) runs (by event:timer:counter.tick)\n"
			"    event:timer:counter.tick\n"
			"  counter (/test/handlers/counter2) runs (by event:timer:counter.tick)\n"
			"    event:timer:counter.tick\n");
	/* not granted: sink's app:other is declared but no grant covers it */
	policy_on(&pol, progs, NPROGS, "app:other", out, sizeof out);
	CHECK_TEXT(out, "on app:other: no handler runs\n");
	policy_on(&pol, progs, NPROGS, "app:bad topic", out, sizeof out);
	CHECK_TEXT(out, "invalid topic: app:bad topic\n");
	policy_on(&pol, progs, NPROGS, NULL, out, sizeof out);
	CHECK_TEXT(out, "invalid topic: \n");
	/* the answer does not depend on the order the programs come in */
	struct policy_program rev[NPROGS];
	for (size_t i = 0; i < NPROGS; i++)
		rev[i] = progs[NPROGS - 1 - i];
	static char again[sizeof out];
	policy_on(&pol, progs, NPROGS, "app:crash", out, sizeof out);
	policy_on(&pol, rev, NPROGS, "app:crash", again, sizeof again);
	CHECK_TEXT(again, out);
}

/* A set granting each of caps (none declared beyond them). */
static void set_of(struct policy_set *s, const char *const *caps, size_t n)
{
	size_t used = 0;
	memset(s, 0, sizeof *s);
	for (s->n = 0; s->n < n; s->n++) {
		s->cap_at[s->n] = (uint16_t)used;
		strcpy(s->cap_text + used, caps[s->n]);
		used += strlen(caps[s->n]) + 1;
		s->granted[s->n] = true;
	}
}

/* Bug: paths of 128 bytes or more (CAP_MAX) got EACCES even below a grant:
 * the checked path was validated as if it were a capability. Any path the
 * file system accepts (shorter than its PATH_MAX, 4096) is checked. */
TEST(policy_paths_of_128_bytes_or_more_are_checked_not_refused)
{
	static const char *const caps[] = {"file.write:/data/mine/", "file.read:/data/log"};
	static struct policy_set s;
	static char path[POLICY_PATH_MAX + 8];
	set_of(&s, caps, 2);
	for (size_t len = 100; len <= POLICY_PATH_MAX; len += 4) {
		memset(path, 'a', len);
		memcpy(path, "/data/mine/", 11);
		path[len] = '\0';
		CHECK_EQ(policy_set_allows(&s, CAP_FILE_WRITE, path), len < POLICY_PATH_MAX);
		memcpy(path, "/data/else/", 11);
		CHECK(!policy_set_allows(&s, CAP_FILE_WRITE, path));
	}
	memset(path + 11, 'b', 300);
	memcpy(path, "/data/mine/", 11);
	path[150] = '/'; /* "/data/mine/bb.../bb...": two components */
	path[311] = '\0';
	CHECK(policy_set_allows(&s, CAP_FILE_WRITE, path));
	CHECK(policy_set_sees(&s, path));
}

/* Which paths a program sees (unveil-like): at, below or above a granted
 * file capability's path; nothing else, whatever its other capabilities. */
TEST(policy_set_sees_granted_paths_their_ancestors_and_nothing_else)
{
	static const char *const caps[] = {"file.write:/data/mine/", "file.read:/etc/motd", "spawn:/bin/",
					   "emit:app:*"};
	static struct policy_set s;
	set_of(&s, caps, 4);
	static const struct {
		const char *path;
		bool seen;
	} table[] = {
		{"/", true},
		{"/data", true},
		{"/data/mine", true},
		{"/data/mine/x", true},
		{"/data/mine/x/y", true},
		{"/data/minex", false},
		{"/data/other", false},
		{"/data/other/mine", false},
		{"/etc", true},
		{"/etc/motd", true},
		{"/etc/motd/x", false}, /* a one-path grant sees that path only */
		{"/etc/policy", false},
		{"/bin", false}, /* spawn is not a file capability */
		{"/bin/ls", false},
		{"/tmp", false},
		{"data", false}, /* not absolute */
		{"/data/../etc", false},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (policy_set_sees(&s, table[i].path) != table[i].seen)
			fprintf(stderr, "host:   sees %s: want %d\n", table[i].path, table[i].seen);
		CHECK_EQ(policy_set_sees(&s, table[i].path), table[i].seen);
	}
	CHECK(policy_set_sees_below(&s, "/data/mine"));
	CHECK(policy_set_sees_below(&s, "/data/mine/sub"));
	CHECK(!policy_set_sees_below(&s, "/data"));
	CHECK(!policy_set_sees_below(&s, "/etc"));
	s.granted[0] = false; /* revoked: no longer seen */
	CHECK(!policy_set_sees(&s, "/data/mine/x"));
	CHECK(!policy_set_sees(&s, "/data"));
	CHECK(policy_set_sees(&s, "/"));
}

/* "file.write:" (or another kind) and a path of n bytes: "/data/" and then
 * components of 200 'b's, the last letter being last. */
static const char *long_cap(const char *kind, size_t n, char last)
{
	static char cap[CAP_MAX + 8];
	size_t at = (size_t)snprintf(cap, sizeof cap, "%s:/data/", kind), start = at - 6;
	for (size_t i = 0; at < start + n; i++)
		cap[at++] = i % 201 == 200 ? '/' : 'b';
	cap[at - 1] = last;
	cap[at] = '\0';
	return cap;
}

/* Bug: a grant could not name a path of 128 bytes or more (capabilities
 * were 127-char strings) although the checks took such paths: the policy
 * file refused the line, policy_grant the capability. A grant, a policy
 * file's line and a manifest's output now name any path up to PATH_MAX - 1
 * (4095) bytes; they are stored in one buffer per policy and per set. */
TEST(grant_of_a_path_of_128_bytes_or_more_was_refused)
{
	static char cap[CAP_MAX], text[POLICY_TEXT_MAX], answer[32768], path[CAP_MAX + 16];
	static struct manifest m;
	static struct policy_set s;
	snprintf(cap, sizeof cap, "%s", long_cap("file.write", 4095, 'x'));
	CHECK_EQ(strlen(cap), 11 + 4095);
	/* a line of /etc/policy */
	snprintf(text, sizeof text, "grant * console\ngrant boxed %s\ngrant boxed display\n", cap);
	CHECK_EQ(parse(text), 0);
	CHECK_EQ(pol.n, 3);
	CHECK_STR(policy_grant_cap(&pol, 1), cap);
	CHECK_STR(policy_grant_cap(&pol, 2), "display");
	CHECK(policy_granted(&pol, "boxed", cap));
	CHECK_EQ(policy_list(&pol, text, sizeof text), strlen(text));
	CHECK(strstr(text, cap) != NULL); /* listed whole */
	/* a manifest declaring it: granted, allows exactly that path */
	size_t n =
		(size_t)snprintf(text, sizeof text, "name boxed\nversion 1\ncontext both\noutput %s\n", cap);
	CHECK_EQ(manifest_parse(text, n, &m, err, sizeof err), 0);
	policy_set_compute(&s, &m, &pol);
	CHECK_EQ(s.n, 1);
	CHECK_STR(policy_set_cap(&s, 0), cap);
	CHECK_EQ(policy_set_missing(&s), 0);
	const char *p = cap + strlen("file.write:");
	CHECK(policy_set_allows(&s, CAP_FILE_WRITE, p));
	CHECK(policy_set_sees(&s, p));
	snprintf(path, sizeof path, "%s", p);
	path[strlen(path) - 1] = 'y'; /* its sibling */
	CHECK(!policy_set_allows(&s, CAP_FILE_WRITE, path));
	CHECK(!policy_set_sees(&s, path));
	/* a directory grant of 300 bytes covers what is below it */
	snprintf(cap, sizeof cap, "%s/", long_cap("file.write", 300, 'd'));
	CHECK_EQ(policy_grant(&pol, "boxed", cap), 0);
	snprintf(path, sizeof path, "%sinside", cap);
	CHECK(policy_granted(&pol, "boxed", path));
	CHECK(policy_granted(&pol, "boxed", long_cap("file.write", 300, 'd')));
	CHECK(!policy_granted(&pol, "boxed", long_cap("file.write", 300, 'e')));
	/* policy show prints it whole */
	struct policy_program prog = {"/test/boxed", &m};
	CHECK(policy_show(&pol, &prog, 1, "boxed", answer, sizeof answer) < sizeof answer);
	CHECK(strstr(answer, cap) != NULL);
	CHECK(strstr(answer, policy_set_cap(&s, 0)) != NULL);
	/* revoke closes the gap: later grants keep their capabilities */
	CHECK_EQ(policy_revoke(&pol, "boxed", policy_set_cap(&s, 0)), 0);
	CHECK_STR(policy_grant_cap(&pol, 1), "display");
	CHECK_STR(policy_grant_cap(&pol, 2), cap);
	CHECK_EQ(pol.cap_bytes, sizeof "console" + sizeof "display" + strlen(cap) + 1);
	/* the syscall's check (lib) refuses 4096 bytes with the reason */
	CHECK_STR(policy_cap_problem(long_cap("file.write", 4096, 'x')),
		  "path longer than PATH_MAX - 1 (4095) bytes");
}

/* The policy's capabilities are bounded in bytes (POLICY_CAPS_BYTES) as
 * well as in number: past the budget a grant is refused with -E2BIG, a
 * policy file's line with the reason, and nothing is half added. */
TEST(policy_capabilities_over_the_byte_budget_are_refused)
{
	static char cap[CAP_MAX], text[POLICY_TEXT_MAX];
	memset(&pol, 0, sizeof pol);
	int i = 0;
	for (;; i++) { /* 4 KiB grants until the budget is full */
		snprintf(cap, sizeof cap, "%s", long_cap("file.read", 4000, (char)('a' + i)));
		int r = policy_grant(&pol, "big", cap);
		if (r)
			break;
	}
	CHECK_EQ(i, POLICY_CAPS_BYTES / (10 + 4000 + 1));
	CHECK_EQ(policy_grant(&pol, "big", cap), -E2BIG);
	CHECK_EQ(pol.n, (size_t)i);
	uint64_t generation = pol.generation;
	CHECK(pol.cap_bytes + strlen(cap) + 1 > POLICY_CAPS_BYTES);
	CHECK(policy_grant(&pol, "big", "console") == 0); /* a short one still fits */
	CHECK_EQ(pol.generation, generation + 1);
	struct bad_lines bad = {0};
	snprintf(text, sizeof text, "grant big console\ngrant big %s\n", cap);
	CHECK_EQ(policy_load(&pol, "/etc/policy.d/big.policy", text, strlen(text), note_bad, &bad), 2);
	CHECK_EQ(bad.line[1], 2);
	CHECK_STR(bad.why[1], "the policy's capabilities take more than 32768 bytes");
	/* a revoke makes room again */
	CHECK_EQ(policy_revoke(&pol, "big", policy_grant_cap(&pol, 0)), 0);
	CHECK_EQ(policy_grant(&pol, "big", cap), 0);
	CHECK_STR(policy_grant_cap(&pol, pol.n - 1), cap);
}

/* The network capabilities (issue 12): PROTO:PORT and PROTO:HOST:PORT
 * objects, "*" per field, the protocol each kind allows, covering field by
 * field; who-can names who may send part of a query, and replies. */
TEST(policy_network_capabilities_parse_and_cover)
{
	static const char *const good[] = {
		"net.listen:udp:7",	  "net.listen:tcp:65535",   "net.listen:tcp:*",	   "net.reply:udp:7",
		"net.reply:tcp:80",	  "net.send:udp:10.0.2.2:53", "net.send:udp:*:*",	   "net.send:udp:0.0.0.0:1",
		"net.connect:tcp:10.0.2.2:*", "net.connect:tcp:*:80",
	};
	static const char *const bad[] = {
		"net.listen:udp:0",	"net.listen:udp:65536",	"net.listen:udp:07",	 "net.listen:icmp:7",
		"net.listen:udp",	"net.listen:udp:7:8",	"net.send:tcp:1.2.3.4:5", "net.connect:udp:1.2.3.4:5",
		"net.send:udp:1.2.3:5", "net.send:udp:1.2.3.256:5", "net.send:udp:1.2.3.4",	 "net.send:udp:1.2.3.*:5",
		"net.send:udp:01.2.3.4:5", "net.reply:udp:x",	 "net.send",		 "net.send:udp:1.2.3.4.5:6",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(policy_cap_problem(good[i]) == NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(policy_cap_problem(bad[i]) != NULL);
	CHECK_STR(policy_cap_problem("net.send:tcp:1.2.3.4:5"),
		  "net.send is for udp (a TCP connection: net.connect:tcp:HOST:PORT)");
	CHECK(policy_cap_covers("net.send:udp:*:*", "net.send:udp:10.0.2.2:53"));
	CHECK(policy_cap_covers("net.send:udp:10.0.2.2:*", "net.send:udp:10.0.2.2:53"));
	CHECK(!policy_cap_covers("net.send:udp:10.0.2.2:*", "net.send:udp:10.0.2.3:53"));
	CHECK(!policy_cap_covers("net.send:udp:10.0.2.2:53", "net.send:udp:10.0.2.2:*"));
	CHECK(policy_cap_covers("net.listen:tcp:*", "net.listen:tcp:7"));
	CHECK(!policy_cap_covers("net.listen:tcp:*", "net.listen:udp:7"));
	CHECK(!policy_cap_covers("net.reply:udp:7", "net.listen:udp:7"));
	CHECK(policy_cap_allows("net.reply:udp:7", CAP_NET_REPLY, "udp:7"));
	CHECK(!policy_cap_allows("net.reply:udp:7", CAP_NET_REPLY, "udp:8"));
	CHECK(policy_cap_allows("net.send:udp:10.0.2.2:*", CAP_NET_SEND, "udp:10.0.2.2:5555"));
	CHECK(!policy_cap_allows("net.send:udp:10.0.2.2:*", CAP_NET_SEND, "udp:*:5555"));

	/* who-can: whole, part of it, replies */
	static struct manifest dns, echo, mute;
	load(&dns, "name dns\nversion 1\ncontext foreground\noutput net.send:udp:10.0.2.3:53\n");
	load(&echo, "name echo\nversion 1\noutput net.reply:udp:7\n");
	load(&mute, "name mute\nversion 1\noutput net.reply:udp:9\n"); /* declared, not granted */
	struct policy_program table[] = {{"/bin/dns", &dns}, {"/apps/echo", &echo}, {"/apps/mute", &mute}};
	memset(&pol, 0, sizeof pol);
	CHECK_EQ(policy_grant(&pol, "dns", "net.send:udp:10.0.2.3:53"), 0);
	CHECK_EQ(policy_grant(&pol, "echo", "net.reply:udp:7"), 0);
	policy_who_can(&pol, table, 3, "net.send:udp:*:*", out, sizeof out);
	CHECK_TEXT(out, "who can net.send:udp:*:*:\n"
			"  dns (/bin/dns) by net.send:udp:10.0.2.3:53 (part of it)\n"
			"  echo (/apps/echo) by net.reply:udp:7 (replies to whoever sends to it)\n");
	policy_who_can(&pol, table, 3, "net.send:udp:10.0.2.3:53", out, sizeof out);
	CHECK_TEXT(out, "who can net.send:udp:10.0.2.3:53:\n"
			"  dns (/bin/dns) by net.send:udp:10.0.2.3:53\n"
			"  echo (/apps/echo) by net.reply:udp:7 (replies to whoever sends to it)\n");
	policy_who_can(&pol, table, 3, "net.connect:tcp:*:*", out, sizeof out);
	CHECK_TEXT(out, "who can net.connect:tcp:*:*:\n  nobody\n");
}
