/*
 * switch.S - kernel context switch and the syscall instruction's entry.
 *
 * arch_switch(from, to): saves the callee-saved registers on the current
 * stack, stores the stack pointer in *from (a struct arch_context *), loads
 * to's and pops its registers. The layout is struct arch_context (arch.h),
 * pinned by _Static_assert in syscall_arch.c. A new process's first context
 * "returns" into trap_exit (entry.S) with a trapframe right above it, which
 * iretq's into ring 3.
 *
 * arch_syscall_entry (MSR LSTAR): the CPU arrives in ring 0 with the user's
 * rsp, rip in rcx, rflags in r11 and interrupts off (FMASK). One CPU, so
 * instead of swapgs and a per-CPU area two globals hold the kernel stack top
 * of the running process and a scratch slot for the user rsp; nothing can
 * run between the two moves (interrupts are masked, an NMI has its own IST
 * stack and does not touch them). The entry then builds the same struct
 * trapframe an interrupt would (vector ARCH_SYSCALL_VECTOR) and calls
 * syscall_entry_c(tf). That returns nonzero when the frame must go back with
 * iretq (a non-canonical rip would make sysret fault in ring 0), else the
 * registers are restored and sysretq takes rip from rcx and rflags from r11.
 */
#include "asm.h"

	.section .text

/* void arch_switch(struct arch_context **from, struct arch_context *to) */
	.globl arch_switch
arch_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.globl arch_syscall_entry
arch_syscall_entry:
	movq	%rsp, arch_syscall_user_rsp(%rip)
	movq	arch_syscall_kstack(%rip), %rsp
	pushq	$(GDT_UDATA | 3)		/* ss */
	pushq	arch_syscall_user_rsp(%rip)	/* rsp */
	pushq	%r11				/* rflags */
	pushq	$(GDT_UCODE | 3)		/* cs */
	pushq	%rcx				/* rip */
	pushq	$0				/* error code */
	pushq	$ARCH_SYSCALL_VECTOR
	TRAPFRAME_PUSH_GPRS
	cld
	movq	%rsp, %rdi
	pushq	136(%rsp)			/* TF_RIP: frame link for backtraces */
	pushq	$0
	movq	%rsp, %rbp
	call	syscall_entry_c
	addq	$16, %rsp
	testl	%eax, %eax
	jnz	trap_exit
	TRAPFRAME_POP_GPRS
	addq	$16, %rsp			/* vector and error code */
	movq	0(%rsp), %rcx			/* rip */
	movq	16(%rsp), %r11			/* rflags */
	movq	24(%rsp), %rsp			/* the user's stack */
	sysretq

	.section .bss
	.align 8
	.globl arch_syscall_kstack, arch_syscall_user_rsp
arch_syscall_kstack:
	.quad 0
arch_syscall_user_rsp:
	.quad 0
