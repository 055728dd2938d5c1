/*
 * identity_selftest.c - exec_manifest in the kernel, on the handlers the
 * build put in the root image: each carries a manifest that parses, counter
 * and counter2 share a name but differ in version and code hash, and an
 * ordinary program has no manifest section.
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "exec.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"

static struct manifest m, m2;
static char err[128];

SELFTEST(exec_manifest_of_image_handlers)
{
	/* clang-format off */
	static const char *const handlers[] = {
		"/apps/counter", "/apps/watcher", "/apps/crasher", "/apps/spinner",
		"/test/handlers/bench", "/test/handlers/order", "/test/handlers/storm",
		"/test/handlers/storm_c", "/test/handlers/storm_l",
	};
	/* clang-format on */
	uint8_t hash[32], hash2[32];
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
		int r = exec_manifest(handlers[i], &m, hash, err, sizeof err);
		if (r)
			kprintf("selftest:   %s: %d %s\n", handlers[i], r, err);
		ST_CHECK(r == 0 && m.nevents >= 1);
	}
	ST_CHECK(exec_manifest("/apps/counter", &m, hash, err, sizeof err) == 0);
	ST_CHECK(strcmp(m.name, "counter") == 0 && m.version == 1 && m.budget_ns == 100000000);
	ST_CHECK(m.ntimers == 1 && m.timers[0].period_ns == 1000000000ull);
	ST_CHECK(m.events[0].policy == OPTIOS_POLICY_LATEST && m.events[0].queue_len == 1);
	ST_CHECK(exec_manifest("/test/handlers/counter2", &m2, hash2, err, sizeof err) == 0);
	ST_CHECK(strcmp(m2.name, "counter") == 0 && m2.version == 2);
	ST_CHECK(memcmp(hash, hash2, sizeof hash) != 0);
	ST_CHECK(exec_manifest("/bin/ls", &m, hash, err, sizeof err) == 0);
	ST_CHECK(strcmp(m.name, "ls") == 0 && m.contexts == MANIFEST_CTX_FOREGROUND);
	ST_CHECK(exec_manifest("/test/hostile_nomanifest", &m, hash, err, sizeof err) == -ENOEXEC);
	ST_CHECK(strcmp(err, "hostile_nomanifest: no manifest section (.optios.manifest)") == 0);
	ST_CHECK(exec_manifest("/apps/none", &m, hash, err, sizeof err) == -ENOENT);
	return 0;
}
