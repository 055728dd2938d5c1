/*
 * proc_weak.c - PROVISIONAL: weak stand-ins for what PROC provides
 * (proc_current, the user-copy functions), so the file system calls link
 * before the process subsystem is merged. PROC's strong definitions replace
 * them; delete this file once they are on main.
 */
#include <optios/abi/errno.h>

#include "lib/lib.h" /* before proc.h, which uses NORETURN */
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"

__attribute__((weak)) struct proc *proc_current(void)
{
	return NULL;
}

__attribute__((weak)) int copy_from_user(void *dst, uptr src, size_t n)
{
	(void)dst, (void)src, (void)n;
	return -EFAULT;
}

__attribute__((weak)) int copy_to_user(uptr dst, const void *src, size_t n)
{
	(void)dst, (void)src, (void)n;
	return -EFAULT;
}

__attribute__((weak)) long strncpy_from_user(char *dst, uptr src, size_t max)
{
	(void)dst, (void)src, (void)max;
	return -EFAULT;
}
