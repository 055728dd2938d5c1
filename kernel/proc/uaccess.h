/*
 * uaccess.h - the only way the kernel touches user memory.
 *
 * A user pointer is a number (uptr) until one of these functions has checked
 * it: the whole range lies in the user half without wrapping, every page is
 * mapped for the user with the needed access in the current process's
 * address space (a copy-on-write page is broken before a write). The copy goes
 * through the direct map, so a bad pointer returns -EFAULT and never faults
 * the kernel.
 */
#ifndef KERNEL_PROC_UACCESS_H
#define KERNEL_PROC_UACCESS_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t uptr;

/* 0 or -EFAULT; on -EFAULT the destination may be partly written. */
int copy_from_user(void *dst, uptr src, size_t n);
int copy_to_user(uptr dst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most max-1 bytes plus NUL. Returns its
 * length, -EFAULT, or -ENAMETOOLONG when no NUL is found within max bytes. */
long strncpy_from_user(char *dst, uptr src, size_t max);
/* Copies a NULL-terminated user array of strings (argv, envp) into one
 * kmalloc'd block: *out is an array of count pointers + NULL, the strings
 * after it. Limits: at most max_count strings and max_bytes in total
 * (-E2BIG). Returns count or -EFAULT/-E2BIG/-ENOMEM; kfree(*out) frees all. */
long copy_strv_from_user(char ***out, uptr uv, size_t max_count, size_t max_bytes);

#endif
