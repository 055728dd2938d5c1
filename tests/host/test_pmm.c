/*
 * test_pmm.c - the physical page allocator on odd memory maps: overlapping
 * and unaligned regions, RAM above 4 GiB, modules inside usable RAM,
 * exhaustion, contiguous runs, reference counts and misuse.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/pmm_core.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PG PMM_PAGE

/* Simulated RAM for the bookkeeping: physical [0, 32 MiB). Anything the
 * allocator writes elsewhere is a bug: abort so the test fails loudly. */
#define SIM_SIZE (32 * MiB)
static uint8_t *sim;

static void *virt(uint64_t pa)
{
	if (pa >= SIM_SIZE) {
		fprintf(stderr, "pmm wrote outside simulated RAM: %#llx\n", (unsigned long long)pa);
		abort();
	}
	return sim + pa;
}

static struct pmm P;

static void region(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
	bi->regions[bi->region_count++] = (struct boot_region){base, len, type};
}

static void sim_reset(struct bootinfo *bi)
{
	if (!sim)
		sim = malloc(SIM_SIZE);
	memset(sim, 0x5A, SIM_SIZE);
	memset(bi, 0, sizeof *bi);
}

/* A PC-like map: low RAM, 127 MiB from 1 MiB, a reserved BIOS area. */
static void pc_map(struct bootinfo *bi)
{
	sim_reset(bi);
	region(bi, 0, 0x9FC00, BOOT_MEM_USABLE);
	region(bi, 0x9FC00, 0x400, BOOT_MEM_RESERVED);
	region(bi, 0xF0000, 0x10000, BOOT_MEM_RESERVED);
	region(bi, MiB, 127 * MiB, BOOT_MEM_USABLE);
	region(bi, 0xFFFC0000, 0x40000, BOOT_MEM_RESERVED);
}

/* Allocates every page; checks each is distinct, aligned and passes ok(). */
static size_t drain(uint64_t *out, size_t max, int (*ok)(uint64_t))
{
	size_t n = 0;
	uint64_t pa;
	while ((pa = pmm_core_alloc(&P)) != 0) {
		CHECK(n < max);
		if (n >= max)
			break;
		CHECK((pa & (PG - 1)) == 0);
		CHECK(ok(pa));
		out[n++] = pa;
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void free_all(uint64_t *pages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(pmm_core_free(&P, pages[i]), 0);
}

static int pc_ok(uint64_t pa)
{
	/* not low memory, not the kernel image, not the bookkeeping */
	return pa >= MiB && !(pa >= MiB && pa < 3 * MiB) &&
	       !(pa >= P.meta_pa && pa < P.meta_pa + P.meta_bytes) && pa < 128 * MiB;
}

TEST(pmm_pc_map_exhaust_and_refill)
{
	struct bootinfo bi;
	pc_map(&bi);
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	size_t meta_pages = P.meta_bytes / PG;
	CHECK(meta_pages >= 1);
	CHECK_EQ(P.total, (125 * MiB) / PG - meta_pages);
	CHECK_EQ(P.free, P.total);
	CHECK_EQ(P.ram_bytes, 0x9F000 + 127 * MiB);

	static uint64_t pages[40000];
	size_t n = drain(pages, 40000, pc_ok);
	CHECK_EQ(n, P.total);
	CHECK_EQ(P.free, 0);
	qsort(pages, n, sizeof pages[0], cmp_u64);
	for (size_t i = 1; i < n; i++)
		CHECK(pages[i] != pages[i - 1]);
	CHECK_EQ(pmm_core_alloc(&P), 0);
	free_all(pages, n);
	CHECK_EQ(P.free, P.total);
	/* and everything can be had again */
	CHECK_EQ(drain(pages, 40000, pc_ok), P.total);
	free_all(pages, P.total);
}

TEST(pmm_misuse_is_reported_not_obeyed)
{
	struct bootinfo bi;
	pc_map(&bi);
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	uint64_t pa = pmm_core_alloc(&P);
	CHECK(pa != 0);
	CHECK_EQ(pmm_core_free(&P, pa), 0);
	size_t before = P.free;
	CHECK_EQ(pmm_core_free(&P, pa), PMM_ERR_FREE); /* double free */
	CHECK_EQ(pmm_core_free(&P, 2 * MiB), PMM_ERR_UNMANAGED); /* kernel image */
	CHECK_EQ(pmm_core_free(&P, 0), PMM_ERR_UNMANAGED); /* page 0 */
	CHECK_EQ(pmm_core_free(&P, 0x9F000), PMM_ERR_UNMANAGED); /* low 1 MiB */
	CHECK_EQ(pmm_core_free(&P, P.meta_pa), PMM_ERR_UNMANAGED); /* bookkeeping */
	CHECK_EQ(pmm_core_free(&P, 200 * MiB), PMM_ERR_UNMANAGED); /* no RAM there */
	CHECK_EQ(pmm_core_free(&P, pa + 8), PMM_ERR_UNMANAGED); /* unaligned */
	CHECK_EQ(pmm_core_get(&P, pa), PMM_ERR_FREE);
	CHECK_EQ(pmm_core_refcount(&P, pa), 0);
	CHECK_EQ(pmm_core_refcount(&P, 2 * MiB), PMM_ERR_UNMANAGED);
	CHECK_EQ(P.free, before);
}

TEST(pmm_refcounts)
{
	struct bootinfo bi;
	pc_map(&bi);
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	uint64_t pa = pmm_core_alloc(&P);
	size_t free0 = P.free;
	CHECK_EQ(pmm_core_refcount(&P, pa), 1);
	CHECK_EQ(pmm_core_get(&P, pa), 0);
	CHECK_EQ(pmm_core_refcount(&P, pa), 2);
	CHECK_EQ(pmm_core_free(&P, pa), 0);
	CHECK_EQ(P.free, free0); /* still referenced */
	CHECK_EQ(pmm_core_refcount(&P, pa), 1);
	for (int i = 1; i < PMM_REF_MAX; i++)
		CHECK_EQ(pmm_core_get(&P, pa), 0);
	CHECK_EQ(pmm_core_get(&P, pa), -EOVERFLOW);
	for (int i = 0; i < PMM_REF_MAX; i++)
		CHECK_EQ(pmm_core_free(&P, pa), 0);
	CHECK_EQ(P.free, free0 + 1);
	CHECK_EQ(pmm_core_refcount(&P, pa), 0);
}

TEST(pmm_overlapping_and_unaligned_regions)
{
	struct bootinfo bi;
	sim_reset(&bi);
	region(&bi, 0x100123, 4 * MiB, BOOT_MEM_USABLE); /* unaligned both ends */
	region(&bi, 3 * MiB, 10 * MiB, BOOT_MEM_USABLE); /* overlaps the first */
	region(&bi, 8 * MiB + 100, 5000, BOOT_MEM_RESERVED); /* inside: reserved wins */
	region(&bi, 12 * MiB + 0x800, 0x1000, BOOT_MEM_ACPI); /* straddles two pages */
	region(&bi, 2 * MiB, 4 * MiB, BOOT_MEM_USABLE); /* fully inside */
	region(&bi, 20 * MiB, 0, BOOT_MEM_USABLE); /* empty */
	region(&bi, 30 * MiB, 4 * MiB, BOOT_MEM_BAD); /* bad, no RAM around */
	CHECK_EQ(pmm_core_init(&P, &bi, 0, 0, 4 * GiB, virt), 0);
	CHECK_EQ(P.ram_bytes, 13 * MiB - 0x101000);
	CHECK_EQ(pmm_core_refcount(&P, 0x100000), PMM_ERR_UNMANAGED); /* partial first page */
	CHECK_EQ(pmm_core_refcount(&P, 8 * MiB), PMM_ERR_UNMANAGED);
	CHECK_EQ(pmm_core_refcount(&P, 8 * MiB + PG), PMM_ERR_UNMANAGED);
	CHECK_EQ(pmm_core_refcount(&P, 8 * MiB + 2 * PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 8 * MiB - PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 12 * MiB), PMM_ERR_UNMANAGED);
	CHECK_EQ(pmm_core_refcount(&P, 12 * MiB + PG), PMM_ERR_UNMANAGED);
	CHECK_EQ(pmm_core_refcount(&P, 12 * MiB + 2 * PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 13 * MiB - PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 13 * MiB), PMM_ERR_UNMANAGED);
	/* bookkeeping sits at the lowest managed page */
	CHECK_EQ(P.meta_pa, 0x101000);
	size_t expect = (13 * MiB - 0x101000) / PG - 2 - 2 - P.meta_bytes / PG;
	CHECK_EQ(P.total, expect);
}

TEST(pmm_ram_above_4g_and_the_limit)
{
	struct bootinfo bi;
	sim_reset(&bi);
	region(&bi, MiB, 15 * MiB, BOOT_MEM_USABLE);
	region(&bi, 0xC0000000, GiB, BOOT_MEM_RESERVED); /* PCI hole */
	region(&bi, 4 * GiB, 64 * MiB, BOOT_MEM_USABLE);
	region(&bi, 0x7FFFFFFF000ull, 3 * PG, BOOT_MEM_USABLE); /* 8 TiB */
	region(&bi, 0xFFFFFFFFFFFFF000ull, 0x10000, BOOT_MEM_USABLE); /* wraps: clipped */
	CHECK_EQ(pmm_core_init(&P, &bi, 2 * MiB, 3 * MiB, 4 * GiB, virt), 0);
	size_t low = (14 * MiB) / PG - P.meta_bytes / PG;
	CHECK_EQ(P.total, low + (64 * MiB) / PG + 3);
	static uint64_t pages[20000];
	size_t n = 0;
	uint64_t pa;
	while ((pa = pmm_core_alloc(&P)) != 0 && n < 20000) {
		CHECK(pa < 16 * MiB);
		pages[n++] = pa;
	}
	CHECK_EQ(n, low);
	CHECK_EQ(pmm_core_alloc_contig(&P, 2, 1), 0);
	pmm_core_set_limit(&P, ~0ull);
	while ((pa = pmm_core_alloc(&P)) != 0 && n < 20000) {
		bool above_4g = pa >= 4 * GiB && pa < 4 * GiB + 64 * MiB;
		CHECK(above_4g || (pa >= 0x7FFFFFFF000ull && pa < 0x80000002000ull));
		pages[n++] = pa;
	}
	CHECK_EQ(n, P.total);
	free_all(pages, n);
	CHECK_EQ(P.free, P.total);
}

TEST(pmm_modules_and_boot_info_inside_ram)
{
	struct bootinfo bi;
	pc_map(&bi);
	bi.modules[0] = (struct boot_module){5 * MiB + 100, 6 * MiB + 1, "initfs"};
	bi.modules[1] = (struct boot_module){40 * MiB, 40 * MiB, "empty"};
	bi.module_count = 2;
	bi.info_phys = 0x300010;
	bi.info_size = 0x300;
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	CHECK_EQ(pmm_core_refcount(&P, 5 * MiB - PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 5 * MiB), PMM_ERR_UNMANAGED);
	CHECK_EQ(pmm_core_refcount(&P, 6 * MiB), PMM_ERR_UNMANAGED); /* last byte's page */
	CHECK_EQ(pmm_core_refcount(&P, 6 * MiB + PG), 0);
	CHECK_EQ(pmm_core_refcount(&P, 0x300000), PMM_ERR_UNMANAGED);
	CHECK(P.meta_pa != 0x300000);
	CHECK_EQ(P.module_bytes, MiB + 1 - 100);
	static uint64_t pages[40000];
	size_t n = 0;
	uint64_t pa;
	while ((pa = pmm_core_alloc(&P)) != 0 && n < 40000) {
		CHECK(!(pa >= 5 * MiB && pa <= 6 * MiB));
		CHECK(pa != 0x300000);
		pages[n++] = pa;
	}
	CHECK_EQ(n, P.total);
	free_all(pages, n);
}

TEST(pmm_contiguous_runs)
{
	struct bootinfo bi;
	pc_map(&bi);
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	uint64_t run = pmm_core_alloc_contig(&P, 16, 16);
	CHECK(run != 0);
	CHECK_EQ(run % (16 * PG), 0);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(pmm_core_refcount(&P, run + i * PG), 1);
	uint64_t big = pmm_core_alloc_contig(&P, 512, 512); /* a 2 MiB page */
	CHECK(big != 0 && big % (2 * MiB) == 0);
	CHECK_EQ(pmm_core_alloc_contig(&P, 3, 3), 0); /* alignment not a power of two */
	CHECK_EQ(pmm_core_alloc_contig(&P, 0, 1), 0);
	CHECK_EQ(pmm_core_alloc_contig(&P, 1u << 20, 1), 0); /* more than exists */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(pmm_core_free(&P, run + i * PG), 0);
	for (int i = 0; i < 512; i++)
		CHECK_EQ(pmm_core_free(&P, big + i * PG), 0);
	CHECK_EQ(P.free, P.total);

	/* fragment: take everything, give back every other page */
	static uint64_t pages[40000];
	size_t n = drain(pages, 40000, pc_ok);
	qsort(pages, n, sizeof pages[0], cmp_u64);
	for (size_t i = 0; i < n; i += 2)
		CHECK_EQ(pmm_core_free(&P, pages[i]), 0);
	CHECK_EQ(pmm_core_alloc_contig(&P, 2, 1), 0);
	size_t k = n / 2 & ~(size_t)1; /* an even index: pages[k] free, pages[k+1] not */
	CHECK(pages[k + 1] == pages[k] + PG);
	CHECK_EQ(pmm_core_free(&P, pages[k + 1]), 0);
	uint64_t two = pmm_core_alloc_contig(&P, 2, 1);
	CHECK_EQ(two, pages[k]);
	CHECK_EQ(pmm_core_free(&P, two), 0);
	CHECK_EQ(pmm_core_free(&P, two + PG), 0);
	for (size_t i = 1; i < n; i += 2)
		if (i != k + 1)
			CHECK_EQ(pmm_core_free(&P, pages[i]), 0);
	CHECK_EQ(P.free, P.total);
}

TEST(pmm_no_room_for_bookkeeping)
{
	struct bootinfo bi;
	sim_reset(&bi);
	region(&bi, 8 * GiB, 64 * MiB, BOOT_MEM_USABLE); /* nothing below the limit */
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 2 * MiB, 4 * GiB, virt), -ENOMEM);
	sim_reset(&bi);
	region(&bi, 0, 0x9FC00, BOOT_MEM_USABLE); /* only the first MiB */
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 2 * MiB, 4 * GiB, virt), -ENOMEM);
	sim_reset(&bi);
	region(&bi, MiB, PG, BOOT_MEM_USABLE); /* one page: all bookkeeping */
	CHECK_EQ(pmm_core_init(&P, &bi, 0, 0, 4 * GiB, virt), 0);
	CHECK_EQ(P.total, 0);
	CHECK_EQ(pmm_core_alloc(&P), 0);
	CHECK_EQ(pmm_core_alloc_contig(&P, 4, 1), 0);
}

/* A contiguous search starts at the lowest free page it remembers
 * (low_free): pages freed below it must be found again, the lowest run
 * first, and a run must not be taken across a range's end (a hole). */
TEST(pmm_contig_finds_runs_freed_below_earlier_searches)
{
	struct bootinfo bi;
	pc_map(&bi);
	CHECK_EQ(pmm_core_init(&P, &bi, MiB, 3 * MiB, 4 * GiB, virt), 0);
	uint64_t a = pmm_core_alloc_contig(&P, 3, 1), b = pmm_core_alloc_contig(&P, 3, 1);
	CHECK(a != 0 && b != 0 && a < b);
	uint64_t c = pmm_core_alloc_contig(&P, 2, 1);
	CHECK(c > b);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pmm_core_free(&P, a + i * PG), 0);
	CHECK_EQ(pmm_core_alloc_contig(&P, 2, 1), a); /* below where the last search ended */
	CHECK_EQ(pmm_core_alloc_contig(&P, 2, 1), c + 2 * PG); /* a's last page alone is too short */
	/* every run handed out lies inside one range */
	static uint64_t runs[20000];
	size_t n = 0;
	uint64_t r;
	while (n < 20000 && (r = pmm_core_alloc_contig(&P, 7, 1)) != 0) {
		CHECK_EQ(pmm_core_refcount(&P, r + 6 * PG), 1);
		bool inside = false;
		for (size_t g = 0; g < P.nranges; g++)
			inside |= r >= P.range[g].start && r + 7 * PG <= P.range[g].end;
		CHECK(inside);
		runs[n++] = r;
	}
	CHECK(n > 100);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 7; k++)
			CHECK_EQ(pmm_core_free(&P, runs[i] + k * PG), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pmm_core_free(&P, b + i * PG), 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(pmm_core_free(&P, c + i * PG), 0);
		CHECK_EQ(pmm_core_free(&P, a + i * PG), 0);
		CHECK_EQ(pmm_core_free(&P, c + (2 + i) * PG), 0);
	}
	CHECK_EQ(P.free, P.total);
}
