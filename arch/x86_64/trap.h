/*
 * trap.h - the trap frame and fault catching (included through arch.h).
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

/* Pushed by entry.S: general registers, then vector and error code, then the
 * CPU's own frame. Order and offsets are pinned by _Static_assert in trap.c. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
#define TF_VECTOR 120
#define TF_RIP 136
#define TF_SIZE 176

/* Callee-saved state for arch_setjmp/arch_longjmp. */
struct arch_jmpbuf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;
};
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__attribute__((noreturn)) void arch_longjmp(struct arch_jmpbuf *jb, int value);

/*
 * Catching a kernel fault (self-tests now; user-copy fault recovery later):
 *
 *	struct trap_catch c;
 *	if (trap_catch_try(&c)) { ...code that may fault...; trap_catch_end(); }
 *	else { fault: c.vector, c.error, c.addr say what happened }
 *
 * While armed, a CPU exception in kernel mode prints its usual report (marked
 * "caught") and resumes at the trap_catch_try with a false result. One catch
 * per CPU at a time; trap_catch_end disarms.
 */
struct trap_catch {
	struct arch_jmpbuf jb;
	uint64_t vector, error, addr, rip;
	int double_fault; /* also catch a double fault (trap_catch_try_double_fault) */
};
void trap_catch_arm(struct trap_catch *c);
void trap_catch_end(void);
#define trap_catch_try(c) (trap_catch_arm(c), arch_setjmp(&(c)->jb) == 0)
/* The same, but a double fault is caught too: a kernel stack overflow into a
 * guard page ends as one, because the page fault cannot push its frame on the
 * full stack (the double fault runs on its IST stack). For tests. */
#define trap_catch_try_double_fault(c) (trap_catch_arm(c), (c)->double_fault = 1, arch_setjmp(&(c)->jb) == 0)

/* Human name of an exception vector ("page fault"). */
const char *trap_name(unsigned vector);

#endif
