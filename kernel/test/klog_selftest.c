/*
 * klog_selftest.c - the console replay shows what the console showed.
 * (Here, not in kernel/log: the self-test framework stands on the log.)
 */
#include "kernel/log/klog.h"
#include "selftest.h"

static bool contains(const char *buf, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(buf + i, needle, k) == 0)
			return true;
	return false;
}

/* Regression: the framebuffer's log replay showed debug lines that the
 * console level had hidden from serial. */
SELFTEST(klog_replay_respects_console_level)
{
	static char buf[8192];
	klog(KLOG_DEBUG, "klog-selftest hidden line");
	klog(KLOG_WARN, "klog-selftest shown line");
	kprintf("klog-selftest raw line\n");
	size_t all = klog_read(buf, sizeof buf);
	ST_CHECK(contains(buf, all, "klog-selftest hidden line"));
	size_t shown = klog_read_console(buf, sizeof buf);
	ST_CHECK(!contains(buf, shown, "klog-selftest hidden line"));
	ST_CHECK(contains(buf, shown, "klog-selftest shown line"));
	ST_CHECK(contains(buf, shown, "klog-selftest raw line"));
	return 0;
}
