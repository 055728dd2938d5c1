/*
 * sys_proc.c - process system calls: identity, exit and wait, kill, spawn,
 * the process list and TLS (arch_prctl).
 *
 * Signals (sigaction, kill, sigreturn, timers) are in signal.c.
 *
 * Process groups and sessions are kept (a spawned program leads its own
 * group, a forked child joins its parent's; setpgid, setsid); the console's
 * foreground group (tcsetpgrp) is kernel/tty's. One user, no supplementary groups: getgroups lists none.
 */
#include <optios/abi/handler.h>
#include <optios/abi/optios.h>

#include "kernel/event/event.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/file.h"
#include "kernel/fs/path.h"
#include "kernel/fs/vfs.h"
#include "kernel/handler/handler.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/proc/uaccess.h"
#include "kernel/time/time.h"
#include "kernel/syscall/syscall.h"
#include "kernel/tty/tty.h"
#include "lib/lib.h"


#define WNOHANG 1
#define SIGPIPE 13
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define NSIG 64
#define RLIMIT_STACK 3
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RUSAGE_BYTES 144
#define SPAWN_PATH_MAX 256

long sys_exit(long code, long a1, long a2, long a3, long a4, long a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	if (proc_current()->handler) { /* exit during a run: rolled back */
		handler_exit((int)code);
		return 0;
	}
	proc_exit(PROC_EXITED((int)code));
}

long sys_exit_group(long code, long a1, long a2, long a3, long a4, long a5)
{
	return sys_exit(code, a1, a2, a3, a4, a5);
}

long sys_getpid(SYS_ARGS)
{
	return proc_current()->pid;
}

long sys_gettid(SYS_ARGS)
{
	return proc_current()->pid;
}

long sys_getppid(SYS_ARGS)
{
	struct proc *p = proc_current();
	return p->parent ? p->parent->pid : 0;
}

/* getgroups(size, list): no supplementary groups, so 0 whatever size is. */
long sys_getgroups(SYS_ARGS)
{
	return a0 < 0 ? -EINVAL : 0;
}

/* The new mask's permission bits; returns the old mask. */
long sys_umask(SYS_ARGS)
{
	struct proc *p = proc_current();
	uint32_t old = p->umask;
	p->umask = (uint32_t)a0 & 0777;
	return old;
}

long sys_set_tid_address(SYS_ARGS)
{
	return proc_current()->pid;
}

long sys_set_robust_list(SYS_ARGS)
{
	return 0;
}

long sys_getuid(SYS_ARGS)
{
	return 0;
}
long sys_geteuid(SYS_ARGS)
{
	return 0;
}
long sys_getgid(SYS_ARGS)
{
	return 0;
}
long sys_getegid(SYS_ARGS)
{
	return 0;
}

long sys_sched_yield(SYS_ARGS)
{
	if (proc_current()->handler)
		return -EAGAIN; /* runs never yield */
	sched_yield();
	return 0;
}

long sys_arch_prctl(long code, long addr, SYS_ARGS_FROM2)
{
	struct proc *p = proc_current();
	switch (code) {
	case ARCH_SET_FS:
		if ((uint64_t)addr >= VM_USER_END)
			return -EPERM;
		p->fs_base = (uint64_t)addr;
		arch_set_fs_base(p->fs_base);
		return 0;
	case ARCH_GET_FS: return copy_to_user((uptr)addr, &p->fs_base, sizeof p->fs_base);
	default: return -EINVAL;
	}
}

long sys_wait4(long pid, long ustatus, long options, long rusage, long a4, long a5)
{
	(void)a4, (void)a5;
	int status = 0;
	if (options & ~(long)(WNOHANG | PROC_WAIT_UNTRACED | PROC_WAIT_CONTINUED | 0x40000000 /* __WALL */ |
			      0x80000000 /* __WCLONE */))
		return -EINVAL;
	/* check where results go before reaping, so a bad pointer loses nothing */
	if ((ustatus && copy_to_user((uptr)ustatus, &status, sizeof status)))
		return -EFAULT;
	if (rusage) {
		uint8_t zero[RUSAGE_BYTES] = {0};
		if (copy_to_user((uptr)rusage, zero, sizeof zero))
			return -EFAULT;
	}
	uint64_t cpu = 0;
	int ipid = (int)pid; /* a pid_t: the register's low 32 bits, as Linux reads it */
	if (ipid == INT32_MIN)
		return -ESRCH;
	int ret = proc_wait_opts(ipid, &status, &cpu,
				 PROC_WAIT_EXITED | (int)(options & (WNOHANG | PROC_WAIT_UNTRACED | PROC_WAIT_CONTINUED)));
	if (ret > 0 && ustatus && copy_to_user((uptr)ustatus, &status, sizeof status))
		return -EFAULT;
	if (ret > 0 && rusage) { /* the child's CPU time, all of it as user time */
		int64_t utime[2] = {(int64_t)(cpu / NS_PER_SEC), (int64_t)(cpu % NS_PER_SEC / NS_PER_US)};
		if (copy_to_user((uptr)rusage, utime, sizeof utime))
			return -EFAULT;
	}
	return ret;
}

/* The limits are the kernel's own, fixed: the stack a program gets
 * (EXEC_STACK_MAX), descriptors per process (FD_MAX), processes
 * (PROC_MAX); every other resource has none. Setting a limit at or below
 * them succeeds and changes nothing (a program may narrow what it cannot
 * exceed anyway); above them is -EPERM, as raising a hard limit is. */
static uint64_t rlimit_of(long resource)
{
	switch (resource) {
	case RLIMIT_STACK: return EXEC_STACK_MAX;
	case RLIMIT_NPROC: return PROC_MAX;
	case RLIMIT_NOFILE: return FD_MAX;
	default: return UINT64_MAX;
	}
}

long sys_prlimit64(long pid, long resource, long new_limit, long old_limit, long a4, long a5)
{
	(void)a4, (void)a5;
	if (pid != 0 && pid != proc_current()->pid)
		return -ESRCH;
	if (resource < 0 || resource > 15)
		return -EINVAL;
	uint64_t lim[2] = {rlimit_of(resource), rlimit_of(resource)}, want[2];
	if (new_limit && copy_from_user(want, (uptr)new_limit, sizeof want))
		return -EFAULT;
	if (new_limit && want[0] > want[1])
		return -EINVAL;
	if (new_limit && want[1] > lim[1])
		return -EPERM;
	return old_limit ? copy_to_user((uptr)old_limit, lim, sizeof lim) : 0;
}

/* ---- optios_spawn ---- */

/* vfs_resolve's question (as the file calls ask it): a link is followed
 * only if the caller sees it. */
/* The program path (normal) with its symbolic links followed, in place:
 * the grant checked and the file started are the ones it names. */
static int spawn_resolve(char *path, size_t size)
{
	char *out;
	int r = vfs_resolve("/", path, true, &out, perm_link_seen, proc_current());
	if (r == 1 && strlen(out) >= size)
		r = -ENAMETOOLONG;
	else if (r == 1)
		memcpy(path, out, strlen(out) + 1);
	vfs_pathbuf_free(out);
	return r < 0 ? r : 0;
}

/* "name" -> "/bin/name" (bin_lookup; execve: none); a relative path is
 * taken from the working directory. */
static int spawn_path(uptr upath, char *out, size_t outsz, bool bin_lookup)
{
	char raw[SPAWN_PATH_MAX];
	long n = strncpy_from_user(raw, upath, sizeof raw);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	const char *cwd = proc_current()->cwd ? proc_current()->cwd : "/";
	bool bare = !strchr(raw, '/');
	if (bare && bin_lookup)
		cwd = "/bin";
	int err = path_normalize(cwd, strlen(cwd), raw, (size_t)n, out, outsz);
	if (err < 0)
		return err == -ERANGE ? -ENAMETOOLONG : err;
	return spawn_resolve(out, outsz);
}

/* The caller may not start path: say so the way a missing grant is said. */
static void spawn_refused(struct proc *self, const char *path)
{
	const char *name = self->perm && self->perm->name[0] ? self->perm->name : self->name;
	char *msg = kmalloc(PERM_REFUSAL_MAX);
	if (!msg)
		return; /* no reason kept: the caller still gets -EACCES */
	ksnprintf(msg, PERM_REFUSAL_MAX, "%s may not start %s: not granted (policy grant %s spawn:%s)", name,
		  path, name, path);
	perm_refusal_set(self, msg);
	kfree(msg);
}

static struct tty *free_console(void)
{
	for (unsigned i = 0; i < tty_count(); i++)
		if (tty_get(i) && !tty_busy(tty_get(i)))
			return tty_get(i);
	return NULL;
}

long sys_optios_spawn(long upath, long uargv, long uenvp, long flags, long a4, long a5)
{
	(void)a4, (void)a5;
	char path[SPAWN_PATH_MAX];
	char **argv = NULL, **envp = NULL;
	struct proc *self = proc_current();
	struct tty *tty = self->tty;
	if (flags & ~(long)OPTIOS_SPAWN_NEW_CONSOLE)
		return -EINVAL;
	long err = spawn_path((uptr)upath, path, sizeof path, true);
	perm_refusal_set(self, "");
	if (err == 0 && (err = perm_check(self, CAP_SPAWN, path, NULL)) != 0)
		spawn_refused(self, path);
	if (err)
		return err;
	if (flags & OPTIOS_SPAWN_NEW_CONSOLE) {
		if (!(tty = free_console()))
			return -EBUSY;
	}
	err = copy_strv_from_user(&argv, (uptr)uargv, EXEC_ARGC_MAX, EXEC_ARGS_MAX / 2);
	if (err >= 0 && uenvp)
		err = copy_strv_from_user(&envp, (uptr)uenvp, EXEC_ARGC_MAX, EXEC_ARGS_MAX / 2);
	if (err >= 0)
		err = proc_spawn(path, argv, envp, self, tty);
	kfree(argv);
	kfree(envp);
	if (err > 0) /* an effect, in the audit log: a = the child's pid, b = the parent's */
		evlog_add(OPTIOS_LOG_EFFECT, self->name, "", 0, 0, (uint64_t)err, (uint64_t)self->pid, 0,
			  "spawn %s pid %ld parent %d", path, err, self->pid);
	return err;
}

/* ---- fork, exec, waitid, process groups ---- */

#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CSIGNAL 0xff
#define SIGCHLD 17

/* The caller's trapframe: at the top of its kernel stack (switch.S). */
long sys_fork(SYS_ARGS)
{
	return proc_fork(proc_top_frame(proc_current()));
}

/* vfork is fork: the copy-on-write copy costs page tables, not pages, and a
 * child running on its parent's stack (musl's vfork()) could not be kept
 * from breaking the parent's frame. */
long sys_vfork(SYS_ARGS)
{
	return proc_fork(proc_top_frame(proc_current()));
}

/* The process-creating flag sets C libraries use: fork's (SIGCHLD only, the
 * signal itself not sent: no signals yet) and posix_spawn's (CLONE_VM |
 * CLONE_VFORK, on a new stack). Threads and other sharing: -ENOSYS. */
long sys_clone(long flags, long newsp, SYS_ARGS_FROM2)
{
	long share = flags & ~CSIGNAL;
	if ((flags & CSIGNAL) != SIGCHLD && (flags & CSIGNAL) != 0)
		return -EINVAL;
	if (share == 0)
		return proc_fork(proc_top_frame(proc_current()));
	if (share == (CLONE_VM | CLONE_VFORK)) {
		if ((uint64_t)newsp >= VM_USER_END)
			return -EINVAL;
		return proc_vfork(proc_top_frame(proc_current()), (uint64_t)newsp);
	}
	return -ENOSYS; /* CLONE_THREAD and friends: no threads (docs/PROC.md) */
}

long sys_execve(long upath, long uargv, long uenvp, SYS_ARGS_FROM3)
{
	char path[SPAWN_PATH_MAX];
	char **argv = NULL, **envp = NULL;
	struct proc *self = proc_current();
	if (self->handler)
		return -EPERM;
	long err = spawn_path((uptr)upath, path, sizeof path, false);
	perm_refusal_set(self, "");
	if (err == 0 && (err = perm_check(self, CAP_SPAWN, path, NULL)) != 0)
		spawn_refused(self, path);
	if (err)
		return err;
	err = copy_strv_from_user(&argv, (uptr)uargv, EXEC_ARGC_MAX, EXEC_ARGS_MAX / 2);
	if (err >= 0 && uenvp)
		err = copy_strv_from_user(&envp, (uptr)uenvp, EXEC_ARGC_MAX, EXEC_ARGS_MAX / 2);
	int pid = self->pid;
	if (err >= 0)
		err = proc_exec(proc_top_frame(proc_current()), path, argv, envp);
	kfree(argv);
	kfree(envp);
	if (err == 0) /* an effect, in the audit log: a = the pid */
		evlog_add(OPTIOS_LOG_EFFECT, self->name, "", 0, 0, (uint64_t)pid, 0, 0, "exec %s pid %d",
			  path, pid);
	return err;
}

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define WEXITED 4
#define WNOWAIT 0x1000000
#define CLD_EXITED 1
#define CLD_KILLED 2

/* waitid: ends (WEXITED), stops (WSTOPPED) and continues (WCONTINUED);
 * siginfo as Linux fills it for SIGCHLD. */
long sys_waitid(long idtype, long lid, long uinfo, long options, long rusage, long a5)
{
	(void)a5;
	int id = (int)lid, type = (int)idtype; /* int and pid_t: the low 32 bits */
	if (options & ~(long)(WNOHANG | WEXITED | WNOWAIT | 2 /* WSTOPPED */ | 8 /* WCONTINUED */) ||
	    !(options & (WEXITED | 2 | 8)))
		return -EINVAL;
	if (type < P_ALL || type > P_PGID || id < 0 || (type == P_PID && id == 0))
		return -EINVAL;
	/* P_PGID 0: the caller's own group, as wait4(0) */
	int pid = type == P_ALL ? -1 : type == P_PID ? id : -id;
	int32_t info[32] = {0};
	uint8_t zero[RUSAGE_BYTES] = {0}; /* rusage: checked first, then as wait4 fills it */
	if ((uinfo && copy_to_user((uptr)uinfo, info, sizeof info)) ||
	    (rusage && copy_to_user((uptr)rusage, zero, sizeof zero)))
		return -EFAULT;
	int status = 0;
	uint64_t cpu = 0;
	int ret = proc_wait_opts(pid, &status, &cpu, (int)options);
	if (ret <= 0)
		return ret;
	int64_t utime[2] = {(int64_t)(cpu / NS_PER_SEC), (int64_t)(cpu % NS_PER_SEC / NS_PER_US)};
	if (rusage && copy_to_user((uptr)rusage, utime, sizeof utime))
		return -EFAULT;
	info[0] = SIGCHLD;
	info[2] = status == 0xffff ? 6 /* CLD_CONTINUED */ : (status & 0xFF) == 0x7F ? 5 /* CLD_STOPPED */ : (status & 0x7F) ? CLD_KILLED : CLD_EXITED;
	info[4] = ret;
	info[6] = status == 0xffff ? 18 : (status & 0xFF) == 0x7F ? (status >> 8) & 0xFF : (status & 0x7F) ? (status & 0x7F) : (status >> 8) & 0xFF;
	return uinfo && copy_to_user((uptr)uinfo, info, sizeof info) ? -EFAULT : 0;
}

/* Process groups and sessions: kept and reported; wait4 and waitid by group
 * and Ctrl+C (the foreground program's group) use them; no job control yet. */
long sys_getpgid(long lpid, SYS_ARGS_FROM1)
{
	int pid = (int)lpid;
	if (pid < 0)
		return -ESRCH;
	struct proc *self = proc_current();
	uint64_t f = irq_save();
	struct proc *p = pid ? proc_find(pid) : self;
	long r = p ? p->pgid : -ESRCH;
	irq_restore(f);
	return r;
}

long sys_getpgrp(SYS_ARGS)
{
	return proc_current()->pgid;
}

long sys_getsid(long lpid, SYS_ARGS_FROM1)
{
	int pid = (int)lpid;
	if (pid < 0)
		return -ESRCH;
	uint64_t f = irq_save();
	struct proc *p = pid ? proc_find(pid) : proc_current();
	long r = p ? p->sid : -ESRCH;
	irq_restore(f);
	return r;
}

long sys_setsid(SYS_ARGS)
{
	struct proc *self = proc_current();
	if (self->pgid == self->pid)
		return -EPERM; /* a group leader cannot */
	self->pgid = self->sid = self->pid;
	return self->pid;
}

/* setpgid(pid, pgid): the caller or its child, into a new group of its own
 * pid or an existing group of the same session. */
long sys_setpgid(long lpid, long lpgid, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	int pid = (int)lpid, pgid = (int)lpgid;
	if (pid < 0 || pgid < 0)
		return pid < 0 ? -ESRCH : -EINVAL;
	uint64_t f = irq_save();
	struct proc *p = pid ? proc_find(pid) : self;
	long r = 0;
	if (!p || (p != self && p->parent != self))
		r = -ESRCH;
	else if (p->sid != self->sid || p->sid == p->pid)
		r = -EPERM;
	if (r == 0 && pgid && pgid != p->pid) {
		struct proc *leader = proc_find(pgid);
		if (!leader || leader->pgid != pgid || leader->sid != self->sid)
			r = -EPERM;
	}
	if (r == 0)
		p->pgid = pgid ? pgid : p->pid;
	irq_restore(f);
	return r;
}

/* ---- optios_proc_list ---- */

struct list_state {
	struct optios_proc_info *out;
	size_t max, count;
};

static void count_page(void *arg, uintptr_t va, uint64_t pa, unsigned flags)
{
	(void)va, (void)pa, (void)flags;
	(*(uint64_t *)arg)++;
}

static void list_one(struct proc *p, void *arg)
{
	struct list_state *st = arg;
	if (st->count < st->max) {
		struct optios_proc_info *o = &st->out[st->count];
		static const uint32_t states[] = {[PROC_EMBRYO] = OPTIOS_PROC_RUNNABLE,
						  [PROC_RUNNABLE] = OPTIOS_PROC_RUNNABLE,
						  [PROC_RUNNING] = OPTIOS_PROC_RUNNING,
						  [PROC_BLOCKED] = OPTIOS_PROC_BLOCKED,
						  [PROC_ZOMBIE] = OPTIOS_PROC_ZOMBIE};
		memset(o, 0, sizeof *o);
		o->pid = p->pid;
		o->ppid = p->parent ? p->parent->pid : 0;
		o->state = states[p->state];
		o->console = p->tty ? tty_index(p->tty) : UINT32_MAX;
		if (p->space)
			vm_space_visit(p->space, count_page, &o->mem_pages);
		o->cpu_ns = sched_cpu_ns(p);
		o->start_ns = p->start_ns;
		memcpy(o->name, p->name, sizeof o->name - 1);
	}
	st->count++;
}

long sys_optios_proc_list(long uout, long max, SYS_ARGS_FROM2)
{
	struct list_state st = {.max = (size_t)MIN((unsigned long)max, (unsigned long)PROC_MAX)};
	st.out = kzalloc(PROC_MAX * sizeof *st.out);
	if (!st.out)
		return -ENOMEM;
	proc_foreach(list_one, &st);
	long ret = (long)st.count;
	if (copy_to_user((uptr)uout, st.out, MIN(st.count, st.max) * sizeof *st.out))
		ret = -EFAULT;
	kfree(st.out);
	return ret;
}

/* ---- CPU affinity: one CPU (docs/PROC.md) ---- */

/* The process pid names (0: the caller) exists: 0, else -ESRCH. */
static long affinity_target(int pid)
{
	if (pid < 0)
		return -ESRCH;
	uint64_t f = irq_save();
	bool found = pid == 0 || proc_find(pid) != NULL;
	irq_restore(f);
	return found ? 0 : -ESRCH;
}

/* sched_getaffinity(pid, len, mask): CPU 0 alone; the bytes written (8).
 * Was ENOSYS (BusyBox's taskset -p). */
long sys_sched_getaffinity(long pid, long len, long umask, SYS_ARGS_FROM3)
{
	uint64_t mask = 1;
	if (len < (long)sizeof mask || (len & (long)(sizeof mask - 1)))
		return -EINVAL;
	long err = affinity_target((int)pid);
	if (err == 0)
		err = copy_to_user((uptr)umask, &mask, sizeof mask);
	return err ? err : (long)sizeof mask;
}

/* sched_setaffinity(pid, len, mask): a mask with CPU 0 in it is what every
 * process has already (0); one without it names no CPU there is (-EINVAL). */
long sys_sched_setaffinity(long pid, long len, long umask, SYS_ARGS_FROM3)
{
	uint8_t first = 0;
	if (len <= 0)
		return -EINVAL;
	long err = affinity_target((int)pid);
	if (err == 0)
		err = copy_from_user(&first, (uptr)umask, 1);
	if (err == 0 && !(first & 1))
		err = -EINVAL;
	return err;
}
