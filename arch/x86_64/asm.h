/* asm.h - constants shared by the assembly files and C (no C declarations here). */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

#define KERNEL_VMA 0xFFFFFFFF80000000
#define DIRECT_MAP_BASE 0xFFFF800000000000

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x18
#define GDT_UCODE 0x20
#define GDT_TSS 0x28

/* Interrupt stack table slots (1-based, as the IDT gate wants them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

/* trapframe.vector of a frame built by the syscall entry (not a real vector). */
#define ARCH_SYSCALL_VECTOR 0x100

#ifdef __ASSEMBLY__
/* The general registers of struct trapframe (trap.h), pushed and popped in
 * one place for every way into the kernel (interrupts and syscalls). */
.macro TRAPFRAME_PUSH_GPRS
	pushq %rax; pushq %rbx; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi; pushq %rbp
	pushq %r8; pushq %r9; pushq %r10; pushq %r11; pushq %r12; pushq %r13; pushq %r14; pushq %r15
.endm
.macro TRAPFRAME_POP_GPRS
	popq %r15; popq %r14; popq %r13; popq %r12; popq %r11; popq %r10; popq %r9; popq %r8
	popq %rbp; popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rbx; popq %rax
.endm
#endif

#endif
