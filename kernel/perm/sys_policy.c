/*
 * sys_policy.c - the policy call (contract in include/optios/abi/policy.h):
 * grant and revoke change the kernel's policy (and are logged); the
 * questions are answered by lib/policy.c over every program in the image.
 *
 * The programs are found by scanning /bin, /apps and /test (recursively,
 * up to SCAN_DEPTH levels) for files whose manifest exec_manifest reads;
 * they are listed in path order, so the same image gives the same answer
 * every time, and the same as the host tool's.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/handler.h>
#include <optios/abi/policy.h>

#include "kernel/event/event.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

#define SCAN_DEPTH 4
#define SCAN_PATH_MAX 256
#define DIRENT_BUF 4096
#define ANSWER_MAX 262144 /* bytes of an answer; a longer one is -E2BIG, never cut */

/* Every program with a manifest, in path order: as many as the image holds
 * (the array grows by half). out_of_memory: one could not be added, and the
 * question is answered -ENOMEM, never with a list that leaves a program out. */
struct catalogue {
	size_t n, cap;
	bool out_of_memory;
	struct policy_program *progs;
};

static bool catalogue_room(struct catalogue *c)
{
	if (c->n < c->cap)
		return true;
	size_t cap = c->cap ? c->cap + c->cap / 2 : 16;
	struct policy_program *progs = krealloc(c->progs, cap * sizeof *progs);
	if (!progs)
		return false;
	c->progs = progs;
	c->cap = cap;
	return true;
}

static void catalogue_add(struct catalogue *c, const char *path)
{
	struct manifest *m = kmalloc(sizeof *m);
	char *copy = kmalloc(strlen(path) + 1);
	/* No code hash: no answer shows one, and hashing every program (BusyBox,
	 * SQLite: 2 MiB) on every query was most of a query's time. */
	if (!m || !copy || !catalogue_room(c))
		c->out_of_memory = true;
	if (c->out_of_memory || exec_manifest(path, m, NULL, NULL, 0) != 0) {
		kfree(m);
		kfree(copy);
		return;
	}
	memcpy(copy, path, strlen(path) + 1);
	size_t i = c->n++; /* insertion keeps path order */
	for (; i > 0 && strcmp(c->progs[i - 1].path, copy) > 0; i--)
		c->progs[i] = c->progs[i - 1];
	c->progs[i] = (struct policy_program){.path = copy, .m = m};
}

static void scan(struct catalogue *c, const char *dir, int depth);

/* One buffer of directory records: programs added, directories scanned. */
static void scan_records(struct catalogue *c, const char *dir, const char *buf, long len, int depth)
{
	char path[SCAN_PATH_MAX];
	for (long at = 0; at < len;) {
		const struct kdirent64 *d = (const struct kdirent64 *)(buf + at);
		at += d->d_reclen;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if ((size_t)ksnprintf(path, sizeof path, "%s/%s", dir, d->d_name) >= sizeof path)
			continue;
		if (d->d_type == DT_DIR)
			scan(c, path, depth + 1);
		else
			catalogue_add(c, path);
	}
}

static void scan(struct catalogue *c, const char *dir, int depth)
{
	struct file *f;
	if (depth >= SCAN_DEPTH)
		return;
	char *buf = kmalloc(DIRENT_BUF);
	if (!buf) {
		c->out_of_memory = true;
		return;
	}
	if (vfs_open("/", dir, O_RDONLY | O_DIRECTORY, 0, &f) == 0) {
		long n;
		while (f->ops->getdents && (n = f->ops->getdents(f, buf, DIRENT_BUF)) > 0)
			scan_records(c, dir, buf, n, depth);
		file_put(f);
	}
	kfree(buf);
}

static struct catalogue *catalogue_create(void)
{
	struct catalogue *c = kzalloc(sizeof *c);
	if (c) {
		scan(c, "/apps", 0);
		scan(c, "/bin", 0);
		scan(c, "/test", 0);
	}
	return c;
}

static void catalogue_destroy(struct catalogue *c)
{
	for (size_t i = 0; i < c->n; i++) {
		kfree((void *)c->progs[i].path);
		kfree((void *)c->progs[i].m);
	}
	kfree(c->progs);
	kfree(c);
}

/* ---- the operations ---- */

/* GRANT and REVOKE: the policy changes for every later start and run. */
static long change(struct proc *p, unsigned op, const char *name, const char *cap)
{
	uint64_t f = irq_save();
	int err = op == OPTIOS_POLICY_GRANT ? policy_grant(perm_policy(), name, cap)
					    : policy_revoke(perm_policy(), name, cap);
	irq_restore(f);
	if (err)
		return err;
	err = perm_store_change(op == OPTIOS_POLICY_GRANT, name, cap);
	if (err) /* the change holds in memory; the disk could not take it */
		klog(KLOG_WARN, "perm: %s %s %s not stored on the disk (error %d): lost at the next boot",
		     op == OPTIOS_POLICY_GRANT ? "grant" : "revoke", name, cap, err);
	const char *verb = op == OPTIOS_POLICY_GRANT ? "grant" : "revoke";
	const char *who = p->perm && p->perm->name[0] ? p->perm->name : p->name;
	evlog_add(OPTIOS_LOG_POLICY, who, "", 0, 0, 0, 0, 0, "%s %s %s", verb, name, cap);
	syscall_log_durable(); /* its record too: on the disk before the call returns */
	klog(KLOG_INFO, "perm: %s %s %s (by %s)", verb, name, cap, who);
	return 0;
}

static size_t list(char *out, size_t size)
{
	const struct policy *pol = perm_policy();
	size_t at = 0;
	for (size_t i = 0; i < pol->n; i++)
		at += ksnprintf(out + MIN(at, size), size - MIN(at, size), "grant %s %s\n",
				pol->grants[i].program, policy_grant_cap(pol, i));
	return at;
}

/* SHOW, WHO_CAN, ON: answered from the manifests in the image, by the same
 * code as the host tool (an unknown program is an answer too, not an error:
 * "no such program: NAME"), so both give the same bytes. */
static long query(unsigned op, const char *a, char *out, size_t size)
{
	struct catalogue *c = catalogue_create();
	if (!c || c->out_of_memory) {
		if (c)
			catalogue_destroy(c);
		return -ENOMEM;
	}
	long r;
	if (op == OPTIOS_POLICY_SHOW)
		r = (long)policy_show(perm_policy(), c->progs, c->n, a, out, size);
	else if (op == OPTIOS_POLICY_WHO_CAN)
		r = (long)policy_who_can(perm_policy(), c->progs, c->n, a, out, size);
	else
		r = (long)policy_on(perm_policy(), c->progs, c->n, a, out, size);
	catalogue_destroy(c);
	return r;
}

static long answer(unsigned op, const char *a, const char *b, char *out, size_t size)
{
	struct proc *p = proc_current();
	switch (op) {
	case OPTIOS_POLICY_GRANT:
	case OPTIOS_POLICY_REVOKE: return change(p, op, a, b);
	case OPTIOS_POLICY_SHOW:
	case OPTIOS_POLICY_WHO_CAN:
	case OPTIOS_POLICY_ON: return query(op, a, out, size);
	case OPTIOS_POLICY_LIST: return (long)list(out, size);
	case OPTIOS_POLICY_WHY: return ksnprintf(out, size, "%s", perm_refusal(p));
	default: return -EINVAL;
	}
}

/* A string argument (NULL allowed: ""). */
static long string_in(uptr u, char *buf, size_t size)
{
	buf[0] = 0;
	long n = u ? strncpy_from_user(buf, u, size) : 0;
	return n == -ENAMETOOLONG ? -EINVAL : n < 0 ? n : 0;
}

/* The answer out[0..r) into the caller's uout[outlen]: what fits, NUL-terminated. */
static long answer_out(long r, const char *out, uptr uout, long outlen)
{
	if (r < 0 || outlen <= 0)
		return r;
	size_t n = MIN((size_t)r, (size_t)outlen - 1);
	return copy_to_user(uout, out, n) || copy_to_user(uout + n, "", 1) ? -EFAULT : r;
}

long sys_optios_policy(long op, long ua, long ub, long uout, long outlen, UNUSED long a5)
{
	/* the whole register, as the dispatcher's policy.manage check read it:
	 * (unsigned)op would let 0x100000001 pass that check as a query and act
	 * here as a grant */
	if (outlen < 0 || op < 0 || op > UINT32_MAX)
		return -EINVAL;
	/* two capabilities of up to 4 KiB each, and as much of the answer as
	 * the caller takes: on the heap */
	size_t size = MAX(MIN((size_t)outlen, (size_t)ANSWER_MAX), (size_t)1);
	char *a = kmalloc(CAP_MAX), *b = kmalloc(CAP_MAX), *out = kzalloc(size);
	long r = a && b && out ? string_in((uptr)ua, a, CAP_MAX) : -ENOMEM;
	if (r == 0)
		r = string_in((uptr)ub, b, CAP_MAX);
	if (r == 0)
		r = answer((unsigned)op, a, b, out, size);
	if (r >= ANSWER_MAX)
		r = -E2BIG;
	r = answer_out(r, out, (uptr)uout, outlen);
	kfree(a);
	kfree(b);
	kfree(out);
	return r;
}
