/* provisional.c - PROVISIONAL: stands in until the memory subsystem lands. */
#include "mm.h"

void pmm_init(const struct bootinfo *bi) { (void)bi; }
size_t pmm_free_count(void) { return 0; }
void vm_init(const struct bootinfo *bi) { (void)bi; }
void *vm_map_mmio(uint64_t phys, size_t size) { (void)size; return phys_to_virt(phys); }
void heap_init(void) {}
size_t kmalloc_bytes_in_use(void) { return 0; }
void *vm_kernel_stack_top(void) { return boot_stack_top; }
void mm_report(void) {}
