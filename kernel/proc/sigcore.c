/*
 * sigcore.c - signals' rules without a process (sigcore.h): default
 * actions, selection order, sigaction and mask rules, what exec keeps, and
 * the checks on a signal frame's saved context.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "kernel/proc/sigcore.h"

#include <optios/abi/errno.h>

_Static_assert(sizeof(struct sig_mcontext) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct sig_ucontext) == 304, "the kernel's struct ucontext is 304 bytes");
_Static_assert(sizeof(struct sig_info) == 128, "siginfo_t is 128 bytes");
_Static_assert(sizeof(struct sig_frame) == 440, "struct rt_sigframe is 440 bytes");

enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIG_QUIT:
	case SIG_ILL:
	case SIG_TRAP:
	case SIG_ABRT:
	case SIG_BUS:
	case SIG_FPE:
	case SIG_SEGV:
	case 24: /* SIGXCPU */
	case 25: /* SIGXFSZ */
	case 31: /* SIGSYS */ return SIG_DEF_CORE;
	case SIG_CHLD:
	case SIG_URG:
	case SIG_WINCH: return SIG_DEF_IGNORE;
	case SIG_CONT: return SIG_DEF_CONT;
	case SIG_STOP:
	case SIG_TSTP:
	case SIG_TTIN:
	case SIG_TTOU: return SIG_DEF_STOP;
	default: return SIG_DEF_TERM;
	}
}

bool sig_ignored(const struct sig_state *s, int sig)
{
	uint64_t h = s->act[sig - 1].handler;
	return h == SIG_IGN_H || (h == SIG_DFL_H && sig_default_action(sig) == SIG_DEF_IGNORE);
}

static int lowest(uint64_t set)
{
	return set ? __builtin_ctzll(set) + 1 : 0;
}

int sig_next(uint64_t pending, uint64_t blocked)
{
	uint64_t ready = pending & ~(blocked & ~SIG_UNBLOCKABLE);
	if (ready & SIG_BIT(SIG_KILL))
		return SIG_KILL;
	if (ready & SIG_SYNCHRONOUS)
		return lowest(ready & SIG_SYNCHRONOUS);
	return lowest(ready);
}

int sig_action_set(struct sig_state *s, int sig, const struct sig_action *new, struct sig_action *old)
{
	if (sig < 1 || sig > SIG_MAX)
		return -EINVAL;
	if (new && (sig == SIG_KILL || sig == SIG_STOP))
		return -EINVAL;
	if (old)
		*old = s->act[sig - 1];
	if (new) {
		s->act[sig - 1] = *new;
		s->act[sig - 1].flags &= 0xFFFFFFFFu; /* sa_flags is an int: musl sign-extends SA_RESETHAND */
		s->act[sig - 1].mask &= ~SIG_UNBLOCKABLE;
		if (sig_ignored(s, sig))
			s->pending &= ~SIG_BIT(sig);
	}
	return 0;
}

bool sig_mask_apply(uint64_t *blocked, int how, uint64_t set)
{
	switch (how) {
	case 0: *blocked |= set; break;
	case 1: *blocked &= ~set; break;
	case 2: *blocked = set; break;
	default: return false;
	}
	*blocked &= ~SIG_UNBLOCKABLE;
	return true;
}

void sig_exec_reset(struct sig_state *s)
{
	for (int i = 0; i < SIG_MAX; i++) {
		if (s->act[i].handler != SIG_IGN_H)
			s->act[i] = (struct sig_action){0};
		else
			s->act[i] = (struct sig_action){.handler = SIG_IGN_H};
	}
}

uint64_t sig_handler_mask(uint64_t blocked, int sig, const struct sig_action *act)
{
	uint64_t m = blocked | act->mask;
	if (!(act->flags & SA_NODEFER))
		m |= SIG_BIT(sig);
	return m & ~SIG_UNBLOCKABLE;
}

static bool user_address(uint64_t va, uint64_t user_end)
{
	return va < user_end && (va >> 47) == 0;
}

bool sig_context_check(const struct sig_mcontext *mc, uint16_t user_cs, uint16_t user_ss, uint64_t user_end,
		       uint64_t old_rflags, uint64_t *rflags_out)
{
	uint64_t csgsfs = mc->gregs[SIG_CSGSFS];
	uint16_t cs = (uint16_t)csgsfs, ss = (uint16_t)(csgsfs >> 48);
	if (cs != user_cs || (ss != user_ss && ss != 0))
		return false;
	if (!user_address(mc->gregs[SIG_RIP], user_end) || !user_address(mc->gregs[SIG_RSP], user_end))
		return false;
	*rflags_out =
		(old_rflags & ~SIG_RFLAGS_USER) | (mc->gregs[SIG_EFL] & SIG_RFLAGS_USER) | SIG_RFLAGS_IF;
	*rflags_out &= ~(0x3000ull /* IOPL */ | 0x20000ull /* VM */ | 0x4000ull /* NT */);
	return true;
}

uint64_t sig_frame_place(uint64_t sp, uint64_t frame_size, uint64_t *fpstate)
{
	sp -= 128; /* the red zone */
	sp = (sp - SIG_FPSTATE_SIZE) & ~63ull;
	*fpstate = sp;
	return ((sp - frame_size) & ~15ull) - 8;
}
