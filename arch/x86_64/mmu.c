/*
 * mmu.c - walking, building and freeing x86_64 page tables (see mmu.h).
 *
 * Levels are numbered from the leaf: 0 page table (4 KiB pages), 1 page
 * directory (2 MiB pages), 2 PDPT (1 GiB pages), 3 PML4. No instruction is
 * used here, so the same code runs in the kernel and in the host tests.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "mmu.h"

#include <stddef.h>

#define LINEAR_MASK ((1ull << 48) - 1)

static bool is_leaf(pte_t e, int level)
{
	return level == 0 || (level <= 2 && (e & PTE_PS));
}

pte_t *mmu_entry(const struct mmu *m, uint64_t root, uint64_t va, int level, pte_t inter)
{
	uint64_t table = root;
	for (int l = 3; l > level; l--) {
		pte_t *e = &m->table(table)[mmu_index(va, l)];
		if (!(*e & PTE_P)) {
			if (!inter)
				return NULL;
			uint64_t pa = m->table_alloc(m->ctx);
			if (!pa)
				return NULL;
			*e = pa | inter | PTE_P;
		} else if (is_leaf(*e, l)) {
			return NULL;
		}
		table = *e & PTE_ADDR;
	}
	return &m->table(table)[mmu_index(va, level)];
}

pte_t *mmu_lookup(const struct mmu *m, uint64_t root, uint64_t va, int *level)
{
	uint64_t table = root;
	for (int l = 3; l >= 0; l--) {
		pte_t *e = &m->table(table)[mmu_index(va, l)];
		if (!(*e & PTE_P))
			return NULL;
		if (is_leaf(*e, l)) {
			if (level)
				*level = l;
			return e;
		}
		table = *e & PTE_ADDR;
	}
	return NULL;
}

/* Sign-extends a 48-bit linear address to its canonical form. */
static uint64_t canonical(uint64_t lin)
{
	return (lin & (1ull << 47)) ? lin | ~LINEAR_MASK : lin;
}

struct visit {
	const struct mmu *m;
	const struct mmu_range *r; /* linear, sorted, disjoint */
	size_t n;
	mmu_leaf_fn fn;
	void *arg;
};

/* The entries [*first, *last] of a table at level, mapping from base, that
 * r intersects; false if none. */
static bool range_entries(const struct mmu_range *r, int level, uint64_t base, unsigned *first,
			  unsigned *last)
{
	uint64_t size = mmu_level_size(level), end = base + MMU_ENTRIES * size;
	uint64_t lo = r->start > base ? r->start : base, hi = r->end < end ? r->end : end;
	if (lo >= hi)
		return false;
	*first = (unsigned)((lo - base) / size);
	*last = (unsigned)((hi - 1 - base) / size);
	return true;
}

/* The first present entry of t in [i, end), or end: the tight loop most
 * entries take (a table is mostly empty). */
static unsigned next_present(const pte_t *t, unsigned i, unsigned end)
{
	while (i < end && !(t[i] & PTE_P))
		i++;
	return i;
}

/* Only the entries inside the ranges are read (each once: two ranges may
 * share an entry of a higher table), so a sparse address space costs what
 * it maps, not 512 entries a table. */
static void visit_table(const struct visit *v, uint64_t table, int level, uint64_t base)
{
	pte_t *t = v->m->table(table);
	unsigned i, last, next = 0;
	for (size_t k = 0; k < v->n; k++) {
		if (!range_entries(&v->r[k], level, base, &i, &last))
			continue;
		for (i = next_present(t, i < next ? next : i, last + 1); i <= last;
		     i = next_present(t, i + 1, last + 1)) {
			uint64_t lin = base + i * mmu_level_size(level);
			if (is_leaf(t[i], level))
				v->fn(v->arg, canonical(lin), &t[i], level);
			else
				visit_table(v, t[i] & PTE_ADDR, level - 1, lin);
		}
		next = last + 1;
	}
}

void mmu_visit_ranges(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n, mmu_leaf_fn fn,
		      void *arg)
{
	struct visit v = {m, r, n, fn, arg};
	visit_table(&v, root, 3, 0);
}

void mmu_visit(const struct mmu *m, uint64_t root, uint64_t start, uint64_t end, mmu_leaf_fn fn, void *arg)
{
	struct mmu_range r = {start & LINEAR_MASK, end ? ((end - 1) & LINEAR_MASK) + 1 : 1ull << 48};
	if (r.start < r.end)
		mmu_visit_ranges(m, root, &r, 1, fn, arg);
}

static unsigned long free_in(const struct visit *v, uint64_t table, int level, uint64_t base)
{
	unsigned long n = 0;
	pte_t *t = v->m->table(table);
	unsigned i, last, next = 0;
	for (size_t k = 0; k < v->n && level > 0; k++) { /* a page table (level 0) holds leaves only */
		if (!range_entries(&v->r[k], level, base, &i, &last))
			continue;
		for (i = next_present(t, i < next ? next : i, last + 1); i <= last;
		     i = next_present(t, i + 1, last + 1)) {
			if (is_leaf(t[i], level))
				continue;
			n += free_in(v, t[i] & PTE_ADDR, level - 1, base + i * mmu_level_size(level)) + 1;
			v->m->table_free(v->m->ctx, t[i] & PTE_ADDR);
			t[i] = 0;
		}
		next = last + 1;
	}
	return n;
}

unsigned long mmu_free_ranges(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n)
{
	struct visit v = {m, r, n, NULL, NULL};
	return free_in(&v, root, 3, 0);
}
unsigned long mmu_free_tables(const struct mmu *m, uint64_t root, unsigned first, unsigned end)
{
	end = end < MMU_ENTRIES ? end : MMU_ENTRIES;
	struct mmu_range r = {first * mmu_level_size(3), end * mmu_level_size(3)};
	return r.start < r.end ? mmu_free_ranges(m, root, &r, 1) : 0;
}

/* ---- range sets ---- */

#define RANGE_JOIN (64ull << 10) /* a page this close to a range joins it (reading <= 16 more entries) */

/* Merges r[i] and r[i + 1] (the gap between them joins too). */
static void range_merge(struct mmu_ranges *rs, size_t i)
{
	rs->r[i].end = rs->r[i + 1].end;
	for (size_t k = i + 1; k + 1 < rs->n; k++)
		rs->r[k] = rs->r[k + 1];
	rs->n--;
}

void mmu_ranges_add(struct mmu_ranges *rs, uint64_t va)
{
	uint64_t lo = va & ~4095ull, hi = lo + 4096;
	size_t i = 0;
	while (i < rs->n && rs->r[i].end + RANGE_JOIN < lo)
		i++;
	if (i < rs->n && rs->r[i].start <= lo && hi <= rs->r[i].end)
		return; /* the usual case: already inside */
	if (i < rs->n && rs->r[i].start <= hi + RANGE_JOIN) { /* near r[i]: grow it */
		rs->r[i].start = rs->r[i].start < lo ? rs->r[i].start : lo;
		rs->r[i].end = rs->r[i].end > hi ? rs->r[i].end : hi;
		if (i + 1 < rs->n && rs->r[i + 1].start <= rs->r[i].end + RANGE_JOIN)
			range_merge(rs, i);
		return;
	}
	if (rs->n == MMU_RANGES_MAX) { /* full: join the two closest neighbours */
		size_t best = 0;
		for (size_t k = 1; k + 1 < rs->n; k++)
			if (rs->r[k + 1].start - rs->r[k].end < rs->r[best + 1].start - rs->r[best].end)
				best = k;
		range_merge(rs, best);
		i -= i > best;
		if (i > 0 && rs->r[i - 1].end + RANGE_JOIN >= lo)
			i--; /* now inside or near the joined range: grow that one */
		if (i < rs->n && rs->r[i].start <= hi + RANGE_JOIN) {
			mmu_ranges_add(rs, va);
			return;
		}
	}
	for (size_t k = rs->n; k > i; k--)
		rs->r[k] = rs->r[k - 1];
	rs->r[i] = (struct mmu_range){lo, hi};
	rs->n++;
}
