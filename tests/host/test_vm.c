/*
 * test_vm.c - the page-table walker (arch/x86_64/mmu.c) on simulated
 * physical memory: building 4 KiB and 2 MiB mappings, lookups, large pages in
 * the way, allocation failure, visiting leaves and freeing whole trees.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/mmu.h"
#include "unit.h"

#define POOL_PAGES 64
#define POOL_BASE 0x40000000ull /* where the simulated tables live, physically */

static pte_t *pool;
static int used[POOL_PAGES];
static int allocs, frees, fail_after = -1;

static pte_t *sim_table(uint64_t pa)
{
	if (pa < POOL_BASE || pa >= POOL_BASE + POOL_PAGES * 4096ull || (pa & 4095)) {
		fprintf(stderr, "walker touched a non-table address %#llx\n", (unsigned long long)pa);
		abort();
	}
	return pool + (pa - POOL_BASE) / 8;
}

static uint64_t sim_alloc(void *ctx)
{
	(void)ctx;
	if (fail_after == 0)
		return 0;
	if (fail_after > 0)
		fail_after--;
	for (int i = 0; i < POOL_PAGES; i++) {
		if (!used[i]) {
			used[i] = 1;
			allocs++;
			memset(pool + i * 512, 0, 4096);
			return POOL_BASE + i * 4096ull;
		}
	}
	return 0;
}

static void sim_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	int i = (int)((pa - POOL_BASE) / 4096);
	if (!used[i])
		fprintf(stderr, "table %#llx freed twice\n", (unsigned long long)pa), abort();
	used[i] = 0;
	frees++;
	memset(pool + i * 512, 0xEE, 4096);
}

static const struct mmu M = {sim_table, sim_alloc, sim_free, NULL};

static uint64_t fresh_root(void)
{
	if (!pool)
		pool = aligned_alloc(4096, POOL_PAGES * 4096);
	memset(used, 0, sizeof used);
	allocs = frees = 0;
	fail_after = -1;
	return sim_alloc(NULL);
}

#define UF (PTE_W | PTE_U)

TEST(mmu_map_4k_and_lookup)
{
	uint64_t root = fresh_root();
	pte_t *e = mmu_entry(&M, root, 0x400000, MMU_LEVEL_4K, UF);
	CHECK(e != NULL);
	CHECK_EQ(allocs, 4); /* root, PDPT, PD, PT */
	CHECK_EQ(*e, 0);
	*e = 0x1234000 | PTE_P | PTE_W;
	int level = -1;
	CHECK(mmu_lookup(&M, root, 0x400000, &level) == e);
	CHECK_EQ(level, 0);
	CHECK(mmu_lookup(&M, root, 0x400FFF, NULL) == e);
	CHECK(mmu_lookup(&M, root, 0x401000, NULL) == NULL);
	CHECK(mmu_lookup(&M, root, 0x800000, NULL) == NULL);
	/* a neighbour shares the tables */
	CHECK(mmu_entry(&M, root, 0x401000, MMU_LEVEL_4K, UF) == e + 1);
	CHECK_EQ(allocs, 4);
	/* without inter nothing is created */
	CHECK(mmu_entry(&M, root, 0x7F0000000000ull, MMU_LEVEL_4K, 0) == NULL);
	CHECK_EQ(allocs, 4);
	/* intermediate entries carry the flags asked for */
	pte_t pml4e = sim_table(root)[0];
	CHECK((pml4e & (PTE_P | PTE_W | PTE_U)) == (PTE_P | PTE_W | PTE_U));
}

TEST(mmu_large_pages)
{
	uint64_t root = fresh_root();
	uint64_t va = 0xFFFF800000200000ull; /* kernel half, canonical */
	pte_t *e = mmu_entry(&M, root, va, MMU_LEVEL_2M, PTE_W);
	CHECK(e != NULL);
	CHECK_EQ(allocs, 3); /* root, PDPT, PD */
	*e = 0x200000 | PTE_P | PTE_W | PTE_PS;
	int level = -1;
	CHECK(mmu_lookup(&M, root, va + 0x12345, &level) == e);
	CHECK_EQ(level, 1);
	/* a 4 KiB mapping inside the 2 MiB page cannot be made */
	CHECK(mmu_entry(&M, root, va + 0x1000, MMU_LEVEL_4K, PTE_W) == NULL);
	CHECK_EQ(allocs, 3);
}

TEST(mmu_allocation_failure_creates_nothing_half_linked)
{
	uint64_t root = fresh_root();
	fail_after = 1; /* the PDPT succeeds, the PD fails */
	CHECK(mmu_entry(&M, root, 0x400000, MMU_LEVEL_4K, UF) == NULL);
	CHECK_EQ(allocs, 2);
	/* what was linked is consistent: a retry completes it */
	fail_after = -1;
	CHECK(mmu_entry(&M, root, 0x400000, MMU_LEVEL_4K, UF) != NULL);
	CHECK_EQ(allocs, 4);
	CHECK_EQ(mmu_free_tables(&M, root, 0, 256), 3);
	CHECK_EQ(frees, 3);
}

struct seen {
	int n;
	uint64_t va[16];
	int level[16];
};

static void record(void *arg, uint64_t va, pte_t *e, int level)
{
	struct seen *s = arg;
	(void)e;
	if (s->n < 16) {
		s->va[s->n] = va;
		s->level[s->n] = level;
	}
	s->n++;
}

TEST(mmu_visit_in_order_within_range)
{
	uint64_t root = fresh_root();
	uint64_t vas[] = {0x1000, 0x7FFFFFFFF000ull, 0x40000000, 0x400000, 0x401000};
	for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++)
		*mmu_entry(&M, root, vas[i], MMU_LEVEL_4K, UF) = 0x5000 | PTE_P;
	*mmu_entry(&M, root, 0x600000, MMU_LEVEL_2M, UF) = 0x600000 | PTE_P | PTE_PS;
	*mmu_entry(&M, root, 0xFFFFFFFF80000000ull, MMU_LEVEL_4K, PTE_W) = 0x100000 | PTE_P;

	struct seen s = {0};
	mmu_visit(&M, root, 0, 1ull << 47, record, &s);
	CHECK_EQ(s.n, 6);
	CHECK_EQ(s.va[0], 0x1000);
	CHECK_EQ(s.va[1], 0x400000);
	CHECK_EQ(s.va[2], 0x401000);
	CHECK_EQ(s.va[3], 0x600000);
	CHECK_EQ(s.level[3], 1);
	CHECK_EQ(s.va[4], 0x40000000);
	CHECK_EQ(s.va[5], 0x7FFFFFFFF000ull);

	memset(&s, 0, sizeof s);
	mmu_visit(&M, root, 0x401000, 0x700000, record, &s); /* partial 2 MiB page counts */
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.va[0], 0x401000);

	memset(&s, 0, sizeof s);
	mmu_visit(&M, root, 0xFFFF800000000000ull, 0, record, &s); /* the kernel half */
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.va[0], 0xFFFFFFFF80000000ull);
}

static void clear_leaf(void *arg, uint64_t va, pte_t *e, int level)
{
	(void)va, (void)level;
	(*(int *)arg)++;
	*e = 0;
}

TEST(mmu_free_tables_returns_every_table)
{
	uint64_t root = fresh_root();
	for (uint64_t va = 0; va < 0x1000000; va += 0x3000)
		*mmu_entry(&M, root, va, MMU_LEVEL_4K, UF) = 0x7000 | PTE_P;
	*mmu_entry(&M, root, 0x7FFF00000000ull, MMU_LEVEL_2M, UF) = 0x200000 | PTE_P | PTE_PS;
	*mmu_entry(&M, root, 0xFFFFFFFF80000000ull, MMU_LEVEL_4K, PTE_W) = 0x100000 | PTE_P;
	int kernel_tables = 3;
	int cleared = 0;
	mmu_visit(&M, root, 0, 1ull << 47, clear_leaf, &cleared);
	CHECK_EQ(cleared, (0x1000000 + 0x2FFF) / 0x3000 + 1); /* 4 KiB pages and the 2 MiB one */
	CHECK(mmu_lookup(&M, root, 0x3000, NULL) == NULL);
	unsigned long n = mmu_free_tables(&M, root, 0, 256);
	CHECK_EQ(n, (unsigned long)(allocs - 1 - kernel_tables));
	CHECK_EQ(frees, allocs - 1 - kernel_tables);
	/* the kernel half is untouched */
	CHECK(mmu_lookup(&M, root, 0xFFFFFFFF80000000ull, NULL) != NULL);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(sim_table(root)[i], 0);
}

/* Ranges of whole pages, sorted, disjoint and more than 64 KiB apart
 * (nearer ones join), at most MMU_RANGES_MAX; every page ever added stays
 * inside (when full, the two closest ranges are joined). */
TEST(mmu_ranges_cover_every_page_added)
{
	static uint64_t added[4000];
	struct mmu_ranges rs = {0};
	mmu_ranges_add(&rs, 0x401000);
	mmu_ranges_add(&rs, 0x401000);
	mmu_ranges_add(&rs, 0x403000); /* near: joins */
	CHECK_EQ(rs.n, 1);
	CHECK_EQ(rs.r[0].start, 0x401000);
	CHECK_EQ(rs.r[0].end, 0x404000);
	mmu_ranges_add(&rs, 0x7FFFFFFFE000ull);
	mmu_ranges_add(&rs, 0x600000); /* far from both */
	CHECK_EQ(rs.n, 3);
	CHECK_EQ(rs.r[1].start, 0x600000);
	mmu_ranges_add(&rs, 0x3F0000); /* near the first from below */
	CHECK_EQ(rs.n, 3);
	CHECK_EQ(rs.r[0].start, 0x3F0000);
	mmu_ranges_add(&rs, 0x5F0000); /* near the second from below */
	CHECK_EQ(rs.n, 3);
	CHECK_EQ(rs.r[1].start, 0x5F0000);
	for (uint64_t va = 0x404000; va < 0x5F0000; va += 0x10000) /* a bridge: the two become one */
		mmu_ranges_add(&rs, va);
	CHECK_EQ(rs.n, 2);
	CHECK_EQ(rs.r[0].start, 0x3F0000);
	CHECK_EQ(rs.r[0].end, 0x601000);
	srand(7);
	memset(&rs, 0, sizeof rs);
	for (size_t i = 0; i < 4000; i++) {
		added[i] = ((uint64_t)rand() << 20 ^ (uint64_t)rand() << 3) & 0x7FFFFFFFF000ull;
		if (i % 3 == 0 && i > 0)
			added[i] = (added[i - 1] + 0x1000 * (uint64_t)(rand() % 40)) & 0x7FFFFFFFF000ull;
		mmu_ranges_add(&rs, added[i]);
		CHECK(rs.n >= 1 && rs.n <= MMU_RANGES_MAX);
		for (size_t k = 0; k < rs.n; k++) {
			CHECK(rs.r[k].start < rs.r[k].end);
			CHECK_EQ(rs.r[k].start % 4096, 0);
			CHECK_EQ(rs.r[k].end % 4096, 0);
			if (k + 1 < rs.n)
				CHECK(rs.r[k].end + (64 << 10) < rs.r[k + 1].start);
		}
		if (i % 97 == 0 || i == 3999)
			for (size_t j = 0; j <= i; j++) {
				bool in = false;
				for (size_t k = 0; k < rs.n; k++)
					in |= rs.r[k].start <= added[j] && added[j] < rs.r[k].end;
				CHECK(in);
			}
	}
}

/* Two ranges may share an entry of a higher table (here one page table):
 * every leaf inside either is visited once, in order; none outside. */
TEST(mmu_visit_ranges_visits_each_leaf_inside_once)
{
	uint64_t root = fresh_root();
	uint64_t vas[] = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x400000, 0x7FFFFFFFF000ull};
	for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++)
		*mmu_entry(&M, root, vas[i], MMU_LEVEL_4K, UF) = 0x5000 | PTE_P;
	struct mmu_range r[] = {{0x1000, 0x2000}, {0x3000, 0x5000}, {0x7FFFFFFF0000ull, 0x800000000000ull}};
	struct seen s = {0};
	mmu_visit_ranges(&M, root, r, 3, record, &s);
	CHECK_EQ(s.n, 4);
	CHECK_EQ(s.va[0], 0x1000);
	CHECK_EQ(s.va[1], 0x3000);
	CHECK_EQ(s.va[2], 0x4000);
	CHECK_EQ(s.va[3], 0x7FFFFFFFF000ull);
}

/* With the ranges an address space recorded (mmu_ranges_add of each page it
 * mapped), freeing returns every user table and leaves the kernel half. */
TEST(mmu_free_ranges_returns_every_table_of_the_recorded_ranges)
{
	uint64_t root = fresh_root();
	struct mmu_ranges rs = {0};
	uint64_t vas[] = {0x400000,	     0x401000,		0x9FF000,
			  0x100000000000ull, 0x7FFFFFFFF000ull, 0x7FFFFFFF0000ull};
	for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++) {
		mmu_ranges_add(&rs, vas[i]);
		*mmu_entry(&M, root, vas[i], MMU_LEVEL_4K, UF) = 0x7000 | PTE_P;
	}
	*mmu_entry(&M, root, 0xFFFFFFFF80000000ull, MMU_LEVEL_4K, PTE_W) = 0x100000 | PTE_P;
	int kernel_tables = 3, cleared = 0;
	mmu_visit_ranges(&M, root, rs.r, rs.n, clear_leaf, &cleared);
	CHECK_EQ(cleared, 6);
	unsigned long n = mmu_free_ranges(&M, root, rs.r, rs.n);
	CHECK_EQ(n, (unsigned long)(allocs - 1 - kernel_tables));
	CHECK_EQ(frees, allocs - 1 - kernel_tables);
	CHECK(mmu_lookup(&M, root, 0xFFFFFFFF80000000ull, NULL) != NULL);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(sim_table(root)[i], 0);
}
