/*
 * vfs.h - the file system: one tree of directories and regular files made of
 * mounted file systems - "/" the read-only root image (the cpio boot module),
 * writable in-memory file systems at /data and /tmp.
 *
 * Paths given to these functions are kernel strings, absolute or relative to
 * cwd (an absolute, normal path; NULL means "/"), normalised lexically (no
 * symlinks exist). Errors are the Linux ones: ENOENT, EEXIST, ENOTDIR,
 * EISDIR, EROFS, ENOTEMPTY, EINVAL, EXDEV, EBUSY, ENAMETOOLONG, ENOSPC.
 * The system calls (fs_syscalls.c) copy user arguments in and call these.
 * Open files and descriptor tables are in file.h.
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

/* A kmalloc'd copy of a whole regular file (kfree it) and its length.
 * path is absolute. 0, -ENOENT, -ENOTDIR, -EISDIR, -ENOMEM. */
int vfs_read_file(const char *path, void **data, size_t *len);

/* Opens path (flags: O_* of <optios/abi/fcntl.h>; mode for O_CREAT) and
 * returns a new file with one reference in *out. */
int vfs_open(const char *cwd, const char *path, int flags, uint32_t mode, struct file **out);
int vfs_stat(const char *cwd, const char *path, struct kstat *st);
/* amode: F_OK or R_OK|W_OK|X_OK. */
int vfs_access(const char *cwd, const char *path, int amode);
int vfs_mkdir(const char *cwd, const char *path, uint32_t mode);
int vfs_rmdir(const char *cwd, const char *path);
int vfs_unlink(const char *cwd, const char *path);
int vfs_rename(const char *oldcwd, const char *oldpath, const char *newcwd, const char *newpath);
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

#endif
