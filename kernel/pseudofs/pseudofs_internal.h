/* pseudofs_internal.h - what pseudofs.c, dev.c and procfs.c share. */
#ifndef KERNEL_PSEUDOFS_INTERNAL_H
#define KERNEL_PSEUDOFS_INTERNAL_H

#include <optios/abi/stat.h>
#include <stdbool.h>
#include <stddef.h>

#include "kernel/fs/file.h"

#define PSEUDOFS_DT_CHR 2 /* getdents d_type values Linux uses beside DT_DIR, DT_REG */
#define PSEUDOFS_DT_LNK 10

/* A read-only file whose whole text (kmalloc'd, taken over) was made at
 * open: read, pread, lseek on it. NULL if out of memory (text freed). */
struct file *pseudofs_text_file(char *text, size_t len);
/* A directory listing names (n entries, each of type dtype[i] as
 * getdents's d_type), kmalloc'd copies made here; path is its own path.
 * NULL if out of memory. */
struct file *pseudofs_dir_file(const char *path, const char *const *names, const unsigned char *dtypes,
			       size_t n);
/* What stat says of a directory or a read-only file of ours on device dev. */
void pseudofs_stat_fill(struct kstat *st, uint32_t mode, uint64_t dev, uint64_t ino);

/* /dev (dev.c): path below "/dev" ("" for /dev itself, else "/NAME"). */
int devfs_open(const char *rest, int flags, struct file **out);
int devfs_stat(const char *rest, struct kstat *st);
bool devfs_free(const char *rest);
/* /proc (procfs.c): path below "/proc". */
int procfs_open(const char *rest, int flags, struct file **out);
int procfs_stat(const char *rest, struct kstat *st);
long procfs_readlink(const char *rest, char *buf, size_t size);

#endif
