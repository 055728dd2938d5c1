/*
 * vm_space.c - address spaces: a PML4 whose user half is private and whose
 * kernel half is the kernel's (invariant 1 in vm.c), 4 KiB user mappings that
 * each hold a page reference, and copy-on-write sharing for snapshots.
 *
 * Copy-on-write: vm_space_clone_cow shares every user page of a space with a
 * new one, taking a reference per mapping and turning writable entries into
 * read-only PTE_COW ones in both. A write then faults; the fault handler
 * calls vm_cow_break, which gives the writer a private copy, or just makes
 * the page writable again when the writer holds its last reference. Dirty
 * (VM_DIRTY) and accessed bits come back through vm_translate and
 * vm_space_visit, so a commit can find the pages a run wrote.
 *
 * Walks (destroy, visit, clone) read only the entries inside s->used, the
 * ranges where this space ever made a leaf (and so a table): a process's
 * text, heap, mmap area and stack, not the 256 x 512 entries around them.
 *
 * Snapshots (vm_journal.c): while a space's journal records, every change
 * below goes through journal_core_record first (the change fails with
 * -ENOMEM, leaving the leaf as it was, if the journal cannot grow).
 */
#include "kernel/log/klog.h"
#include "mm_internal.h"

#define USER_INTER (PTE_W | PTE_U) /* tables: leaves decide the rights */
#define MAP_FLAGS (VM_WRITE | VM_EXEC | VM_USER | VM_COW | VM_DEVICE)

static struct vm_space *current; /* the space in CR3; NULL: the kernel's tables */

static pte_t to_pte(unsigned flags)
{
	pte_t e = PTE_P;
	if (flags & VM_WRITE)
		e |= PTE_W;
	if (!(flags & VM_EXEC))
		e |= vm_nx;
	if (flags & VM_USER)
		e |= PTE_U;
	if (flags & VM_COW)
		e |= PTE_COW;
	if (flags & VM_DEVICE)
		e |= PTE_NOREF | PTE_UNCACHED;
	return e;
}

static unsigned from_pte(pte_t e)
{
	unsigned f = 0;
	f |= (e & PTE_W) ? VM_WRITE : 0;
	f |= (e & vm_nx) ? 0 : VM_EXEC; /* without NX everything executes */
	f |= (e & PTE_U) ? VM_USER : 0;
	f |= (e & PTE_COW) ? VM_COW : 0;
	f |= (e & PTE_NOREF) ? VM_DEVICE : 0;
	f |= (e & PTE_A) ? VM_ACCESSED : 0;
	f |= (e & PTE_D) ? VM_DIRTY : 0;
	return f;
}

static bool bad_flags(unsigned flags)
{
	return (flags & ~MAP_FLAGS) || ((flags & VM_WRITE) && (flags & VM_COW));
}

static bool user_page(uintptr_t va)
{
	return va < VM_USER_END && (va & (PAGE_SIZE - 1)) == 0;
}

static bool is_active(const struct vm_space *s)
{
	return (read_cr3() & PTE_ADDR) == s->root;
}

static pte_t *user_pte(const struct vm_space *s, uintptr_t va)
{
	return mmu_lookup(&vm_mmu, s->root, va, NULL);
}

/* ---- lifetime ---- */

struct vm_space *vm_space_create(void)
{
	struct vm_space *s = kzalloc(sizeof *s);
	if (!s)
		return NULL;
	s->root = vm_mmu.table_alloc(NULL);
	if (!s->root) {
		kfree(s);
		return NULL;
	}
	pte_t *mine = phys_to_virt(s->root), *kernel = phys_to_virt(vm_kernel_root);
	for (unsigned i = MMU_USER_SLOTS; i < MMU_ENTRIES; i++)
		mine[i] = kernel[i];
	return s;
}

static void drop_leaf(void *arg, uint64_t va, pte_t *e, int level)
{
	(void)arg, (void)va, (void)level;
	if (!(*e & PTE_NOREF))
		pmm_free(*e & PTE_ADDR);
	*e = 0;
}

void vm_space_destroy(struct vm_space *s)
{
	if (!s)
		return;
	if (is_active(s))
		vm_space_activate(NULL);
	journal_core_destroy(&s->journal);
	mmu_visit_ranges(&vm_mmu, s->root, s->used.r, s->used.n, drop_leaf, NULL);
	mmu_free_ranges(&vm_mmu, s->root, s->used.r, s->used.n);
	vm_mmu.table_free(NULL, s->root);
	kfree(s);
}

void vm_space_activate(struct vm_space *s)
{
	uint64_t root = s ? s->root : vm_kernel_root;
	if ((read_cr3() & PTE_ADDR) != root)
		write_cr3(root);
	current = s;
}

struct vm_space *vm_space_current(void)
{
	return current;
}

void vm_space_flush(const struct vm_space *s)
{
	if (is_active(s))
		write_cr3(s->root);
}

/* ---- mappings ---- */

int vm_map(struct vm_space *s, uintptr_t va, uint64_t pa, unsigned flags)
{
	if (!user_page(va) || (pa & (PAGE_SIZE - 1)) || bad_flags(flags))
		return -EINVAL;
	mmu_ranges_add(&s->used, va); /* before mmu_entry: it may make tables and then fail */
	pte_t *e = mmu_entry(&vm_mmu, s->root, va, MMU_LEVEL_4K, USER_INTER);
	if (!e)
		return -ENOMEM;
	if (*e & PTE_P)
		return -EEXIST;
	int err = journal_core_set(&s->journal, va, e, pa | to_pte(flags));
	if (err)
		return err;
	s->mappings++;
	return 0;
}

int vm_unmap(struct vm_space *s, uintptr_t va)
{
	if (!user_page(va))
		return -EINVAL;
	pte_t *e = user_pte(s, va);
	if (!e)
		return -EFAULT;
	pte_t old = *e;
	int err = journal_core_set(&s->journal, va, e, 0);
	if (err)
		return err;
	s->mappings--;
	if (is_active(s))
		vm_flush_page(va);
	if (!(old & PTE_NOREF))
		pmm_free(old & PTE_ADDR);
	return 0;
}

/* A page someone else holds too (another space, or the journal keeping it as
 * an original) is written only through a private copy: VM_WRITE becomes VM_COW. */
static unsigned private_write(pte_t e, unsigned flags)
{
	if ((flags & VM_WRITE) && !(e & PTE_NOREF) && pmm_refcount(e & PTE_ADDR) > 1)
		flags = (flags & ~VM_WRITE) | VM_COW;
	return flags;
}

int vm_protect(struct vm_space *s, uintptr_t va, unsigned flags)
{
	if (!user_page(va) || bad_flags(flags) || (flags & VM_DEVICE))
		return -EINVAL;
	pte_t *e = user_pte(s, va);
	if (!e)
		return -EFAULT;
	int err = journal_core_record(&s->journal, va, e);
	if (err)
		return err;
	pte_t keep = *e & (PTE_ADDR | PTE_NOREF | PTE_UNCACHED | PTE_JOURNALED);
	*e = keep | to_pte(private_write(keep, flags));
	if (is_active(s))
		vm_flush_page(va);
	return 0;
}

int vm_translate(const struct vm_space *s, uintptr_t va, uint64_t *pa, unsigned *flags)
{
	if (va >= VM_USER_END && va < DIRECT_MAP_BASE)
		return -EFAULT; /* not canonical */
	int level;
	pte_t *e = mmu_lookup(&vm_mmu, s ? s->root : vm_kernel_root, va, &level);
	if (!e)
		return -EFAULT;
	uint64_t size = mmu_level_size(level);
	if (pa)
		*pa = (*e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
	if (flags)
		*flags = from_pte(*e);
	return 0;
}

struct visit {
	vm_visit_fn fn;
	void *arg;
};

static void visit_leaf(void *arg, uint64_t va, pte_t *e, int level)
{
	(void)level;
	struct visit *v = arg;
	v->fn(v->arg, va, *e & PTE_ADDR, from_pte(*e));
}

void vm_space_visit(const struct vm_space *s, vm_visit_fn fn, void *arg)
{
	struct visit v = {fn, arg};
	mmu_visit_ranges(&vm_mmu, s->root, s->used.r, s->used.n, visit_leaf, &v);
}

/* ---- copy-on-write ---- */

struct clone {
	struct vm_space *dst;
	int err;
};

/* Shares the page at e with the new space, and makes both entries COW. */
static void clone_leaf(void *arg, uint64_t va, pte_t *e, int level)
{
	(void)level;
	struct clone *c = arg;
	if (c->err)
		return;
	pte_t *d = mmu_entry(&vm_mmu, c->dst->root, va, MMU_LEVEL_4K, USER_INTER);
	if (!d) {
		c->err = -ENOMEM;
		return;
	}
	if (!(*e & PTE_NOREF) && (c->err = pmm_get(*e & PTE_ADDR)) != 0)
		return;
	*d = journal_core_frozen(*e); /* device pages as they are; pmm pages COW if writable */
	*e = *d | (*e & (PTE_A | PTE_D | PTE_JOURNALED));
	c->dst->mappings++;
}

/*
 * One walk: each page is shared and turned COW in src as it is copied. If
 * the walk fails part way, the pages of src already visited stay COW: still
 * correct (invariant 3: a write to one that nobody else holds any more just
 * becomes writable again), and the new space is destroyed.
 */
struct vm_space *vm_space_clone_cow(struct vm_space *src)
{
	struct vm_space *dst = vm_space_create();
	if (!dst)
		return NULL;
	struct clone c = {dst, 0};
	dst->used = src->used; /* before the walk: it makes tables in dst */
	mmu_visit_ranges(&vm_mmu, src->root, src->used.r, src->used.n, clone_leaf, &c);
	vm_space_flush(src); /* drop the now read-only pages' TLB entries */
	if (c.err) {
		vm_space_destroy(dst);
		return NULL;
	}
	return dst;
}

int vm_cow_break(struct vm_space *s, uintptr_t va)
{
	va = ALIGN_DOWN(va, PAGE_SIZE);
	if (va >= VM_USER_END)
		return -EINVAL;
	pte_t *e = user_pte(s, va);
	if (!e)
		return -EFAULT;
	if (!(*e & PTE_COW))
		return -EINVAL;
	/* recorded, the original has a second holder (the journal) and is copied */
	int err = journal_core_record(&s->journal, va, e);
	if (err)
		return err;
	uint64_t old = *e & PTE_ADDR;
	if (pmm_refcount(old) == 1) {
		*e = (*e & ~PTE_COW) | PTE_W;
	} else {
		uint64_t pa = pmm_alloc();
		if (!pa)
			return -ENOMEM;
		arch_page_copy(phys_to_virt(pa), phys_to_virt(old));
		*e = (*e & ~(PTE_ADDR | PTE_COW)) | pa | PTE_W;
		pmm_free(old);
	}
	if (is_active(s))
		vm_flush_page(va);
	return 0;
}
