/*
 * selftest.h - in-kernel self-tests, chosen on the command line.
 *
 * A test is a named function returning 0 (pass) or a negative code, defined
 * with SELFTEST(name) anywhere in the kernel; the linker gathers them into
 * one table (section .selftests). `optios.test=all` runs every test,
 * `optios.test=a,b` runs those named; tests marked SELFTEST_SLOW (e.g.
 * the 10-second idle check) are left out of `all` and run only when named.
 * The runner checks that free pages and heap bytes come back to their
 * starting counts after each test, prints
 *   selftest: NAME ... ok | FAIL: reason
 *   selftest summary: N passed, M failed
 * and ends QEMU through isa-debug-exit (pass 33, fail 35).
 */
#ifndef KERNEL_TEST_SELFTEST_H
#define KERNEL_TEST_SELFTEST_H

#include "kernel/log/klog.h"

struct selftest {
	const char *name;
	int (*fn)(void);
	unsigned flags;
};

/* A test too slow for `optios.test=all`: it runs only when named. */
#define SELFTEST_SLOW 1u

#define SELFTEST(tname) SELFTEST_FLAGS(tname, 0)
#define SELFTEST_FLAGS(tname, tflags)                                                            \
	static int selftest_fn_##tname(void);                                                    \
	static const struct selftest selftest_##tname __attribute__((used, section(".selftests"), \
								     aligned(8))) = {            \
		#tname, selftest_fn_##tname, (tflags)};                                          \
	static int selftest_fn_##tname(void)

/* Inside a test: fail with a message (file:line added) unless cond holds. */
#define ST_CHECK(cond)                                                                     \
	do {                                                                               \
		if (!(cond)) {                                                             \
			kprintf("selftest:   check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return -1;                                                         \
		}                                                                          \
	} while (0)

/* What each test must give back, counted before and after it. */
struct selftest_counts {
	uint64_t free_pages, heap_bytes; /* kernel/mm */
	uint64_t snapshots, snapshot_pages; /* kernel/handler */
};

/* Runs the tests named by spec ("all" or a comma list) and exits QEMU.
 * count fills in the counts (kmain's: the runner names no subsystem, so
 * every folder can have self-tests without an include cycle). */
NORETURN void selftest_run(const char *spec, void (*count)(struct selftest_counts *out));

#endif
