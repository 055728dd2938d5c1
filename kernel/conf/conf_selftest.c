/*
 * conf_selftest.c - kernel.conf parsing as built into the kernel: values,
 * a report in the "kernel.conf:LINE: ..." form, and defaults restored.
 */
#include "conf.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"

static int reports;
static char last[128];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	reports++;
	ksnprintf(last, sizeof last, "%s", msg);
}

SELFTEST(conf_in_kernel)
{
	static const char text[] = "# test\nforeground.max = 3\nlog.level = loud\n";
	reports = 0;
	ST_CHECK(conf_load(text, sizeof text - 1, collect, NULL) == 1 && reports == 1);
	ST_CHECK(conf_int(CONF_FOREGROUND_MAX) == 3);
	ST_CHECK(strcmp(conf_str(CONF_LOG_LEVEL), "info") == 0);
	ST_CHECK(strncmp(last, "kernel.conf:3: log.level", 24) == 0);
	ST_CHECK(conf_load(NULL, 0, NULL, NULL) == 0 && conf_int(CONF_FOREGROUND_MAX) == 1);
	return 0;
}
