/*
 * stubs.c - the kernel services the host-built kernel code calls, faked in
 * one place: the heap (kmalloc and friends: the C library's), the fs's
 * pages, lock, clock and hash seed, the file: event source, and kernel/event's lock,
 * clock and memory. The kernel's versions are in kernel/mm, kernel/fs and
 * kernel/event; the declarations are the HOST_TEST blocks of fs_internal.h
 * and event_internal.h. One CPU and no interrupts on the host: the locks do
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include "kernel/event/event_internal.h"
#include "kernel/fs/fs_internal.h"
#include "stubs.h"

/* ---- the kernel heap (kernel/mm) ---- */

bool stub_heap_exhausted;

void *kmalloc(size_t size)
{
	return stub_heap_exhausted ? NULL : malloc(size ? size : 1);
}

void *kzalloc(size_t size)
{
	return stub_heap_exhausted ? NULL : calloc(1, size ? size : 1);
}

void *krealloc(void *p, size_t size)
{
	return stub_heap_exhausted ? NULL : realloc(p, size);
}

void kfree(void *p)
{
	free(p);
}

/* ---- kernel/fs: pages, lock, clock, file: events ---- */

void *fs_page_alloc(void)
{
	return calloc(1, FS_PAGE);
}

void fs_page_free(void *p)
{
	free(p);
}

uint64_t fs_lock(void)
{
	return 0;
}

void fs_unlock(uint64_t f)
{
	(void)f;
}

uint64_t fs_now_ns(void)
{
	return 1700000000ull * 1000000000ull;
}

/* /data on the store (kernel/fs/vfs_store.c) is kernel-only: the host's
 * file systems are never persistent, so these are never reached. */
bool fs_store_begin(const char *path)
{
	(void)path;
	return false;
}

bool fs_store_begin_vnode(const struct vnode *v)
{
	(void)v;
	return false;
}

void fs_store_end(void) {}

void fs_store_gate(const char *path)
{
	(void)path;
}

void fs_store_hold(uint64_t seq)
{
	(void)seq;
}

void fs_store_fsinfo(struct vfs_fsinfo *out)
{
	(void)out;
}

bool fs_store_covers(const char *path)
{
	(void)path;
	return false;
}

const char *fs_store_path(const char *path)
{
	return path;
}

int fs_store_create(const char *path, uint32_t mode, uint64_t *sino)
{
	(void)path, (void)mode, (void)sino;
	return -EIO;
}

int fs_store_remove(const char *path)
{
	(void)path;
	return -EIO;
}

int fs_store_rename(const char *from, const char *to)
{
	(void)from, (void)to;
	return -EIO;
}

int fs_store_symlink(const char *path, const char *target, uint64_t *sino)
{
	(void)path, (void)target, (void)sino;
	return -EIO;
}

int fs_store_link(const char *from, const char *to)
{
	(void)from, (void)to;
	return -EIO;
}

int fs_store_setattr(struct vnode *v, const struct vfs_attr *a)
{
	(void)v, (void)a;
	return -EIO;
}

int fs_store_truncate(struct vnode *v, uint64_t size)
{
	(void)v, (void)size;
	return -EIO;
}

long fs_store_write(struct vnode *v, uint64_t off, const void *buf, size_t len)
{
	(void)v, (void)off, (void)buf, (void)len;
	return -EIO;
}

/* No store on the host: a commit is the tree's half alone. */
int vfs_txn_commit(struct vfs_txn *t, const char *source, vfs_effect_fn fn, void *arg)
{
	return vfs_txn_apply(t, source, fn, arg);
}

uint64_t fs_hash_seed(void)
{
	return 14695981039346656037ull; /* FNV-1a's own basis: the same every run */
}

char stub_fs_events[2048];
const char *stub_fs_source = "kernel";

void fs_file_event(const char *path, const char *what, const char *source)
{
	size_t n = strlen(stub_fs_events);
	snprintf(stub_fs_events + n, sizeof stub_fs_events - n, "%s%s %s by %s", n ? "; " : "", what, path,
		 source);
}

bool proc_current_in_run(void)
{
	return false;
}

const char *proc_current_name(void)
{
	return stub_fs_source;
}

/* kernel/pseudofs as vfs_resolve sees it: /proc is foreign, and its one
 * link /proc/self names "42". */
bool vfs_foreign_owns(const char *path)
{
	return strncmp(path, "/proc", 5) == 0 && (path[5] == '\0' || path[5] == '/');
}

long vfs_foreign_readlink(const char *path, char *buf, size_t size)
{
	if (strcmp(path, "/proc/self") != 0)
		return -EINVAL;
	size_t n = size < 2 ? size : 2;
	memcpy(buf, "42", n);
	return (long)n;
}

/* ---- kernel/event: lock, clock and TSC (one settable value), memory ---- */

uint64_t event_host_clock_ns;

uint64_t event_lock(void)
{
	return 0;
}

void event_unlock(uint64_t f)
{
	(void)f;
}

uint64_t event_now_ns(void)
{
	return event_host_clock_ns;
}

uint64_t event_tsc(void)
{
	return event_host_clock_ns;
}

void *event_zalloc(size_t size)
{
	return calloc(1, size);
}

/* kernel/syscall's upcall from kernel/fs/lock.c: counted, for the tests. */
int stub_locks_changed;
void fs_locks_changed(void)
{
	stub_locks_changed++;
}
