/*
 * perm.c - permissions in the kernel: the policy it holds, the permission
 * sets of programs, and the one check (contract in perm.h).
 *
 * Theory of operation. At boot perm_init reads /etc/policy, then each
 * /etc/policy.d/NAME.policy in name order, into the kernel's policy
 * (lib/policy.c parses them; a bad line is logged as FILE:LINE and skipped). When a
 * program starts (proc_spawn: foreground) or is registered (handler_create:
 * background), perm_for_program reads its manifest and computes its
 * policy_set: what it declares, and which of that the policy grants. A
 * program asking for anything not granted does not start at all, and the
 * message names each missing grant with the command that would grant it, so
 * a running program never meets a surprise refusal for something it
 * declared. A program without a manifest gets "console" only; there is no
 * switch that lifts this (every shipped program has a manifest).
 *
 * Every system call passes perm_call_enter and perm_call_leave
 * (kernel/syscall): bare kinds are checked before the call runs; a call with
 * an object checks it itself through perm_check after normalising it, and a
 * call that succeeded without doing so is refused and logged as a kernel bug.
 * A DENY record names the call and the event being handled from what the
 * process carries (sys_nr, sys_name: set here at entry; event: set by the
 * handler runner), so perm calls nothing above it.
 *
 * A handler's set is refreshed at each run (perm_refresh): it is again
 * what its manifest declares and the policy grants now, so a revoke and a
 * grant both reach it at its next run. A foreground program's set is
 * computed at its start only.
 *
 * A foreground program's set is shared, not copied: a fork child holds a
 * reference to its parent's (perm_get), and the programs of the read-only
 * image have theirs cached by their bytes (perm_for_image), so an exec of
 * one computes nothing while the policy stays the same.
 *
 * Invariants: a policy_set only ever holds granted capabilities its
 * manifest declares (the manifest bounds every grant); every -EACCES perm_check returns has
 * written one OPTIOS_LOG_DENY record (and so has every -ENOENT of
 * perm_check_file: a path the program cannot see); a process with no policy_set is the
 * kernel's own (the handler runner between runs) or is refused everything.
 */
#include "kernel/perm/perm.h"

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>
#include <optios/abi/policy.h>

#include "kernel/event/event.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/vfs.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "lib/lib.h"

static struct policy policy;

struct policy *perm_policy(void)
{
	return &policy;
}

/* ---- loading /etc/policy and /etc/policy.d ---- */

static void report_bad_line(void *arg, unsigned line, const char *why)
{
	klog(KLOG_WARN, "perm: %s:%u: %s (line ignored)", (const char *)arg, line, why);
}

/* Adds the grants of one policy file; false if it cannot be read. */
static bool load_file(const char *path)
{
	void *data;
	size_t len;
	int err = vfs_read_file(path, &data, &len);
	if (err) {
		klog(KLOG_WARN, "perm: %s: error %d: nothing granted by it", path, err);
		return false;
	}
	policy_load(&policy, path, data, len, report_bad_line, (void *)path);
	kfree(data);
	return true;
}

/* The drop-ins, POLICY_DIR/NAME.policy, in name order (none: nothing). */
static void load_dropins(void)
{
	char **names, path[128];
	size_t n;
	if (vfs_dir_names(POLICY_DIR, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!policy_dropin_name(names[i]))
			continue;
		if ((size_t)ksnprintf(path, sizeof path, "%s/%s", POLICY_DIR, names[i]) >= sizeof path)
			klog(KLOG_WARN, "perm: %s/%s: name too long, not read", POLICY_DIR, names[i]);
		else
			load_file(path);
	}
	kfree(names);
}

void perm_init(void)
{
	load_file(POLICY_FILE);
	load_dropins();
	size_t changes = perm_store_load(); /* the user's grants and revokes, over the files */
	klog(KLOG_INFO,
	     "perm: %lu grants (%lu changes from the disk); programs without a manifest get the console only",
	     (unsigned long)policy.n, (unsigned long)changes);
}

/* ---- permission sets ---- */

/* "a asks for X: not granted (policy grant a X); ..." for each missing grant. */
static void missing_message(const struct policy_set *s, char *msg, size_t msglen)
{
	size_t at = 0;
	for (size_t i = 0; i < s->n && at < msglen; i++) {
		if (s->granted[i])
			continue;
		at += ksnprintf(msg + at, msglen - at, "%s%s asks for %s: not granted (policy grant %s %s)",
				at ? "; " : "", s->name, policy_set_cap(s, i), s->name, policy_set_cap(s, i));
	}
}

static int context_refused(const struct manifest *m, uint32_t context, char *msg, size_t msglen)
{
	if (context & MANIFEST_CTX_BACKGROUND)
		ksnprintf(msg, msglen, "%s runs in the foreground only (manifest context)", m->name);
	else
		ksnprintf(msg, msglen,
			  "%s runs in the background only (manifest context): add it as a handler", m->name);
	return -EACCES;
}

/* A program file anyone may have written (see perm.h): on /data or /tmp. */
static bool on_writable_fs(const char *path)
{
	struct vfs_usage u;
	return path && vfs_usage(path, &u) == 0;
}

/* The policy's grants to "*" only, kmalloc'd; NULL if out of memory. */
static struct policy *grants_to_all(void)
{
	struct policy *all = kzalloc(sizeof *all);
	for (size_t i = 0; all && i < policy.n; i++) /* a part of policy: fits */
		if (strcmp(policy.grants[i].program, "*") == 0)
			policy_grant(all, "*", policy_grant_cap(&policy, i));
	if (all)
		all->generation = policy.generation;
	return all;
}

/* A set held by its users (processes, the image cache): freed with the last
 * perm_put. Sets are not changed once made, except a handler's by
 * perm_refresh, which is never shared. */
struct held_set {
	unsigned refs;
	bool in_cache; /* the storage is a slot of the image cache (static), not the heap */
	struct policy_set set;
};

static struct held_set *held(const struct policy_set *s)
{
	return container_of(s, struct held_set, set);
}

/* perm_for_manifest once it is known whether the program comes from a
 * writable file system (untrusted: only the grants to "*" apply). */
static int set_for(const struct manifest *m, const char *path, bool untrusted, uint32_t context,
		   struct policy_set **out, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	if (m && !(m->contexts & context))
		return context_refused(m, context, msg, msglen);
	struct held_set *h = kmalloc(sizeof *h);
	struct policy *all = untrusted ? grants_to_all() : NULL;
	if (!h || (untrusted && !all)) {
		kfree(h);
		kfree(all);
		return -ENOMEM;
	}
	h->refs = 1;
	h->in_cache = false;
	struct policy_set *s = &h->set;
	policy_set_compute(s, m, untrusted ? all : &policy);
	s->only_all = untrusted;
	kfree(all);
	if (m && policy_set_missing(s)) {
		if (untrusted)
			ksnprintf(msg, msglen, "%s is loaded from a writable file system: only grants to \"*\" apply",
				  path);
		else
			missing_message(s, msg, msglen);
		kfree(h);
		return -EACCES;
	}
	*out = s;
	return 0;
}

int perm_for_manifest(const struct manifest *m, const char *path, uint32_t context, struct policy_set **out,
		      char *msg, size_t msglen)
{
	return set_for(m, path, on_writable_fs(path), context, out, msg, msglen);
}

int perm_for_program(const char *path, uint32_t context, struct policy_set **out, char *msg, size_t msglen)
{
	struct manifest *m = kmalloc(sizeof *m);
	if (!m)
		return -ENOMEM;
	/* -ENOEXEC: no manifest section (or not a program at all: the loader
	 * then refuses it with its own reason). A damaged manifest (-EINVAL) is
	 * refused like a wrong one. No hash: SHA-256 of the file would be most
	 * of a program's start. */
	int err = exec_manifest(path, m, NULL, msg, msglen);
	if (err == 0 || err == -ENOEXEC)
		err = perm_for_manifest(err ? NULL : m, path, context, out, msg, msglen);
	kfree(m);
	return err;
}

/*
 * The sets of root-image programs, cached by their bytes: a program of the
 * read-only image never changes while the system runs, so its manifest is
 * read once, and its set computed once per policy generation (a grant or
 * revoke changes the generation: the next exec computes it again).
 *
 * The sets live in the slots themselves (static storage), so the cache
 * takes no memory as it fills and free memory does not drift with the
 * programs started. A slot is free (refs 0), keyed (the cache holds one
 * reference, processes the others), or unkeyed but still used by processes
 * that started with it (refs > 0: reused once they are gone).
 * Invariant: a keyed slot's set is what set_for made from the manifest in
 * data[0..len) (immutable bytes) for context, from a writable file system or
 * not, at the policy's generation. Only successes are kept: a refusal is
 * computed again (with its message).
 */
#define IMAGE_CACHE_SIZE 8
static struct cache_slot {
	const void *data;
	size_t len;
	uint32_t context;
	bool writable, keyed;
	uint64_t generation;
	struct held_set h;
} image_cache[IMAGE_CACHE_SIZE];
static unsigned image_cache_next; /* where the search for a slot to reuse starts */

static struct cache_slot *cache_find(const void *data, size_t len, bool writable, uint32_t context)
{
	for (int i = 0; i < IMAGE_CACHE_SIZE; i++) {
		struct cache_slot *c = &image_cache[i];
		if (c->keyed && c->data == data && c->len == len && c->context == context &&
		    c->writable == writable)
			return c;
	}
	return NULL;
}

static void cache_unkey(struct cache_slot *c)
{
	c->keyed = false;
	perm_put(&c->h.set);
}

/* A slot for a new entry: a free one, or one only the cache holds; NULL if
 * every slot is in use by running processes (the set is then not cached). */
static struct cache_slot *cache_slot_take(void)
{
	for (int k = 0; k < IMAGE_CACHE_SIZE; k++) {
		struct cache_slot *c = &image_cache[(image_cache_next + k) % IMAGE_CACHE_SIZE];
		if (c->keyed && c->h.refs == 1)
			cache_unkey(c);
		if (c->h.refs == 0) {
			image_cache_next += k + 1;
			return c;
		}
	}
	return NULL;
}

/* Moves the heap set *s into a slot keyed by (data, len, writable, context)
 * when one can be had; *s is then the slot's (one reference for the caller). */
static void cache_add(const void *data, size_t len, bool writable, uint32_t context, struct policy_set **s)
{
	struct cache_slot *c = cache_slot_take();
	if (!c)
		return;
	memcpy(&c->h.set, *s, sizeof **s);
	c->h.refs = 2; /* the cache's and the caller's */
	c->h.in_cache = true;
	c->data = data;
	c->len = len;
	c->context = context;
	c->writable = writable;
	c->keyed = true;
	c->generation = (*s)->generation;
	perm_put(*s);
	*s = &c->h.set;
}

int perm_for_image(const char *path, const void *data, size_t len, bool writable, bool immutable,
		   uint32_t context, struct policy_set **out, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	struct cache_slot *hit = immutable ? cache_find(data, len, writable, context) : NULL;
	if (hit && hit->generation == policy.generation) {
		*out = perm_get(&hit->h.set);
		return 0;
	}
	if (hit)
		cache_unkey(hit); /* computed under an older policy */
	struct manifest *m = kmalloc(sizeof *m);
	if (!m)
		return -ENOMEM;
	int err = exec_manifest_image(exec_program_name(path), data, len, m, NULL, msg, msglen);
	if (err == 0 || err == -ENOEXEC)
		err = set_for(err ? NULL : m, path, writable, context, out, msg, msglen);
	kfree(m);
	if (err == 0 && immutable)
		cache_add(data, len, writable, context, out);
	return err;
}

void perm_put(struct policy_set *s)
{
	if (s && --held(s)->refs == 0 && !held(s)->in_cache)
		kfree(held(s));
}

struct policy_set *perm_get(struct policy_set *s)
{
	held(s)->refs++;
	return s;
}

size_t perm_refresh(struct policy_set *s)
{
	if (!s || s->generation == policy.generation || !s->name[0])
		return 0; /* no manifest: nothing the policy grants or revokes */
	if (held(s)->refs != 1)
		panic("perm_refresh: the set of %s is shared", s->name);
	size_t revoked = 0;
	const char *as = s->only_all ? "*" : s->name; /* "*": grants to every program */
	uint64_t f = irq_save();
	for (size_t i = 0; i < s->n; i++) { /* what it declares, granted now */
		bool now = policy_granted(&policy, as, policy_set_cap(s, i));
		revoked += s->granted[i] && !now;
		s->granted[i] = now;
	}
	s->generation = policy.generation;
	irq_restore(f);
	return revoked;
}

/* ---- the check ---- */

static const char *program_of(const struct proc *p)
{
	return p->perm && p->perm->name[0] ? p->perm->name : p->name;
}

/* One DENY record: program, the event being handled, call, what was needed. */
/* The denial before: a program repeating it (a loop) must not flush the log
 * ring, so a run of identical denials is recorded at its 1st-4th and then
 * at every power-of-two repetition, each record carrying the count (b). */
static struct {
	int pid;
	long nr;
	uint64_t event_seq, count;
	char need[CAP_MAX + 32];
} last_deny;

static uint64_t deny_repeats(const struct proc *p, uint64_t event_seq, const char *need)
{
	if (last_deny.pid == p->pid && last_deny.nr == p->sys_nr && last_deny.event_seq == event_seq &&
	    strcmp(last_deny.need, need) == 0)
		return ++last_deny.count;
	last_deny.pid = p->pid;
	last_deny.nr = p->sys_nr;
	last_deny.event_seq = event_seq;
	size_t n = MIN(strlen(need), sizeof last_deny.need - 1);
	memcpy(last_deny.need, need, n);
	last_deny.need[n] = 0;
	return last_deny.count = 1;
}

/* One DENY record: program, the event being handled, call, what was needed. */
static void deny(const struct proc *p, const char *call, const char *need)
{
	const struct optios_event *ev = p->event;
	uint64_t n = deny_repeats(p, ev ? ev->seq : 0, need);
	if (n > 4 && (n & (n - 1)))
		return; /* counted; the next power of two records it */
	if (!call)
		call = p->sys_name;
	evlog_add(OPTIOS_LOG_DENY, program_of(p), ev ? ev->topic : "", ev ? ev->seq : 0, -EACCES,
		  (uint64_t)p->sys_nr, n, 0, n > 1 ? "%s %s (%lu times in a row)" : "%s %s", call ? call : "?",
		  need, (unsigned long)n);
}

/* The kernel's own work (boot, the runner between runs) is not checked. */
static bool is_kernel(const struct proc *p)
{
	return !p || (p->kernel_owned && !p->handler);
}

int perm_check(struct proc *p, enum policy_cap kind, const char *object, const char *syscall)
{
	if (p)
		p->perm_checked = true;
	if (is_kernel(p) || (p->perm && policy_set_allows(p->perm, kind, object)))
		return 0;
	static char need[CAP_MAX + 32]; /* a path may be 4 KiB: not on the stack (one CPU, not preempted) */
	ksnprintf(need, sizeof need, "%s%s%s", policy_cap_kind_name(kind), object[0] ? ":" : "", object);
	deny(p, syscall, need);
	return -EACCES;
}

int perm_check_file(struct proc *p, enum policy_cap kind, const char *path, const char *syscall)
{
	int err = perm_check(p, kind, path, syscall);
	return err == -EACCES && !perm_sees(p, path) ? -ENOENT : err;
}

bool perm_sees(const struct proc *p, const char *path)
{
	return is_kernel(p) || (p->perm && policy_set_sees(p->perm, path));
}

int perm_link_seen(void *arg, const char *path)
{
	struct proc *p = arg;
	return perm_sees(p, path) ? 0 : perm_check_file(p, CAP_FILE_READ, path, NULL);
}

bool perm_sees_below(const struct proc *p, const char *dir)
{
	return is_kernel(p) || (p->perm && policy_set_sees_below(p->perm, dir));
}

void perm_pass(struct proc *p)
{
	if (p)
		p->perm_checked = true;
}

int perm_memory(struct proc *p, uint64_t more_pages)
{
	if (is_kernel(p) || !p->perm || !p->perm->memory_pages || !p->space)
		return 0;
	uint64_t have = vm_space_pages(p->space);
	if (have + more_pages <= p->perm->memory_pages)
		return 0;
	char need[96];
	ksnprintf(need, sizeof need, "memory %lu pages (manifest limit %lu)",
		  (unsigned long)(have + more_pages), (unsigned long)p->perm->memory_pages);
	deny(p, NULL, need);
	return -ENOMEM;
}

/* The capability a bare kind needs; false for none (or one with an object). */
static bool bare_cap(enum perm_call kind, long a0, enum policy_cap *cap)
{
	switch (kind) {
	case PERM_CONSOLE: *cap = CAP_CONSOLE; return true;
	case PERM_DISPLAY: *cap = CAP_DISPLAY; return true;
	case PERM_LOG: *cap = CAP_LOG_READ; return true;
	case PERM_HANDLER: *cap = CAP_HANDLER_MANAGE; return true;
	case PERM_POWER: *cap = CAP_POWER; return true;
	case PERM_BLOCK: *cap = CAP_DEV_BLOCK; return true;
	case PERM_NET_PING: *cap = CAP_NET_PING; return true;
	case PERM_NET_RESOLVE: *cap = CAP_NET_RESOLVE; return true;
	case PERM_POLICY: /* the queries are open to everyone */
		*cap = CAP_POLICY_MANAGE;
		return a0 == OPTIOS_POLICY_GRANT || a0 == OPTIOS_POLICY_REVOKE;
	default: return false;
	}
}

int perm_call_enter(struct proc *p, long nr, const char *name, enum perm_call kind, long a0)
{
	enum policy_cap cap;
	if (!p)
		return 0;
	p->sys_nr = nr;
	p->sys_name = name;
	p->perm_checked = false;
	return bare_cap(kind, a0, &cap) ? perm_check(p, cap, "", NULL) : 0;
}

long perm_call_leave(struct proc *p, long nr, enum perm_call kind, long result)
{
	bool object = kind == PERM_FILE || kind == PERM_EMIT || kind == PERM_SPAWN || kind == PERM_NET_SEND;
	if (!p || !object || result < 0 || p->perm_checked)
		return result;
	const char *name = nr == p->sys_nr ? p->sys_name : NULL; /* as perm_call_enter recorded it */
	klog(KLOG_ERROR,
	     "perm: KERNEL BUG: %s[%d] call %s succeeded without its permission check; "
	     "returning -EACCES",
	     p->name, p->pid, name ? name : "?");
	return -EACCES;
}

/* ---- refusals, for the shell ---- */

const char *perm_refusal(const struct proc *p)
{
	return p->refusal ? p->refusal : "";
}

void perm_refusal_set(struct proc *p, const char *msg)
{
	size_t n = strnlen(msg, PERM_REFUSAL_MAX - 1);
	kfree(p->refusal);
	p->refusal = n ? kmalloc(n + 1) : NULL;
	if (p->refusal) {
		memcpy(p->refusal, msg, n);
		p->refusal[n] = 0;
	}
}
