/* mm_internal.h - what the files of kernel/mm share among themselves only. */
#ifndef KERNEL_MM_MM_INTERNAL_H
#define KERNEL_MM_MM_INTERNAL_H

#include "arch/x86_64/mmu.h"
#include "journal_core.h"
#include "mm.h"

/* pmm.c */
/* Pages at or above limit are not handed out (until the direct map covers them). */
void pmm_set_limit(uint64_t limit);
/* The boot information pmm_init was given (for the self-tests). */
const struct bootinfo *mm_boot_info(void);

/* vm.c */
extern const struct mmu vm_mmu; /* the walker on the direct map, tables from pmm */
extern uint64_t vm_kernel_root; /* physical address of the kernel's PML4 */
extern pte_t vm_nx; /* PTE_NX, or 0 if the CPU has no NX */
extern unsigned long vm_table_pages; /* page-table pages in use, all spaces */
/* Invalidates the TLB entry for va on this CPU. */
void vm_flush_page(uintptr_t va);

/* vm_space.c, vm_journal.c */
struct vm_space {
	uint64_t root; /* physical address of the PML4 */
	size_t mappings; /* user leaves */
	struct mmu_ranges used; /* holds every user leaf and table ever made (walks read only these) */
	/* the snapshot journal (vm_journal.c) */
	struct journal journal;
	size_t mappings_at_begin; /* mappings when recording began */
};
extern const struct journal_ops vm_journal_ops;
/* Drops s's stale TLB entries if s is active (after many leaves changed). */
void vm_space_flush(const struct vm_space *s);

/* heap.c */

#endif
