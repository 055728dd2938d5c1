/*
 * syscall.c - system call dispatch (contract in syscall.h).
 *
 * The table is generated from include/optios/abi/syscalls.def: Linux numbers
 * index slots [0, 512), OptiOS's own (from 1000) slots 512 and up. Every
 * listed call without an implementation is a weak alias of syscall_enosys,
 * which dispatch recognises by address to report the call once per process
 * and call number: a kernel log line (the console) and an ENOSYS record in
 * the event log.
 * Every call passes kernel/perm on its way in and out (the third column of
 * syscalls.def says which check it needs).
 *
 * Entry (arch/x86_64/switch.S) builds a trapframe and calls syscall_entry_c
 * with interrupts off; calls run with interrupts on, and the way back to
 * ring 3 passes proc_return_to_user (kill, preemption).
 */
#include "kernel/syscall/syscall.h"

#include "arch.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"

#define LINUX_SLOTS 512
#define OPTIOS_SLOTS 64
#define SLOT(nr) ((nr) < LINUX_SLOTS ? (nr) : (nr)-OPTIOS_SYSCALL_BASE + LINUX_SLOTS)

#include <optios/abi/optios.h>
#include <optios/abi/policy.h>

typedef long (*syscall_fn)(long, long, long, long, long, long);

long syscall_enosys(SYS_ARGS);
long syscall_enosys(SYS_ARGS)
{
	return -ENOSYS;
}

#define SYSCALL(nr, name, perm) long sys_##name(SYS_ARGS) __attribute__((weak, alias("syscall_enosys")));
#include <optios/abi/syscalls.def>
#undef SYSCALL

#define SYSCALL(nr, name, perm)                                                                                  \
	_Static_assert((nr) < LINUX_SLOTS ||                                                               \
			       ((nr) >= OPTIOS_SYSCALL_BASE && (nr) < OPTIOS_SYSCALL_BASE + OPTIOS_SLOTS), \
		       "syscall number out of the table: " #name);
#include <optios/abi/syscalls.def>
#undef SYSCALL

static const syscall_fn table[LINUX_SLOTS + OPTIOS_SLOTS] = {
#define SYSCALL(nr, name, perm) [SLOT(nr)] = sys_##name,
#include <optios/abi/syscalls.def>
#undef SYSCALL
};

static const char *const names[LINUX_SLOTS + OPTIOS_SLOTS] = {
#define SYSCALL(nr, name, perm) [SLOT(nr)] = #name,
#include <optios/abi/syscalls.def>
#undef SYSCALL
};

static const uint8_t perms[LINUX_SLOTS + OPTIOS_SLOTS] = {
#define SYSCALL(nr, name, perm) [SLOT(nr)] = perm,
#include <optios/abi/syscalls.def>
#undef SYSCALL
};

static long slot_of(long nr)
{
	if (nr >= 0 && nr < LINUX_SLOTS)
		return nr;
	if (nr >= OPTIOS_SYSCALL_BASE && nr < OPTIOS_SYSCALL_BASE + OPTIOS_SLOTS)
		return SLOT(nr);
	return -1;
}

void syscall_init(void)
{
	arch_syscall_init();
	bool smep, smap;
	arch_cpu_protect_init(&smep, &smap);
	klog(KLOG_INFO, "syscall: entry ready; SMEP %s, SMAP %s, NX %s", smep ? "on" : "absent",
	     smap ? "on" : "absent", vm_nx_enabled() ? "on" : "absent");
}

const char *syscall_name(long nr)
{
	long s = slot_of(nr);
	return s < 0 ? NULL : names[s];
}

/* Reports an unimplemented call once per process (one key per slot,
 * every number outside the table sharing the last). */
static void log_enosys(long nr)
{
	long s = slot_of(nr);
	const char *name = syscall_name(nr);
	proc_report_enosys(proc_current(), nr, s < 0 ? 511 : (unsigned)s % 512, name ? name : "unknown call");
}

/* Calls whose effects a handler's run could not take back if it rolled
 * back: refused inside a run (-EPERM). optios_policy's queries change
 * nothing and stay open to a run (the status app shows the policy: they
 * were refused with the grants, system/netapps.policy_queries_in_a_handler_run_were_eperm). */
static bool outside_the_run(long nr, long a0)
{
	if (nr == SYS_optios_policy)
		return a0 == OPTIOS_POLICY_GRANT || a0 == OPTIOS_POLICY_REVOKE;
	switch (nr) {
	case SYS_optios_spawn:
	case SYS_fork:
	case SYS_vfork:
	case SYS_clone:
	case SYS_execve:
	case SYS_kill:
	case SYS_optios_fb_map:
	case SYS_optios_console_switch:
	case SYS_optios_handler_add:
	case SYS_optios_handler_remove: return true;
	default: return false;
	}
}

long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	struct proc *p = proc_current();
	if (p && p->handler && outside_the_run(nr, a0))
		return -EPERM;
	long s = slot_of(nr);
	syscall_fn fn = s < 0 ? NULL : table[s];
	if (!fn || fn == syscall_enosys) {
		log_enosys(nr);
		return -ENOSYS;
	}
	enum perm_call kind = (enum perm_call)perms[s];
	long r = perm_call_enter(p, nr, names[s], kind, a0);
	if (r == 0)
		r = perm_call_leave(p, nr, kind, fn(a0, a1, a2, a3, a4, a5));
	return r;
}

int syscall_entry_c(struct trapframe *tf)
{
	struct proc *self = proc_current();
	if (self) {
		self->sys_orig = (long)tf->rax;
		self->sig_interrupted = false;
	}
	irq_enable();
	tf->rax = (uint64_t)syscall_dispatch((long)tf->rax, (long)tf->rdi, (long)tf->rsi, (long)tf->rdx,
					     (long)tf->r10, (long)tf->r8, (long)tf->r9);
	irq_disable();
	proc_return_to_user(tf);
	/* sysret (and iretq) to a non-canonical rip would fault in ring 0: a
	 * syscall at the very top of the user half cannot return at all. */
	if (tf->rip >= VM_USER_END) {
		struct proc *p = proc_current();
		klog(KLOG_WARN, "%s[%d]: syscall returns to non-canonical %#lx", p->name, p->pid,
		     (unsigned long)tf->rip);
		irq_enable();
		proc_exit(11); /* SIGSEGV */
	}
	struct proc *p = proc_current();
	if (p && p->frame_rewritten) { /* a handler run was replaced: iretq */
		p->frame_rewritten = false;
		return 1;
	}
	return 0; /* sysretq */
}
