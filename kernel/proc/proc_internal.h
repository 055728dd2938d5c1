/*
 * proc_internal.h - what the process table (proc.c), the scheduler
 * (sched.c), the first process (init.c) and the process system calls share.
 */
#ifndef KERNEL_PROC_PROC_INTERNAL_H
#define KERNEL_PROC_PROC_INTERNAL_H

#include "kernel/proc/proc.h"

struct bootinfo;
struct timer;

#define PROC_KSTACK_PAGES 8
#define PROC_SLICE_NS (10 * 1000 * 1000ull)
#define SCHED_BG_SLICE_NS (2 * 1000 * 1000ull) /* a background turn while foreground work waits */
#define SIGINT 2
#define SIGILL 4
#define SIGTRAP 5
#define SIGKILL 9
#define SIGFPE 8
#define SIGSEGV 11
#define SIGTERM 15

/* wait4 status encodings */
#define PROC_EXITED(code) (((code)&0xFF) << 8)
#define PROC_SIGNALED(sig) ((sig)&0x7F)
/* The status as a shell shows it: the exit code, or 128 + signal. */
int proc_status_code(int status);

/* proc.c */
struct exec_image;
struct policy_set;
/* A runnable process entering img with permissions perm (it takes both over
 * on success; on failure, NULL: no free slot or out of memory, img and perm
 * untouched). perm NULL: refused everything (self-tests). */
struct proc *proc_create(const struct exec_image *img, const char *name, struct proc *parent,
			 struct tty *tty, struct policy_set *perm);
struct proc *proc_find(int pid);
/* Reaps one zombie without a parent; returns its pid (status in *status) or 0. */
int proc_reap_orphan(int *status);

/* The index of p in the process table. */
size_t proc_slot(const struct proc *p);

/* sched.c: call with interrupts disabled */
/* Gives slot's process clean x87/SSE registers (at spawn). */
void sched_fpu_reset(struct proc *p, size_t slot);
/* Gives slot's process (a fork child) the caller's live x87/SSE registers. */
void sched_fpu_copy(struct proc *child, size_t slot);
/* Loads p's saved registers into the CPU (p is the caller: exec). */
void sched_fpu_load(struct proc *p, size_t slot);
void sched_make_runnable(struct proc *p);
/* Makes p background work (self-tests; the runner is from its creation). */
void sched_set_background(struct proc *p);
bool sched_need_resched(void);
/* Runs processes until none is runnable, then returns (self-tests). The
 * callback, if any, runs between two processes' turns. */
void sched_run_until_idle(void (*between)(void *arg), void *arg);
/* Gives the CPU back to the scheduler loop without queueing the current
 * process (it blocked or ended). Returns when it runs again. */
void sched_leave(void);

/* init.c */
void proc_init_exited(int pid, int status);

#endif
