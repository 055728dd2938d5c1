/*
 * vfs.h - the file system: one tree of directories, regular files and
 * symbolic links made of
 * mounted file systems - "/" the read-only root image (the cpio boot module),
 * writable in-memory file systems at /data and /tmp.
 *
 * Paths given to these functions are kernel strings, absolute or relative to
 * cwd (an absolute, normal path; NULL means "/"), normalised lexically: a
 * symbolic link on the way is not followed here (a component that is a link
 * is no directory: -ENOTDIR); the system calls resolve links first
 * (vfs_resolve) and pass the path it names, so a permission check sees it.
 * Errors are the Linux ones: ENOENT, EEXIST, ENOTDIR, EISDIR, EROFS,
 * ENOTEMPTY, EINVAL, EXDEV, EBUSY, ENAMETOOLONG, ENOSPC, ELOOP (opening a
 * link), EMLINK.
 * The system calls (kernel/syscall/sys_fs.c) copy user arguments in and call these.
 * Open files and descriptor tables are in file.h. Changes on the writable
 * file systems raise file: events (docs/VFS.md): "created"/"written" at the
 * last close of an open that created/wrote the file, "removed", "renamed".
 */
#ifndef KERNEL_FS_VFS_H
#define KERNEL_FS_VFS_H

#include <optios/abi/fcntl.h>
#include <optios/abi/stat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file.h"

struct bootinfo;

/* Mounts the root image (the boot module named "rootfs", else the first) and
 * ramfs at /data and /tmp, then applies /etc/kernel.conf (log.level). Without
 * a module the root is empty (a warning). Never fails: what is wrong is logged. */
void vfs_init(const struct bootinfo *bi);

/* A PATH_MAX buffer for a path argument: from the heap, else from a small
 * reserve (a few buffers), so the calls that free memory - unlink, rmdir -
 * work even when the heap is exhausted. NULL only when both are. Free it
 * with vfs_pathbuf_free (NULL: nothing). */
char *vfs_pathbuf_alloc(void);
void vfs_pathbuf_free(char *p);

/* A kmalloc'd copy of a whole regular file (kfree it) and its length.
 * path is absolute. 0, -ENOENT, -ENOTDIR, -EISDIR, -ENOMEM. */
int vfs_read_file(const char *path, void **data, size_t *len);
/* The same without a copy where one is not needed: a file of the read-only
 * image is its bytes in the boot module (they never change or go: *copy =
 * NULL); any other is read into a kmalloc'd copy (*copy: kfree it, *data ==
 * *copy). *writable: the file lies on a file system that is not read-only.
 * Starting a program reads it this way. */
int vfs_file_bytes(const char *path, const void **data, size_t *len, void **copy, bool *writable);
/* The names in the directory at path (not "." or ".."), sorted by strcmp,
 * in one kmalloc'd block (kfree(*names) frees it all). 0, -ENOENT,
 * -ENOTDIR, -ENOMEM (vfs_list.c). */
int vfs_dir_names(const char *path, char ***names, size_t *n);

/* Opens path (flags: O_* of <optios/abi/fcntl.h>; mode for O_CREAT) and
 * returns a new file with one reference in *out. */
int vfs_open(const char *cwd, const char *path, int flags, uint32_t mode, struct file **out);
int vfs_stat(const char *cwd, const char *path, struct kstat *st);
/* Attribute changes (chmod, utimensat; single user: no owners to change):
 * the permission bits and/or the modification time of path or of an open
 * file. -EROFS in the root image; -EBADF for a file that is no vnode. The
 * access time is not kept (stat reports the modification time). */
struct vfs_attr {
	bool set_mode, set_mtime, mtime_now; /* mtime_now: the current time, not mtime_ns */
	uint32_t mode; /* permission bits (07777) */
	uint64_t mtime_ns; /* since the epoch */
};
int vfs_setattr(const char *cwd, const char *path, const struct vfs_attr *a);
int vfs_file_setattr(struct file *f, const struct vfs_attr *a);
/* amode: F_OK or R_OK|W_OK|X_OK. */
int vfs_access(const char *cwd, const char *path, int amode);
int vfs_mkdir(const char *cwd, const char *path, uint32_t mode);
int vfs_rmdir(const char *cwd, const char *path);
int vfs_unlink(const char *cwd, const char *path);
int vfs_rename(const char *oldcwd, const char *oldpath, const char *newcwd, const char *newpath);
/* Symbolic and hard links (vfs_path.c). symlink: a link at path whose
 * target is any text (1..PATH_MAX-1 bytes, not checked: it may dangle).
 * link: a new name newpath for the existing file oldpath (not a
 * directory: -EPERM; one file system: -EXDEV). readlink: the target of the
 * link at path into buf (at most size bytes, not terminated): its length,
 * or -EINVAL when path is no link. Both paths as the call resolved them
 * (vfs_resolve): a link in the last component is the link itself. Under a
 * transaction (a handler run), symlink and link are refused (-EPERM): a run
 * does not stage them yet. */
struct vfs_txn;
int vfs_symlink(struct vfs_txn *t, const char *target, const char *cwd, const char *path);
int vfs_link(struct vfs_txn *t, const char *oldcwd, const char *oldpath, const char *newcwd,
	     const char *newpath);
long vfs_readlink(const char *cwd, const char *path, char *buf, size_t size);
/* mknod: a regular file (type 0 or S_IFREG: as O_CREAT | O_EXCL), or a
 * named pipe, character or block device (rdev) or socket node: listed and
 * stat'ed as on Linux, but nothing is behind it: opening one is -ENXIO.
 * Not on the store's /data, nor in a run (-EPERM); other types -EINVAL. */
int vfs_mknod(struct vfs_txn *t, const char *cwd, const char *path, uint32_t mode, uint64_t rdev);

/* Called by vfs_resolve with the path of each link it follows and of each
 * directory a ".." leaves after a link: 0 to go on, or the error the
 * resolution fails with (a permission layer: -ENOENT for what the caller
 * cannot see). It may sleep (the fs lock is not held). */
typedef int (*vfs_seen_fn)(void *arg, const char *path);
/*
 * Resolves the symbolic links of path (from cwd, as vfs_open takes them):
 * every link before the last component, and the last one when follow (or
 * when path ends in '/'), relative targets from the link's directory,
 * absolute ones from the root, ".." the physical parent; /proc/self as a
 * link too (vfs_foreign_readlink). Returns 1 when a link was followed:
 * *resolved is the path named (a vfs_pathbuf_alloc'd buffer: free it),
 * absolute, normal, with no link on the way ("/" appended when path ended
 * in '/'); 0 when none was (the path as written names the same, *resolved
 * is NULL, and any error is the call's own to report; no allocation); or
 * an error met after a link: -ELOOP (more than 40 links), -ENOENT,
 * -ENOTDIR, -ENAMETOOLONG, -ENOMEM, or seen's.
 */
int vfs_resolve(const char *cwd, const char *path, bool follow, char **resolved, vfs_seen_fn seen, void *arg);

/* What a call needs of its path, for vfs_precheck. */
enum vfs_need {
	VFS_EXISTING, /* open, stat, access, chdir, unlink, rmdir, truncate, a rename's source */
	VFS_PARENT, /* open with O_CREAT, a rename's target: the directory it goes in */
	VFS_ABSENT, /* mkdir, open with O_CREAT | O_EXCL: the directory, and no such entry */
};
/* The error a call on path reports before its permission check (Linux's
 * order), for a path the caller sees but may not act on: a component on the
 * way missing or not a directory (-ENOENT, -ENOTDIR), then by need: the
 * path missing (-ENOENT), or present (-EEXIST). 0 when none: the permission
 * error stands. */
int vfs_precheck(const char *cwd, const char *path, enum vfs_need need);
/* The normal form of path if it names a directory, kmalloc'd into *newcwd
 * (chdir). 0, -ENOENT, -ENOTDIR, -ENOMEM. */
int vfs_chdir(const char *cwd, const char *path, char **newcwd);
/* A kmalloc'd copy of cwd for a new process ("/" when cwd is NULL), or NULL. */
char *vfs_cwd_copy(const char *cwd);

/* The absolute path of the directory open as f, into out (outsz >= PATH_MAX)
 * for openat() and friends: its length, -ENOTDIR (not a directory), -ENOENT
 * (removed meanwhile). */
int vfs_file_dir_path(struct file *f, char *out, size_t outsz);

/* Counts, for reports and tests. */
struct vfs_usage {
	uint64_t used, limit; /* bytes */
};
/* The usage of the writable file system holding path. 0, -ENOENT, -EROFS. */
int vfs_usage(const char *path, struct vfs_usage *u);
/* What statfs reports of the file system holding path (from cwd): bytes
 * used and the most it may hold (UINT64_MAX: no limit, the root image),
 * its st_dev, whether read-only. 0, -ENOENT, -ENOTDIR, -ENOMEM. */
struct vfs_fsinfo {
	uint64_t used, limit, dev;
	bool readonly, persistent; /* persistent: on the disk store (/data with a disk) */
};
int vfs_fsinfo(const char *cwd, const char *path, struct vfs_fsinfo *out);
/* The same for an open file of the VFS; -EBADF for any other (a console, a pipe). */
int vfs_file_fsinfo(struct file *f, struct vfs_fsinfo *out);

/* Is f a file of a persistent file system (/data on the store: its
 * changes reach the disk with fsync)? */
bool vfs_file_persistent(struct file *f);
/* The RAM /data's tree uses, its limit, and whether it is read-only this
 * boot (a store larger than it may hold). */
void vfs_data_usage(struct vfs_usage *u, bool *readonly);

/* ---- transactions: the file changes of a handler run (vfs_txn.c) ----
 *
 * While the calling process has a transaction (proc->txn, set by
 * kernel/handler for the length of a run), the calls that change files do
 * not act at once; they are checked against the tree as it is (same errors
 * as without a transaction) and staged:
 *   - open for writing (O_WRONLY/O_RDWR, O_CREAT, O_TRUNC) of a file on a
 *     writable file system returns a staged file: a private copy (the
 *     current contents; empty with O_TRUNC or when new; with O_APPEND only
 *     the bytes appended) that read, write, lseek, fstat work on;
 *   - unlink, rename, mkdir, rmdir are recorded.
 * Opening for reading, stat, readdir see the tree as it is: a run sees its
 * own changes only through the descriptor it writes. Staged bytes per
 * transaction are bounded (VFS_TXN_BYTES_MAX): over it, -ENOSPC.
 * vfs_txn_commit applies the changes in the order they were made (a staged
 * file counts from its open), raises their file: events ("created" for a
 * new file, else "written"; "removed", "renamed <from>"), and reports each
 * through fn; vfs_txn_destroy drops whatever was not committed (roll back).
 */
#define VFS_TXN_BYTES_MAX (1u << 20)
struct vfs_txn;
struct vfs_txn *vfs_txn_create(void);
/* Called per effect applied: what is "write", "append", "create", "unlink",
 * "rename", "mkdir", "rmdir"; bytes for writes; err 0 or why it failed. */
typedef void (*vfs_effect_fn)(void *arg, const char *what, const char *path, uint64_t bytes, int err);
/* Applies every change (source names the program in file: events). The
 * changes on /data (the store's file system, vfs_store.c) go first into a
 * store transaction of their own, committed (not flushed) under the store's
 * lock, then into the tree under the same hold of it; if the store refuses
 * them (disk full, disk failed) no change of t is applied (logged). A change
 * that fails now (a directory vanished) is reported with its error and the
 * rest still apply. Returns the number of changes applied. */
int vfs_txn_commit(struct vfs_txn *t, const char *source, vfs_effect_fn fn, void *arg);
/* The tree's half of vfs_txn_commit alone: for a caller that put t's /data
 * changes into its own store transaction (vfs_txn_store: a handler run's
 * one commit of its pages, events, log records and files). Call it with
 * the store's lock held (persist_lock), right after that transaction
 * committed, under the SAME hold of the lock (so no other change of /data
 * comes between the store's order and the tree's). Without a store it is
 * vfs_txn_commit. */
int vfs_txn_apply(struct vfs_txn *t, const char *source, vfs_effect_fn fn, void *arg);
/* t's changes on /data added to the store transaction tx as store_fs_*
 * calls, in the order they were made. A change the tree will refuse at
 * apply (a directory vanished, O_EXCL and the file appeared) is left out
 * here as well. Returns 0, or -ENOSPC, -EFBIG, -EIO, -ENOMEM: tx cannot
 * carry them (abort it; vfs_txn_destroy t: the run rolls back, nothing of
 * it is in either). Changes outside /data are the tree's alone. */
struct store_tx;
int vfs_txn_store(struct vfs_txn *t, struct store_tx *tx);
/* Does t change anything on the store's file system? */
bool vfs_txn_covers_store(const struct vfs_txn *t);
/* The output gate for files (a handler run's commit, seq its store
 * transaction, not yet durable): call before vfs_txn_apply. The file:
 * events t's changes raise go to fn instead (the runner holds them with the
 * run's emitted events until seq is durable), and if t changes /data, every
 * other program's access to /data waits until seq is durable (vfs_store.c:
 * the data gate). */
typedef void (*vfs_event_fn)(void *arg, const char *path, const char *what, const char *source);
void vfs_txn_hold(struct vfs_txn *t, uint64_t seq, vfs_event_fn fn, void *arg);
/* Frees t and all it staged. Staged files still open keep working as
 * private scratch files but can no longer reach the tree. */
void vfs_txn_destroy(struct vfs_txn *t);
/* Changes staged so far. */
size_t vfs_txn_changes(const struct vfs_txn *t);
/* Is f a staged file (opened for writing under some transaction)? */
bool vfs_txn_file(const struct file *f);
/* The calls above that change files, within transaction t (NULL: at once,
 * exactly as vfs_open, vfs_mkdir, ...). The system calls pass proc->txn. */
int vfs_txn_open(struct vfs_txn *t, const char *cwd, const char *path, int flags, uint32_t mode,
		 struct file **out);
int vfs_txn_mkdir(struct vfs_txn *t, const char *cwd, const char *path, uint32_t mode);
int vfs_txn_rmdir(struct vfs_txn *t, const char *cwd, const char *path);
int vfs_txn_unlink(struct vfs_txn *t, const char *cwd, const char *path);
int vfs_txn_rename(struct vfs_txn *t, const char *oldcwd, const char *oldpath, const char *newcwd,
		   const char *newpath);

/* ---- what the VFS asks of the layer above it, defined there ----
 * (as arch.h's upcall block: kernel/fs includes no service above it) */
/* Who makes a change at once, for its file: event (kernel/proc): the current
 * process's name, or "kernel". */
const char *proc_current_name(void);
/* The paths another file system answers (kernel/pseudofs: /dev, /proc,
 * whose directories the VFS holds empty): whether path (normal) is one,
 * and its link's target (readlink: length, -EINVAL for no link). */
bool vfs_foreign_owns(const char *path);
long vfs_foreign_readlink(const char *path, char *buf, size_t size);
/* Is the current process running a handler's run (kernel/proc)? Its reads
 * of /data pass the data gate: the run commits after what it read, so its
 * outputs are held behind that (vfs_store.c). */
bool proc_current_in_run(void);

#endif
