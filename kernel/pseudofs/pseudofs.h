/*
 * pseudofs.h - the file systems made by the kernel on demand, beside the VFS
 * tree (kernel/fs): devices at /dev and process information at /proc
 * (docs/VFS.md, "/dev and /proc").
 *
 * The system calls (kernel/syscall/sys_fs.c) hand a normalised path to
 * pseudofs_owns first; what it owns never reaches the VFS. The VFS holds
 * only the two empty directories they cover, so `ls /` shows them.
 * Nothing here keeps state between calls: a /proc file's text is made when
 * it is opened and read from that copy; a directory's names when it is
 * opened.
 */
#ifndef KERNEL_PSEUDOFS_PSEUDOFS_H
#define KERNEL_PSEUDOFS_PSEUDOFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct kstat;

/* Linux's st_dev of each (0:5 devtmpfs, 0:22 proc) and f_type magic numbers. */
#define PSEUDOFS_DEV_DEV 5
#define PSEUDOFS_DEV_PROC 22
#define PSEUDOFS_DEVFS_MAGIC 0x01021994 /* TMPFS_MAGIC, as devtmpfs reports */
#define PSEUDOFS_PROC_MAGIC 0x9fa0

/* Whether path (normal, absolute) is /dev, /proc or below them. */
bool pseudofs_owns(const char *path);
/* A device every program may open without a file grant: /dev/null, zero,
 * full, random, urandom, tty (they hold nothing of anyone's; tty is the
 * caller's own console). Every other path here is checked as any file. */
bool pseudofs_free_device(const char *path);
/* Opens path (owned). flags as open's: writing a /proc file or directory
 * -EACCES/-EISDIR, O_CREAT of a missing name -EACCES, missing -ENOENT,
 * /dev/tty without a console -ENXIO, -ENOMEM. */
int pseudofs_open(const char *path, int flags, struct file **out);
/* stat of path (owned): 0 or -ENOENT. */
int pseudofs_stat(const char *path, struct kstat *st);
/* The same without following /proc/self: a link (S_IFLNK) to the pid. */
int pseudofs_lstat(const char *path, struct kstat *st);
/* readlink of /proc/self (the caller's pid): its length (not terminated,
 * at most size), -EINVAL (not a link), -ENOENT. */
long pseudofs_readlink(const char *path, char *buf, size_t size);
/* The path of a directory open here, into out (PATH_MAX): its length, or
 * -ENOTDIR (no directory of ours). */
int pseudofs_dir_path(struct file *f, char *out, size_t outsz);

#endif
