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
	uint64_t start, end; /* linear, end exclusive */
	mmu_leaf_fn fn;
	void *arg;
};

static void visit_table(const struct visit *v, uint64_t table, int level, uint64_t base)
{
	pte_t *t = v->m->table(table);
	uint64_t size = mmu_level_size(level);
	for (unsigned i = 0; i < MMU_ENTRIES; i++) {
		if (!(t[i] & PTE_P)) /* most entries: tested first, the cheapest way past */
			continue;
		uint64_t lin = base + i * size;
		if (lin + size <= v->start || lin >= v->end)
			continue;
		if (is_leaf(t[i], level))
			v->fn(v->arg, canonical(lin), &t[i], level);
		else
			visit_table(v, t[i] & PTE_ADDR, level - 1, lin);
	}
}

void mmu_visit(const struct mmu *m, uint64_t root, uint64_t start, uint64_t end, mmu_leaf_fn fn, void *arg)
{
	struct visit v = {m, start & LINEAR_MASK, end ? ((end - 1) & LINEAR_MASK) + 1 : 1ull << 48, fn, arg};
	if (v.start < v.end)
		visit_table(&v, root, 3, 0);
}

static unsigned long free_below(const struct mmu *m, uint64_t table, int level)
{
	unsigned long n = 0;
	pte_t *t = m->table(table);
	for (unsigned i = 0; i < MMU_ENTRIES && level > 0; i++) {
		if (!(t[i] & PTE_P) || is_leaf(t[i], level))
			continue;
		n += free_below(m, t[i] & PTE_ADDR, level - 1);
		m->table_free(m->ctx, t[i] & PTE_ADDR);
		t[i] = 0;
		n++;
	}
	return n;
}

unsigned long mmu_free_tables(const struct mmu *m, uint64_t root, unsigned first, unsigned end)
{
	unsigned long n = 0;
	pte_t *pml4 = m->table(root);
	for (unsigned i = first; i < end && i < MMU_ENTRIES; i++) {
		if (!(pml4[i] & PTE_P))
			continue;
		n += free_below(m, pml4[i] & PTE_ADDR, 2);
		m->table_free(m->ctx, pml4[i] & PTE_ADDR);
		pml4[i] = 0;
		n++;
	}
	return n;
}
