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

#endif
