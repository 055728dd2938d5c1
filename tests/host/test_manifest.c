/*
 * test_manifest.c - manifest_parse on good manifests (every field, defaults,
 * layout freedom) and on each kind of bad one, with the exact message; that
 * it never reads outside the text (inputs are exact-size heap copies, so
 * AddressSanitizer sees any overread); and exec_manifest on real musl
 * programs carrying a manifest section, read through the VFS.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/handler.h>
#include <optios/abi/manifest.h>

#include "kernel/exec/exec.h"
#include "kernel/fs/fs_internal.h"
#include "lib/sha256.h"
#include "unit.h"

static struct manifest m;
static char err[256];

/* Parses an exact-size heap copy of text[0..len). */
static int parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	memcpy(copy, text, len);
	int r = manifest_parse(copy, len, &m, err, sizeof err);
	free(copy);
	return r;
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

TEST(manifest_parses_every_directive)
{
	const char *text = "# the example of manifest.h\n"
			   "name     counter\n"
			   "version  7\n"
			   "context  both\n"
			   "event    timer:counter.tick latest\n"
			   "event    file:/data/inbox/ queue 32\n"
			   "event    app:thermo.* coalesce\n"
			   "timer    tick every 1s\n"
			   "timer    wake after 500ms\n"
			   "budget   10ms\n"
			   "memory   256\n"
			   "output   file.write:/data/\n"
			   "output   console\n";
	CHECK_EQ(parse(text), 0);
	CHECK_STR(err, "");
	CHECK_STR(m.name, "counter");
	CHECK_EQ(m.version, 7);
	CHECK_EQ(m.contexts, MANIFEST_CTX_FOREGROUND | MANIFEST_CTX_BACKGROUND);
	CHECK_EQ(m.nevents, 3);
	CHECK_STR(m.events[0].pattern, "timer:counter.tick");
	CHECK_EQ(m.events[0].policy, OPTIOS_POLICY_LATEST);
	CHECK_EQ(m.events[0].queue_len, 1);
	CHECK_STR(m.events[1].pattern, "file:/data/inbox/");
	CHECK_EQ(m.events[1].policy, OPTIOS_POLICY_QUEUE);
	CHECK_EQ(m.events[1].queue_len, 32);
	CHECK_EQ(m.events[2].policy, OPTIOS_POLICY_COALESCE);
	CHECK_EQ(m.events[2].queue_len, MANIFEST_QUEUE_DEFAULT);
	CHECK_EQ(m.ntimers, 2);
	CHECK_STR(m.timers[0].name, "tick");
	CHECK_EQ(m.timers[0].period_ns, 1000000000ull);
	CHECK_EQ(m.timers[0].first_ns, 1000000000ull);
	CHECK_STR(m.timers[1].name, "wake");
	CHECK_EQ(m.timers[1].period_ns, 0);
	CHECK_EQ(m.timers[1].first_ns, 500000000ull);
	CHECK_EQ(m.budget_ns, 10000000ull);
	CHECK_EQ(m.memory_pages, 256);
	CHECK_EQ(m.noutputs, 2);
	CHECK_STR(manifest_output(&m, 0), "file.write:/data/");
	CHECK_STR(manifest_output(&m, 1), "console");
}

TEST(manifest_defaults_and_layout)
{
	/* tabs, CRLF, comments after tokens, blank lines, no final newline */
	const char *text = "\n  # hello\r\n\tname\tmini # trailing\r\n\n version 2147483647";
	CHECK_EQ(parse(text), 0);
	CHECK_STR(m.name, "mini");
	CHECK_EQ(m.version, 2147483647u);
	CHECK_EQ(m.contexts, MANIFEST_CTX_BACKGROUND);
	CHECK_EQ(m.nevents + m.ntimers + m.noutputs, 0);
	CHECK_EQ(m.budget_ns + m.memory_pages, 0);
	CHECK_EQ(parse("name a\nversion 1\ncontext foreground\n"), 0);
	CHECK_EQ(m.contexts, MANIFEST_CTX_FOREGROUND);
	CHECK_EQ(parse("name a\nversion 1\nevent app:x latest 1\nbudget 1ns\nmemory 0001\n"), 0);
	CHECK_EQ(m.events[0].queue_len, 1);
	CHECK_EQ(m.budget_ns, 1);
	CHECK_EQ(m.memory_pages, 1);
	CHECK_EQ(parse("name a\nversion 1\nbudget 18446744073us\n"), 0); /* just fits 64 bits */
	CHECK_EQ(m.budget_ns, 18446744073000ull);
	CHECK_EQ(parse("name a\nversion 1\nbudget 18446744073709551615ns\n"), 0);
	CHECK_EQ(m.budget_ns, UINT64_MAX);
}

TEST(manifest_topic_patterns)
{
	/* clang-format off */
	static const char *const good[] = {
		"*", "app:*", "app:thermo.*", "timer:counter.tick", "file:/data/inbox/", "file:/",
		"file:*", "file:/da*", "file:/data/.hidden", "net:udp:5000", "sys:handler.*", "file:/a/b",
	};
	static const char *const bad[] = {
		"**", "ti*", "app:", "app:a*b", "bogus:x", "file:data/", "file:/a//b",
		"file:/a/../b", "file:/a/./", "file:/..", "*app", "app:x**", "net:*", "file:x*",
	};
	/* clang-format on */
	char text[256];
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(text, sizeof text, "name a\nversion 1\nevent %s queue\n", good[i]);
		if (parse(text) != 0)
			printf("host:   pattern %s refused: %s\n", good[i], err);
		CHECK_EQ(parse(text), 0);
		CHECK_STR(m.events[0].pattern, good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char want[128];
		snprintf(text, sizeof text, "name a\nversion 1\nevent %s queue\n", bad[i]);
		snprintf(want, sizeof want, "line 3: bad topic pattern '%s'", bad[i]);
		CHECK_EQ(parse(text), -EINVAL);
		CHECK_STR(err, want);
	}
}

/* Each bad manifest and the one message it must give. */
TEST(manifest_errors_say_where_and_why)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"", "no 'name' line"},
		{"# only a comment\n", "no 'name' line"},
		{"name a\n", "no 'version' line"},
		{"version 1\n", "no 'name' line"},
		{"name a\nversion 1\nsometimes x\n", "line 3: unknown directive 'sometimes'"},
		{"Name a\n", "line 1: unknown directive 'Name'"},
		{"name A\n", "line 1: bad name 'A' (1-31 chars of a-z 0-9 _ -)"},
		{"name a.b\n", "line 1: bad name 'a.b' (1-31 chars of a-z 0-9 _ -)"},
		{"name abcdefghijklmnopqrstuvwxyz012345\n",
		 "line 1: bad name 'abcdefghijklmnopqrstuvwxyz012345' (1-31 chars of a-z 0-9 _ -)"},
		{"name\n", "line 1: expected 'name NAME'"},
		{"name a b\n", "line 1: expected 'name NAME'"},
		{"name = a\n", "line 1: expected 'name NAME'"},
		{"name a\nname b\nversion 1\n", "line 2: second 'name' line"},
		{"name a\nversion 1\nversion 1\n", "line 3: second 'version' line"},
		{"name a\nversion 0\n", "line 2: bad version '0' (a number from 1 to 2147483647)"},
		{"name a\nversion 2147483648\n",
		 "line 2: bad version '2147483648' (a number from 1 to 2147483647)"},
		{"name a\nversion 99999999999999999999999\n",
		 "line 2: bad version '99999999999999999999999' (a number from 1 to 2147483647)"},
		{"name a\nversion 0x10\n", "line 2: bad version '0x10' (a number from 1 to 2147483647)"},
		{"name a\nversion -1\n", "line 2: bad version '-1' (a number from 1 to 2147483647)"},
		{"name a\nversion 1\ncontext sometimes\n",
		 "line 3: unknown context 'sometimes' (foreground, background or both)"},
		{"name a\nversion 1\ncontext both\ncontext both\n", "line 4: second 'context' line"},
		{"name a\nversion 1\nevent app:x often\n",
		 "line 3: unknown policy 'often' (queue, coalesce or latest)"},
		{"name a\nversion 1\nevent app:x\n",
		 "line 3: expected 'event PATTERN queue|coalesce|latest [LENGTH] [period=D] [latency=D]'"},
		{"name a\nversion 1\nevent app:x queue 16 more\n",
		 "line 3: unknown event option 'more' (period=DURATION, latency=DURATION)"},
		{"name a\nversion 1\nevent app:x queue 0\n", "line 3: bad queue length '0' (1 to 64)"},
		{"name a\nversion 1\nevent app:x queue 65\n", "line 3: bad queue length '65' (1 to 64)"},
		{"name a\nversion 1\nevent app:x queue 18446744073709551617\n",
		 "line 3: bad queue length '18446744073709551617' (1 to 64)"},
		{"name a\nversion 1\nevent app:x latest 4\n",
		 "line 3: 'latest' holds one event: leave the queue length out"},
		{"name a\nversion 1\nevent app:x queue\nevent app:x latest\n",
		 "line 4: event 'app:x' declared twice"},
		{"name a\nversion 1\ntimer t every\n", "line 3: expected 'timer NAME every|after DURATION'"},
		{"name a\nversion 1\ntimer t sometimes 1s\n",
		 "line 3: timer 't': 'every' or 'after', not 'sometimes'"},
		{"name a\nversion 1\ntimer T every 1s\n",
		 "line 3: bad timer name 'T' (1-23 chars of a-z 0-9 _ -)"},
		{"name a\nversion 1\ntimer abcdefghijklmnopqrstuvwx every 1s\n",
		 "line 3: bad timer name 'abcdefghijklmnopqrstuvwx' (1-23 chars of a-z 0-9 _ -)"},
		{"name a\nversion 1\ntimer t every 1s\ntimer t after 1s\n",
		 "line 4: timer 't' declared twice"},
		{"name a\nversion 1\ntimer t every 10\n",
		 "line 3: bad duration '10' (a number followed by ns, us, ms or s)"},
		{"name a\nversion 1\ntimer t every ms\n",
		 "line 3: bad duration 'ms' (a number followed by ns, us, ms or s)"},
		{"name a\nversion 1\ntimer t every 5m\n",
		 "line 3: bad duration '5m' (a number followed by ns, us, ms or s)"},
		{"name a\nversion 1\ntimer t every 1.5s\n",
		 "line 3: bad duration '1.5s' (a number followed by ns, us, ms or s)"},
		{"name a\nversion 1\ntimer t every 0s\n", "line 3: duration '0s' is zero"},
		/* regression: a 1 ns period re-armed the timer on every interrupt (a tick storm) */
		{"name a\nversion 1\ntimer t every 1ns\n", "line 3: timer 't': 1ns is out of range (1ms to 366 days)"},
		{"name a\nversion 1\ntimer t after 999us\n",
		 "line 3: timer 't': 999us is out of range (1ms to 366 days)"},
		{"name a\nversion 1\ntimer t every 31622401s\n",
		 "line 3: timer 't': 31622401s is out of range (1ms to 366 days)"},
		{"name a\nversion 1\nbudget 18446744074s\n", "line 3: duration '18446744074s' is too long"},
		{"name a\nversion 1\nbudget 99999999999999999999ns\n",
		 "line 3: duration '99999999999999999999ns' is too long"},
		{"name a\nversion 1\nbudget 1ms\nbudget 2ms\n", "line 4: second 'budget' line"},
		{"name a\nversion 1\nmemory 0\n", "line 3: bad memory '0' (pages, 1 to 2147483647)"},
		{"name a\nversion 1\nmemory 1\nmemory 1\n", "line 4: second 'memory' line"},
		{"name a\nversion 1\noutput a\noutput a\n", "line 4: output 'a' declared twice"},
		{"name a\nversion 1\noutput caf\xc3\xa9\n", "line 3: output 'caf\xc3\xa9' is not ASCII"},
		{"name a\nversion 1\x01\n", "line 2: control character 0x01"},
		{"name a\x7f\n", "line 1: control character 0x7f"},
		{"name a\nversion 1\n\x1b[31m\n", "line 3: control character 0x1b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int r = parse(cases[i].text);
		if (r != -EINVAL || strcmp(err, cases[i].msg) != 0)
			printf("host:   case %zu: got %d '%s'\n", i, r, err);
		CHECK_EQ(r, -EINVAL);
		CHECK_STR(err, cases[i].msg);
		CHECK_EQ(m.name[0] | m.version | m.nevents, 0); /* nothing half-parsed is left */
	}
}

/* Adds n lines "fmt(i)" after a name and version; returns the parse result. */
static int parse_repeated(const char *fmt, int n)
{
	static char text[4096];
	size_t len = (size_t)snprintf(text, sizeof text, "name a\nversion 1\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, fmt, i, i);
	return parse(text);
}

TEST(manifest_limits)
{
	CHECK_EQ(parse_repeated("event app:e%d%.0d queue\n", MANIFEST_EVENTS_MAX), 0);
	CHECK_EQ(m.nevents, MANIFEST_EVENTS_MAX);
	CHECK_EQ(parse_repeated("event app:e%d%.0d queue\n", MANIFEST_EVENTS_MAX + 1), -EINVAL);
	CHECK_STR(err, "line 11: more than 8 'event' lines");
	CHECK_EQ(parse_repeated("timer t%d every %dms\n", MANIFEST_TIMERS_MAX), -EINVAL);
	CHECK_STR(err, "line 3: duration '0ms' is zero");
	CHECK_EQ(parse_repeated("timer t%d after 1%dms\n", MANIFEST_TIMERS_MAX), 0);
	CHECK_EQ(m.ntimers, MANIFEST_TIMERS_MAX);
	CHECK_EQ(m.timers[3].first_ns, 13000000ull);
	CHECK_EQ(parse_repeated("timer t%d after 1%dms\n", MANIFEST_TIMERS_MAX + 1), -EINVAL);
	CHECK_STR(err, "line 7: more than 4 'timer' lines");
	CHECK_EQ(parse_repeated("output o%d%.0d\n", MANIFEST_OUTPUTS_MAX), 0);
	CHECK_EQ(parse_repeated("output o%d%.0d\n", MANIFEST_OUTPUTS_MAX + 1), -EINVAL);
	CHECK_STR(err, "line 19: more than 16 'output' lines");

	static char text[MANIFEST_TEXT_MAX + 64];
	static char out[MANIFEST_OUTPUT_MAX + 2];
	memset(out, 'o', sizeof out);
	out[MANIFEST_OUTPUT_MAX - 1] = '\0'; /* 4111 chars: fits */
	snprintf(text, sizeof text, "name a\nversion 1\noutput %s\n", out);
	CHECK_EQ(parse(text), 0);
	CHECK_EQ(strlen(manifest_output(&m, 0)), MANIFEST_OUTPUT_MAX - 1);
	out[MANIFEST_OUTPUT_MAX - 1] = 'o';
	out[MANIFEST_OUTPUT_MAX] = '\0';
	snprintf(text, sizeof text, "name a\nversion 1\noutput %s\n", out);
	CHECK_EQ(parse(text), -EINVAL);
	CHECK_STR(err, "line 3: output longer than 4111 chars");

	char topic[OPTIOS_EVENT_TOPIC_MAX + 1];
	memset(topic, 'x', sizeof topic);
	memcpy(topic, "app:", 4);
	topic[OPTIOS_EVENT_TOPIC_MAX - 1] = '\0'; /* 95 chars: fits */
	snprintf(text, sizeof text, "name a\nversion 1\nevent %s queue\n", topic);
	CHECK_EQ(parse(text), 0);
	topic[OPTIOS_EVENT_TOPIC_MAX - 1] = 'x';
	topic[OPTIOS_EVENT_TOPIC_MAX] = '\0';
	snprintf(text, sizeof text, "name a\nversion 1\nevent %s queue\n", topic);
	CHECK_EQ(parse(text), -EINVAL);
	CHECK_STR(err, "line 3: topic pattern longer than 95 chars");
}

/* "file.write:" and a path of n bytes: "/data/" and then components of
 * 200 'd's (a file system name is at most 255 bytes). */
static const char *long_write_cap(size_t n)
{
	static char cap[MANIFEST_OUTPUT_MAX + 8];
	size_t at = (size_t)snprintf(cap, sizeof cap, "file.write:/data/");
	for (size_t i = 0; at < 11 + n; i++)
		cap[at++] = i % 201 == 200 ? '/' : 'd';
	cap[at] = '\0';
	return cap;
}

/* Bug: an output naming a path of 128 bytes or more was refused ("output
 * longer than 127 chars"), so no grant could name it although the checks
 * took such paths. An output names any path up to PATH_MAX - 1 (4095)
 * bytes, and the outputs together are bounded (MANIFEST_OUTPUTS_BYTES). */
TEST(grant_of_a_path_of_128_bytes_or_more_was_refused_manifest)
{
	static char text[MANIFEST_TEXT_MAX + 64];
	const char *cap = long_write_cap(4095);
	CHECK_EQ(strlen(cap), 11 + 4095);
	snprintf(text, sizeof text, "name a\nversion 1\noutput console\noutput %s\noutput display\n", cap);
	CHECK_EQ(parse(text), 0);
	CHECK_EQ(m.noutputs, 3);
	CHECK_STR(manifest_output(&m, 0), "console");
	CHECK_STR(manifest_output(&m, 1), cap);
	CHECK_STR(manifest_output(&m, 2), "display");
	CHECK_EQ(m.output_bytes, sizeof "console" + strlen(cap) + 1 + sizeof "display");

	/* two 3100-byte paths: each fits a line, not both the budget */
	char *second = strdup(long_write_cap(3100));
	second[strlen(second) - 1] = 'e';
	size_t n =
		(size_t)snprintf(text, sizeof text, "name a\nversion 1\noutput %s\n", long_write_cap(3100));
	snprintf(text + n, sizeof text - n, "output %s\n", second);
	CHECK_EQ(parse(text), -EINVAL);
	CHECK_STR(err, "line 4: outputs take more than 6144 bytes in all");
	free(second);
	/* a duplicate long output is found as such */
	n = (size_t)snprintf(text, sizeof text, "name a\nversion 1\noutput %s\n", long_write_cap(300));
	snprintf(text + n, sizeof text - n, "output %s\n", long_write_cap(300));
	CHECK_EQ(parse(text), -EINVAL);
	CHECK(strstr(err, "line 4: output 'file.write:/data/ddd") && strstr(err, "declared twice"));
}

TEST(manifest_line_text_and_nul_limits)
{
	char text[MANIFEST_TEXT_MAX + 2];
	/* a comment line of exactly MANIFEST_LINE_MAX bytes is fine, one more is not */
	size_t len = (size_t)snprintf(text, sizeof text, "name a\nversion 1\n#");
	memset(text + len, 'c', MANIFEST_LINE_MAX - 1);
	len += MANIFEST_LINE_MAX - 1;
	CHECK_EQ(parse_n(text, len), 0);
	text[len++] = 'c';
	CHECK_EQ(parse_n(text, len), -EINVAL);
	CHECK_STR(err, "line 3: line longer than 4352 bytes");

	/* the whole text: MANIFEST_TEXT_MAX bytes of blank lines is fine, one more is not */
	len = (size_t)snprintf(text, sizeof text, "name a\nversion 1\n");
	memset(text + len, '\n', MANIFEST_TEXT_MAX - len);
	CHECK_EQ(parse_n(text, MANIFEST_TEXT_MAX), 0);
	text[MANIFEST_TEXT_MAX] = '\n';
	CHECK_EQ(parse_n(text, MANIFEST_TEXT_MAX + 1), -EINVAL);
	CHECK_STR(err, "manifest longer than 8192 bytes");

	/* NUL bytes are refused, wherever they are, even in a comment */
	static const char nul1[] = "name a\nversion 1\n# x\0y\n";
	CHECK_EQ(parse_n(nul1, sizeof nul1 - 1), -EINVAL);
	CHECK_STR(err, "line 3: NUL byte");
	static const char nul2[] = "name a\0\nversion 1\n";
	CHECK_EQ(parse_n(nul2, sizeof nul2 - 1), -EINVAL);
	CHECK_STR(err, "line 1: NUL byte");
	/* the same text cut before its NUL parses: len, not the NUL, ends it */
	CHECK_EQ(parse_n(nul1, 18), 0);
}

TEST(manifest_never_reads_past_len)
{
	const char *text = "name counter\nversion 12\nevent timer:counter.tick latest\ntimer tick every 1s\n"
			   "budget 10ms\nmemory 64\noutput console\n";
	size_t full = strlen(text), after_version = strlen("name counter\nversion 12");
	for (size_t len = 0; len <= full; len++) {
		int r = parse_n(text, len); /* ASan stops the test on any overread */
		/* every cut at a line's end after the version line is a whole manifest */
		if (len >= after_version && (len == full || text[len] == '\n' || text[len - 1] == '\n'))
			CHECK_EQ(r, 0);
		if (len < after_version - 1)
			CHECK_EQ(r, -EINVAL);
	}
	CHECK_EQ(m.memory_pages, 64);
	CHECK_EQ(manifest_parse(NULL, 0, &m, err, sizeof err), -EINVAL);
	CHECK_STR(err, "no 'name' line");
}

TEST(manifest_error_buffer_is_optional_and_bounded)
{
	char small[8];
	memset(small, 'x', sizeof small);
	CHECK_EQ(manifest_parse("name A\n", 7, &m, small, sizeof small), -EINVAL);
	CHECK_STR(small, "line 1:");
	CHECK_EQ(manifest_parse("name A\n", 7, &m, NULL, 0), -EINVAL);
	small[0] = 'x';
	CHECK_EQ(manifest_parse("name A\n", 7, &m, small, 1), -EINVAL);
	CHECK_EQ(small[0], '\0');
	/* a long token is quoted cut to 40 bytes */
	CHECK_EQ(parse("name a\nversion 1\ncontext aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee\n"),
		 -EINVAL);
	CHECK_STR(err, "line 3: unknown context 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd' "
		       "(foreground, background or both)");
}

/* ---- exec_manifest: the manifest and code hash of a program file ---- */

/* tests/host/data/hello.manifest, embedded in musl_manifest.elf by the Makefile,
 * says: name hello, version 3, event app:hello queue 8. The kernel heap the
 * VFS uses is test_vfs.c's (malloc). */

/* A writable root holding /apps/NAME with each file's bytes. */
static void root_with(const char *const *names, uint8_t *const *data, const size_t *lens, int n)
{
	struct file *f;
	vfs_root_fs = fs_create("/", false, UINT64_MAX);
	CHECK_EQ(vfs_mkdir("/", "/apps", 0755), 0);
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "/apps/%s", names[i]);
		CHECK_EQ(vfs_open("/", path, O_WRONLY | O_CREAT, 0755, &f), 0);
		CHECK_EQ(f->ops->write(f, data[i], lens[i]), (long)lens[i]);
		file_put(f);
	}
}

TEST(exec_manifest_reads_real_programs)
{
	size_t lens[3];
	uint8_t *data[3] = {
		unit_read_file(HOST_DATA_DIR "/musl_manifest.elf", &lens[0]),
		unit_read_file(HOST_DATA_DIR "/musl_nomanifest.elf", &lens[1]),
		unit_read_file(HOST_DATA_DIR "/musl_static.elf", &lens[2]),
	};
	static const char *const names[3] = {"hello", "bare", "oldstyle"};
	uint8_t hash[32], want[32];
	if (!data[0] || !data[1] || !data[2]) {
		CHECK(!HOST_HAVE_MUSL); /* the build made them if it could */
		printf("host:   (no musl-gcc: musl programs not built, skipped)\n");
		goto out;
	}
	root_with(names, data, lens, 3);
	CHECK_EQ(exec_manifest("/apps/hello", &m, hash, err, sizeof err), 0);
	CHECK_STR(err, "");
	CHECK_STR(m.name, "hello");
	CHECK_EQ(m.version, 3);
	CHECK_EQ(m.nevents, 1);
	CHECK_EQ(m.events[0].queue_len, 8);
	sha256(data[0], lens[0], want);
	CHECK(memcmp(hash, want, sizeof hash) == 0);

	CHECK_EQ(exec_manifest("/apps/bare", &m, hash, err, sizeof err), -ENOEXEC);
	CHECK_STR(err, "bare: no manifest section (.optios.manifest)");
	sha256(data[1], lens[1], want);
	CHECK(memcmp(hash, want, sizeof hash) == 0); /* the identity is known even so */
	/* musl_static.elf's section holds "name = hello\n...": not this format */
	CHECK_EQ(exec_manifest("/apps/oldstyle", &m, hash, err, sizeof err), -EINVAL);
	CHECK_STR(err, "oldstyle.manifest line 1: expected 'name NAME'");
	CHECK_EQ(exec_manifest("/apps/none", &m, hash, err, sizeof err), -ENOENT);
	CHECK_STR(err, "/apps/none: no such program");
	/* handler add /apps said "no such program" */
	CHECK_EQ(exec_manifest("/apps", &m, hash, err, sizeof err), -EISDIR);
	CHECK_STR(err, "/apps: a directory, not a program");
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
out:
	for (int i = 0; i < 3; i++)
		free(data[i]);
}

/* The section header of the manifest section in an ELF64 image (the tests
 * edit it), or NULL. */
static uint8_t *manifest_shdr(uint8_t *elf, size_t len)
{
	uint64_t shoff, stroff;
	uint16_t shnum, shstrndx;
	memcpy(&shoff, elf + 0x28, 8);
	memcpy(&shnum, elf + 0x3c, 2);
	memcpy(&shstrndx, elf + 0x3e, 2);
	if (shoff + (uint64_t)shnum * 64 > len || shstrndx >= shnum)
		return NULL;
	memcpy(&stroff, elf + shoff + shstrndx * 64 + 24, 8);
	for (uint16_t i = 0; i < shnum; i++) {
		uint32_t name;
		memcpy(&name, elf + shoff + i * 64, 4);
		if (stroff + name + sizeof MANIFEST_SECTION <= len &&
		    memcmp(elf + stroff + name, MANIFEST_SECTION, sizeof MANIFEST_SECTION) == 0)
			return elf + shoff + i * 64;
	}
	return NULL;
}

/* A damaged manifest ran in the foreground with the console while a handler
 * refused it: a section that cannot be read is -EINVAL, as a wrong one, never
 * -ENOEXEC ("no manifest"). */
TEST(damaged_manifest_runs_in_foreground)
{
	size_t len = 0;
	uint8_t *elf = unit_read_file(HOST_DATA_DIR "/musl_manifest.elf", &len), hash[32];
	if (!elf) {
		CHECK(!HOST_HAVE_MUSL);
		return;
	}
	uint8_t *sh = manifest_shdr(elf, len);
	CHECK(sh != NULL);
	if (!sh)
		goto out;
	uint64_t off, size, huge = 1ull << 40;
	uint32_t type, nobits = 8;
	memcpy(&off, sh + 24, 8);
	memcpy(&size, sh + 32, 8);
	memcpy(&type, sh + 4, 4);
	/* cut inside the section: the section headers at the end are gone */
	CHECK_EQ(exec_manifest_image("hello", elf, off + size / 2, &m, hash, err, sizeof err), -EINVAL);
	CHECK_STR(err, "hello: manifest section damaged: section headers outside the file");
	memcpy(sh + 32, &huge, 8); /* the section reaches past the end */
	CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), -EINVAL);
	CHECK_STR(err, "hello: manifest section damaged: section bytes outside the file");
	memcpy(sh + 32, &size, 8);
	memcpy(sh + 4, &nobits, 4); /* no bytes at all */
	CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), -EINVAL);
	CHECK_STR(err, "hello: manifest section damaged: it has no bytes in the file (SHT_NOBITS)");
	memcpy(sh + 4, &type, 4);
	CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), 0);
out:
	free(elf);
}

TEST(exec_manifest_image_messages)
{
	uint8_t hash[32], want[32];
	size_t len = 0;
	uint8_t *elf = unit_read_file(HOST_DATA_DIR "/musl_manifest.elf", &len);
	CHECK_EQ(exec_manifest_image("junk", "hello", 5, &m, hash, err, sizeof err), -ENOEXEC);
	CHECK_STR(err, "junk: too short for an ELF header");
	sha256("hello", 5, want);
	CHECK(memcmp(hash, want, sizeof hash) == 0);
	if (!elf) {
		CHECK(!HOST_HAVE_MUSL);
		return;
	}
	/* the manifest section's bytes, edited in place: a parse error names the program */
	uint8_t *text = memmem(elf, len, "version 3", 9);
	CHECK(text != NULL);
	if (text) {
		memcpy(text, "version x", 9);
		CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), -EINVAL);
		CHECK_STR(err, "hello.manifest line 3: bad version 'x' (a number from 1 to 2147483647)");
		memcpy(text, "vers1on 3", 9);
		CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), -EINVAL);
		CHECK_STR(err, "hello.manifest line 3: unknown directive 'vers1on'");
		memcpy(text, "#ersion 3", 9);
		CHECK_EQ(exec_manifest_image("hello", elf, len, &m, hash, err, sizeof err), -EINVAL);
		CHECK_STR(err, "hello.manifest: no 'version' line");
	}
	free(elf);
}

TEST(manifest_sensor_period_and_latency)
{
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:co2 queue 8 period=1s latency=10s\n"
		       "event sensor:pm latest latency=500ms\nevent sensor:x coalesce\n"),
		 0);
	CHECK_EQ(m.events[0].queue_len, 8);
	CHECK_EQ(m.events[0].period_ns, 1000000000ull);
	CHECK_EQ(m.events[0].latency_ns, 10000000000ull);
	CHECK_EQ(m.events[1].period_ns, 0);
	CHECK_EQ(m.events[1].latency_ns, 500000000ull);
	CHECK_EQ(m.events[2].period_ns + m.events[2].latency_ns, 0);
	CHECK_EQ(parse("name a\nversion 1\nevent app:x queue period=1s\n"), -EINVAL);
	CHECK_STR(err, "line 3: 'period=' is for an exact sensor: topic, not 'app:x'");
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:* queue latency=1s\n"), -EINVAL);
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:co2 queue period=1s period=2s\n"), -EINVAL);
	CHECK_STR(err, "line 3: 'period=' given twice");
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:co2 queue rate=5\n"), -EINVAL);
	CHECK_STR(err, "line 3: unknown event option 'rate=5' (period=DURATION, latency=DURATION)");
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:co2 queue period=0s\n"), -EINVAL);
	CHECK_EQ(parse("name a\nversion 1\nevent sensor:co2 queue 8 9\n"), -EINVAL);
}
