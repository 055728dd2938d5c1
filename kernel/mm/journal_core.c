/*
 * journal_core.c - recording a run's changes to an address space, and
 * committing or rolling them back (contract in journal_core.h; the kernel's
 * use in vm_journal.c).
 *
 * Between runs a space is frozen: no leaf maps a pmm page writably. While a
 * run is recorded, every change to a user leaf (map, unmap, protect,
 * copy-on-write break) first calls journal_core_record, which lists the
 * leaf's entry as it was and sets PTE_JOURNALED in it, so a page is listed
 * once and the test is O(1). An unmapped leaf keeps the mark with P = 0 (a
 * "tombstone") until the run ends. Commit and rollback walk the list only,
 * so they cost O(pages changed).
 *
 * Invariants while recording:
 *   1. A leaf is listed iff it carries PTE_JOURNALED (present or not).
 *   2. A listed entry that maps a pmm page holds one reference to it; the
 *      leaf's current entry holds its own. So an original page still mapped
 *      has two references, and vm_cow_break copies it.
 *   3. Tables are never freed during a run, so every listed va still has its
 *      4 KiB leaf slot.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "journal_core.h"

#define FIRST_CAP 32

static bool holds_page(pte_t e)
{
	return (e & PTE_P) && !(e & PTE_NOREF);
}

static void freeze_leaf(void *arg, uint64_t va, pte_t *e, int level)
{
	(void)va, (void)level;
	size_t *n = arg;
	*e = journal_core_frozen(*e) | (*e & PTE_JOURNALED); /* listed stays listed */
	(*n)++;
}

size_t journal_core_freeze(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n)
{
	size_t leaves = 0;
	mmu_visit_ranges(m, root, r, n, freeze_leaf, &leaves);
	return leaves;
}

static int grow(struct journal *j)
{
	size_t cap = j->cap ? 2 * j->cap : FIRST_CAP;
	struct journal_entry *e = j->ops->resize(j->entry, cap * sizeof *e);
	if (!e)
		return -ENOMEM;
	j->entry = e;
	j->cap = cap;
	return 0;
}

int journal_core_begin(struct journal *j, const struct journal_ops *ops, uint64_t root)
{
	if (j->recording)
		return -EBUSY;
	j->ops = ops;
	j->root = root;
	if (!j->entry && grow(j))
		return -ENOMEM;
	j->count = 0;
	j->recording = true;
	return 0;
}

int journal_core_record(struct journal *j, uint64_t va, pte_t *e)
{
	if (!j->recording || (*e & PTE_JOURNALED))
		return 0;
	if (j->count == j->cap && grow(j))
		return -ENOMEM;
	pte_t old = (*e & PTE_P) ? *e : 0;
	if (holds_page(old) && j->ops->page_get(old & PTE_ADDR) != 0)
		return -ENOMEM; /* the page has all the references it can take */
	j->entry[j->count++] = (struct journal_entry){va, old};
	*e |= PTE_JOURNALED;
	return 0;
}

int journal_core_set(struct journal *j, uint64_t va, pte_t *e, pte_t val)
{
	int err = journal_core_record(j, va, e);
	if (err)
		return err;
	*e = (*e & PTE_JOURNALED) | val;
	return 0;
}

/* The leaf slot of a listed va (invariant 3: it exists). */
static pte_t *leaf(const struct journal *j, uint64_t va)
{
	return mmu_entry(j->ops->mmu, j->root, va, MMU_LEVEL_4K, 0);
}

size_t journal_core_commit(struct journal *j)
{
	size_t n = j->recording ? j->count : 0;
	for (size_t i = 0; i < n; i++) {
		const struct journal_entry *r = &j->entry[i];
		pte_t *e = leaf(j, r->va);
		if (holds_page(r->old))
			j->ops->page_put(r->old & PTE_ADDR);
		if (e)
			*e = journal_core_frozen(*e);
	}
	j->count = 0;
	j->recording = false;
	return n;
}

size_t journal_core_rollback(struct journal *j)
{
	size_t n = j->recording ? j->count : 0;
	for (size_t i = n; i-- > 0;) {
		const struct journal_entry *r = &j->entry[i];
		pte_t *e = leaf(j, r->va);
		if (e && holds_page(*e))
			j->ops->page_put(*e & PTE_ADDR);
		if (e)
			*e = r->old;
	}
	j->count = 0;
	j->recording = false;
	return n;
}

void journal_core_destroy(struct journal *j)
{
	for (size_t i = 0; j->recording && i < j->count; i++)
		if (holds_page(j->entry[i].old))
			j->ops->page_put(j->entry[i].old & PTE_ADDR);
	if (j->entry)
		j->ops->resize(j->entry, 0);
	*j = (struct journal){0};
}
