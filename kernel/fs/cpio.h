/*
 * cpio.h - reading a cpio "newc" (magic 070701) archive held in memory: the
 * format of OptiOS's root file system boot module. Nothing is copied: entries
 * point into the archive, which must stay mapped while they are used.
 */
#ifndef KERNEL_FS_CPIO_H
#define KERNEL_FS_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX 4096 /* longest name accepted, with its NUL (PATH_MAX) */

/* One archive member, as stored. name is the raw member name, e.g. "etc/x",
 * "./etc/x" or "." (GNU cpio writes what find printed). Hard links (same ino,
 * nlink > 1): newc stores the data with the last member of the set only, the
 * others have size 0; joining them is the file system's business. */
struct cpio_entry {
	const char *name; /* NUL-terminated, no NUL inside */
	size_t namelen;   /* strlen(name), >= 1 */
	uint32_t mode;    /* file type (S_IFMT bits of <optios/abi/stat.h>) and permissions */
	uint32_t ino, uid, gid, nlink;
	uint32_t mtime; /* seconds since 1970-01-01 UTC */
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	const void *data; /* size bytes inside the archive: file contents, symlink target */
	size_t size;
};

/* Iteration state; treat as opaque. */
struct cpio_iter {
	const uint8_t *base;
	size_t len;
	size_t off;       /* where the next header starts */
	int state;        /* 1 running, 0 trailer seen, < 0 the error that stopped it */
	const char *why;  /* what was wrong, for messages; "" while fine */
	size_t why_off;   /* offset of the header in which it was found */
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);

/*
 * Reads the next member into *e. Returns 1 with an entry, 0 at the
 * "TRAILER!!!" member (the end; anything after it is padding and ignored),
 * or -EINVAL if the archive is malformed (bad magic, a field that is not 8 hex
 * digits, a name that is empty, too long or not NUL-terminated where its size
 * says, an unknown file type, a directory or device with data, a member
 * running past the end, no trailer); it->why and it->why_off then say what and
 * where. End and errors are sticky: later calls return the same.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/*
 * Finds a member by path. Leading "/" and "./" of both names are ignored, so
 * "etc/kernel.conf" finds "./etc/kernel.conf". Returns 0, -ENOENT, or the
 * archive's -EINVAL if it is malformed before the member is reached.
 */
int cpio_find(const void *archive, size_t len, const char *path, struct cpio_entry *e);

#endif
