/*
 * vm_journal.c - snapshots: freezing an address space between a handler's
 * runs and journaling each run so it can be committed or rolled back
 * (contract in mm.h; the bookkeeping in journal_core.c).
 *
 * A run: vm_journal_begin; the handler's first write to a frozen page faults
 * and vm_cow_break gives it a copy (the journal keeps the original); vm_map,
 * vm_unmap and vm_protect record the leaves they change. Commit keeps the
 * run and re-freezes only the changed leaves; rollback puts the originals
 * back. Either ends with one CR3 reload if the space is active, so no stale
 * writable TLB entry survives.
 *
 * Precondition: a space is frozen (vm_space_freeze) before its first run and
 * not while recording; pages writable at vm_journal_begin are not protected.
 */
#include "mm_internal.h"

const struct journal_ops vm_journal_ops = {&vm_mmu, pmm_get, pmm_free, krealloc};

size_t vm_space_freeze(struct vm_space *s)
{
	journal_core_freeze(&vm_mmu, s->root, s->used.r, s->used.n);
	vm_space_flush(s);
	return s->mappings;
}

int vm_journal_begin(struct vm_space *s)
{
	int err = journal_core_begin(&s->journal, &vm_journal_ops, s->root);
	if (err)
		return err;
	s->mappings_at_begin = s->mappings;
	return 0;
}

size_t vm_journal_commit(struct vm_space *s)
{
	size_t n = journal_core_commit(&s->journal);
	if (n)
		vm_space_flush(s);
	return n;
}

size_t vm_journal_rollback(struct vm_space *s)
{
	if (!s->journal.recording)
		return 0;
	size_t n = journal_core_rollback(&s->journal);
	s->mappings = s->mappings_at_begin;
	if (n)
		vm_space_flush(s);
	return n;
}

size_t vm_journal_pages(const struct vm_space *s)
{
	return s->journal.recording ? s->journal.count : 0;
}

size_t vm_space_pages(const struct vm_space *s)
{
	return s->mappings;
}

void vm_journal_visit(const struct vm_space *s, vm_visit_fn fn, void *arg)
{
	if (!s->journal.recording)
		return;
	for (size_t i = 0; i < s->journal.count; i++) {
		uint64_t va = s->journal.entry[i].va, pa;
		unsigned flags;
		if (vm_translate(s, va, &pa, &flags) == 0)
			fn(arg, va, pa, flags);
		else
			fn(arg, va, 0, 0);
	}
}
