/*
 * tty_stubs.c - weak stand-ins for the process and file functions the
 * consoles call, so the tty branch links before PROC and VFS land. The real
 * (strong) definitions replace every one of them at link time. Delete this
 * file once kernel/proc and kernel/fs implement proc.h, uaccess.h, file.h.
 */
#include <optios/abi/errno.h>

#include "kernel/fs/file.h"
#include "kernel/mm/mm.h"
#include "lib/lib.h" /* proc.h needs NORETURN */
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"

#define WEAK __attribute__((weak))

WEAK struct proc *proc_current(void)
{
	return NULL;
}

WEAK int proc_kill(int pid, int sig)
{
	(void)pid, (void)sig;
	return -ESRCH;
}

WEAK void proc_foreach(void (*fn)(struct proc *p, void *arg), void *arg)
{
	(void)fn, (void)arg;
}

WEAK int sched_sleep(const void *chan)
{
	(void)chan;
	return -EINTR; /* no processes: nobody can sleep */
}

WEAK void sched_wakeup(const void *chan)
{
	(void)chan;
}

WEAK struct file *file_create(const struct file_ops *ops, void *priv, int flags)
{
	struct file *f = kzalloc(sizeof *f);
	if (f)
		*f = (struct file){.ops = ops, .priv = priv, .flags = flags, .refs = 1};
	return f;
}

WEAK void file_put(struct file *f)
{
	if (f && --f->refs == 0) {
		if (f->ops->release)
			f->ops->release(f);
		kfree(f);
	}
}

WEAK int copy_to_user(uptr dst, const void *src, size_t n)
{
	(void)dst, (void)src, (void)n;
	return -EFAULT;
}
