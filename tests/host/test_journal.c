/*
 * test_journal.c - the snapshot journal's bookkeeping (kernel/mm/journal_core.c)
 * on simulated page tables and pages: commit keeps a run and re-freezes,
 * rollback restores exact entries, reference counts and contents; map, unmap
 * and protect inside a run; a page listed once; failures that change
 * nothing; random runs against a full-state comparison; commit's cost.
 *
 * The space operations below (map, unmap, protect, write) change entries the
 * way kernel/mm/vm_space.c does; a page's "contents" is one 64-bit value.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/journal_core.h"
#include "unit.h"

#define TABLES 64
#define TABLE_BASE 0x40000000ull
#define PAGES 512
#define PAGE_BASE 0x80000000ull
#define PG 4096ull
#define UF (PTE_W | PTE_U)
static const struct mmu_range ALL_USER = {0, 1ull << 47}; /* the whole user half */

static pte_t *pool;
static bool table_used[TABLES];
static unsigned long table_reads; /* walker steps: what commit's cost is measured in */
static uint16_t refs[PAGES];
static uint64_t content[PAGES];
static unsigned long page_puts;
static int resize_fail, get_fail;

static pte_t *sim_table(uint64_t pa)
{
	if (pa < TABLE_BASE || pa >= TABLE_BASE + TABLES * PG || (pa & (PG - 1)))
		fprintf(stderr, "not a table: %#llx\n", (unsigned long long)pa), abort();
	table_reads++;
	return pool + (pa - TABLE_BASE) / 8;
}

static uint64_t sim_table_alloc(void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < TABLES; i++) {
		if (!table_used[i]) {
			table_used[i] = true;
			memset(pool + i * 512, 0, PG);
			return TABLE_BASE + i * PG;
		}
	}
	return 0;
}

static void sim_table_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	table_used[(pa - TABLE_BASE) / PG] = false;
}

static const struct mmu M = {sim_table, sim_table_alloc, sim_table_free, NULL};

static unsigned page_index(uint64_t pa)
{
	unsigned i = (unsigned)((pa - PAGE_BASE) / PG);
	if (pa < PAGE_BASE || i >= PAGES || (pa & (PG - 1)) || !refs[i])
		fprintf(stderr, "not an allocated page: %#llx\n", (unsigned long long)pa), abort();
	return i;
}

static int sim_get(uint64_t pa)
{
	unsigned i = page_index(pa);
	if (get_fail)
		return -EOVERFLOW;
	refs[i]++;
	return 0;
}

static void sim_put(uint64_t pa)
{
	refs[page_index(pa)]--;
	page_puts++;
}

static void *sim_resize(void *p, size_t bytes)
{
	if (bytes == 0) {
		free(p);
		return NULL;
	}
	return resize_fail ? NULL : realloc(p, bytes);
}

static const struct journal_ops OPS = {&M, sim_get, sim_put, sim_resize};

static uint64_t page_alloc(uint64_t value)
{
	for (unsigned i = 0; i < PAGES; i++) {
		if (!refs[i]) {
			refs[i] = 1;
			content[i] = value;
			return PAGE_BASE + i * PG;
		}
	}
	fprintf(stderr, "out of simulated pages\n"), abort();
}

/* ---- a space, changed as vm_space.c changes one ---- */

struct space {
	uint64_t root;
	struct journal j;
	size_t mappings, at_begin;
};

static struct space S;

static void space_reset(void)
{
	if (!pool)
		pool = aligned_alloc(PG, TABLES * PG);
	memset(table_used, 0, sizeof table_used);
	memset(refs, 0, sizeof refs);
	memset(content, 0, sizeof content);
	journal_core_destroy(&S.j);
	S = (struct space){.root = sim_table_alloc(NULL)};
	resize_fail = get_fail = 0;
}

static pte_t *lookup(uint64_t va)
{
	return mmu_lookup(&M, S.root, va, NULL);
}

static int map(uint64_t va, uint64_t pa, pte_t bits)
{
	pte_t *e = mmu_entry(&M, S.root, va, MMU_LEVEL_4K, UF);
	if (*e & PTE_P)
		return -EEXIST;
	int err = journal_core_set(&S.j, va, e, pa | PTE_P | bits);
	if (!err)
		S.mappings++;
	return err;
}

static int unmap(uint64_t va)
{
	pte_t *e = lookup(va);
	if (!e)
		return -EFAULT;
	pte_t old = *e;
	int err = journal_core_set(&S.j, va, e, 0);
	if (err)
		return err;
	S.mappings--;
	sim_put(old & PTE_ADDR);
	return 0;
}

static int protect(uint64_t va, pte_t bits)
{
	pte_t *e = lookup(va);
	if (!e)
		return -EFAULT;
	int err = journal_core_record(&S.j, va, e);
	if (err)
		return err;
	pte_t keep = *e & (PTE_ADDR | PTE_JOURNALED);
	if ((bits & PTE_W) && refs[page_index(keep & PTE_ADDR)] > 1)
		bits = (bits & ~PTE_W) | PTE_COW;
	*e = keep | PTE_P | bits;
	return 0;
}

/* A user write: breaks copy-on-write like the fault path, then stores value. */
static int write_page(uint64_t va, uint64_t value)
{
	pte_t *e = lookup(va);
	if (!e)
		return -EFAULT;
	if (*e & PTE_COW) {
		int err = journal_core_record(&S.j, va, e);
		if (err)
			return err;
		uint64_t old = *e & PTE_ADDR;
		if (refs[page_index(old)] == 1) {
			*e = (*e & ~PTE_COW) | PTE_W;
		} else {
			uint64_t pa = page_alloc(content[page_index(old)]);
			*e = (*e & ~(PTE_ADDR | PTE_COW)) | pa | PTE_W;
			sim_put(old);
		}
	}
	if (!(*e & PTE_W))
		return -EFAULT;
	content[page_index(*e & PTE_ADDR)] = value;
	return 0;
}

static uint64_t read_page(uint64_t va)
{
	pte_t *e = lookup(va);
	return e ? content[page_index(*e & PTE_ADDR)] : ~0ull;
}

static int begin(void)
{
	S.at_begin = S.mappings;
	return journal_core_begin(&S.j, &OPS, S.root);
}

static size_t rollback(void)
{
	S.mappings = S.at_begin;
	return journal_core_rollback(&S.j);
}

/* ---- whole-state dumps ---- */

/* The addresses the tests use: two page tables, far apart. */
#define VAS 48
static uint64_t va_of(unsigned i)
{
	return i < VAS / 2 ? 0x400000 + i * PG : 0x7F0000000000ull + (i - VAS / 2) * PG;
}

struct state {
	pte_t pte[VAS];
	uint16_t refs[PAGES];
	uint64_t content[PAGES];
	size_t mappings;
};

static void dump(struct state *st)
{
	for (unsigned i = 0; i < VAS; i++) {
		pte_t *e = mmu_entry(&M, S.root, va_of(i), MMU_LEVEL_4K, 0);
		st->pte[i] = e ? *e : 0;
	}
	memcpy(st->refs, refs, sizeof refs);
	for (unsigned i = 0; i < PAGES; i++)
		st->content[i] = refs[i] ? content[i] : 0;
	st->mappings = S.mappings;
}

/* Whether the space is now exactly as dumped in start. */
static bool same_as(const struct state *start)
{
	static struct state now;
	dump(&now);
	return memcmp(start, &now, sizeof now) == 0;
}

/* After a commit: nothing listed, nothing writable, references add up. */
static void check_frozen(const uint16_t *others)
{
	uint16_t held[PAGES] = {0};
	for (unsigned i = 0; i < VAS; i++) {
		pte_t *e = mmu_entry(&M, S.root, va_of(i), MMU_LEVEL_4K, 0);
		pte_t v = e ? *e : 0;
		CHECK(!(v & (PTE_JOURNALED | PTE_W)));
		if (v & PTE_P)
			held[page_index(v & PTE_ADDR)]++;
	}
	for (unsigned i = 0; i < PAGES; i++)
		CHECK_EQ(refs[i], held[i] + (others ? others[i] : 0));
}

/* Maps n zero-based pages writable with contents 100 + i, then freezes. */
static void frozen_space(unsigned n)
{
	space_reset();
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(map(va_of(i), page_alloc(100 + i), UF), 0);
	CHECK_EQ(journal_core_freeze(&M, S.root, &ALL_USER, 1), n);
}

/* ---- tests ---- */

TEST(journal_freeze_makes_writable_pages_cow)
{
	frozen_space(3);
	CHECK_EQ(protect(va_of(2), PTE_U), 0); /* read-only stays read-only */
	journal_core_freeze(&M, S.root, &ALL_USER, 1);
	CHECK_EQ(*lookup(va_of(0)) & (PTE_W | PTE_COW), PTE_COW);
	CHECK_EQ(*lookup(va_of(2)) & (PTE_W | PTE_COW), 0);
	check_frozen(NULL);
	CHECK_EQ(write_page(va_of(0), 7), 0); /* not recording: the last holder writes in place */
	CHECK_EQ(*lookup(va_of(0)) & (PTE_ADDR | PTE_W | PTE_COW), PAGE_BASE | PTE_W);
}

TEST(journal_commit_keeps_writes_and_refreezes)
{
	frozen_space(4);
	uint64_t orig = *lookup(va_of(1)) & PTE_ADDR;
	CHECK_EQ(begin(), 0);
	CHECK_EQ(begin(), -EBUSY);
	CHECK_EQ(write_page(va_of(1), 555), 0);
	uint64_t copy = *lookup(va_of(1)) & PTE_ADDR;
	CHECK(copy != orig); /* copied though nobody else shares it */
	CHECK_EQ(refs[page_index(orig)], 1); /* the journal's */
	CHECK_EQ(content[page_index(orig)], 101);
	CHECK_EQ(write_page(va_of(1), 556), 0); /* already private: no second copy */
	CHECK_EQ(*lookup(va_of(1)) & PTE_ADDR, copy);
	CHECK_EQ(S.j.count, 1);
	CHECK_EQ(journal_core_commit(&S.j), 1);
	CHECK_EQ(refs[(orig - PAGE_BASE) / PG], 0); /* original freed */
	CHECK_EQ(read_page(va_of(1)), 556);
	CHECK_EQ(*lookup(va_of(1)) & (PTE_W | PTE_COW | PTE_JOURNALED), PTE_COW);
	check_frozen(NULL);
	/* the next run copies the committed page in turn */
	CHECK_EQ(begin(), 0);
	CHECK_EQ(write_page(va_of(1), 557), 0);
	CHECK((*lookup(va_of(1)) & PTE_ADDR) != copy);
	CHECK_EQ(journal_core_commit(&S.j), 1);
	CHECK_EQ(journal_core_commit(&S.j), 0); /* not recording */
	CHECK_EQ(read_page(va_of(1)), 557);
	journal_core_destroy(&S.j);
}

TEST(journal_rollback_restores_entries_references_contents)
{
	frozen_space(4);
	struct state start;
	dump(&start);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(write_page(va_of(0), 1), 0);
	CHECK_EQ(write_page(va_of(3), 3), 0);
	CHECK_EQ(rollback(), 2);
	CHECK(same_as(&start));
	CHECK_EQ(read_page(va_of(0)), 100);
	CHECK_EQ(read_page(va_of(3)), 103);
	CHECK_EQ(rollback(), 0); /* not recording */
	journal_core_destroy(&S.j);
}

TEST(journal_map_unmap_protect_inside_a_run)
{
	frozen_space(3);
	CHECK_EQ(protect(va_of(2), PTE_U), 0); /* a read-only page in the snapshot */
	struct state start;
	dump(&start);
	for (int keep = 0; keep < 2; keep++) {
		CHECK_EQ(begin(), 0);
		CHECK_EQ(map(va_of(30), page_alloc(9), UF), 0); /* new page: "was unmapped" */
		CHECK_EQ(write_page(va_of(30), 10), 0);
		uint64_t gone = *lookup(va_of(0)) & PTE_ADDR;
		CHECK_EQ(unmap(va_of(0)), 0);
		CHECK_EQ(refs[page_index(gone)], 1); /* the journal holds it now */
		CHECK_EQ(protect(va_of(2), UF), 0); /* made writable: still copied on write */
		CHECK_EQ(*lookup(va_of(2)) & (PTE_W | PTE_COW), PTE_COW);
		CHECK_EQ(write_page(va_of(2), 22), 0);
		CHECK_EQ(S.j.count, 3);
		if (!keep) {
			CHECK_EQ(rollback(), 3);
			CHECK(same_as(&start));
			continue;
		}
		CHECK_EQ(journal_core_commit(&S.j), 3);
		CHECK(lookup(va_of(0)) == NULL);
		CHECK_EQ(*mmu_entry(&M, S.root, va_of(0), MMU_LEVEL_4K, 0), 0); /* no mark left */
		CHECK_EQ(refs[(gone - PAGE_BASE) / PG], 0);
		CHECK_EQ(read_page(va_of(30)), 10);
		CHECK_EQ(read_page(va_of(2)), 22);
		CHECK_EQ(*lookup(va_of(30)) & (PTE_W | PTE_COW), PTE_COW);
		check_frozen(NULL);
	}
	journal_core_destroy(&S.j);
}

TEST(journal_lists_a_page_once)
{
	frozen_space(2);
	uint64_t orig = *lookup(va_of(0)) & PTE_ADDR;
	CHECK_EQ(begin(), 0);
	CHECK_EQ(protect(va_of(0), PTE_U), 0);
	CHECK_EQ(refs[page_index(orig)], 2); /* mapping + journal */
	CHECK_EQ(protect(va_of(0), UF), 0);
	CHECK_EQ(write_page(va_of(0), 1), 0);
	CHECK_EQ(unmap(va_of(0)), 0);
	CHECK_EQ(map(va_of(0), page_alloc(2), PTE_U), 0);
	CHECK_EQ(unmap(va_of(0)), 0);
	CHECK_EQ(map(va_of(0), page_alloc(3), UF), 0);
	CHECK_EQ(S.j.count, 1);
	CHECK_EQ(refs[page_index(orig)], 1);
	CHECK_EQ(rollback(), 1);
	CHECK_EQ(*lookup(va_of(0)) & PTE_ADDR, orig);
	CHECK_EQ(read_page(va_of(0)), 100);
	check_frozen(NULL);
	journal_core_destroy(&S.j);
}

TEST(journal_failures_change_nothing)
{
	frozen_space(2);
	struct state start;
	dump(&start);
	CHECK_EQ(begin(), 0);
	get_fail = 1; /* the page's reference count is full */
	CHECK_EQ(write_page(va_of(0), 5), -ENOMEM);
	get_fail = 0;
	CHECK(same_as(&start));
	/* fill the list to its capacity, then let it fail to grow */
	size_t cap = S.j.cap;
	for (unsigned i = 0; S.j.count < cap; i++)
		CHECK_EQ(map(0x10000000 + i * PG, page_alloc(0), UF), 0);
	resize_fail = 1;
	uint64_t pa = page_alloc(0);
	CHECK_EQ(map(va_of(40), pa, UF), -ENOMEM);
	CHECK_EQ(*mmu_entry(&M, S.root, va_of(40), MMU_LEVEL_4K, 0), 0);
	CHECK_EQ(unmap(va_of(1)), -ENOMEM);
	CHECK(lookup(va_of(1)) != NULL);
	CHECK_EQ(write_page(va_of(1), 5), -ENOMEM);
	CHECK_EQ(read_page(va_of(1)), 101);
	resize_fail = 0;
	sim_put(pa);
	CHECK_EQ(rollback(), cap);
	CHECK(same_as(&start));
	journal_core_destroy(&S.j);
	/* no list at all: begin fails */
	resize_fail = 1;
	CHECK_EQ(begin(), -ENOMEM);
	CHECK(!S.j.recording);
	resize_fail = 0;
}

TEST(journal_destroy_while_recording_drops_every_reference)
{
	frozen_space(4);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(write_page(va_of(0), 1), 0);
	CHECK_EQ(unmap(va_of(1)), 0);
	CHECK_EQ(map(va_of(20), page_alloc(0), UF), 0);
	journal_core_destroy(&S.j);
	CHECK(S.j.entry == NULL && !S.j.recording);
	for (unsigned i = 0; i < VAS; i++) { /* what vm_space_destroy then does */
		pte_t *e = lookup(va_of(i));
		if (e)
			sim_put(*e & PTE_ADDR);
	}
	for (unsigned i = 0; i < PAGES; i++)
		CHECK_EQ(refs[i], 0);
}

/* A deterministic generator (the same runs on every host). */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned pick(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* One random change; model[i] is what va_of(i) should read. */
static void random_op(uint64_t *model)
{
	unsigned i = pick(VAS);
	uint64_t va = va_of(i), value = rng, pa;
	pte_t *e = lookup(va);
	switch (pick(4)) {
	case 0:
		pa = page_alloc(value);
		if (map(va, pa, pick(2) ? UF : PTE_U) == 0)
			model[i] = value;
		else
			sim_put(pa);
		break;
	case 1:
		if (unmap(va) == 0)
			model[i] = ~0ull;
		break;
	case 2: protect(va, pick(2) ? UF : PTE_U); break;
	case 3:
		if (e && !(*e & (PTE_W | PTE_COW)))
			protect(va, UF); /* the program's mprotect before writing */
		if (write_page(va, value) == 0)
			model[i] = value;
		break;
	}
}

/* Between runs, someone else (a clone) takes a reference to a mapped page. */
static void share_one(uint16_t *others)
{
	pte_t *e = lookup(va_of(pick(VAS)));
	if (e && sim_get(*e & PTE_ADDR) == 0)
		others[page_index(*e & PTE_ADDR)]++;
}

TEST(journal_random_runs_rollback_to_start_and_commit)
{
	frozen_space(VAS / 2);
	uint16_t others[PAGES] = {0};
	uint64_t model[VAS], saved[VAS];
	for (unsigned i = 0; i < VAS; i++)
		model[i] = read_page(va_of(i));
	for (int run = 0; run < 400; run++) {
		struct state start;
		if (pick(2))
			share_one(others);
		dump(&start);
		memcpy(saved, model, sizeof model);
		unsigned changes = 1 + pick(60);
		CHECK_EQ(begin(), 0);
		for (unsigned k = 0; k < changes; k++)
			random_op(model);
		CHECK(S.j.count <= changes && S.j.count <= VAS);
		if (run % 2 == 0) {
			size_t listed = S.j.count;
			CHECK_EQ(rollback(), listed);
			CHECK(same_as(&start));
			memcpy(model, saved, sizeof model);
		} else {
			journal_core_commit(&S.j);
			check_frozen(others);
		}
		for (unsigned i = 0; i < VAS; i++)
			CHECK_EQ(read_page(va_of(i)), model[i]);
		for (unsigned p = 0; p < PAGES && run % 50 == 49; p++) /* the other holders let go */
			for (; others[p]; others[p]--)
				sim_put(PAGE_BASE + p * PG);
	}
	journal_core_destroy(&S.j);
}

TEST(journal_commit_costs_pages_changed_not_pages_mapped)
{
	space_reset();
	for (unsigned i = 0; i < 400; i++) /* spans page tables */
		CHECK_EQ(map(0x10000000 + i * 0x3000ull, page_alloc(i), UF), 0);
	journal_core_freeze(&M, S.root, &ALL_USER, 1);
	CHECK_EQ(begin(), 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(write_page(0x10000000 + i * 0x99000ull, 1), 0);
	table_reads = page_puts = 0;
	CHECK_EQ(journal_core_commit(&S.j), 3);
	CHECK(table_reads <= 3 * 4); /* one walk per changed page */
	CHECK_EQ(page_puts, 3);
	CHECK_EQ(begin(), 0);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ(write_page(0x10000000 + i * 0x3000ull, 2), 0);
	table_reads = page_puts = 0;
	CHECK_EQ(rollback(), 5);
	CHECK(table_reads <= 5 * 4);
	CHECK_EQ(page_puts, 5);
	journal_core_destroy(&S.j);
}
