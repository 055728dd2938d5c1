/*
 * stack.S - running a function on another stack and coming back.
 *
 * void arch_run_on_stack(void *top, void (*fn)(void *), void *arg)
 * Calls fn(arg) with rsp = top (16-byte aligned), then returns on the caller's
 * stack. rbp keeps the caller's frame, so backtraces walk through.
 */
	.section .text
	.globl arch_run_on_stack
arch_run_on_stack:
	pushq	%rbp
	movq	%rsp, %rbp
	movq	%rdi, %rsp
	movq	%rdx, %rdi
	call	*%rsi
	movq	%rbp, %rsp
	popq	%rbp
	ret
