/*
 * perm.h - permissions: the kernel side of manifests and the policy
 * (lib/policy.h says what capabilities mean). Default deny.
 *
 * Every process and every handler carries a struct policy_set computed when it
 * starts (declared ∩ granted). A handler's is refreshed at each run, so a
 * grant or a revoke reaches it at its next run (never beyond what its
 * manifest declares); a foreground program's changes only at its next start. Every check goes through
 * perm_check(), and every denial is logged (OPTIOS_LOG_DENY: program,
 * call, capability, the event being handled) and returns -EACCES.
 *
 * Which check a system call needs is the third column of syscalls.def
 * (PERM_NONE, PERM_FILE, PERM_EMIT, PERM_SPAWN, PERM_CONSOLE, PERM_DISPLAY,
 * PERM_LOG, PERM_HANDLER, PERM_POLICY, PERM_POWER, PERM_BLOCK). The dispatcher checks the
 * bare kinds itself before the call runs; for calls with an object (a path,
 * a topic, a program) the call validates its arguments, normalises the
 * object and calls perm_check before it acts, and the dispatcher verifies
 * that it did.
 */
#ifndef KERNEL_PERM_PERM_H
#define KERNEL_PERM_PERM_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/policy.h"

struct proc;

/* The check a system call needs: the third column of syscalls.def. */
enum perm_call {
	PERM_NONE,
	PERM_FILE,
	PERM_EMIT,
	PERM_SPAWN,
	PERM_CONSOLE,
	PERM_DISPLAY,
	PERM_LOG,
	PERM_HANDLER,
	PERM_POLICY,
	PERM_POWER,
	PERM_BLOCK,
	PERM_NET_PING,
	PERM_NET_RESOLVE,
	PERM_NET_SEND, /* an object: the call checks net.send or net.reply itself */
};

/* After vfs_init: loads /etc/policy (errors logged, the bad lines ignored). */
void perm_init(void);

/* The permissions a program gets (for proc_spawn and handler_add): computed
 * from the manifest of the file at path and the policy. 0, or -EACCES when
 * it asks for something not granted or cannot run in context
 * (MANIFEST_CTX_FOREGROUND / _BACKGROUND); msg then names each missing grant
 * and how to grant it ("policy grant watcher file.write:/data/summary"). The
 * set is kmalloc'd: perm_put it.
 * Grants name programs by their manifest name, which a program chooses
 * itself: a name stands for the program of that name in the read-only root
 * image. A program loaded from a writable file system gets only the grants
 * to "*", whatever name it declares. */
int perm_for_program(const char *path, uint32_t context, struct policy_set **out, char *msg, size_t msglen);
/* The same for the program's file already read into data (len bytes):
 * writable says it lies on a writable file system (only the grants to "*"
 * apply, see above), immutable that data are the read-only root image's own
 * bytes, which never change: the set is then cached by them and shared
 * (computed again when the policy changed). msg may be NULL (msglen 0). */
int perm_for_image(const char *path, const void *data, size_t len, bool writable, bool immutable,
		   uint32_t context, struct policy_set **out, char *msg, size_t msglen);
/* The same for a manifest already read from path (m NULL: the program has
 * none; path NULL: a program of the root image). */
int perm_for_manifest(const struct manifest *m, const char *path, uint32_t context, struct policy_set **out,
		      char *msg, size_t msglen);
/* Sets are shared, counted: perm_get takes a reference (a fork child's
 * set is its parent's), perm_put drops one (NULL: nothing); the last frees. */
void perm_put(struct policy_set *s);
struct policy_set *perm_get(struct policy_set *s);
/* Recomputes s against the policy if it changed since (a handler's next
 * run; s must not be shared: a handler's own): each declared capability is granted exactly when the policy grants
 * it now (to "*" only for a program from a writable file system), so revokes
 * go and grants come, never beyond the manifest. Returns how many it revoked now. */
size_t perm_refresh(struct policy_set *s);

/* The one check. p's permissions allow kind on object (a normal absolute
 * path, a topic, a program path, "" for bare kinds)? 0, or -EACCES after
 * logging the denial with syscall (its name, for the log). */
int perm_check(struct proc *p, enum policy_cap kind, const char *object, const char *syscall);
/* The check of a file operation (kind CAP_FILE_READ or CAP_FILE_WRITE) on
 * path (normal, absolute): perm_check, but a path p cannot see
 * (perm_sees) is refused with -ENOENT, as if it did not exist, so nothing
 * about it leaks; -EACCES only for a path p sees. Both are logged. */
int perm_check_file(struct proc *p, enum policy_cap kind, const char *path, const char *syscall);
/* Does p see path (lib/policy.h "Visibility")? The kernel's own work sees
 * everything; a process without permissions nothing. Logs nothing. */
bool perm_sees(const struct proc *p, const char *path);
/* vfs_resolve's question before it follows the symbolic link at path, for
 * the process arg (a struct proc *): 0 if it sees the link, else
 * perm_check_file's refusal (logged). */
int perm_link_seen(void *arg, const char *path);
/* Does p see every entry of directory dir (no listing filter needed)? */
bool perm_sees_below(const struct proc *p, const char *dir);
/* For a call with an object that, in this form, names none (fstatat on a
 * descriptor, a query): tells the dispatcher nothing needed checking. */
void perm_pass(struct proc *p);
/* The memory limit (manifest `memory N`): may p map more pages? 0, or
 * -ENOMEM after logging the denial. */
int perm_memory(struct proc *p, uint64_t more_pages);

/* The dispatcher's side (kernel/syscall): before call nr (named name, for
 * the records) runs, checks a bare kind (0 or -EACCES) and arms the per-call
 * flag; after it, a call with an object that succeeded without perm_check is
 * a kernel bug: logged, -EACCES. */
int perm_call_enter(struct proc *p, long nr, const char *name, enum perm_call kind, long a0);
long perm_call_leave(struct proc *p, long nr, enum perm_call kind, long result);

/* The policy the kernel holds (grant and revoke change it). */
struct policy *perm_policy(void);
/* bytes of a refusal message, NUL included: the missing capabilities may
 * name 4 KiB paths, each said twice */
#define PERM_REFUSAL_MAX (4 * CAP_MAX)
/* Why p's last start of a program was refused ("" if none). */
const char *perm_refusal(const struct proc *p);
/* Keeps a copy of msg (at most PERM_REFUSAL_MAX - 1 bytes) as p's refusal;
 * "" frees it. Out of memory: none kept. */
void perm_refusal_set(struct proc *p, const char *msg);

/* perm_store.c: grants and revokes on the disk (semantics there). Records
 * one change, durable when it returns: 0 (also without a disk), -EIO,
 * -ENOSPC, -ENOMEM. */
int perm_store_change(bool grant, const char *name, const char *cap);
/* At boot, after the policy files: the stored changes applied in order;
 * how many. */
size_t perm_store_load(void);

#endif
