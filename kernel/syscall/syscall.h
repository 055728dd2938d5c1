/*
 * syscall.h - system call entry and dispatch.
 *
 * The list is include/optios/abi/syscalls.def. Every sys_NAME has the same
 * signature (six register arguments, unused ones ignored) and returns a value
 * or a negative -E code. A listed call that no subsystem implements resolves
 * (weakly) to the -ENOSYS stub, which logs it once per process.
 *
 * Contract for every sys_ function (STYLE.md "validate, then act"): copy in
 * and check every user argument (kernel/proc/uaccess.h) first, then call an
 * internal function that never sees a user pointer.
 */
#ifndef KERNEL_SYSCALL_SYSCALL_H
#define KERNEL_SYSCALL_SYSCALL_H

#include <stdint.h>

#include "lib/lib.h"

enum {
#define SYSCALL(nr, name, perm) SYS_##name = nr,
#include <optios/abi/syscalls.def>
#undef SYSCALL
};

#define SYS_ARGS UNUSED long a0, UNUSED long a1, UNUSED long a2, UNUSED long a3, UNUSED long a4, UNUSED long a5
/* The unused tail after two named arguments: long sys_x(long fd, long buf, SYS_ARGS_FROM2) */
#define SYS_ARGS_FROM1 UNUSED long a1, SYS_ARGS_FROM2
#define SYS_ARGS_FROM2 UNUSED long a2, UNUSED long a3, UNUSED long a4, UNUSED long a5
#define SYS_ARGS_FROM3 UNUSED long a3, SYS_ARGS_FROM4
#define SYS_ARGS_FROM4 UNUSED long a4, SYS_ARGS_FROM5
#define SYS_ARGS_FROM5 UNUSED long a5

/* sys_poll.c: a file's readiness may have changed (file_ops.poll): every
 * process in poll/select looks again. Interrupt handlers may call it. */
void poll_wake(void);

/* sys_log.c: the log records written so far, durable before the call
 * returns (kernel/handler's handler_log_sync, for callers below it: a
 * policy change). 0, or -EIO. */
int syscall_log_durable(void);

#define SYSCALL(nr, name, perm) long sys_##name(SYS_ARGS);
#include <optios/abi/syscalls.def>
#undef SYSCALL

/* Sets up the syscall instruction's MSRs (entry point, segments, flag mask). */
void syscall_init(void);

/* Runs call nr for the current process; the entry code stores the result. */
long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* The name of call nr ("read"), or NULL if it is not in the list. */
const char *syscall_name(long nr);

#endif
