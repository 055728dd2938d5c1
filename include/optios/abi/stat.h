/*
 * stat.h - file type and permission bits of a mode (st_mode): the Linux
 * values, shared by the kernel, the SDK and host tools. A C library defines
 * the same names with the same values: include this after its headers, and
 * its definitions are kept.
 */
#ifndef OPTIOS_ABI_STAT_H
#define OPTIOS_ABI_STAT_H

#ifndef S_IFMT
#define S_IFMT 0170000 /* the file type bits */
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#endif

#include <stdint.h>

/* struct stat of the Linux x86_64 ABI (what stat, fstat, lstat and
 * newfstatat fill in; musl's struct stat has this layout). */
struct kstat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	int32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks; /* 512-byte units */
	int64_t st_atime_sec, st_atime_nsec;
	int64_t st_mtime_sec, st_mtime_nsec;
	int64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct kstat) == 144, "struct kstat is the Linux x86_64 struct stat");

#endif
