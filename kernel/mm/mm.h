/*
 * mm.h - memory: physical pages, kernel page tables and address spaces, heap.
 * (PROVISIONAL interface: the memory work replaces the implementation.)
 */
#ifndef KERNEL_MM_MM_H
#define KERNEL_MM_MM_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"

#define PAGE_SIZE 4096

struct bootinfo;

static inline void *phys_to_virt(uint64_t pa) { return (void *)(DIRECT_MAP_BASE + pa); }

void pmm_init(const struct bootinfo *bi);
size_t pmm_free_count(void);
void vm_init(const struct bootinfo *bi);
/* Maps device memory (uncached) and returns its kernel virtual address. */
void *vm_map_mmio(uint64_t phys, size_t size);
void heap_init(void);
size_t kmalloc_bytes_in_use(void);
/* The boot CPU's kernel stack (guard page below); kmain moves onto it. */
void *vm_kernel_stack_top(void);
/* Prints the memory summary (total, free, kernel, reserved). */
void mm_report(void);

#endif
