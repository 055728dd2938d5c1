/*
 * uaccess_internal.h - demand faults on user memory (proc.c's fault path).
 */
#ifndef KERNEL_PROC_UACCESS_INTERNAL_H
#define KERNEL_PROC_UACCESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_space;

/* Makes the page at va accessible for a write (breaking copy-on-write) or
 * maps a stack page on demand. 0, -EFAULT (no such access allowed), -ENOMEM. */
int uaccess_fault_in(struct vm_space *s, uint64_t va, bool write);
/* Whether va lies where the stack may grow. */
bool uaccess_in_stack(uint64_t va);

#endif
