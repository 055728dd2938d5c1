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

#endif
