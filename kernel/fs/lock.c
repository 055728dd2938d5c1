/*
 * lock.c - advisory file locks: POSIX record locks (fcntl F_SETLK/F_SETLKW/
 * F_GETLK) and whole-file flock locks, with Linux's semantics.
 *
 * Data. Two lists of struct lock records, one per kind, each record a byte
 * range [start, end) (end LOCK_EOF: to the end of the file, however it
 * grows) of one file (key: its vnode) held by one owner, shared (LOCK_READ)
 * or exclusive (LOCK_WRITE):
 *   - POSIX: the owner is a process's descriptor table (one per process: a
 *     fork child gets its own, exec keeps it), so the locks are the
 *     process's; pid is kept for F_GETLK. Any close of a descriptor of the
 *     file by that process drops all its locks on the file (POSIX's rule),
 *     and so does the end of the table.
 *   - flock: the owner is the open file description (struct file): dup and
 *     fork share it; the lock goes with its last close. Ranges are always
 *     the whole file.
 * The two kinds never conflict with each other (as on Linux).
 *
 * Invariants:
 *   1. An owner's records on one key never overlap, and two of its records
 *      of the same type are never adjacent (they are merged).
 *   2. Records of different owners on one key overlap only if both are
 *      LOCK_READ.
 *   3. A set either completes or changes nothing (both nodes it may need
 *      are allocated before anything changes).
 * Every change that may let a waiter go on calls fs_locks_changed() (an
 * upcall: kernel/syscall wakes the F_SETLKW sleepers).
 *
 * Deadlocks between F_SETLKW waiters are not detected (Linux's EDEADLK):
 * such waiters sleep until killed.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "lib/lib.h"

struct lock {
	const void *key, *owner;
	int pid;
	int type; /* LOCK_READ, LOCK_WRITE */
	uint64_t start, end;
	struct lock *next;
};

static struct lock *posix_locks, *flock_locks;

static bool overlaps(const struct lock *l, uint64_t start, uint64_t end)
{
	return l->start < end && start < l->end;
}

static bool conflicts(const struct lock *l, const void *key, const void *owner, int type, uint64_t start,
		      uint64_t end)
{
	return l->key == key && l->owner != owner && overlaps(l, start, end) &&
	       (type == LOCK_WRITE || l->type == LOCK_WRITE);
}

static struct lock *find_conflict(struct lock *list, const void *key, const void *owner, int type,
				  uint64_t start, uint64_t end)
{
	for (struct lock *l = list; l; l = l->next)
		if (conflicts(l, key, owner, type, start, end))
			return l;
	return NULL;
}

bool lock_posix_test(const void *key, const void *owner, int type, uint64_t start, uint64_t end,
		     struct lock_info *conflict)
{
	uint64_t lk = fs_lock();
	struct lock *l = find_conflict(posix_locks, key, owner, type, start, end);
	if (l && conflict)
		*conflict = (struct lock_info){l->type, l->pid, l->start, l->end};
	fs_unlock(lk);
	return l != NULL;
}

/* Takes [start, end) out of owner's records on key, splitting a record that
 * spans it (using *spare, which it then clears). */
static void cut(struct lock **list, const void *key, const void *owner, uint64_t start, uint64_t end,
		struct lock **spare)
{
	for (struct lock **pp = list; *pp;) {
		struct lock *l = *pp;
		if (l->key != key || l->owner != owner || !overlaps(l, start, end)) {
			pp = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) { /* the range is inside: two pieces */
			struct lock *hi = *spare;
			*spare = NULL;
			*hi = *l;
			hi->start = end;
			l->end = start;
			l->next = hi;
			return;
		}
		if (l->start < start) {
			l->end = start;
		} else if (l->end > end) {
			l->start = end;
		} else { /* wholly inside: gone */
			*pp = l->next;
			kfree(l);
			continue;
		}
		pp = &l->next;
	}
}

/* Merges owner's records of n's type that touch n into n (invariant 1). */
static void merge(struct lock **list, struct lock *n)
{
	for (struct lock **pp = list; *pp;) {
		struct lock *l = *pp;
		if (l != n && l->key == n->key && l->owner == n->owner && l->type == n->type &&
		    l->start <= n->end && n->start <= l->end) {
			n->start = MIN(n->start, l->start);
			n->end = MAX(n->end, l->end);
			*pp = l->next;
			kfree(l);
			continue;
		}
		pp = &l->next;
	}
}

static int set(struct lock **list, const void *key, const void *owner, int pid, int type, uint64_t start,
	       uint64_t end)
{
	if (start >= end)
		return -EINVAL;
	struct lock *spare = kmalloc(sizeof *spare), *n = type == LOCK_UNLOCK ? NULL : kmalloc(sizeof *n);
	if (!spare || (type != LOCK_UNLOCK && !n)) {
		kfree(spare);
		kfree(n);
		return -ENOMEM;
	}
	uint64_t lk = fs_lock();
	int err = 0;
	if (type != LOCK_UNLOCK && find_conflict(*list, key, owner, type, start, end)) {
		err = -EAGAIN;
	} else {
		cut(list, key, owner, start, end, &spare);
		if (n) {
			*n = (struct lock){key, owner, pid, type, start, end, *list};
			*list = n;
			merge(list, n);
			n = NULL;
		}
	}
	fs_unlock(lk);
	kfree(spare);
	kfree(n);
	if (!err)
		fs_locks_changed();
	return err;
}

int lock_posix_set(const void *key, const void *owner, int pid, int type, uint64_t start, uint64_t end)
{
	return set(&posix_locks, key, owner, pid, type, start, end);
}

/* Drops owner's records on key (NULL: every key). */
static size_t drop(struct lock **list, const void *key, const void *owner)
{
	size_t n = 0;
	uint64_t lk = fs_lock();
	for (struct lock **pp = list; *pp;) {
		struct lock *l = *pp;
		if ((!key || l->key == key) && l->owner == owner) {
			*pp = l->next;
			kfree(l);
			n++;
			continue;
		}
		pp = &l->next;
	}
	fs_unlock(lk);
	if (n)
		fs_locks_changed();
	return n;
}

size_t lock_posix_release(const void *key, const void *owner)
{
	return drop(&posix_locks, key, owner);
}

int lock_flock(const void *key, const void *owner, int type)
{
	if (type == LOCK_UNLOCK) {
		drop(&flock_locks, key, owner);
		return 0;
	}
	return set(&flock_locks, key, owner, 0, type, 0, LOCK_EOF);
}

size_t lock_flock_release(const void *owner)
{
	if (!flock_locks)
		return 0; /* every last close passes here: keep it cheap */
	return drop(&flock_locks, NULL, owner);
}

size_t lock_count(void)
{
	size_t n = 0;
	uint64_t lk = fs_lock();
	for (struct lock *l = posix_locks; l; l = l->next)
		n++;
	for (struct lock *l = flock_locks; l; l = l->next)
		n++;
	fs_unlock(lk);
	return n;
}
