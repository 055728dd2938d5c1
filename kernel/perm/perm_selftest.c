/*
 * perm_selftest.c - self-tests of the permission check: what a manifest and
 * the policy give, the DENY record a refusal writes, a revoke reaching a
 * set at its refresh, the context rule and the refusal message.
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>
#include <optios/abi/policy.h>

#include "kernel/event/event.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/syscall/syscall.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"

static const char probe_manifest[] = "name stprobe\nversion 1\ncontext foreground\n"
				     "output file.write:/tmp/stprobe/\noutput emit:app:stprobe.*\n";

static struct manifest m;
static struct proc fake; /* a process that never runs: only perm_check reads it */

/* The probe's manifest, its grants, and a process holding its set. */
static int probe_start(void)
{
	char err[96];
	if (manifest_parse(probe_manifest, sizeof probe_manifest - 1, &m, err, sizeof err) != 0)
		return -1;
	policy_grant(perm_policy(), "stprobe", "file.write:/tmp/stprobe/");
	policy_grant(perm_policy(), "stprobe", "emit:app:stprobe.*");
	memset(&fake, 0, sizeof fake);
	memcpy(fake.name, "stprobe", 8);
	fake.sys_nr = SYS_openat;
	fake.sys_name = "openat";
	char msg[128];
	return perm_for_manifest(&m, NULL, MANIFEST_CTX_FOREGROUND, &fake.perm, msg, sizeof msg);
}

static void probe_end(void)
{
	policy_revoke(perm_policy(), "stprobe", "file.write:/tmp/stprobe/");
	policy_revoke(perm_policy(), "stprobe", "emit:app:stprobe.*");
	perm_put(fake.perm);
	fake.perm = NULL;
}

static bool last_record(struct optios_log_record *r)
{
	uint64_t n = evlog_count();
	return n && evlog_read(n, r, 1) == 1;
}

SELFTEST(perm_check_allows_the_granted_and_logs_the_denied)
{
	ST_CHECK(probe_start() == 0);
	uint64_t before = evlog_count();
	ST_CHECK(perm_check(&fake, CAP_FILE_WRITE, "/tmp/stprobe/out", NULL) == 0);
	ST_CHECK(perm_check(&fake, CAP_EMIT, "app:stprobe.done", "optios_emit") == 0);
	ST_CHECK(fake.perm_checked);
	ST_CHECK(evlog_count() == before); /* an allowed call writes nothing */

	int r1 = perm_check(&fake, CAP_FILE_WRITE, "/tmp/stprobe2", NULL); /* a prefix by name only */
	struct optios_log_record r;
	bool got = last_record(&r);
	int r2 = perm_check(&fake, CAP_FILE_READ, "/tmp/stprobe/out", NULL); /* write does not give read */
	int r3 = perm_check(&fake, CAP_CONSOLE, "", "ioctl"); /* a manifest without console */
	uint64_t after = evlog_count();
	probe_end();
	ST_CHECK(r1 == -EACCES && r2 == -EACCES && r3 == -EACCES);
	ST_CHECK(after == before + 3);
	ST_CHECK(got && r.kind == OPTIOS_LOG_DENY && r.result == -EACCES && r.a == SYS_openat);
	ST_CHECK(strcmp(r.handler, "stprobe") == 0 && r.topic[0] == 0);
	ST_CHECK(strcmp(r.text, "openat file.write:/tmp/stprobe2") == 0);
	return 0;
}

/* Issue 9: policy grant did not reach a registered handler (only revoke did). */
SELFTEST(perm_refresh_takes_a_revoke_and_a_grant_within_the_manifest)
{
	ST_CHECK(probe_start() == 0);
	policy_revoke(perm_policy(), "stprobe", "emit:app:stprobe.*");
	bool before = perm_check(&fake, CAP_EMIT, "app:stprobe.x", NULL) == 0; /* not refreshed yet */
	size_t n1 = perm_refresh(fake.perm);
	bool revoked = perm_check(&fake, CAP_EMIT, "app:stprobe.x", NULL) == -EACCES;
	policy_grant(perm_policy(), "stprobe", "emit:app:stprobe.*");
	policy_grant(perm_policy(), "stprobe", "emit:app:other"); /* not declared */
	size_t n2 = perm_refresh(fake.perm);
	bool back = perm_check(&fake, CAP_EMIT, "app:stprobe.x", NULL) == 0;
	bool undeclared = perm_check(&fake, CAP_EMIT, "app:other", NULL) == -EACCES;
	bool file = perm_check(&fake, CAP_FILE_WRITE, "/tmp/stprobe/a", NULL) == 0;
	policy_revoke(perm_policy(), "stprobe", "emit:app:other");
	probe_end();
	ST_CHECK(before);
	ST_CHECK(n1 == 1 && revoked);
	ST_CHECK(n2 == 0 && back); /* the grant is back at the next refresh */
	ST_CHECK(undeclared); /* never beyond what the manifest declares */
	ST_CHECK(file);
	return 0;
}

SELFTEST(perm_refuses_missing_grants_and_wrong_context)
{
	char err[96], msg[256];
	struct policy_set *s = NULL;
	ST_CHECK(manifest_parse(probe_manifest, sizeof probe_manifest - 1, &m, err, sizeof err) == 0);
	policy_grant(perm_policy(), "stprobe", "file.write:/tmp/stprobe/");
	int missing = perm_for_manifest(&m, NULL, MANIFEST_CTX_FOREGROUND, &s, msg, sizeof msg);
	policy_revoke(perm_policy(), "stprobe", "file.write:/tmp/stprobe/");
	ST_CHECK(missing == -EACCES && s == NULL);
	ST_CHECK(strcmp(msg, "stprobe asks for emit:app:stprobe.*: not granted "
			     "(policy grant stprobe emit:app:stprobe.*)") == 0);
	ST_CHECK(perm_for_manifest(&m, NULL, MANIFEST_CTX_BACKGROUND, &s, msg, sizeof msg) == -EACCES);
	ST_CHECK(strcmp(msg, "stprobe runs in the foreground only (manifest context)") == 0);
	return 0;
}

SELFTEST(perm_without_manifest_console_only)
{
	struct policy_set *s = NULL;
	char msg[64];
	ST_CHECK(perm_for_manifest(NULL, NULL, MANIFEST_CTX_FOREGROUND, &s, msg, sizeof msg) == 0);
	bool console = policy_set_allows(s, CAP_CONSOLE, "");
	bool file = policy_set_allows(s, CAP_FILE_READ, "/etc/policy");
	perm_put(s);
	ST_CHECK(console);
	ST_CHECK(!file);
	return 0;
}

SELFTEST(perm_dispatcher_checks_bare_kinds_and_catches_a_missing_check)
{
	ST_CHECK(probe_start() == 0);
	struct optios_log_record r;
	long log = perm_call_enter(&fake, SYS_optios_log_read, "optios_log_read", PERM_LOG, 0);
	bool got = last_record(&r);
	long query =
		perm_call_enter(&fake, SYS_optios_policy, "optios_policy", PERM_POLICY, OPTIOS_POLICY_SHOW);
	long grant =
		perm_call_enter(&fake, SYS_optios_policy, "optios_policy", PERM_POLICY, OPTIOS_POLICY_GRANT);
	perm_call_enter(&fake, SYS_openat, "openat", PERM_FILE, 0);
	long unchecked = perm_call_leave(&fake, SYS_openat, PERM_FILE, 3);
	long failed = perm_call_leave(&fake, SYS_openat, PERM_FILE, -ENOENT); /* did not act */
	perm_call_enter(&fake, SYS_openat, "openat", PERM_FILE, 0);
	perm_check(&fake, CAP_FILE_WRITE, "/tmp/stprobe/x", NULL);
	long checked = perm_call_leave(&fake, SYS_openat, PERM_FILE, 3);
	probe_end();
	ST_CHECK(log == -EACCES && got && strcmp(r.text, "optios_log_read log.read") == 0);
	ST_CHECK(query == 0 && grant == -EACCES);
	ST_CHECK(unchecked == -EACCES && failed == -ENOENT && checked == 3);
	return 0;
}

/* regression: a program repeating one denied call in a loop flushed the log
 * ring with identical DENY records */
SELFTEST(perm_repeated_denial_is_counted_not_flooded)
{
	ST_CHECK(probe_start() == 0);
	uint64_t before = evlog_count();
	int refused = 0;
	for (int i = 0; i < 100; i++)
		refused += perm_check(&fake, CAP_FILE_READ, "/etc/policy", NULL) == -EACCES;
	struct optios_log_record r;
	bool got = last_record(&r);
	uint64_t after = evlog_count();
	int other = perm_check(&fake, CAP_FILE_READ, "/etc/other", NULL); /* a new denial: recorded */
	uint64_t after_other = evlog_count();
	probe_end();
	ST_CHECK(refused == 100);
	ST_CHECK(after - before == 8); /* the 1st-4th, then the 8th, 16th, 32nd and 64th */
	ST_CHECK(got && r.b == 64 && strcmp(r.text, "openat file.read:/etc/policy (64 times in a row)") == 0);
	ST_CHECK(other == -EACCES && after_other == after + 1);
	return 0;
}

/* The set of a root-image program is computed once and shared while the
 * policy stays the same; any change of the policy (here a grant to nobody
 * it concerns) makes the next start compute it again. */
SELFTEST(perm_image_set_is_cached_by_its_bytes_until_the_policy_changes)
{
	const void *data;
	void *copy;
	size_t len;
	bool writable;
	struct policy_set *a = NULL, *b = NULL, *c = NULL;
	ST_CHECK(vfs_file_bytes("/bin/emit", &data, &len, &copy, &writable) == 0);
	ST_CHECK(copy == NULL && !writable); /* the image's own bytes */
	int ea = perm_for_image("/bin/emit", data, len, writable, true, MANIFEST_CTX_FOREGROUND, &a, NULL, 0);
	int eb = perm_for_image("/bin/emit", data, len, writable, true, MANIFEST_CTX_FOREGROUND, &b, NULL, 0);
	policy_grant(perm_policy(), "stprobe", "emit:app:stprobe.cache");
	int ec = perm_for_image("/bin/emit", data, len, writable, true, MANIFEST_CTX_FOREGROUND, &c, NULL, 0);
	policy_revoke(perm_policy(), "stprobe", "emit:app:stprobe.cache");
	bool shared = ea == 0 && eb == 0 && a == b, recomputed = ec == 0 && c != a;
	bool emits = ec == 0 && policy_set_allows(c, CAP_EMIT, "app:x");
	perm_put(a);
	perm_put(b);
	perm_put(c);
	ST_CHECK(shared);
	ST_CHECK(recomputed);
	ST_CHECK(emits);
	return 0;
}

/* A program from a writable file system is read into a copy, and a later
 * copy may sit at the same address with other bytes (the file was
 * rewritten): its set comes from the bytes each time, never a cache. */
SELFTEST(perm_rewritten_program_at_the_same_address_gets_its_new_manifest)
{
	void *emit, *ls;
	size_t elen, llen;
	struct policy_set *a = NULL, *b = NULL;
	ST_CHECK(vfs_read_file("/bin/emit", &emit, &elen) == 0);
	if (vfs_read_file("/bin/ls", &ls, &llen) != 0) {
		kfree(emit);
		return -1;
	}
	uint8_t *buf = kmalloc(MAX(elen, llen));
	int ea = -ENOMEM, eb = -ENOMEM;
	if (buf) {
		memcpy(buf, emit, elen);
		ea = perm_for_image("/data/prog", buf, elen, false, false, MANIFEST_CTX_FOREGROUND, &a, NULL,
				    0);
		memcpy(buf, ls, llen);
		eb = perm_for_image("/data/prog", buf, llen, false, false, MANIFEST_CTX_FOREGROUND, &b, NULL,
				    0);
	}
	bool names = ea == 0 && eb == 0 && strcmp(a->name, "emit") == 0 && strcmp(b->name, "ls") == 0;
	if (ea == 0)
		perm_put(a);
	if (eb == 0)
		perm_put(b);
	kfree(buf);
	kfree(emit);
	kfree(ls);
	ST_CHECK(names);
	return 0;
}

/* Every cache slot held by running programs (nine started, none ended): the
 * ninth still gets its own correct set, from the heap; once they end, the
 * slots are reused. The cache's sets live in the slots: the runner's page
 * and heap counts see nothing left behind. */
SELFTEST(perm_image_cache_full_of_running_programs_still_gives_each_its_set)
{
	static const char *const progs[] = {"/bin/emit", "/bin/ls",  "/bin/cat", "/bin/mkdir", "/bin/mv",
					    "/bin/rm",	 "/bin/log", "/bin/mem", "/bin/uptime"};
	struct policy_set *s[ARRAY_SIZE(progs)] = {0};
	bool named = true;
	size_t got = 0;
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		const void *data;
		void *copy;
		size_t len;
		bool writable;
		if (vfs_file_bytes(progs[i], &data, &len, &copy, &writable) != 0 || copy)
			break;
		if (perm_for_image(progs[i], data, len, writable, true, MANIFEST_CTX_FOREGROUND, &s[i], NULL,
				   0) != 0)
			break;
		got++;
		named &= strcmp(s[i]->name, exec_program_name(progs[i])) == 0;
	}
	for (size_t i = 0; i < got; i++)
		perm_put(s[i]);
	ST_CHECK(got == ARRAY_SIZE(progs));
	ST_CHECK(named);
	return 0;
}
