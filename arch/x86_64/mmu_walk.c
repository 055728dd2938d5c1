/*
 * mmu_walk.c - answer "is this kernel address mapped?" from the live page
 * tables, for code (backtraces, fault reports) that must not fault itself.
 */
#include "arch.h"

#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

bool arch_kernel_mapped(uintptr_t va)
{
	uint64_t table = read_cr3() & PTE_ADDR;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *t = (const uint64_t *)(DIRECT_MAP_BASE + table);
		uint64_t e = t[(va >> (12 + 9 * level)) & 511];
		if (!(e & PTE_P))
			return false;
		if (level == 0 || (level <= 2 && (e & PTE_PS)))
			return true;
		table = e & PTE_ADDR;
	}
	return true;
}
