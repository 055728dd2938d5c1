/*
 * fcntl.h - open flags, *at() conventions, fcntl commands and directory
 * records of the file system calls: the Linux x86_64 values, shared by the
 * kernel, the SDK and host tools. A C library defines the same names with
 * the same values: include this after its headers, and its definitions are kept.
 */
#ifndef OPTIOS_ABI_FCNTL_H
#define OPTIOS_ABI_FCNTL_H

#include <stdint.h>

#ifndef O_CREAT
#define O_ACCMODE 0003
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE 020200000

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EACCESS 0x200
#define AT_EMPTY_PATH 0x1000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
/* record locks: struct flock (l_type, l_whence shorts; l_start, l_len; l_pid) */
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
/* flock operations */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4
#endif

#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

#ifndef DT_DIR
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#endif

/* One getdents64 record; d_reclen is a multiple of 8 and covers the name's NUL. */
struct kdirent64 {
	uint64_t d_ino;
	int64_t d_off; /* the offset of the next record (what lseek accepts) */
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

#endif
