/*
 * selftest.c - the self-test runner: walk the .selftests table, run the
 * chosen tests one by one, check each gives back every page, heap byte and snapshot it
 * took, report, and end QEMU with the verdict.
 */
#include "selftest.h"

#include "arch.h"
#include "kernel/debug/debug.h"

extern const struct selftest __start_selftests[], __stop_selftests[];

static bool chosen(const char *spec, const struct selftest *t)
{
	const char *name = t->name;
	if (strcmp(spec, "all") == 0)
		return !(t->flags & SELFTEST_SLOW);
	size_t n = strlen(name);
	for (const char *p = spec; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (end ? 1 : 0);
	}
	return false;
}

static void (*count)(struct selftest_counts *out);

static bool run_one(const struct selftest *t)
{
	struct selftest_counts before, after;
	count(&before);
	kprintf("selftest: %s ...\n", t->name);
	int r = t->fn();
	count(&after);
	if (r == 0 &&
	    (after.snapshots != before.snapshots || after.snapshot_pages != before.snapshot_pages)) {
		kprintf("selftest:   left %ld snapshots (%ld pages)\n",
			(long)(after.snapshots - before.snapshots),
			(long)(after.snapshot_pages - before.snapshot_pages));
		r = -1;
	}
	if (r == 0 && after.free_pages != before.free_pages) {
		kprintf("selftest:   leaked %ld pages\n", (long)(before.free_pages - after.free_pages));
		r = -1;
	}
	if (r == 0 && after.heap_bytes != before.heap_bytes) {
		kprintf("selftest:   leaked %ld heap bytes\n", (long)(after.heap_bytes - before.heap_bytes));
		r = -1;
	}
	if (r == 0)
		kprintf("selftest: %s ... ok\n", t->name);
	else
		kprintf("selftest: %s ... FAIL: %d\n", t->name, r);
	return r == 0;
}

void selftest_run(const char *spec, void (*count_fn)(struct selftest_counts *out))
{
	count = count_fn;
	int passed = 0, failed = 0;
	for (const struct selftest *t = __start_selftests; t < __stop_selftests; t++) {
		if (!chosen(spec, t))
			continue;
		if (run_one(t))
			passed++;
		else
			failed++;
	}
	if (passed + failed == 0)
		kprintf("selftest: no test matches \"%s\"\n", spec);
	kprintf("selftest summary: %d passed, %d failed\n", passed, failed);
	debug_exit(failed || passed == 0 ? DEBUG_EXIT_FAIL : DEBUG_EXIT_PASS);
	arch_halt_forever();
}
