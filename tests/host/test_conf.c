/*
 * test_conf.c - kernel.conf parsing: syntax, every type, the reports a user
 * sees ("kernel.conf:LINE: ..."), defaults kept on bad input, duplicates,
 * and the kernel's own key table.
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/conf/conf.h"
#include "unit.h"

#ifndef HOST_DATA_DIR
#define HOST_DATA_DIR "build/host/data"
#endif

enum { K_NUM, K_FLAG, K_NAME, K_MODE, K_COUNT };

static const struct conf_key keys[K_COUNT] = {
	[K_NUM] = {.name = "a.num", .type = CONF_INT, .def = 5, .min = -10, .max = 100},
	[K_FLAG] = {.name = "a.flag", .type = CONF_BOOL, .def = 1},
	[K_NAME] = {.name = "a.name", .type = CONF_STR, .defstr = "none", .maxlen = 8},
	[K_MODE] = {.name = "a.mode", .type = CONF_STR, .defstr = "fast", .maxlen = 10,
		    .choices = "fast|slow|x"},
};

static struct conf_value vals[K_COUNT];
static char reports[16][256];
static int nreports;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (nreports < 16)
		snprintf(reports[nreports], sizeof reports[0], "%s", msg);
	nreports++;
}

/* Parses text into fresh defaults; returns conf_parse's result. */
static int run(const char *text)
{
	nreports = 0;
	memset(reports, 0, sizeof reports);
	conf_defaults(keys, K_COUNT, vals);
	/* a private copy without a terminating NUL, so ASan sees any over-read */
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	memcpy(copy, text, len);
	int r = conf_parse(keys, K_COUNT, vals, "kernel.conf", copy, len, collect, NULL);
	free(copy);
	CHECK_EQ(r, nreports);
	return r;
}

static bool reported(const char *needle)
{
	for (int i = 0; i < nreports && i < 16; i++)
		if (strstr(reports[i], needle))
			return true;
	return false;
}

TEST(conf_defaults_without_file)
{
	CHECK_EQ(run(""), 0);
	CHECK_EQ(vals[K_NUM].num, 5);
	CHECK_EQ(vals[K_FLAG].num, 1);
	CHECK_STR(vals[K_NAME].str, "none");
	CHECK_STR(vals[K_MODE].str, "fast");
	CHECK_EQ(vals[K_NUM].line, 0);
	CHECK_EQ(conf_parse(keys, K_COUNT, vals, "x", NULL, 0, NULL, NULL), 0);
	CHECK_EQ(conf_parse(keys, K_COUNT, vals, "x", NULL, 3, NULL, NULL), -EINVAL);
}

TEST(conf_syntax)
{
	const char *text = "# a comment\n"
			   "\n"
			   "   \t\n"
			   "a.num=7\n"
			   "  a.flag\t =\t off   # trailing comment\n"
			   "a.name = \"a # b\"  # quoted keeps '#'\n"
			   "\t# indented comment\r\n"
			   "a.mode = 'slow'\r\n";
	CHECK_EQ(run(text), 0);
	CHECK_EQ(vals[K_NUM].num, 7);
	CHECK_EQ(vals[K_NUM].line, 4);
	CHECK_EQ(vals[K_FLAG].num, 0);
	CHECK_STR(vals[K_NAME].str, "a # b");
	CHECK_STR(vals[K_MODE].str, "slow");
	CHECK_EQ(vals[K_MODE].line, 8);
	/* no newline at the end, and a value with inner spaces */
	CHECK_EQ(run("a.name = x  y"), 0);
	CHECK_STR(vals[K_NAME].str, "x  y");
	CHECK_EQ(run("a.name = \"\""), 0);
	CHECK_STR(vals[K_NAME].str, "");
}

TEST(conf_integers)
{
	static const struct {
		const char *text;
		long long want; /* 5 (the default) when refused */
		int problems;
	} cases[] = {
		{"a.num = 0", 0, 0},       {"a.num = 100", 100, 0},   {"a.num = -10", -10, 0},
		{"a.num = +3", 3, 0},      {"a.num = 0x10", 16, 0},   {"a.num = 007", 7, 0},
		{"a.num = 101", 5, 1},     {"a.num = -11", 5, 1},     {"a.num = 1.5", 5, 1},
		{"a.num = 12abc", 5, 1},   {"a.num = abc", 5, 1},     {"a.num = -", 5, 1},
		{"a.num = 0x", 5, 1},      {"a.num = --1", 5, 1},     {"a.num = 1 2", 5, 1},
		{"a.num = 99999999999999999999", 5, 1},               {"a.num = 9223372036854775808", 5, 1},
		{"a.num = -9223372036854775809", 5, 1},               {"a.num = \"42\"", 42, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int r = run(cases[i].text);
		if (vals[K_NUM].num != cases[i].want || r != cases[i].problems)
			printf("host:   \"%s\": got %lld with %d problems\n", cases[i].text,
			       (long long)vals[K_NUM].num, r);
		CHECK_EQ(vals[K_NUM].num, cases[i].want);
		CHECK_EQ(r, cases[i].problems);
	}
	run("a.num = 101");
	CHECK_STR(reports[0], "kernel.conf:1: a.num = 101: out of range -10..100; keeping 5");
}

TEST(conf_int64_extremes)
{
	static const struct conf_key wide = {.name = "w", .type = CONF_INT, .min = INT64_MIN, .max = INT64_MAX};
	struct conf_value v;
	conf_defaults(&wide, 1, &v);
	const char *t = "w = -9223372036854775808";
	CHECK_EQ(conf_parse(&wide, 1, &v, "k", t, strlen(t), NULL, NULL), 0);
	CHECK(v.num == INT64_MIN);
	t = "w = 9223372036854775807";
	CHECK_EQ(conf_parse(&wide, 1, &v, "k", t, strlen(t), NULL, NULL), 1); /* set twice: warned */
	CHECK(v.num == INT64_MAX);
	t = "w = 0xffffffffffffffff";
	CHECK_EQ(conf_parse(&wide, 1, &v, "k", t, strlen(t), NULL, NULL), 1);
	CHECK(v.num == INT64_MAX);
}

TEST(conf_booleans)
{
	static const char *yes[] = {"yes", "YES", "true", "True", "on", "1"};
	static const char *no[] = {"no", "No", "false", "FALSE", "off", "0"};
	static const char *bad[] = {"y", "n", "2", "enable", "yess", "o", "-1"};
	char line[64];
	for (size_t i = 0; i < 6; i++) {
		snprintf(line, sizeof line, "a.flag = %s", no[i]);
		CHECK_EQ(run(line), 0);
		CHECK_EQ(vals[K_FLAG].num, 0);
		snprintf(line, sizeof line, "a.flag = no\na.flag = %s", yes[i]);
		CHECK_EQ(run(line), 1); /* the duplicate warning */
		CHECK_EQ(vals[K_FLAG].num, 1);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "a.flag = off\na.flag = %s", bad[i]);
		CHECK_EQ(run(line), 1);
		CHECK_EQ(vals[K_FLAG].num, 0); /* the earlier good value stays */
		CHECK(reported("kernel.conf:2: a.flag"));
		CHECK(reported("keeping no"));
	}
}

TEST(conf_strings)
{
	CHECK_EQ(run("a.name = 12345678"), 0);
	CHECK_STR(vals[K_NAME].str, "12345678");
	CHECK_EQ(run("a.name = 123456789"), 1);
	CHECK_STR(vals[K_NAME].str, "none");
	CHECK(reported("longer than 8 bytes"));
	CHECK_EQ(run("a.name = \"a\tb\""), 1);
	CHECK(reported("control character"));
	CHECK_EQ(run("a.name = a\x7f"), 1);
	CHECK_EQ(run("a.mode = x"), 0);
	CHECK_STR(vals[K_MODE].str, "x");
	static const char *bad[] = {"Fast", "fas", "fastt", "slow|x", "|", "", "f|slow"};
	char line[64];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "a.mode = \"%s\"", bad[i]);
		CHECK_EQ(run(line), 1);
		CHECK_STR(vals[K_MODE].str, "fast");
	}
	CHECK(reported("not one of fast|slow|x; keeping \"fast\""));
}

TEST(conf_reports_bad_lines_with_line_numbers)
{
	const char *text = "a.num = 1\n"
			   "nosuch.key = 3\n"
			   "just words\n"
			   "= 4\n"
			   "a.num\n"
			   "a.num =\n"
			   "a.num = # nothing\n"
			   "a.name = \"open\n"
			   "a.name = \"x\" y\n"
			   "a.num = 2\n"
			   "a.n$m = 1\n";
	CHECK_EQ(run(text), 10);
	CHECK_STR(reports[0], "kernel.conf:2: unknown key \"nosuch.key\" (ignored)");
	CHECK_STR(reports[1], "kernel.conf:3: expected \"key = value\"");
	CHECK_STR(reports[2], "kernel.conf:4: expected \"key = value\"");
	CHECK_STR(reports[3], "kernel.conf:5: expected \"key = value\"");
	CHECK_STR(reports[4], "kernel.conf:6: missing value after '='");
	CHECK_STR(reports[5], "kernel.conf:7: missing value after '='");
	CHECK_STR(reports[6], "kernel.conf:8: unterminated \"-quoted value");
	CHECK_STR(reports[7], "kernel.conf:9: text after the closing quote");
	CHECK_STR(reports[8], "kernel.conf:10: a.num set again (first on line 1); the last value wins");
	CHECK_STR(reports[9], "kernel.conf:11: expected \"key = value\"");
	CHECK_EQ(vals[K_NUM].num, 2);
	CHECK_STR(vals[K_NAME].str, "none");
	/* NUL bytes in the text are reported, not taken as the end */
	nreports = 0;
	conf_defaults(keys, K_COUNT, vals);
	const char *nul = "a.num = 3\0\na.num = 4\n";
	CHECK_EQ(conf_parse(keys, K_COUNT, vals, "kernel.conf", nul, 21, collect, NULL), 1);
	CHECK(reported("kernel.conf:1: NUL byte"));
	CHECK_EQ(vals[K_NUM].num, 4);
}

TEST(conf_messages_stay_bounded)
{
	char *text = malloc(20000);
	memset(text, 'k', 10000);
	memcpy(text + 10000, " = 1\na.num = ", 13);
	memset(text + 10013, '9', 5000);
	text[15013] = '\0';
	CHECK_EQ(run(text), 2);
	CHECK(strlen(reports[0]) < 120);
	CHECK(strlen(reports[1]) < 160);
	CHECK_EQ(vals[K_NUM].num, 5);
	free(text);
	/* no report function is fine */
	conf_defaults(keys, K_COUNT, vals);
	CHECK_EQ(conf_parse(keys, K_COUNT, vals, NULL, "bad", 3, NULL, NULL), 1);
}

static int kernel_reports;
static char kernel_last[256];
static void kernel_collect(void *ctx, const char *msg)
{
	(void)ctx;
	kernel_reports++;
	snprintf(kernel_last, sizeof kernel_last, "%s", msg);
}

TEST(conf_kernel_keys)
{
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 1); /* defaults before any load */
	CHECK_STR(conf_str(CONF_LOG_LEVEL), "info");
	const char *t = "foreground.max = 4\nlog.level = debug\n";
	CHECK_EQ(conf_load(t, strlen(t), kernel_collect, NULL), 0);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 4);
	CHECK_STR(conf_str(CONF_LOG_LEVEL), "debug");
	t = "foreground.max = 9\nlog.level = verbose\n";
	CHECK_EQ(conf_load(t, strlen(t), kernel_collect, NULL), 2);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 1); /* reloaded: defaults, not the last file's */
	CHECK_STR(conf_str(CONF_LOG_LEVEL), "info");
	CHECK_STR(kernel_last,
		  "kernel.conf:2: log.level = verbose: not one of debug|info|warn|error; keeping \"info\"");
	t = "foreground.max = 0\n";
	CHECK_EQ(conf_load(t, strlen(t), kernel_collect, NULL), 1);
	CHECK_STR(kernel_last, "kernel.conf:1: foreground.max = 0: out of range 1..8; keeping 1");
	CHECK_EQ(conf_load(NULL, 0, NULL, NULL), 0);
	/* every kernel key's default is one it would accept from the file */
	for (int i = 0; i < CONF_COUNT; i++) {
		const struct conf_key *k = &conf_keys[i];
		CHECK(k->name && k->name[0]);
		if (k->type == CONF_INT)
			CHECK(k->min <= k->def && k->def <= k->max);
		if (k->type == CONF_STR) {
			CHECK(k->maxlen <= CONF_STR_MAX && k->defstr && strlen(k->defstr) <= k->maxlen);
			char line[128];
			snprintf(line, sizeof line, "%s = \"%s\"", k->name, k->defstr);
			CHECK_EQ(conf_load(line, strlen(line), NULL, NULL), 0);
		}
	}
}

TEST(conf_cmdline_overrides_the_file)
{
	const char *t = "foreground.max = 3\n";
	CHECK_EQ(conf_load(t, strlen(t), kernel_collect, NULL), 0);
	CHECK_EQ(conf_apply_cmdline("optios.log=info optios.conf.foreground.max=2 quiet", kernel_collect, NULL), 0);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 2);
	CHECK_STR(conf_str(CONF_LOG_LEVEL), "info");
	CHECK_EQ(conf_apply_cmdline("optios.conf.foreground.max=99", kernel_collect, NULL), 1);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 2); /* a bad value keeps the last good one */
	CHECK(strstr(kernel_last, "cmdline:1: foreground.max") != NULL);
	CHECK_EQ(conf_apply_cmdline("optios.conf.nokey=1 optios.conf.log.level", kernel_collect, NULL), 2);
	CHECK_EQ(conf_apply_cmdline("", kernel_collect, NULL), 0);
	CHECK_EQ(conf_load(NULL, 0, NULL, NULL), 0);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 1);
}

/* The sample file shipped in the test tree parses cleanly. */
TEST(conf_sample_file)
{
	FILE *f = fopen("tests/host/data/tree/etc/kernel.conf", "r");
	if (!f)
		f = fopen(HOST_DATA_DIR "/tree/etc/kernel.conf", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char buf[1024];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CHECK_EQ(conf_load(buf, n, kernel_collect, NULL), 0);
	CHECK_EQ(conf_int(CONF_FOREGROUND_MAX), 2);
	CHECK_STR(conf_str(CONF_LOG_LEVEL), "info");
}
