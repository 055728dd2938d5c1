/* test_signal.c - signals' rules (kernel/proc/sigcore.c): selection order,
 * sigaction and mask rules, what exec keeps, where a frame goes, and the
 * checks a forged sigreturn context must fail. */
#include <optios/abi/errno.h>
#include <string.h>

#include "kernel/proc/sigcore.h"
#include "unit.h"

#define UCS 0x23
#define USS 0x1b
#define UEND 0x0000800000000000ull

TEST(signal_next_takes_faults_first_then_the_lowest)
{
	CHECK_EQ(sig_next(0, 0), 0);
	CHECK_EQ(sig_next(SIG_BIT(SIG_TERM) | SIG_BIT(SIG_INT), 0), SIG_INT);
	CHECK_EQ(sig_next(SIG_BIT(SIG_INT) | SIG_BIT(SIG_SEGV), 0), SIG_SEGV);
	CHECK_EQ(sig_next(SIG_BIT(SIG_INT) | SIG_BIT(SIG_KILL) | SIG_BIT(SIG_SEGV), 0), SIG_KILL);
	CHECK_EQ(sig_next(SIG_BIT(SIG_INT) | SIG_BIT(SIG_TERM), SIG_BIT(SIG_INT)), SIG_TERM);
	CHECK_EQ(sig_next(SIG_BIT(SIG_INT), SIG_BIT(SIG_INT)), 0);
	CHECK_EQ(sig_next(SIG_BIT(64), 0), 64);
	/* SIGKILL and SIGSTOP get through even a mask that names them */
	CHECK_EQ(sig_next(SIG_BIT(SIG_STOP), ~0ull), SIG_STOP);
	CHECK_EQ(sig_next(SIG_BIT(SIG_KILL), ~0ull), SIG_KILL);
}

TEST(signal_action_rules_sa_resethand_sign_extended)
{
	struct sig_state s = {0};
	struct sig_action a = {.handler = 0x401000, .flags = SA_SIGINFO | SA_RESTORER, .mask = ~0ull}, old;
	CHECK_EQ(sig_action_set(&s, 0, &a, NULL), -EINVAL);
	CHECK_EQ(sig_action_set(&s, 65, &a, NULL), -EINVAL);
	CHECK_EQ(sig_action_set(&s, SIG_KILL, &a, NULL), -EINVAL);
	CHECK_EQ(sig_action_set(&s, SIG_STOP, &a, NULL), -EINVAL);
	CHECK_EQ(sig_action_set(&s, SIG_KILL, NULL, &old), 0); /* reading them is fine */
	/* regression: musl passes sa_flags (an int) sign-extended, so
	 * SA_RESETHAND came with the upper 32 bits set and was refused */
	struct sig_action reset = a;
	reset.flags = 0xFFFFFFFF80000000ull | SA_SIGINFO;
	CHECK_EQ(sig_action_set(&s, SIG_USR2, &reset, NULL), 0);
	CHECK_EQ(s.act[SIG_USR2 - 1].flags, SA_RESETHAND | SA_SIGINFO);
	CHECK_EQ(sig_action_set(&s, SIG_USR1, &a, &old), 0);
	CHECK_EQ(old.handler, SIG_DFL_H);
	CHECK_EQ(s.act[SIG_USR1 - 1].mask, ~SIG_UNBLOCKABLE); /* the mask never holds KILL/STOP */
	/* becoming ignored drops a pending instance */
	s.pending = SIG_BIT(SIG_USR2) | SIG_BIT(SIG_CHLD);
	struct sig_action ign = {.handler = SIG_IGN_H};
	CHECK_EQ(sig_action_set(&s, SIG_USR2, &ign, NULL), 0);
	CHECK_EQ(s.pending, SIG_BIT(SIG_CHLD));
	struct sig_action dfl = {.handler = SIG_DFL_H};
	CHECK_EQ(sig_action_set(&s, SIG_CHLD, &dfl, NULL), 0); /* default-ignore */
	CHECK_EQ(s.pending, 0);
	CHECK(sig_ignored(&s, SIG_WINCH));
	CHECK(!sig_ignored(&s, SIG_TERM));
}

TEST(signal_mask_rules)
{
	uint64_t b = 0;
	CHECK(sig_mask_apply(&b, 0, SIG_BIT(SIG_INT) | SIG_BIT(SIG_KILL) | SIG_BIT(SIG_STOP)));
	CHECK_EQ(b, SIG_BIT(SIG_INT));
	CHECK(sig_mask_apply(&b, 1, SIG_BIT(SIG_INT)));
	CHECK_EQ(b, 0);
	CHECK(sig_mask_apply(&b, 2, ~0ull));
	CHECK_EQ(b, ~SIG_UNBLOCKABLE);
	CHECK(!sig_mask_apply(&b, 3, 0));
	struct sig_action a = {.handler = 0x401000, .mask = SIG_BIT(SIG_USR2)};
	CHECK_EQ(sig_handler_mask(0, SIG_USR1, &a), SIG_BIT(SIG_USR1) | SIG_BIT(SIG_USR2));
	a.flags = SA_NODEFER;
	CHECK_EQ(sig_handler_mask(0, SIG_USR1, &a), SIG_BIT(SIG_USR2));
}

TEST(sigpipe_caught_was_kept_as_ignored_across_exec)
{
	struct sig_state s = {0};
	s.act[SIG_PIPE - 1] = (struct sig_action){.handler = 0x401000, .flags = SA_RESTART};
	s.act[SIG_USR2 - 1] = (struct sig_action){.handler = SIG_IGN_H, .flags = SA_RESTART};
	s.blocked = SIG_BIT(SIG_INT);
	s.pending = SIG_BIT(SIG_INT);
	sig_exec_reset(&s);
	CHECK_EQ(s.act[SIG_PIPE - 1].handler, SIG_DFL_H); /* was kept as "ignored" before signals */
	CHECK_EQ(s.act[SIG_PIPE - 1].flags, 0);
	CHECK_EQ(s.act[SIG_USR2 - 1].handler, SIG_IGN_H);
	CHECK_EQ(s.blocked, SIG_BIT(SIG_INT));
	CHECK_EQ(s.pending, SIG_BIT(SIG_INT));
}

TEST(signal_default_actions)
{
	CHECK_EQ(sig_default_action(SIG_INT), SIG_DEF_TERM);
	CHECK_EQ(sig_default_action(SIG_QUIT), SIG_DEF_CORE);
	CHECK_EQ(sig_default_action(SIG_SEGV), SIG_DEF_CORE);
	CHECK_EQ(sig_default_action(SIG_CHLD), SIG_DEF_IGNORE);
	CHECK_EQ(sig_default_action(SIG_CONT), SIG_DEF_CONT);
	CHECK_EQ(sig_default_action(SIG_TSTP), SIG_DEF_STOP);
	CHECK_EQ(sig_default_action(SIG_TTIN), SIG_DEF_STOP);
	CHECK_EQ(sig_default_action(40), SIG_DEF_TERM);
}

TEST(signal_frame_below_the_red_zone_and_aligned)
{
	uint64_t fp, at = sig_frame_place(0x7fffffffe008, sizeof(struct sig_frame), &fp);
	CHECK_EQ(fp % 64, 0);
	CHECK(fp + SIG_FPSTATE_SIZE <= 0x7fffffffe008 - 128);
	CHECK(at + sizeof(struct sig_frame) <= fp);
	CHECK_EQ((at + 8) % 16, 0); /* as after a call */
}

static struct sig_mcontext good(void)
{
	struct sig_mcontext mc;
	memset(&mc, 0, sizeof mc);
	mc.gregs[SIG_RIP] = 0x401000;
	mc.gregs[SIG_RSP] = 0x7ffffff000;
	mc.gregs[SIG_EFL] = 0x202;
	mc.gregs[SIG_CSGSFS] = UCS | ((uint64_t)USS << 48);
	return mc;
}

TEST(signal_forged_context_is_refused)
{
	uint64_t fl;
	struct sig_mcontext mc = good();
	CHECK(sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
	CHECK_EQ(fl, 0x202);
	static const uint16_t bad_cs[] = {0, 0x08, 0x20, 0x1b, 0x2b, 0xffff};
	for (size_t i = 0; i < sizeof bad_cs / sizeof bad_cs[0]; i++) {
		mc = good();
		mc.gregs[SIG_CSGSFS] = bad_cs[i] | ((uint64_t)USS << 48);
		CHECK(!sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
	}
	mc = good();
	mc.gregs[SIG_CSGSFS] = UCS | (0x10ull << 48); /* kernel data as SS */
	CHECK(!sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
	mc = good();
	mc.gregs[SIG_CSGSFS] = UCS; /* SS 0: an old frame; restored as the user's */
	CHECK(sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
	static const uint64_t bad_addr[] = {0x0000800000000000ull, 0x8000000000001000ull,
					    0xffffffff80100000ull, 0xffff800000000000ull};
	for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
		mc = good();
		mc.gregs[SIG_RIP] = bad_addr[i];
		CHECK(!sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
		mc = good();
		mc.gregs[SIG_RSP] = bad_addr[i];
		CHECK(!sig_context_check(&mc, UCS, USS, UEND, 0x246, &fl));
	}
}

TEST(signal_forged_rflags_cannot_raise_privilege)
{
	uint64_t fl;
	struct sig_mcontext mc = good();
	mc.gregs[SIG_EFL] = ~0ull; /* IOPL 3, VM, NT, VIF, ID ... */
	CHECK(sig_context_check(&mc, UCS, USS, UEND, 0x202, &fl));
	CHECK_EQ(fl & 0x3000, 0); /* IOPL */
	CHECK_EQ(fl & 0x20000, 0); /* VM */
	CHECK_EQ(fl & 0x4000, 0); /* NT */
	CHECK(fl & 0x200); /* IF stays on */
	CHECK(fl & 0x40000); /* AC may be set */
	CHECK(fl & 0x1); /* CF */
	mc.gregs[SIG_EFL] = 0; /* IF cannot be turned off either */
	CHECK(sig_context_check(&mc, UCS, USS, UEND, 0x202, &fl));
	CHECK_EQ(fl, 0x202);
}
