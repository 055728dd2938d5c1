/*
 * journal_core.h - the bookkeeping of a space's snapshot journal (private to
 * kernel/mm and the host tests). Plain C on page-table entries reached
 * through a struct mmu: no instructions and no globals, so the host unit
 * tests run it on simulated tables. vm_space.c and vm_journal.c wrap one per
 * address space and do the TLB maintenance.
 *
 * A journal lists {va, entry before the run} once per page the run changed.
 * Each listed entry that maps a pmm page holds its own reference to it, so
 * while a run is recorded an original page always has a second holder and
 * vm_cow_break copies it, whoever else shares it.
 */
#ifndef KERNEL_MM_JOURNAL_CORE_H
#define KERNEL_MM_JOURNAL_CORE_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/mmu.h"

/* What the journal needs from the machine; one constant instance per kernel. */
struct journal_ops {
	const struct mmu *mmu;
	int (*page_get)(uint64_t pa); /* a reference more: 0 or -E */
	void (*page_put)(uint64_t pa); /* a reference less */
	void *(*resize)(void *p, size_t bytes); /* krealloc: NULL on failure, frees at 0 */
};

struct journal_entry {
	uint64_t va;
	pte_t old; /* without PTE_JOURNALED; 0: was unmapped */
};

struct journal {
	const struct journal_ops *ops;
	uint64_t root; /* the tables recorded */
	bool recording;
	struct journal_entry *entry; /* entry[0..count), capacity cap; kept between runs */
	size_t count, cap;
};

/* What entry e becomes between runs: a writable pmm page turns read-only
 * copy-on-write, accessed and dirty are cleared, and it is not journaled. */
static inline pte_t journal_core_frozen(pte_t e)
{
	if ((e & PTE_P) && !(e & PTE_NOREF) && (e & PTE_W))
		e = (e & ~PTE_W) | PTE_COW;
	return e & ~(PTE_A | PTE_D | PTE_JOURNALED);
}

/* Freezes every leaf of root inside the ranges r[0..n) (sorted, disjoint:
 * where the space has mappings, or its whole user half); returns how many
 * leaves there are. */
size_t journal_core_freeze(const struct mmu *m, uint64_t root, const struct mmu_range *r, size_t n);

/* Starts recording changes to the tables at root. 0, -EBUSY, -ENOMEM. */
int journal_core_begin(struct journal *j, const struct journal_ops *ops, uint64_t root);

/*
 * Call before changing the 4 KiB leaf e (present or not) that maps va: lists
 * its entry unless it already is listed or nothing is recording, and marks
 * it PTE_JOURNALED. 0, or -ENOMEM (the list cannot grow, or page_get
 * failed); then nothing changed.
 */
int journal_core_record(struct journal *j, uint64_t va, pte_t *e);

/* Records e, then sets it to val (keeping the journal's mark). 0 or as record. */
int journal_core_set(struct journal *j, uint64_t va, pte_t *e, pte_t val);

/* Keeps the run: drops the listed entries' references and freezes the
 * changed leaves (clearing unmapped ones). Returns the pages changed. */
size_t journal_core_commit(struct journal *j);

/* Undoes the run: every listed leaf gets its old entry (and the journal's
 * reference) back, dropping the reference its current entry held. Returns the
 * pages changed. */
size_t journal_core_rollback(struct journal *j);

/* Stops recording (if it is), dropping the listed references without
 * touching the tables, and frees the list: for a space being destroyed. */
void journal_core_destroy(struct journal *j);

#endif
