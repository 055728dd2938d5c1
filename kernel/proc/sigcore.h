/*
 * sigcore.h - signals' rules without a process: dispositions, the blocked
 * and pending sets, which signal goes first, what exec keeps, and the
 * checks a signal frame's saved context passes before sigreturn trusts it
 * (sigcore.c, host-tested). kernel/proc/signal.c applies them to processes.
 *
 * Invariants: signals are 1..SIG_MAX; bit sig-1 of a set is signal sig.
 * SIGKILL and SIGSTOP are never blocked, caught or ignored. A signal whose
 * disposition is "ignore" (or default-ignore) is never pending.
 */
#ifndef KERNEL_PROC_SIGCORE_H
#define KERNEL_PROC_SIGCORE_H

#include <stdbool.h>
#include <stdint.h>

#define SIG_MAX 64
#define SIG_BIT(sig) (1ull << ((sig)-1))

#define SIG_HUP 1
#define SIG_INT 2
#define SIG_QUIT 3
#define SIG_ILL 4
#define SIG_TRAP 5
#define SIG_ABRT 6
#define SIG_BUS 7
#define SIG_FPE 8
#define SIG_KILL 9
#define SIG_USR1 10
#define SIG_SEGV 11
#define SIG_USR2 12
#define SIG_PIPE 13
#define SIG_ALRM 14
#define SIG_TERM 15
#define SIG_CHLD 17
#define SIG_CONT 18
#define SIG_STOP 19
#define SIG_TSTP 20
#define SIG_TTIN 21
#define SIG_TTOU 22
#define SIG_URG 23
#define SIG_WINCH 28

/* the handler values */
#define SIG_DFL_H 0ull
#define SIG_IGN_H 1ull

/* sa_flags (Linux) */
#define SA_NOCLDSTOP 0x1u
#define SA_NOCLDWAIT 0x2u
#define SA_SIGINFO 0x4u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u
#define SA_KNOWN                                                                                         \
	(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_RESTORER | SA_ONSTACK | SA_RESTART | SA_NODEFER | \
	 SA_RESETHAND)

#define SIG_UNBLOCKABLE (SIG_BIT(SIG_KILL) | SIG_BIT(SIG_STOP))
#define SIG_STOPS (SIG_BIT(SIG_STOP) | SIG_BIT(SIG_TSTP) | SIG_BIT(SIG_TTIN) | SIG_BIT(SIG_TTOU))
/* the faults a program's own instruction raises: delivered before the others */
#define SIG_SYNCHRONOUS \
	(SIG_BIT(SIG_SEGV) | SIG_BIT(SIG_BUS) | SIG_BIT(SIG_ILL) | SIG_BIT(SIG_TRAP) | SIG_BIT(SIG_FPE))

/* struct kernel_sigaction as the rt_sigaction call passes it (x86_64) */
struct sig_action {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

enum sig_default { SIG_DEF_TERM, SIG_DEF_CORE, SIG_DEF_IGNORE, SIG_DEF_STOP, SIG_DEF_CONT };

struct sig_state {
	struct sig_action act[SIG_MAX];
	uint64_t blocked;
	uint64_t pending;
};

enum sig_default sig_default_action(int sig);
/* Whether sig would be discarded on arrival (ignored, or default-ignore). */
bool sig_ignored(const struct sig_state *s, int sig);
/* The signal to deliver next from pending minus blocked: synchronous faults
 * first, then the lowest number; 0 if none. */
int sig_next(uint64_t pending, uint64_t blocked);
/* rt_sigaction's rules: sig 1..64, SIGKILL/SIGSTOP cannot be changed
 * (-EINVAL); flags are kept as Linux keeps them (the int's 32 bits, unknown
 * ones too: Linux does not refuse them). Stores the old action in
 * *old (if old), sets new (if new, its mask minus the unblockable) and
 * discards sig's pending instance when it becomes ignored. 0 or -EINVAL. */
int sig_action_set(struct sig_state *s, int sig, const struct sig_action *new, struct sig_action *old);
/* rt_sigprocmask: how 0 block, 1 unblock, 2 set. The new blocked set (the
 * unblockable never in it), or -EINVAL in *ok false. */
bool sig_mask_apply(uint64_t *blocked, int how, uint64_t set);
/* What execve keeps: caught signals go back to default, ignored stay
 * ignored; the blocked and pending sets stay. */
void sig_exec_reset(struct sig_state *s);
/* The mask while a handler of sig with act runs: the old one, act's mask,
 * and sig itself unless SA_NODEFER. */
uint64_t sig_handler_mask(uint64_t blocked, int sig, const struct sig_action *act);

/* ---- the signal frame (Linux x86_64's struct rt_sigframe) ---- */

/* struct sigcontext: gregs in this order, then fpstate and reserved words */
enum sig_greg {
	SIG_R8,
	SIG_R9,
	SIG_R10,
	SIG_R11,
	SIG_R12,
	SIG_R13,
	SIG_R14,
	SIG_R15,
	SIG_RDI,
	SIG_RSI,
	SIG_RBP,
	SIG_RBX,
	SIG_RDX,
	SIG_RAX,
	SIG_RCX,
	SIG_RSP,
	SIG_RIP,
	SIG_EFL,
	SIG_CSGSFS,
	SIG_ERR,
	SIG_TRAPNO,
	SIG_OLDMASK,
	SIG_CR2,
	SIG_NGREG
};
struct sig_mcontext {
	uint64_t gregs[SIG_NGREG];
	uint64_t fpstate; /* user address of the 512-byte FXSAVE image, or 0 */
	uint64_t reserved[8];
};
struct sig_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};
struct sig_ucontext {
	uint64_t flags;
	uint64_t link;
	struct sig_stack stack;
	struct sig_mcontext mcontext;
	uint64_t sigmask;
};
struct sig_info {
	int32_t signo, errno_, code, pad;
	union {
		struct {
			int32_t pid, uid;
			int64_t status_or_value;
		} proc; /* kill, sigqueue, SIGCHLD(status at +8: int) */
		uint64_t addr; /* faults */
		uint8_t bytes[112];
	} u;
};
struct sig_frame {
	uint64_t restorer; /* the handler's return address */
	struct sig_ucontext uc;
	struct sig_info info;
};
#define SIG_FPSTATE_SIZE 512
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4

/* RFLAGS bits a program may set through sigreturn (Linux's FIX_EFLAGS) */
#define SIG_RFLAGS_USER 0x50dd5ull /* CF PF AF ZF SF TF DF OF RF AC */
#define SIG_RFLAGS_IF 0x200ull

/* The user registers a sigreturn may restore, after checks: cs and ss
 * must be the user selectors given, rip and rsp canonical user addresses
 * (below user_end); rflags keeps only SIG_RFLAGS_USER bits and gets IF.
 * false: a forged or damaged frame (the caller ends the program). */
bool sig_context_check(const struct sig_mcontext *mc, uint16_t user_cs, uint16_t user_ss, uint64_t user_end,
		       uint64_t old_rflags, uint64_t *rflags_out);
/* Where a frame of frame_size bytes (plus SIG_FPSTATE_SIZE, 64-aligned) goes
 * below sp (after the 128-byte red zone), such that the handler starts
 * with sp + 8 16-aligned as after a call. *fpstate gets the FXSAVE area's
 * address. */
uint64_t sig_frame_place(uint64_t sp, uint64_t frame_size, uint64_t *fpstate);

#endif
