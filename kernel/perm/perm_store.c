/*
 * perm_store.c - `policy grant` and `policy revoke` on the disk (the
 * system store, kernel/persist), so they outlive a reboot.
 *
 * Semantics. The policy at boot is /etc/policy, then the files of /etc/policy.d
 * in name order (perm.c), then the changes made with optios_policy since the
 * disk was formatted, applied in the order they were made: a grant adds its
 * capability (already there: nothing), a revoke removes it (not there:
 * nothing) - a file's grant revoked stays revoked at every boot, until a
 * grant gives it back. The files stay what the image ships; the disk holds
 * only the user's changes.
 *
 * Layout: one key per (program, capability) changed, in STORE_CLASS_POLICY
 * obj 0, sub = the change's number (increasing: the order of replay); its
 * value is "g PROGRAM CAP" or "r PROGRAM CAP". A change deletes the older
 * key of the same pair in its transaction, so the keys are at most one per
 * pair (bounded by what the policy can hold) and replay is short.
 *
 * Invariants: a change is durable before optios_policy returns (the call
 * syncs); a stored value that does not parse, or names what policy_grant
 * refuses, is logged and skipped at boot, never trusted.
 */
#include <optios/abi/errno.h>

#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/persist/persist.h"
#include "lib/lib.h"
#include "lib/policy.h"

#define CHANGE_MAX 512 /* "g " + program + " " + capability */

static const uint64_t pobj = STORE_OBJ(STORE_CLASS_POLICY, 0);
static uint64_t next_sub = 1; /* the next change's number */

/* Splits "g PROGRAM CAP" (NUL-terminated in buf): 0, or -EINVAL. */
static int parse(char *buf, char *op, char **name, char **cap)
{
	if ((buf[0] != 'g' && buf[0] != 'r') || buf[1] != ' ')
		return -EINVAL;
	*op = buf[0];
	*name = buf + 2;
	char *sp = strchr(*name, ' ');
	if (!sp || sp == *name || !sp[1])
		return -EINVAL;
	*sp = 0;
	*cap = sp + 1;
	return 0;
}

struct change {
	char text[CHANGE_MAX];
	size_t len;
	const char *name, *cap;
	uint64_t sub;
};

/* The change's transaction: the older key of the same pair goes. */
static int build(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	struct store_key k = {pobj, 0}, hi = {pobj, UINT64_MAX};
	char buf[CHANGE_MAX + 1], *name, *cap, op;
	while (store_tx_next(tx, k, hi, &k) == 0) {
		int n = store_tx_get(tx, k, buf, CHANGE_MAX);
		if (n >= 0) {
			buf[n] = 0;
			if (parse(buf, &op, &name, &cap) == 0 && strcmp(name, c->name) == 0 &&
			    strcmp(cap, c->cap) == 0) {
				int err = store_del(tx, k);
				if (err)
					return err;
			}
		}
		k.sub++;
	}
	return store_put(tx, (struct store_key){pobj, c->sub}, c->text, c->len);
}

int perm_store_change(bool grant, const char *name, const char *cap)
{
	if (!persist_store() || persist_failed())
		return 0;
	struct change *c = kmalloc(sizeof *c);
	if (!c)
		return -ENOMEM;
	int n = ksnprintf(c->text, sizeof c->text, "%c %s %s", grant ? 'g' : 'r', name, cap);
	c->len = (size_t)n;
	c->name = name;
	c->cap = cap;
	c->sub = next_sub;
	int64_t seq = n > 0 && (size_t)n < sizeof c->text ? persist_commit(build, c) : -E2BIG;
	kfree(c);
	if (seq > 0) {
		next_sub++;
		return persist_sync((uint64_t)seq);
	}
	return (int)seq;
}

/* One stored change applied to the policy: logged if refused. */
static void replay(char *buf, uint64_t sub)
{
	char *name, *cap, op;
	if (parse(buf, &op, &name, &cap) != 0) {
		klog(KLOG_WARN, "perm: stored policy change %lu does not parse: skipped", (unsigned long)sub);
		return;
	}
	int err =
		op == 'g' ? policy_grant(perm_policy(), name, cap) : policy_revoke(perm_policy(), name, cap);
	if (err && err != -EEXIST && err != -ENOENT)
		klog(KLOG_WARN, "perm: stored policy change %lu (%s %s %s) refused: error %d",
		     (unsigned long)sub, op == 'g' ? "grant" : "revoke", name, cap, err);
}

size_t perm_store_load(void)
{
	struct store *st = persist_store();
	if (!st)
		return 0;
	char buf[CHANGE_MAX + 1];
	size_t n = 0;
	struct store_key k = {pobj, 0}, hi = {pobj, UINT64_MAX};
	persist_lock();
	while (store_next(st, k, hi, &k) == 0) {
		int len = store_get(st, k, buf, CHANGE_MAX);
		if (len >= 0) {
			buf[len] = 0;
			replay(buf, k.sub);
			n++;
		}
		next_sub = k.sub + 1;
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	persist_unlock();
	return n;
}
