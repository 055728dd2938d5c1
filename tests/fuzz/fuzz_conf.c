/*
 * fuzz_conf.c - libFuzzer target for the kernel.conf parser, with the
 * kernel's keys and a table of every type. Properties: every value after a
 * parse is one its key accepts, every report is a bounded "SOURCE:LINE: "
 * line, and the count returned is the count reported.
 */
#include <string.h>

#include "fuzz.h"
#include "kernel/conf/conf.h"

static const struct conf_key keys[] = {
	{.name = "n", .type = CONF_INT, .def = 0, .min = -5, .max = 5},
	{.name = "b", .type = CONF_BOOL, .def = 1},
	{.name = "s", .type = CONF_STR, .defstr = "", .maxlen = 10},
	{.name = "c", .type = CONF_STR, .defstr = "a", .maxlen = 3, .choices = "a|bb|ccc"},
	{.name = "w", .type = CONF_INT, .def = 0, .min = INT64_MIN, .max = INT64_MAX},
};

static int reports;

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	FUZZ_ASSERT(strlen(msg) < 256);
	FUZZ_ASSERT(!strncmp(msg, "fuzz.conf:", 10) || !strncmp(msg, "kernel.conf:", 12));
	FUZZ_ASSERT(strchr(msg, ':') != NULL && strchr(msg, '\n') == NULL);
	reports++;
}

static void check_values(const struct conf_key *k, const struct conf_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (k[i].type == CONF_INT)
			FUZZ_ASSERT(v[i].num >= k[i].min && v[i].num <= k[i].max);
		else if (k[i].type == CONF_BOOL)
			FUZZ_ASSERT(v[i].num == 0 || v[i].num == 1);
		else
			FUZZ_ASSERT(strlen(v[i].str) <= k[i].maxlen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_value vals[sizeof keys / sizeof *keys];
	conf_defaults(keys, sizeof keys / sizeof *keys, vals);
	reports = 0;
	int r = conf_parse(keys, sizeof keys / sizeof *keys, vals, "fuzz.conf", (const char *)data, size, report,
			   NULL);
	FUZZ_ASSERT(r == reports);
	check_values(keys, vals, sizeof keys / sizeof *keys);
	const char *c = vals[3].str;
	FUZZ_ASSERT(!strcmp(c, "a") || !strcmp(c, "bb") || !strcmp(c, "ccc"));

	reports = 0;
	r = conf_load((const char *)data, size, report, NULL);
	FUZZ_ASSERT(r == reports);
	FUZZ_ASSERT(conf_int(CONF_FOREGROUND_MAX) >= 1 && conf_int(CONF_FOREGROUND_MAX) <= 8);
	const char *lv = conf_str(CONF_LOG_LEVEL);
	FUZZ_ASSERT(!strcmp(lv, "debug") || !strcmp(lv, "info") || !strcmp(lv, "warn") || !strcmp(lv, "error"));
	return 0;
}
