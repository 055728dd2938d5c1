/*
 * proc.h - processes and the scheduler.
 *
 * A process is one user address space running one thread, with a kernel stack
 * (guard page below), descriptors, a working directory and a console. It is
 * created by proc_spawn() from a static ELF file and ends by exit, by a fault
 * (the kernel reports it and carries on) or by being killed (Ctrl+C).
 *
 * Scheduling: one CPU; a FIFO run queue per class, foreground (programs) and
 * background (the handler runner), taking turns while both have work (the
 * foreground's turns longer: sched.c). The CPU halts when nothing is
 * runnable. Preemption (a time slice armed on the timer) is used only while
 * more than one process is runnable; otherwise no tick.
 *
 * Sleeping: a process waits on a channel (any address) with sched_sleep(), and
 * is made runnable by sched_wakeup(channel). To avoid a lost wake-up, disable
 * interrupts, test the condition, and call sched_sleep while still disabled;
 * re-test after waking (wake-ups may be spurious). A sleep returns -EINTR if
 * the process was killed meanwhile, and -EAGAIN at once for a process
 * running a handler (runs never block).
 */
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "kernel/proc/sigcore.h"
#include "lib/lib.h"

#define PROC_NAME_MAX 32
#define PROC_MAX 64
#define PROC_CMDLINE_MAX 128

enum proc_state { PROC_UNUSED, PROC_EMBRYO, PROC_RUNNABLE, PROC_RUNNING, PROC_BLOCKED, PROC_ZOMBIE };

struct vm_space;
struct fdtable;
struct tty;
struct handler;
struct vfs_txn;
struct policy_set;
struct optios_event;

struct proc {
	/* identity: set at creation, then read-only */
	int pid;
	char name[PROC_NAME_MAX];
	struct proc *parent;
	uint64_t start_ns;
	int pgid; /* process group: its own pid at spawn, the parent's at fork; setpgid */
	int sid; /* session: the first process's pid, setsid */
	/* argv as /proc/PID/cmdline shows it: NUL-terminated strings one after
	 * another, cut at PROC_CMDLINE_MAX bytes; set at spawn and exec */
	char cmdline[PROC_CMDLINE_MAX];
	uint16_t cmdline_len;

	/* scheduler: changed with interrupts disabled */
	enum proc_state state;
	const void *wait_chan;
	struct arch_context *context; /* saved kernel stack pointer (switch.S) */
	struct proc *run_next;
	uint64_t cpu_ns;
	uint64_t children_cpu_ns; /* CPU time of the children it waited for (and of theirs) */
	bool killed; /* ends at the next return to user mode or sleep */
	bool kernel_owned; /* started by the kernel (the handler runner): cannot be killed */
	bool background; /* scheduled as background work (the handler runner), see sched.c */

	/* signals (signal.c): changed with interrupts disabled; sig.act only by the process itself */
	struct sig_state sig;
	struct sig_pinfo {
		int32_t code, pid; /* si_code, the sender (0: the kernel) */
		uint64_t value; /* fault address, or SIGCHLD's status */
	} sig_info[SIG_MAX];
	uint64_t sig_saved_mask; /* sigsuspend's caller mask, restored after the handler */
	bool sig_restore_mask; /* sig_saved_mask is set */
	bool sig_interrupted; /* the last sleep ended for a signal: the call may restart */
	bool stopped; /* by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU until SIGCONT */
	int wait_report; /* a stop (sig << 8 | 0x7f) or continue (0xffff) for the parent's wait, or 0 */
	long sys_orig; /* the system call number in progress (restarts) */
	uint64_t altstack_sp, altstack_size; /* sigaltstack, size 0: none */
	uint64_t itimer_interval_ns; /* ITIMER_REAL's reload, 0: one-shot */
	struct { uint32_t trapno, err; uint64_t cr2; } sig_fault; /* the last fault's details for the frame */

	/* memory: owned by the process's own system calls */
	struct vm_space *space; /* shared with the parent while vfork is set */
	bool vfork; /* a clone(CLONE_VM|CLONE_VFORK) child before its exec or exit; its parent sleeps */
	void *kstack_top;
	uintptr_t brk_base, brk_end; /* heap: [brk_base, brk_end) */
	uintptr_t mmap_hint; /* next address tried for an anonymous mmap */
	uint64_t fs_base; /* TLS pointer (arch_prctl) */

	/* files and console: owned by the fs and tty subsystems */
	struct fdtable *fds;
	char *cwd; /* normalised absolute path, kmalloc'd */
	uint32_t umask; /* permission bits cleared from created files' modes (022 at first) */
	struct tty *tty;

	/* exit: written once by the exiting process, read by the parent */
	int exit_status; /* wait4 encoding: (code << 8) or a signal number */

	/* permissions (kernel/perm): computed at start, never widened; the
	 * runner carries the attached handler's (borrowed, not its own) */
	struct policy_set *perm;
	long sys_nr; /* the call in progress (for denial records) */
	const char *sys_name; /* its name, or NULL (not a listed call) */
	bool perm_checked; /* the call in progress called perm_check */
	char *refusal; /* why its last optios_spawn was refused (kmalloc'd), or NULL: "" */

	/* handler runs (kernel/handler): set only on the handler runner process */
	struct handler *handler; /* the handler attached (its snapshot is space), or NULL */
	const struct optios_event *event; /* its run's event (zeroed while it initialises), or NULL */
	struct vfs_txn *txn; /* file changes staged by the current run, or NULL: act at once */
	uint64_t cpu_limit_ns; /* 0, or proc_return_to_user calls handler_over_budget once cpu_ns reaches it */
	bool frame_rewritten; /* the trapframe was replaced: leave the syscall by iretq */

	/* -ENOSYS calls already logged for this process (one bit per number < 512) */
	uint64_t enosys_logged[8];
};

/* The process running on this CPU, or NULL in kernel context (boot, idle). */
struct proc *proc_current(void);

/*
 * Creates a process running the static ELF at path (absolute; already
 * normalised) with argv/envp (kernel copies, NULL-terminated). The new process
 * has parent, inherits parent's cwd and fds 0-2 (or tty's when parent is
 * NULL) and runs on tty. Returns the pid or -ENOENT/-ENOEXEC/-ENOMEM/-E2BIG.
 */
int proc_spawn(const char *path, char *const argv[], char *const envp[], struct proc *parent, struct tty *tty);

/* Creates a process that starts in the kernel in fn (which never returns) on
 * its own kernel stack, with no address space, descriptors or console; it
 * cannot be killed and is scheduled as background work. NULL if no slot or
 * memory. (The handler runner.) */
struct proc *proc_create_kernel(const char *name, void (*fn)(void));
/* The same, asked for from any context (an interrupt): the scheduler creates
 * it between two turns. False when a request is already waiting (it is not
 * queued). */
bool proc_create_kernel_soon(const char *name, void (*fn)(void));
/* Copies the clean x87/SSE register image (ARCH_FPU_AREA bytes) to area. */
void proc_fpu_clean(void *area);
/* CPU time p has used, the current slice included. */
uint64_t sched_cpu_ns(const struct proc *p);
/* Sets p's CPU limit (an absolute sched_cpu_ns value; 0: none): once
 * reached, its next return to user mode calls handler_over_budget. */
void sched_set_cpu_limit(struct proc *p, uint64_t limit_ns);

/* A copy of the calling process (fork): the same memory copy-on-write, the
 * same descriptors (every slot, with its FD_CLOEXEC), cwd, console,
 * permissions, process group and registers, and rax = 0 on its return to
 * user mode. tf is the caller's trapframe. Returns the child's pid, -EAGAIN
 * (no process slot), -ENOMEM; -EPERM inside a handler's run. */
int proc_fork(const struct trapframe *tf);
/* posix_spawn's clone(CLONE_VM | CLONE_VFORK): the child shares the
 * caller's memory (not a copy) and starts on the stack at sp; the caller
 * sleeps until the child execs or ends. Same returns as proc_fork. */
int proc_vfork(const struct trapframe *tf, uint64_t sp);

/* Replaces the calling process's program (execve) with the static ELF at
 * path (normalised, absolute; the caller checked its spawn: grant), running
 * with that program's own permissions. Descriptors stay except those marked
 * FD_CLOEXEC; pid, parent, process group, cwd and console stay. On success
 * rewrites tf to enter the new program and returns 0; on failure returns
 * -ENOENT/-ENOEXEC/-EACCES/-ENOMEM/-E2BIG/-EISDIR with the caller as it was. */
int proc_exec(struct trapframe *tf, const char *path, char *const argv[], char *const envp[]);

/* Waits for a child to end: pid > 0 that child, -1 any, 0 one in the
 * caller's process group, < -1 one in group -pid. Stores its exit status
 * and its CPU time (with its own children's; cpu_ns may be NULL), adds that
 * to the caller's children_cpu_ns and frees it. Returns the pid, -ECHILD,
 * -EINTR, or 0 with nohang and none ended. */
int proc_wait(int pid, int *status, uint64_t *cpu_ns, bool nohang);
/* The same with Linux's wait options (flags): EXITED ends, UNTRACED
 * stops and CONTINUED continues are reported (status 0x7f | sig << 8, and
 * 0xffff: once each); NOWAIT leaves the child as it was. */
#define PROC_WAIT_NOHANG 1
#define PROC_WAIT_UNTRACED 2
#define PROC_WAIT_EXITED 4
#define PROC_WAIT_CONTINUED 8
#define PROC_WAIT_NOWAIT 0x1000000
int proc_wait_opts(int pid, int *status, uint64_t *cpu_ns, int flags);

/* Ends the current process with a wait4-encoded status. Never returns. */
NORETURN void proc_exit(int status);

/* Marks p killed with signal sig (Ctrl+C: 2); it ends at its next return to user
 * mode or wake-up. 0 or -ESRCH. */
int proc_kill(int pid, int sig);

/* Signals (signal.c). Sends sig (0: only checks) to p with siginfo's code,
 * sender pid and value; SIGKILL ends p, SIGCONT continues a stopped p,
 * an ignored signal is dropped. 0, -EINVAL, -EPERM (kernel-owned). Any
 * context (interrupts too). */
int proc_signal_send(struct proc *p, int sig, int code, int from, uint64_t value);
/* Sends sig to every process of group pgid the caller may signal: 0,
 * -ESRCH (none), -EPERM (none it may). */
int proc_signal_group(int pgid, int sig, int from_pid);
/* Whether p has a signal to take now (its sleeps end with -EINTR). */
bool proc_signal_ready(const struct proc *p);

/* Reports that p (NULL: the kernel) called nr (name: its name), which OptiOS
 * does not implement: the first time per process and key (0..511), a kernel
 * log line on the console and an ENOSYS record in the event log. */
void proc_report_enosys(struct proc *p, long nr, unsigned key, const char *name);

/* Calls fn for every live process (for ps); interrupts are disabled meanwhile. */
void proc_foreach(void (*fn)(struct proc *p, void *arg), void *arg);

/* Called by the trap code (arch/x86_64/trap.c) for an exception in ring 3:
 * resolves a copy-on-write or stack-growth page fault, else reports the
 * fault and ends the process (128 + signal in the shell's terms). */
void proc_fault(struct trapframe *tf);
/* Called on every way back to ring 3 (trap and syscall): ends a killed
 * process, gives up the CPU when its time slice ran out. */
void proc_return_to_user(struct trapframe *tf);

/* After the boot: starts the first program (/bin/sh on console 0, or
 * optios.init=PATH) and runs the scheduler; falls back to the kernel monitor
 * when it cannot start. Never returns. */
struct bootinfo;
NORETURN void proc_init_run(const struct bootinfo *bi);

/* Scheduler */
void sched_init(void);
/* Runs processes forever, halting when none is runnable. Never returns. */
NORETURN void sched_run(void);
int sched_sleep(const void *chan); /* 0, or -EINTR if killed */
/* p's own timer for sleeping until a deadline (nanosleep: timer_arm it,
 * then sched_sleep on it). */
struct timer;
struct timer *proc_sleep_timer(struct proc *p);
void sched_wakeup(const void *chan);
void sched_yield(void);

#endif
