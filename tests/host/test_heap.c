/*
 * test_heap.c - kmalloc's bookkeeping on malloc'd pages: size classes and
 * large blocks, random stress with contents checked, and the debug checks
 * (double free, red-zone overrun, foreign pointers, poison).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/heap_core.h"
#include "unit.h"

/* Page source. Freed runs are kept (quarantined) until the next test, like
 * the kernel's pmm, which leaves a freed page's contents alone: so reading a
 * freed block's header is not a use-after-free under ASan. */
#define MAX_RUNS 4096
static void *quarantine[MAX_RUNS];
static int nquarantine;
static long pages_out;
static int fail_pages; /* page_alloc fails while set */

static void *src_alloc(size_t n)
{
	if (fail_pages)
		return NULL;
	void *p = aligned_alloc(HEAP_PAGE, n * HEAP_PAGE);
	memset(p, 0xA5, n * HEAP_PAGE);
	pages_out += (long)n;
	return p;
}

static void src_free(void *p, size_t n)
{
	pages_out -= (long)n;
	if (nquarantine < MAX_RUNS)
		quarantine[nquarantine++] = p;
	else
		free(p);
}

static struct heap H;

static void fresh(bool debug)
{
	for (int i = 0; i < nquarantine; i++)
		free(quarantine[i]);
	nquarantine = 0;
	pages_out = 0;
	fail_pages = 0;
	heap_core_init(&H, src_alloc, src_free, debug);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

static int intact(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed * 31 + i * 7))
			return 0;
	return 1;
}

TEST(heap_sizes_alignment_and_accounting)
{
	fresh(true);
	static void *ptrs[600];
	size_t total = 0;
	for (int i = 0; i < 600; i++) {
		size_t size = (size_t)i * 11; /* 0 .. 6589: every class and large */
		ptrs[i] = heap_core_alloc(&H, size);
		CHECK(ptrs[i] != NULL);
		CHECK(((uintptr_t)ptrs[i] & 15) == 0);
		fill(ptrs[i], size, (unsigned)i);
		total += size;
		CHECK_EQ(heap_core_size(ptrs[i]), size);
	}
	CHECK_EQ(H.bytes_in_use, total);
	CHECK_EQ(H.blocks, 600);
	CHECK_EQ(H.pages, pages_out);
	for (int i = 0; i < 600; i++) {
		CHECK(intact(ptrs[i], (size_t)i * 11, (unsigned)i));
		CHECK_EQ(heap_core_check(&H, ptrs[i]), 0);
	}
	for (int i = 0; i < 600; i += 2)
		CHECK_EQ(heap_core_free(&H, ptrs[i]), 0);
	for (int i = 1; i < 600; i += 2)
		CHECK(intact(ptrs[i], (size_t)i * 11, (unsigned)i));
	for (int i = 1; i < 600; i += 2)
		CHECK_EQ(heap_core_free(&H, ptrs[i]), 0);
	CHECK_EQ(H.bytes_in_use, 0);
	CHECK_EQ(H.blocks, 0);
	CHECK_EQ(H.pages, 0);
	CHECK_EQ(pages_out, 0); /* every slab went back */
}

TEST(heap_random_stress)
{
	for (int debug = 0; debug < 2; debug++) {
		fresh(debug);
		enum { SLOTS = 512 };
		static uint8_t *p[SLOTS];
		static size_t sz[SLOTS];
		memset(p, 0, sizeof p);
		unsigned rng = 12345;
		size_t live = 0;
		for (int op = 0; op < 30000; op++) {
			rng = rng * 1103515245 + 12345;
			int k = (int)((rng >> 8) % SLOTS);
			if (p[k]) {
				CHECK(intact(p[k], sz[k], (unsigned)k));
				CHECK_EQ(heap_core_free(&H, p[k]), 0);
				live -= sz[k];
				p[k] = NULL;
				continue;
			}
			rng = rng * 1103515245 + 12345;
			sz[k] = (rng >> 4) % 8 == 0 ? (rng >> 8) % 20000 : (rng >> 8) % 700;
			p[k] = heap_core_alloc(&H, sz[k]);
			CHECK(p[k] != NULL);
			fill(p[k], sz[k], (unsigned)k);
			live += sz[k];
			CHECK_EQ(H.bytes_in_use, live);
		}
		for (int k = 0; k < SLOTS; k++)
			if (p[k]) {
				CHECK(intact(p[k], sz[k], (unsigned)k));
				CHECK_EQ(heap_core_free(&H, p[k]), 0);
			}
		CHECK_EQ(H.bytes_in_use, 0);
		CHECK_EQ(pages_out, 0);
	}
}

TEST(heap_overrun_is_detected_at_every_size)
{
	fresh(true);
	size_t sizes[] = {0, 1, 15, 16, 24, 40, 1000, 1992, 1993, 4000, 4072, 4073, 10000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *p = heap_core_alloc(&H, sizes[i]);
		CHECK(p != NULL);
		memset(p, 0x11, sizes[i]); /* writing all of it is fine */
		CHECK_EQ(heap_core_check(&H, p), 0);
		uint8_t saved = p[sizes[i]];
		p[sizes[i]] ^= 0xFF; /* one byte past the end */
		CHECK_EQ(heap_core_check(&H, p), HEAP_ERR_OVERRUN);
		size_t before = H.bytes_in_use;
		CHECK_EQ(heap_core_free(&H, p), HEAP_ERR_OVERRUN);
		CHECK_EQ(H.bytes_in_use, before); /* refused: nothing changed */
		p[sizes[i]] = saved;
		CHECK_EQ(heap_core_free(&H, p), 0);
	}
	CHECK_EQ(H.bytes_in_use, 0);
	CHECK_EQ(pages_out, 0);
}

/* The red zone is checked a word at a time: a byte changed anywhere in it
 * (head, the aligned middle, the tail), of a small block or a large one, is
 * found. */
TEST(heap_overrun_anywhere_in_the_red_zone_is_detected)
{
	fresh(true);
	size_t sizes[] = {1, 13, 100, 1993, 4073, 9000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *p = heap_core_alloc(&H, sizes[i]);
		CHECK(p != NULL);
		size_t slack = heap_core_capacity(p) - sizes[i];
		CHECK(slack >= 8);
		size_t at[] = {0, 1, 7, 8, slack / 2, slack - 9, slack - 1};
		for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
			p[sizes[i] + at[k]] ^= 0x40;
			CHECK_EQ(heap_core_check(&H, p), HEAP_ERR_OVERRUN);
			p[sizes[i] + at[k]] ^= 0x40;
			CHECK_EQ(heap_core_check(&H, p), 0);
		}
		CHECK_EQ(heap_core_free(&H, p), 0);
	}
	CHECK_EQ(pages_out, 0);
}

TEST(heap_double_free_and_foreign_pointers)
{
	fresh(true);
	uint8_t *keep = heap_core_alloc(&H, 40); /* keeps the slab alive */
	uint8_t *a = heap_core_alloc(&H, 40);
	CHECK_EQ(heap_core_free(&H, a), 0);
	CHECK_EQ(heap_core_check(&H, a), HEAP_ERR_FREED);
	CHECK_EQ(heap_core_free(&H, a), HEAP_ERR_FREED);
	for (size_t i = 0; i < 32; i++) /* freed payload is poisoned */
		CHECK_EQ(a[i], 0xDF);
	uint8_t *big = heap_core_alloc(&H, 9000);
	CHECK_EQ(heap_core_free(&H, big), 0);
	CHECK_EQ(heap_core_free(&H, big), HEAP_ERR_FREED);

	CHECK_EQ(heap_core_check(&H, keep + 16), HEAP_ERR_NOT_BLOCK); /* inside a block */
	CHECK_EQ(heap_core_check(&H, keep + 1), HEAP_ERR_NOT_BLOCK); /* unaligned */
	CHECK_EQ(heap_core_check(&H, NULL), HEAP_ERR_NOT_BLOCK);
	uint8_t *page = aligned_alloc(HEAP_PAGE, HEAP_PAGE);
	memset(page, 0, HEAP_PAGE);
	CHECK_EQ(heap_core_check(&H, page + 16), HEAP_ERR_NOT_BLOCK); /* not the heap's */
	CHECK_EQ(heap_core_check(&H, page + 128), HEAP_ERR_NOT_BLOCK);
	free(page);
	/* a damaged header */
	uint32_t magic;
	memcpy(&magic, keep - 16, 4);
	memset(keep - 16, 0, 4);
	CHECK_EQ(heap_core_free(&H, keep), HEAP_ERR_NOT_BLOCK);
	memcpy(keep - 16, &magic, 4);
	CHECK_EQ(heap_core_free(&H, keep), 0);
	CHECK_EQ(pages_out, 0);
}

TEST(heap_without_debug_still_catches_double_free)
{
	fresh(false);
	uint8_t *keep = heap_core_alloc(&H, 24);
	uint8_t *a = heap_core_alloc(&H, 24);
	a[24] = 0x77; /* lands in slack: not checked without debug */
	CHECK_EQ(heap_core_check(&H, a), 0);
	CHECK_EQ(heap_core_free(&H, a), 0);
	CHECK_EQ(heap_core_free(&H, a), HEAP_ERR_FREED);
	CHECK_EQ(heap_core_free(&H, keep), 0);
	CHECK_EQ(pages_out, 0);
}

TEST(heap_out_of_pages_and_huge_requests)
{
	fresh(true);
	fail_pages = 1;
	CHECK(heap_core_alloc(&H, 10) == NULL);
	CHECK(heap_core_alloc(&H, 100000) == NULL);
	CHECK_EQ(H.bytes_in_use, 0);
	CHECK_EQ(H.blocks, 0);
	fail_pages = 0;
	CHECK(heap_core_alloc(&H, (size_t)HEAP_MAX_SIZE + 1) == NULL);
	CHECK(heap_core_alloc(&H, ~(size_t)0) == NULL);
	/* a full slab leaves the partial list; freeing one block puts it back */
	void *p[126];
	for (int i = 0; i < 126; i++) /* 32-byte class: 126 per page */
		p[i] = heap_core_alloc(&H, 8);
	CHECK_EQ(H.pages, 1);
	void *next = heap_core_alloc(&H, 8);
	CHECK_EQ(H.pages, 2);
	CHECK_EQ(heap_core_free(&H, p[5]), 0);
	void *again = heap_core_alloc(&H, 8);
	CHECK(again == p[5]);
	CHECK_EQ(H.pages, 2);
	for (int i = 0; i < 126; i++)
		CHECK_EQ(heap_core_free(&H, p[i]), 0);
	CHECK_EQ(heap_core_free(&H, next), 0);
	CHECK_EQ(pages_out, 0);
}
