/*
 * boot.S - from the boot loader to C in 64-bit long mode, higher half.
 *
 * Entered in 32-bit protected mode, paging off, by GRUB (multiboot2, magic
 * 0x36d76289 in eax) or by QEMU -kernel (multiboot1, 0x2badb002); ebx holds the
 * physical address of the boot information either way. We:
 *   1. check the CPU has long mode;
 *   2. build boot page tables: the first 4 GiB identity mapped and again at
 *      DIRECT_MAP_BASE, the first 1 GiB at KERNEL_VMA (all 2 MiB pages);
 *   3. enable PAE, long mode, NX (when present), paging and write protect;
 *   4. jump to the higher half and call kmain(magic, info) on the boot stack.
 * kmain replaces these tables with the real ones (mm/vm.c) almost at once.
 */
#include "asm.h"

#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS ((1 << 1) | (1 << 16)) /* memory info, a.out kludge */

	.section .multiboot, "a"
	.align 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* framebuffer request: 1024x768x32, but any mode the firmware has will do */
	.align 8
	.word 5, 0
	.long 20
	.long 1024, 768, 32
	/* end tag */
	.align 8
	.word 0, 0
	.long 8
mb2_header_end:

	/* Multiboot1, for QEMU -kernel. The a.out kludge makes QEMU load us as a
	 * flat image from these physical addresses (it refuses 64-bit ELF). */
	.align 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header - KERNEL_VMA
	.long _phys_load_start
	.long _phys_load_end
	.long _phys_bss_end
	.long _start - KERNEL_VMA

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	%eax, %edi		/* magic: first argument of kmain */
	movl	%ebx, %esi		/* info: second argument */
	movl	$(boot_stack_top - KERNEL_VMA), %esp

	/* Long mode present? (CPUID 0x80000001 EDX bit 29) */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode
	movl	%edx, %ebp		/* keep: bit 20 says NX */

	/* PD entries: 4 tables x 512 x 2 MiB = identity 0..4 GiB */
	movl	$(boot_pd - KERNEL_VMA), %ebx
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax		/* present, writable, 2 MiB page */
	movl	%eax, (%ebx, %ecx, 8)
	movl	%ecx, %eax
	shrl	$11, %eax		/* high bits of (ecx << 21) */
	movl	%eax, 4(%ebx, %ecx, 8)
	incl	%ecx
	cmpl	$2048, %ecx
	jne	1b

	/* PDPT low: four entries, one per PD */
	movl	$(boot_pdpt_low - KERNEL_VMA), %edx
	movl	$(boot_pd - KERNEL_VMA + 0x3), %eax
	movl	%eax, 0(%edx)
	addl	$4096, %eax
	movl	%eax, 8(%edx)
	addl	$4096, %eax
	movl	%eax, 16(%edx)
	addl	$4096, %eax
	movl	%eax, 24(%edx)

	/* PDPT high: entry 510 maps KERNEL_VMA to the first GiB */
	movl	$(boot_pd - KERNEL_VMA + 0x3), %eax
	movl	%eax, (boot_pdpt_high - KERNEL_VMA + 510 * 8)

	/* PML4: [0] identity, [256] direct map, [511] kernel */
	movl	$(boot_pdpt_low - KERNEL_VMA + 0x3), %eax
	movl	%eax, (boot_pml4 - KERNEL_VMA)
	movl	%eax, (boot_pml4 - KERNEL_VMA + 256 * 8)
	movl	$(boot_pdpt_high - KERNEL_VMA + 0x3), %eax
	movl	%eax, (boot_pml4 - KERNEL_VMA + 511 * 8)

	movl	$(boot_pml4 - KERNEL_VMA), %eax
	movl	%eax, %cr3

	movl	%cr4, %eax
	orl	$(1 << 5), %eax		/* PAE */
	movl	%eax, %cr4

	movl	$0xC0000080, %ecx	/* EFER */
	rdmsr
	orl	$(1 << 8), %eax		/* LME */
	testl	$(1 << 20), %ebp
	jz	2f
	orl	$(1 << 11), %eax	/* NXE */
2:	wrmsr

	movl	%cr0, %eax
	orl	$((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	movl	%eax, %cr0

	lgdt	(boot_gdt_ptr - KERNEL_VMA)
	ljmp	$0x08, $(long_mode_low - KERNEL_VMA)

no_long_mode:
	/* Say so on COM1 (polled) and stop. */
	movl	$(no_lm_msg - KERNEL_VMA), %esi
3:	movb	(%esi), %al
	testb	%al, %al
	jz	4f
	movw	$0x3F8, %dx
	outb	%al, %dx
	incl	%esi
	jmp	3b
4:	hlt
	jmp	4b

	.code64
long_mode_low:
	movabsq	$long_mode_high, %rax
	jmp	*%rax

long_mode_high:
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	/* edi = magic, esi = info (zero-extended by the 32-bit moves) */
	call	kmain
5:	cli
	hlt
	jmp	5b

	.section .rodata
no_lm_msg:
	.asciz "OptiOS: this CPU has no 64-bit long mode; cannot boot.\r\n"

	.align 16
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF	/* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt - KERNEL_VMA

	.section .bss
	.align 4096
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4096 * 4
	/* one page left unmapped by the paging code: overflow faults */
	.globl boot_stack_guard
boot_stack_guard:
	.skip 4096
	.globl boot_stack_bottom
boot_stack_bottom:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:
