/*
 * signal.c - POSIX signals for processes: sending (kill, the console's
 * keys, faults, timers, child state changes), delivery on every way back
 * to user mode, the Linux x86_64 signal frame and sigreturn, stop and
 * continue, and the signal system calls.
 *
 * State (struct proc, with interrupts disabled): sig.act (dispositions),
 * sig.blocked, sig.pending (one instance per signal: real-time signals are
 * not queued), sig_info (the pending instance's siginfo), stopped and
 * wait_report (for the parent's wait4 WUNTRACED/WCONTINUED).
 *
 * Invariants: a pending signal is never one the process ignores (dropped at
 * sending and when a disposition becomes "ignore"); SIGKILL sets killed and
 * ends the process at its next return to user mode or wake-up; a stopped
 * process sleeps in stop_here() and nothing but SIGCONT or SIGKILL wakes it
 * for good. Delivery happens only in proc_signal_deliver (called by
 * proc_return_to_user), one handler frame per return. The handler runner
 * (kernel-owned) receives no signals: runs are bounded by their CPU budget.
 *
 * Interrupted calls: a sleep that ends for a deliverable signal returns
 * -EINTR and sets sig_interrupted. On the way out, a handler with
 * SA_RESTART (and a call that Linux restarts) or no handler at all (a stop,
 * a blocked or default-ignored signal) restarts the call (rip back over the
 * syscall instruction, rax the call number); otherwise the program sees
 * EINTR. A restarted nanosleep or poll starts its full time again.
 */
#include <optios/abi/errno.h>

#include "asm.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048
#define RFLAGS_TF 0x100ull
#define RFLAGS_DF 0x400ull
#define RFLAGS_RF 0x10000ull

static struct timer itimers[PROC_MAX];

static void itimer_fire(struct timer *t, void *arg);

void proc_signal_init(struct proc *p)
{
	timer_init(&itimers[proc_slot(p)], itimer_fire, p);
}

void proc_signal_exit(struct proc *p)
{
	timer_cancel(&itimers[proc_slot(p)]);
}

void proc_signal_fork(struct proc *child, const struct proc *parent)
{
	memcpy(child->sig.act, parent->sig.act, sizeof child->sig.act);
	child->sig.blocked = parent->sig.blocked;
	child->altstack_sp = parent->altstack_sp;
	child->altstack_size = parent->altstack_size;
}

void proc_signal_exec(struct proc *p)
{
	sig_exec_reset(&p->sig);
	p->altstack_sp = p->altstack_size = 0;
}

/* Whether a sleeping p should wake for a signal now. */
bool proc_signal_ready(const struct proc *p)
{
	return sig_next(p->sig.pending, p->sig.blocked) != 0;
}

static void report_to_parent(struct proc *p, int code, int status)
{
	struct proc *parent = p->parent;
	if (!parent)
		return;
	if ((code == CLD_STOPPED || code == CLD_CONTINUED) &&
	    (parent->sig.act[SIG_CHLD - 1].flags & SA_NOCLDSTOP))
		; /* no SIGCHLD, but wait still sees it */
	else
		proc_signal_send(parent, SIG_CHLD, code, p->pid, (uint64_t)(uint32_t)status);
	sched_wakeup(parent);
}

void proc_signal_child_exit(struct proc *p, int status)
{
	report_to_parent(p, (status & 0x7F) ? CLD_KILLED : CLD_EXITED,
			 (status & 0x7F) ? (status & 0x7F) : (status >> 8) & 0xFF);
}

int proc_signal_send(struct proc *p, int sig, int code, int from, uint64_t value)
{
	if (sig < 0 || sig > SIG_MAX)
		return -EINVAL;
	uint64_t f = irq_save();
	int ret = p->kernel_owned ? -EPERM : 0;
	if (ret || sig == 0 || p->state == PROC_ZOMBIE || p->state == PROC_EMBRYO || p->state == PROC_UNUSED)
		goto out;
	if (sig == SIG_KILL) {
		proc_mark_killed(p, SIG_KILL);
		goto out;
	}
	if (sig == SIG_CONT) {
		p->sig.pending &= ~SIG_STOPS;
		if (p->stopped) {
			p->stopped = false;
			p->wait_report = 0xffff;
			report_to_parent(p, CLD_CONTINUED, SIG_CONT);
			if (p->state == PROC_BLOCKED)
				sched_make_runnable(p);
		}
	} else if (SIG_BIT(sig) & SIG_STOPS) {
		p->sig.pending &= ~SIG_BIT(SIG_CONT);
	}
	if (sig_ignored(&p->sig, sig))
		goto out;
	if (!(p->sig.pending & SIG_BIT(sig)))
		p->sig_info[sig - 1] = (struct sig_pinfo){code, from, value};
	p->sig.pending |= SIG_BIT(sig);
	if (!(p->sig.blocked & SIG_BIT(sig)) && p->state == PROC_BLOCKED && !p->stopped)
		sched_make_runnable(p);
out:
	irq_restore(f);
	return ret;
}

static void itimer_fire(struct timer *t, void *arg)
{
	struct proc *p = arg;
	proc_signal_send(p, SIG_ALRM, SI_KERNEL, 0, 0);
	if (p->itimer_interval_ns)
		timer_arm(t, clock_now_ns() + p->itimer_interval_ns);
}

/* ---- stopping ---- */

static void stop_here(struct proc *p, int sig)
{
	p->stopped = true;
	p->wait_report = (sig << 8) | 0x7f;
	report_to_parent(p, CLD_STOPPED, sig);
	while (p->stopped && !p->killed)
		sched_sleep_nosignal(&p->stopped);
}

/* ---- the frame ---- */

static uint64_t fxsave_mxcsr_mask(void)
{
	static uint32_t mask;
	if (!mask) {
		uint8_t area[ARCH_FPU_AREA] __attribute__((aligned(16)));
		arch_fpu_save(area);
		memcpy(&mask, area + 28, sizeof mask);
		if (!mask)
			mask = 0xFFBF;
	}
	return mask;
}

static bool on_altstack(const struct proc *p, uint64_t sp)
{
	return p->altstack_size && sp - p->altstack_sp <= p->altstack_size;
}

static bool restartable(long nr)
{
	switch (nr) {
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_rt_sigsuspend:
	case SYS_pause: return false;
	default: return true;
	}
}

static void restart_call(struct proc *p, struct trapframe *tf)
{
	tf->rip -= 2;
	tf->rax = (uint64_t)p->sys_orig;
}

static NORETURN void bad_frame(struct proc *p, const char *what, uint64_t at)
{
	klog(KLOG_WARN, "%s[%d]: %s at %#lx: SIGSEGV", p->name, p->pid, what, (unsigned long)at);
	irq_enable();
	proc_exit(PROC_SIGNALED(SIG_SEGV));
}

static void mcontext_from(struct sig_mcontext *mc, const struct trapframe *tf)
{
	uint64_t *g = mc->gregs;
	g[SIG_R8] = tf->r8, g[SIG_R9] = tf->r9, g[SIG_R10] = tf->r10, g[SIG_R11] = tf->r11;
	g[SIG_R12] = tf->r12, g[SIG_R13] = tf->r13, g[SIG_R14] = tf->r14, g[SIG_R15] = tf->r15;
	g[SIG_RDI] = tf->rdi, g[SIG_RSI] = tf->rsi, g[SIG_RBP] = tf->rbp, g[SIG_RBX] = tf->rbx;
	g[SIG_RDX] = tf->rdx, g[SIG_RAX] = tf->rax, g[SIG_RCX] = tf->rcx, g[SIG_RSP] = tf->rsp;
	g[SIG_RIP] = tf->rip, g[SIG_EFL] = tf->rflags;
	g[SIG_CSGSFS] = (tf->cs & 0xFFFF) | ((tf->ss & 0xFFFF) << 48);
}

static void mcontext_to(struct trapframe *tf, const struct sig_mcontext *mc)
{
	const uint64_t *g = mc->gregs;
	tf->r8 = g[SIG_R8], tf->r9 = g[SIG_R9], tf->r10 = g[SIG_R10], tf->r11 = g[SIG_R11];
	tf->r12 = g[SIG_R12], tf->r13 = g[SIG_R13], tf->r14 = g[SIG_R14], tf->r15 = g[SIG_R15];
	tf->rdi = g[SIG_RDI], tf->rsi = g[SIG_RSI], tf->rbp = g[SIG_RBP], tf->rbx = g[SIG_RBX];
	tf->rdx = g[SIG_RDX], tf->rax = g[SIG_RAX], tf->rcx = g[SIG_RCX], tf->rsp = g[SIG_RSP];
	tf->rip = g[SIG_RIP];
	tf->cs = GDT_UCODE | 3;
	tf->ss = GDT_UDATA | 3;
}

/* Builds the frame for sig's handler act on the user stack and points tf
 * at the handler. Interrupts on (the copies may fault pages in). */
static void setup_frame(struct proc *p, struct trapframe *tf, int sig, const struct sig_action *act,
			const struct sig_pinfo *pi, uint64_t old_mask)
{
	uint64_t sp = tf->rsp;
	if ((act->flags & SA_ONSTACK) && p->altstack_size && !on_altstack(p, sp))
		sp = p->altstack_sp + p->altstack_size;
	uint64_t fpstate, at = sig_frame_place(sp, sizeof(struct sig_frame), &fpstate);
	uint8_t fpu[ARCH_FPU_AREA] __attribute__((aligned(16)));
	arch_fpu_save(fpu);
	struct sig_frame fr = {0};
	fr.restorer = (act->flags & SA_RESTORER) ? act->restorer : 0;
	fr.uc.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fr.uc.stack.sp = p->altstack_sp;
	fr.uc.stack.size = p->altstack_size;
	fr.uc.stack.flags = !p->altstack_size ? SS_DISABLE : on_altstack(p, tf->rsp) ? SS_ONSTACK : 0;
	mcontext_from(&fr.uc.mcontext, tf);
	bool fault = SIG_BIT(sig) & SIG_SYNCHRONOUS && pi->pid == 0 && pi->code > 0;
	if (fault) {
		fr.uc.mcontext.gregs[SIG_TRAPNO] = p->sig_fault.trapno;
		fr.uc.mcontext.gregs[SIG_ERR] = p->sig_fault.err;
		fr.uc.mcontext.gregs[SIG_CR2] = p->sig_fault.cr2;
	}
	fr.uc.mcontext.gregs[SIG_OLDMASK] = old_mask;
	fr.uc.mcontext.fpstate = fpstate;
	fr.uc.sigmask = old_mask;
	fr.info.signo = sig;
	fr.info.code = pi->code;
	if (fault) {
		fr.info.u.addr = pi->value;
	} else {
		fr.info.u.proc.pid = pi->pid;
		fr.info.u.proc.status_or_value = (int64_t)pi->value;
	}
	if (copy_to_user(fpstate, fpu, sizeof fpu) || copy_to_user(at, &fr, sizeof fr))
		bad_frame(p, "cannot write a signal frame", at);
	tf->rsp = at;
	tf->rip = act->handler;
	tf->rdi = (uint64_t)sig;
	tf->rsi = at + offsetof(struct sig_frame, info);
	tf->rdx = at + offsetof(struct sig_frame, uc);
	tf->rax = 0;
	tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF | RFLAGS_RF);
	tf->cs = GDT_UCODE | 3;
	tf->ss = GDT_UDATA | 3;
	p->frame_rewritten = true;
}

/* Called from proc_return_to_user with interrupts disabled; returns with
 * them disabled. Ends the process for a terminating default action. */
void proc_signal_deliver(struct trapframe *tf)
{
	struct proc *p = proc_current();
	if (!p || p->kernel_owned || p->handler)
		return;
	bool in_call = tf->vector == ARCH_SYSCALL_VECTOR && p->sig_interrupted && (long)tf->rax == -EINTR;
	for (;;) {
		int sig = sig_next(p->sig.pending, p->sig.blocked);
		if (!sig)
			break;
		p->sig.pending &= ~SIG_BIT(sig);
		struct sig_action act = p->sig.act[sig - 1];
		struct sig_pinfo pi = p->sig_info[sig - 1];
		if (act.handler == SIG_IGN_H)
			continue;
		if (act.handler == SIG_DFL_H) {
			switch (sig_default_action(sig)) {
			case SIG_DEF_IGNORE:
			case SIG_DEF_CONT: continue;
			case SIG_DEF_STOP: stop_here(p, sig); continue;
			default: irq_enable(); proc_exit(PROC_SIGNALED(sig));
			}
		}
		if (in_call) {
			if ((act.flags & SA_RESTART) && restartable(p->sys_orig))
				restart_call(p, tf);
			in_call = false;
			p->sig_interrupted = false;
		}
		uint64_t old = p->sig_restore_mask ? p->sig_saved_mask : p->sig.blocked;
		p->sig.blocked = sig_handler_mask(p->sig.blocked, sig, &act);
		p->sig_restore_mask = false;
		if (act.flags & SA_RESETHAND)
			p->sig.act[sig - 1] = (struct sig_action){0};
		irq_enable();
		setup_frame(p, tf, sig, &act, &pi, old);
		irq_disable();
		return;
	}
	if (in_call && p->sys_orig != SYS_rt_sigsuspend && p->sys_orig != SYS_pause)
		restart_call(p, tf);
	p->sig_interrupted = false;
	if (p->sig_restore_mask) {
		p->sig.blocked = p->sig_saved_mask;
		p->sig_restore_mask = false;
	}
}

/* A fault in user mode: true if a handler will take it (queued), false if
 * the process must end as before. */
bool proc_signal_fault(struct proc *p, int sig, int code, const struct trapframe *tf, uint64_t addr)
{
	const struct sig_action *act = &p->sig.act[sig - 1];
	if (act->handler == SIG_DFL_H || act->handler == SIG_IGN_H || (p->sig.blocked & SIG_BIT(sig)))
		return false;
	p->sig_fault.trapno = (uint32_t)tf->vector;
	p->sig_fault.err = (uint32_t)tf->error;
	p->sig_fault.cr2 = addr;
	uint64_t f = irq_save();
	p->sig_info[sig - 1] = (struct sig_pinfo){code, 0, addr};
	p->sig.pending |= SIG_BIT(sig);
	irq_restore(f);
	return true;
}

/* ---- system calls ---- */

long sys_rt_sigreturn(SYS_ARGS)
{
	struct proc *p = proc_current();
	struct trapframe *tf = proc_top_frame(proc_current());
	uint64_t at = tf->rsp - 8;
	struct sig_ucontext uc;
	if (copy_from_user(&uc, at + offsetof(struct sig_frame, uc), sizeof uc))
		bad_frame(p, "sigreturn: unreadable frame", at);
	uint64_t rflags;
	if (!sig_context_check(&uc.mcontext, GDT_UCODE | 3, GDT_UDATA | 3, VM_USER_END, tf->rflags, &rflags))
		bad_frame(p, "sigreturn: forged context", at);
	if (uc.mcontext.fpstate) {
		uint8_t fpu[ARCH_FPU_AREA] __attribute__((aligned(16)));
		if (copy_from_user(fpu, uc.mcontext.fpstate, sizeof fpu))
			bad_frame(p, "sigreturn: unreadable FPU state", uc.mcontext.fpstate);
		uint32_t mxcsr;
		memcpy(&mxcsr, fpu + 24, sizeof mxcsr);
		mxcsr &= (uint32_t)fxsave_mxcsr_mask();
		memcpy(fpu + 24, &mxcsr, sizeof mxcsr);
		uint64_t f = irq_save();
		arch_fpu_restore(fpu);
		irq_restore(f);
	}
	mcontext_to(tf, &uc.mcontext);
	tf->rflags = rflags;
	uint64_t f = irq_save();
	p->sig.blocked = uc.sigmask & ~SIG_UNBLOCKABLE;
	irq_restore(f);
	p->frame_rewritten = true;
	return (long)tf->rax;
}

long sys_rt_sigaction(long sig, long uact, long uold, long size, SYS_ARGS_FROM4)
{
	struct proc *self = proc_current();
	struct sig_action act, old;
	if (size != 8)
		return -EINVAL;
	if (uact && copy_from_user(&act, (uptr)uact, sizeof act))
		return -EFAULT;
	uint64_t f = irq_save();
	int r = sig_action_set(&self->sig, (int)sig, uact ? &act : NULL, &old);
	irq_restore(f);
	if (r)
		return r;
	return uold && copy_to_user((uptr)uold, &old, sizeof old) ? -EFAULT : 0;
}

long sys_rt_sigprocmask(long how, long uset, long uold, long size, SYS_ARGS_FROM4)
{
	struct proc *self = proc_current();
	uint64_t set = 0, old = self->sig.blocked;
	if (size != 8)
		return -EINVAL;
	if (uset && copy_from_user(&set, (uptr)uset, sizeof set))
		return -EFAULT;
	uint64_t blocked = old;
	if (uset && !sig_mask_apply(&blocked, (int)how, set))
		return -EINVAL;
	if (uold && copy_to_user((uptr)uold, &old, sizeof old))
		return -EFAULT;
	uint64_t f = irq_save();
	self->sig.blocked = blocked;
	irq_restore(f);
	return 0;
}

long sys_rt_sigpending(long uset, long size, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	uint64_t set = self->sig.pending & self->sig.blocked;
	if (size != 8)
		return -EINVAL;
	return copy_to_user((uptr)uset, &set, sizeof set) ? -EFAULT : 0;
}

/* Sleeps until a signal is delivered; always -EINTR (after the handler). */
static long wait_for_signal(void)
{
	struct proc *self = proc_current();
	uint64_t f = irq_save();
	while (!proc_signal_ready(self) && !self->killed)
		sched_sleep(&self->sig);
	irq_restore(f);
	return -EINTR;
}

long sys_rt_sigsuspend(long uset, long size, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	uint64_t set;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, (uptr)uset, sizeof set))
		return -EFAULT;
	uint64_t f = irq_save();
	self->sig_saved_mask = self->sig.blocked;
	self->sig_restore_mask = true;
	self->sig.blocked = set & ~SIG_UNBLOCKABLE;
	irq_restore(f);
	return wait_for_signal();
}

long sys_pause(SYS_ARGS)
{
	return wait_for_signal();
}

long sys_sigaltstack(long uss, long uold, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	struct sig_stack cur = {self->altstack_sp, 0, 0, self->altstack_size}, ss;
	bool on = on_altstack(self, proc_top_frame(proc_current())->rsp);
	cur.flags = !self->altstack_size ? SS_DISABLE : on ? SS_ONSTACK : 0;
	if (uss) {
		if (copy_from_user(&ss, (uptr)uss, sizeof ss))
			return -EFAULT;
		if (on)
			return -EPERM;
		if (ss.flags & ~SS_DISABLE)
			return -EINVAL;
		if (!(ss.flags & SS_DISABLE) && ss.size < MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (uold && copy_to_user((uptr)uold, &cur, sizeof cur))
		return -EFAULT;
	if (uss) {
		self->altstack_sp = (ss.flags & SS_DISABLE) ? 0 : ss.sp;
		self->altstack_size = (ss.flags & SS_DISABLE) ? 0 : ss.size;
	}
	return 0;
}

/* Whether self may signal p: itself or a process it started (directly or
 * not); never its parent or a sibling (tests/system proc.hostile_programs). */
static bool may_signal(const struct proc *self, const struct proc *p)
{
	if (p == self)
		return true;
	for (const struct proc *a = p->parent; a; a = a->parent)
		if (a == self)
			return true;
	return false;
}

struct group_kill {
	struct proc *self;
	int pgid; /* 0: every process but self and init (kill -1) */
	int sig;
	int found, sent;
};

static void kill_one(struct proc *p, void *arg)
{
	struct group_kill *g = arg;
	if (p->state == PROC_ZOMBIE || p->kernel_owned)
		return;
	if (g->pgid ? p->pgid != g->pgid : (p == g->self || p->pid == 1))
		return;
	g->found++;
	if (may_signal(g->self, p) && proc_signal_send(p, g->sig, SI_USER, g->self->pid, 0) == 0)
		g->sent++;
}

int proc_signal_group(int pgid, int sig, int from_pid)
{
	struct group_kill g = {proc_current(), pgid, sig, 0, 0};
	if (!g.self)
		return -ESRCH;
	(void)from_pid;
	proc_foreach(kill_one, &g);
	return g.sent ? 0 : g.found ? -EPERM : -ESRCH;
}

long sys_kill(long lpid, long sig, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	int pid = (int)lpid;
	if (sig < 0 || sig > SIG_MAX)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid == 0)
		return proc_signal_group(self->pgid, (int)sig, self->pid);
	if (pid < -1)
		return proc_signal_group(-pid, (int)sig, self->pid);
	if (pid == -1) {
		struct group_kill g = {self, 0, (int)sig, 0, 0};
		proc_foreach(kill_one, &g);
		return g.sent ? 0 : g.found ? -EPERM : -ESRCH;
	}
	uint64_t f = irq_save();
	struct proc *p = proc_find(pid);
	irq_restore(f);
	if (!p || p->state == PROC_ZOMBIE)
		return p ? 0 : -ESRCH;
	if (!may_signal(self, p))
		return -EPERM;
	return proc_signal_send(p, (int)sig, SI_USER, self->pid, 0);
}

long sys_tgkill(long tgid, long tid, long sig, SYS_ARGS_FROM3)
{
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != tid)
		return -ESRCH; /* one thread per process: the thread is its group's leader */
	return sys_kill(tid, sig, 0, 0, 0, 0);
}

long sys_tkill(long tid, long sig, SYS_ARGS_FROM2)
{
	if (tid <= 0)
		return -EINVAL;
	return sys_kill(tid, sig, 0, 0, 0, 0);
}

/* ---- timers ---- */

struct itimerval_k {
	int64_t interval_s, interval_us, value_s, value_us;
};

static uint64_t tv_ns(int64_t s, int64_t us)
{
	return (uint64_t)s * NS_PER_SEC + (uint64_t)us * NS_PER_US;
}

static void itimer_get(struct proc *p, struct itimerval_k *v)
{
	struct timer *t = &itimers[proc_slot(p)];
	uint64_t left = 0, now = clock_now_ns();
	if (timer_armed(t))
		left = t->deadline_ns > now ? t->deadline_ns - now : 1000;
	*v = (struct itimerval_k){(int64_t)(p->itimer_interval_ns / NS_PER_SEC),
				  (int64_t)(p->itimer_interval_ns % NS_PER_SEC / NS_PER_US),
				  (int64_t)(left / NS_PER_SEC), (int64_t)(left % NS_PER_SEC / NS_PER_US)};
	if (left && !v->value_s && !v->value_us)
		v->value_us = 1;
}

static void itimer_set(struct proc *p, const struct itimerval_k *v)
{
	struct timer *t = &itimers[proc_slot(p)];
	uint64_t f = irq_save();
	timer_cancel(t);
	p->itimer_interval_ns = tv_ns(v->interval_s, v->interval_us);
	uint64_t value = tv_ns(v->value_s, v->value_us);
	if (value)
		timer_arm(t, clock_now_ns() + value);
	irq_restore(f);
}

long sys_getitimer(long which, long uval, SYS_ARGS_FROM2)
{
	struct itimerval_k v;
	if (which != 0)
		return -EINVAL; /* ITIMER_REAL only */
	itimer_get(proc_current(), &v);
	return copy_to_user((uptr)uval, &v, sizeof v) ? -EFAULT : 0;
}

long sys_setitimer(long which, long unew, long uold, SYS_ARGS_FROM3)
{
	struct proc *self = proc_current();
	struct itimerval_k v = {0}, old;
	if (which != 0)
		return -EINVAL;
	if (unew && copy_from_user(&v, (uptr)unew, sizeof v))
		return -EFAULT;
	if (v.interval_s < 0 || v.value_s < 0 || v.interval_us < 0 || v.interval_us >= 1000000 ||
	    v.value_us < 0 || v.value_us >= 1000000)
		return -EINVAL;
	itimer_get(self, &old);
	if (uold && copy_to_user((uptr)uold, &old, sizeof old))
		return -EFAULT;
	itimer_set(self, &v);
	return 0;
}

long sys_alarm(long seconds, SYS_ARGS_FROM1)
{
	struct proc *self = proc_current();
	struct itimerval_k old, v = {0, 0, (int64_t)(uint32_t)seconds, 0};
	itimer_get(self, &old);
	itimer_set(self, &v);
	return old.value_s + (old.value_us >= 500000 || (!old.value_s && old.value_us));
}
