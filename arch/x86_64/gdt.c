/*
 * gdt.c - segments and the TSS.
 *
 * Long mode ignores most of segmentation, but still needs: a code and data
 * segment for ring 0 and ring 3 (in the order syscall/sysret expect: kernel
 * code, kernel data, user data, user code) and a TSS whose interrupt stack
 * table gives the double fault, NMI and machine check handlers stacks of their
 * own, so a kernel stack overflow still produces a report.
 *
 * The IST stacks live in .bss with one page below each that the paging code
 * leaves unmapped (arch_stack_guards) so overflowing one faults at once.
 */
#include "arch.h"
#include "lib/lib.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define IST_STACK_SIZE (16 * 1024)
#define PAGE 4096

struct ist_stack {
	char guard[PAGE];
	char stack[IST_STACK_SIZE];
};
static struct ist_stack ist_stacks[3] __attribute__((aligned(PAGE)));

static struct tss tss;
static uint64_t gdt[7] __attribute__((aligned(16)));

static uint64_t segment(uint32_t flags_access)
{
	/* base 0, limit 0xFFFFF; flags_access is bits 40-55 of the descriptor */
	return 0x000F00000000FFFFull | ((uint64_t)flags_access << 40);
}

void arch_load_gdt(void *gdtr, uint16_t tss_sel);

void arch_gdt_init(void)
{
	gdt[0] = 0;
	gdt[GDT_KCODE / 8] = segment(0xA09A); /* L, present, ring 0, code */
	gdt[GDT_KDATA / 8] = segment(0xC092); /* present, ring 0, data */
	gdt[GDT_UDATA / 8] = segment(0xC0F2); /* ring 3 data */
	gdt[GDT_UCODE / 8] = segment(0xA0FA); /* ring 3 code, L */

	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)(ist_stacks[i].stack + IST_STACK_SIZE);
	tss.iomap_base = sizeof tss; /* no I/O permission bitmap */
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[GDT_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
			   ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint64_t)gdt};
	arch_load_gdt(&gdtr, GDT_TSS);
}

void arch_set_kernel_stack(uint64_t top)
{
	tss.rsp[0] = top;
}

size_t arch_stack_guards(uintptr_t *out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < 3 && n < max; i++)
		out[n++] = (uintptr_t)ist_stacks[i].guard;
	if (n < max)
		out[n++] = (uintptr_t)boot_stack_guard;
	return n;
}
