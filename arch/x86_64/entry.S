/*
 * entry.S - interrupt and exception entry: build a struct trapframe, call C.
 *
 * One stub per vector pushes a zero error code when the CPU does not push one,
 * then the vector number, and jumps to the common path that saves the general
 * registers and calls trap_dispatch(frame). Nothing else happens here.
 */
#include "asm.h"

	.section .text

/* Vectors whose CPU frame carries an error code: 8, 10-14, 17, 21, 29, 30. */
.macro stub n
	.align 16
vector_\n:
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	trap_common
.endm

	.globl trap_vectors_start
trap_vectors_start:
.altmacro
.set i, 0
.rept 256
	stub %i
	.set i, i + 1
.endr

trap_common:
	TRAPFRAME_PUSH_GPRS
	cld
	movq	%rsp, %rdi
	/* a frame-pointer link so backtraces walk through the trap */
	pushq	136(%rsp)		/* rip of the interrupted code */
	pushq	%rbp
	movq	%rsp, %rbp
	call	trap_dispatch
	addq	$16, %rsp
/* Restores a struct trapframe at rsp and returns with iretq (also the first
 * entry of a new process into ring 3, and the syscall path's slow return). */
	.globl trap_exit
trap_exit:
	TRAPFRAME_POP_GPRS
	addq	$16, %rsp		/* vector and error code */
	iretq

/* void arch_enter_user(struct trapframe *tf): leaves the kernel through tf
 * (iretq); the kernel stack below tf is abandoned. Never returns. */
	.globl arch_enter_user
arch_enter_user:
	movq	%rdi, %rsp
	jmp	trap_exit

/* The first context of a kernel-started process: calls the function in rbx
 * on an aligned stack (arch_switch restored rbx). The function never returns. */
	.globl arch_thread_start
arch_thread_start:
	andq	$-16, %rsp
	call	*%rbx
	ud2

/* int arch_setjmp(struct arch_jmpbuf *jb) */
	.globl arch_setjmp
arch_setjmp:
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rax		/* rsp after our return */
	movq	%rax, 48(%rdi)
	movq	(%rsp), %rax		/* return address */
	movq	%rax, 56(%rdi)
	pushfq
	popq	64(%rdi)
	xorl	%eax, %eax
	ret

/* void arch_longjmp(struct arch_jmpbuf *jb, int value) */
	.globl arch_longjmp
arch_longjmp:
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	pushq	64(%rdi)
	popfq
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	jmpq	*56(%rdi)

/* void arch_call_on_stack(void *top, void (*fn)(void)) - never returns */
	.globl arch_call_on_stack
arch_call_on_stack:
	movq	%rdi, %rsp
	xorl	%ebp, %ebp
	call	*%rsi
2:	cli
	hlt
	jmp	2b

/* void arch_load_gdt(void *gdtr, uint16_t tss_sel) */
	.globl arch_load_gdt
arch_load_gdt:
	lgdt	(%rdi)
	movw	$GDT_KDATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs
	ltr	%si
	popq	%rax			/* reload CS with a far return */
	pushq	$GDT_KCODE
	pushq	%rax
	lretq

/* void arch_load_idt(void *idtr) */
	.globl arch_load_idt
arch_load_idt:
	lidt	(%rdi)
	ret
