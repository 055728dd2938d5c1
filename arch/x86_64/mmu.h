/*
 * mmu.h - x86_64 four-level page tables: entry bits and the table walker.
 *
 * The walker is plain C with no instructions: it reaches tables through a
 * caller-supplied physical-to-pointer function and gets new tables from a
 * caller-supplied allocator, so the host unit tests run it on simulated
 * memory. TLB maintenance is the caller's business (kernel/mm/vm.c).
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t pte_t;

#define PTE_P (1ull << 0) /* present */
#define PTE_W (1ull << 1) /* writable */
#define PTE_U (1ull << 2) /* user accessible */
#define PTE_PWT (1ull << 3) /* write-through */
#define PTE_PCD (1ull << 4) /* cache disable */
#define PTE_A (1ull << 5) /* accessed (set by the CPU) */
#define PTE_D (1ull << 6) /* dirty (set by the CPU, leaves only) */
#define PTE_PS (1ull << 7) /* large page (in a PDPT or PD entry) */
#define PTE_G (1ull << 8) /* global: survives CR3 switches (CR4.PGE) */
/* Bits 9-11 are free for software. */
#define PTE_COW (1ull << 9) /* shared copy-on-write: never PTE_W while set */
#define PTE_NOREF (1ull << 10) /* not a pmm page (device memory): holds no reference */
/* Recorded in the space's running journal (kernel/mm/journal_core.c); kept on
 * a cleared entry too, where the CPU ignores it (P = 0). */
#define PTE_JOURNALED (1ull << 11)
#define PTE_NX (1ull << 63) /* no execute (only with EFER.NXE) */
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#define PTE_UNCACHED (PTE_PCD | PTE_PWT)

#define MMU_LEVEL_4K 0 /* leaf in a page table */
#define MMU_LEVEL_2M 1 /* leaf in a page directory */
#define MMU_LEVEL_1G 2 /* leaf in a PDPT */
#define MMU_ENTRIES 512
#define MMU_USER_SLOTS 256 /* PML4 slots 0-255: the user half */

/* Bytes one entry at level maps (level 3: a PML4 entry, 512 GiB). */
static inline uint64_t mmu_level_size(int level)
{
	return 1ull << (12 + 9 * level);
}
static inline unsigned mmu_index(uint64_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * level)) & 511;
}

/* How the walker reaches memory. */
struct mmu {
	pte_t *(*table)(uint64_t pa); /* the table at pa */
	uint64_t (*table_alloc)(void *ctx); /* a zeroed page for a table, or 0 */
	void (*table_free)(void *ctx, uint64_t pa);
	void *ctx;
};

/*
 * The entry that maps va at level (MMU_LEVEL_4K or _2M) in the tree at root.
 * With inter != 0, missing tables on the way are created and linked with the
 * flags inter (PTE_P is added); with inter == 0 nothing is created.
 * Returns NULL if a table is missing (and not created), the allocator failed,
 * or a large page above level already maps va. The entry itself may be empty.
 */
pte_t *mmu_entry(const struct mmu *m, uint64_t root, uint64_t va, int level, pte_t inter);

/* The present leaf entry that maps va and its level, or NULL if unmapped. */
pte_t *mmu_lookup(const struct mmu *m, uint64_t root, uint64_t va, int *level);

/* Calls fn on every present leaf with va in [start, end) in address order.
 * fn may change or clear the entry. */
typedef void (*mmu_leaf_fn)(void *arg, uint64_t va, pte_t *e, int level);
void mmu_visit(const struct mmu *m, uint64_t root, uint64_t start, uint64_t end, mmu_leaf_fn fn, void *arg);

/* Linear address ranges [start, end) (user addresses: below 2^47). A list of
 * them is sorted and disjoint. */
struct mmu_range {
	uint64_t start, end;
};
/* mmu_visit over several ranges in one walk, reading only the entries that
 * intersect them (a sparse space costs what it maps). */
void mmu_visit_ranges(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n, mmu_leaf_fn fn,
		      void *arg);
/* Frees every table below root reached through an entry that intersects
 * the ranges, and clears those entries; leaves are not visited (drop what
 * they hold first). The ranges must hold every table below root that is to
 * go: entries outside them are not read. Returns the number of tables freed. */
unsigned long mmu_free_ranges(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n);

/* Where an address space has mappings: a superset, in at most MMU_RANGES_MAX
 * ranges of whole pages, sorted, disjoint, more than 64 KiB apart (a page
 * nearer joins its neighbour). Only ever grows. Every table made on the way
 * to one of its pages is reached through entries that intersect it, so the
 * ranges suffice to find them all again. */
#define MMU_RANGES_MAX 8
struct mmu_ranges {
	size_t n;
	struct mmu_range r[MMU_RANGES_MAX];
};
/* Adds the page at va (below 2^47); when all ranges are taken, the two
 * closest are joined (the gap becomes part of the set). */
void mmu_ranges_add(struct mmu_ranges *rs, uint64_t va);

/* Frees every table below PML4 slots [first, end) of root and clears those
 * slots; leaves are not visited (drop what they hold with mmu_visit first).
 * Returns the number of tables freed. */
unsigned long mmu_free_tables(const struct mmu *m, uint64_t root, unsigned first, unsigned end);

#endif
