/*
 * pmm_core.h - the physical page allocator's bookkeeping (private to kernel/mm
 * and the host tests). Plain C: no hardware, no globals, so the host unit
 * tests run it on simulated memory maps. pmm.c wraps one instance for the
 * kernel and turns errors that mean "kernel bug" into panics.
 */
#ifndef KERNEL_MM_PMM_CORE_H
#define KERNEL_MM_PMM_CORE_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/bootinfo.h"

#define PMM_PAGE 4096ull
#define PMM_MAX_RANGES 256
#define PMM_LOW_RESERVED (1ull << 20) /* never hand out the first 1 MiB */
#define PMM_PHYS_MAX (1ull << 52) /* architectural physical address limit */
#define PMM_REF_MAX 0xFFFF

/* Errors of free/get/refcount. */
#define PMM_ERR_UNMANAGED (-ENOENT) /* not a page this allocator hands out */
#define PMM_ERR_FREE (-EINVAL) /* the page is free (double free, or get of a free page) */

/* A run of managed pages [start, end); its pages are numbered from first. */
struct pmm_range {
	uint64_t start, end;
	size_t first;
};

/* Physical address -> pointer the bookkeeping can be written through. */
typedef void *(*pmm_virt_fn)(uint64_t pa);

struct pmm {
	/* sorted by address, disjoint, never adjacent-merged across holes */
	struct pmm_range range[PMM_MAX_RANGES];
	size_t nranges;
	size_t big; /* the range with the most pages (looked at first) */
	uint64_t *freemap; /* bit i set: page i is free */
	uint16_t *refs; /* references to page i; 0 exactly when free */
	size_t total, free;
	size_t limit_pages; /* pages numbered below this lie below the allocation limit */
	size_t hint; /* freemap word where the next search starts */
	size_t low_free; /* every page numbered below it is taken (contiguous searches start here) */
	/* what pmm_core_init found, for the memory report */
	uint64_t ram_bytes; /* usable RAM in the memory map, overlaps merged */
	uint64_t kernel_bytes; /* the kernel image */
	uint64_t module_bytes; /* boot modules */
	uint64_t meta_bytes; /* this bookkeeping (freemap and refs) */
	uint64_t meta_pa;
	uint64_t lost_bytes; /* usable RAM dropped because the range table was full */
};

/*
 * Builds the allocator from bi's memory map. Managed pages are usable RAM
 * minus: every non-usable region (reserved, ACPI, NVS, bad: these win where
 * regions overlap), the first 1 MiB, the kernel image [kernel_start,
 * kernel_end), the boot modules, the boot information structure, and the
 * bookkeeping itself (placed in the lowest range that fits below limit).
 * Usable edges are rounded inward to pages, reserved ones outward. Only
 * pages below limit are handed out until pmm_core_set_limit says otherwise.
 * Returns 0, or -ENOMEM if no range can hold the bookkeeping.
 */
int pmm_core_init(struct pmm *p, const struct bootinfo *bi, uint64_t kernel_start, uint64_t kernel_end,
		  uint64_t limit, pmm_virt_fn virt);
/* Allocations return only pages below limit (physical address). */
void pmm_core_set_limit(struct pmm *p, uint64_t limit);

/* One page (reference count 1), or 0 when none is free below the limit. */
uint64_t pmm_core_alloc(struct pmm *p);
/* count physically contiguous pages starting at a multiple of align_pages
 * (a power of two) pages, each with reference count 1; or 0. */
uint64_t pmm_core_alloc_contig(struct pmm *p, size_t count, size_t align_pages);
/* Drops one reference; the page is free again when none remain.
 * 0, PMM_ERR_UNMANAGED or PMM_ERR_FREE (and then nothing changes). */
int pmm_core_free(struct pmm *p, uint64_t pa);
/* Adds a reference to an allocated page: 0, PMM_ERR_*, or -EOVERFLOW. */
int pmm_core_get(struct pmm *p, uint64_t pa);
/* The page's reference count (0: free), or PMM_ERR_UNMANAGED. */
int pmm_core_refcount(const struct pmm *p, uint64_t pa);

#endif
