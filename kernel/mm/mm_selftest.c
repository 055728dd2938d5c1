/*
 * mm_selftest.c - memory self-tests on the real machine: page allocation and
 * what must never be handed out, address spaces (map, write, read back,
 * unmap, fault), copy-on-write, the snapshot journal, W^X of the kernel
 * image, guard pages and a kernel stack overflow, heap stress and corruption
 * detection.
 */
#include "kernel/boot/bootinfo.h"
#include "kernel/test/selftest.h"
#include "mm_internal.h"

#define TEST_VA 0x0000000040000000ull

static __attribute__((noipa)) uint64_t read_u64(volatile uint64_t *p)
{
	return *p;
}

static __attribute__((noipa)) void write_u8(volatile uint8_t *p, uint8_t v)
{
	*p = v;
}

/* Faults expected: returns the caught vector (and fills *c), or -1 if none. */
#define EXPECT_FAULT(c, stmt)                   \
	({                                      \
		volatile long r_ = -1;          \
		if (trap_catch_try(c)) {        \
			stmt;                   \
			trap_catch_end();       \
		} else {                        \
			r_ = (long)(c)->vector; \
		}                               \
		r_;                             \
	})

/* ---- physical pages ---- */

SELFTEST(mm_pmm_alloc_free)
{
	size_t free0 = pmm_free_count();
	uint64_t pages[64];
	for (int i = 0; i < 64; i++) {
		pages[i] = pmm_alloc();
		ST_CHECK(pages[i] != 0 && (pages[i] & (PAGE_SIZE - 1)) == 0);
		ST_CHECK(pmm_refcount(pages[i]) == 1);
		for (int j = 0; j < i; j++)
			ST_CHECK(pages[j] != pages[i]);
		*(uint64_t *)phys_to_virt(pages[i]) = pages[i] ^ 0x5A5A5A5Aull;
	}
	ST_CHECK(pmm_free_count() == free0 - 64);
	for (int i = 0; i < 64; i++)
		ST_CHECK(*(uint64_t *)phys_to_virt(pages[i]) == (pages[i] ^ 0x5A5A5A5Aull));
	for (int i = 0; i < 64; i++)
		pmm_free(pages[i]);
	ST_CHECK(pmm_free_count() == free0);
	ST_CHECK(pmm_refcount(pages[0]) == 0);

	uint64_t run = pmm_alloc_contig(16, 16);
	ST_CHECK(run != 0 && run % (16 * PAGE_SIZE) == 0);
	for (int i = 0; i < 16; i++)
		ST_CHECK(pmm_refcount(run + i * PAGE_SIZE) == 1);
	memset(phys_to_virt(run), 0xEE, 16 * PAGE_SIZE);
	pmm_free_contig(run, 16);

	uint64_t z = pmm_alloc_zeroed();
	ST_CHECK(z != 0);
	for (int i = 0; i < PAGE_SIZE / 8; i++)
		ST_CHECK(((uint64_t *)phys_to_virt(z))[i] == 0);
	ST_CHECK(pmm_get(z) == 0 && pmm_refcount(z) == 2);
	pmm_free(z);
	ST_CHECK(pmm_refcount(z) == 1);
	pmm_free(z);
	ST_CHECK(pmm_free_count() == free0);
	return 0;
}

/* Why pa must never be handed out, or NULL if it may. */
static const char *forbidden(const struct bootinfo *bi, uint64_t pa)
{
	if (pa < (1u << 20))
		return "low 1 MiB";
	if (pa + PAGE_SIZE > kernel_virt_to_phys(_kernel_start) && pa < kernel_virt_to_phys(_kernel_end))
		return "kernel image";
	for (size_t i = 0; i < bi->module_count; i++)
		if (pa + PAGE_SIZE > bi->modules[i].start && pa < bi->modules[i].end)
			return "boot module";
	if (pa + PAGE_SIZE > bi->info_phys && pa < bi->info_phys + bi->info_size)
		return "boot information";
	bool usable = false;
	for (size_t i = 0; i < bi->region_count; i++) {
		const struct boot_region *r = &bi->regions[i];
		bool overlaps = pa + PAGE_SIZE > r->base && pa < r->base + r->len;
		if (overlaps && r->type != BOOT_MEM_USABLE)
			return "reserved region";
		usable |= r->type == BOOT_MEM_USABLE && pa >= r->base && pa + PAGE_SIZE <= r->base + r->len;
	}
	return usable ? NULL : "not usable RAM";
}

SELFTEST(mm_pmm_never_hands_out_reserved_pages)
{
	const struct bootinfo *bi = mm_boot_info();
	for (uintptr_t va = (uintptr_t)_kernel_start; va < (uintptr_t)_kernel_end; va += PAGE_SIZE)
		ST_CHECK(pmm_refcount(kernel_virt_to_phys((void *)va)) == -ENOENT);
	for (uint64_t pa = 0; pa < (1u << 20); pa += PAGE_SIZE)
		ST_CHECK(pmm_refcount(pa) == -ENOENT);
	ST_CHECK(pmm_refcount(ALIGN_DOWN(bi->info_phys, PAGE_SIZE)) == -ENOENT);

	/* take every free page, chained through the direct map; check each one */
	size_t free0 = pmm_free_count(), n = 0;
	uint64_t head = 0, pa;
	const char *why = NULL;
	while ((pa = pmm_alloc()) != 0) {
		if (!why && (why = forbidden(bi, pa)) != NULL)
			kprintf("selftest:   page %#lx handed out: %s\n", (unsigned long)pa, why);
		*(uint64_t *)phys_to_virt(pa) = head;
		head = pa;
		n++;
	}
	ST_CHECK(pmm_free_count() == 0);
	while (head) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);
		pmm_free(head);
		head = next;
	}
	kprintf("selftest:   %lu pages allocated and returned\n", (unsigned long)n);
	ST_CHECK(n == free0);
	ST_CHECK(pmm_free_count() == free0);
	ST_CHECK(why == NULL);
	return 0;
}

/* ---- address spaces ---- */

SELFTEST(mm_vm_map_write_unmap_fault)
{
	struct vm_space *s = vm_space_create();
	ST_CHECK(s != NULL);
	uint64_t pa = pmm_alloc_zeroed();
	ST_CHECK(vm_map(s, TEST_VA, pa, VM_WRITE | VM_USER) == 0);
	ST_CHECK(vm_map(s, TEST_VA, pa, VM_WRITE) == -EEXIST);
	ST_CHECK(vm_map(s, TEST_VA + 8, pa, 0) == -EINVAL);
	ST_CHECK(vm_map(s, (uintptr_t)_data_start, pa, 0) == -EINVAL);
	ST_CHECK(vm_map(s, TEST_VA + PAGE_SIZE, pa, VM_WRITE | VM_COW) == -EINVAL);
	uint64_t got = 0;
	unsigned flags = 0;
	ST_CHECK(vm_translate(s, TEST_VA + 0x123, &got, &flags) == 0);
	ST_CHECK(got == pa + 0x123);
	ST_CHECK((flags & (VM_WRITE | VM_USER)) == (VM_WRITE | VM_USER));
	ST_CHECK(!(flags & VM_EXEC) || !vm_nx_enabled());
	ST_CHECK(vm_translate(NULL, TEST_VA, NULL, NULL) == -EFAULT); /* not in the kernel's tables */

	vm_space_activate(s);
	ST_CHECK(vm_space_current() == s);
	volatile uint64_t *p = (volatile uint64_t *)TEST_VA;
	p[0] = 0x0123456789ABCDEFull;
	p[511] = 0xFEDCBA9876543210ull;
	uint64_t *direct = phys_to_virt(pa);
	ST_CHECK(direct[0] == 0x0123456789ABCDEFull && direct[511] == 0xFEDCBA9876543210ull);
	ST_CHECK(vm_translate(s, TEST_VA, NULL, &flags) == 0 && (flags & VM_DIRTY) && (flags & VM_ACCESSED));

	ST_CHECK(vm_unmap(s, TEST_VA) == 0);
	ST_CHECK(vm_unmap(s, TEST_VA) == -EFAULT);
	struct trap_catch c;
	ST_CHECK(EXPECT_FAULT(&c, read_u64(p)) == 14);
	ST_CHECK(c.addr == TEST_VA && (c.error & 1) == 0);
	vm_space_activate(NULL);
	vm_space_destroy(s);
	return 0;
}

SELFTEST(mm_vm_protect_and_destroy_with_mappings)
{
	struct vm_space *s = vm_space_create();
	ST_CHECK(s != NULL);
	for (int i = 0; i < 40; i++) /* spans tables; destroy must free them all */
		ST_CHECK(vm_map(s, TEST_VA + (uint64_t)i * 0x201000, pmm_alloc_zeroed(), VM_WRITE) == 0);
	ST_CHECK(vm_protect(s, TEST_VA, 0) == 0);
	vm_space_activate(s);
	struct trap_catch c;
	ST_CHECK(EXPECT_FAULT(&c, write_u8((volatile uint8_t *)TEST_VA, 1)) == 14);
	ST_CHECK((c.error & 3) == 3); /* present, write */
	ST_CHECK(vm_protect(s, TEST_VA, VM_WRITE) == 0);
	write_u8((volatile uint8_t *)TEST_VA, 1);
	ST_CHECK(vm_protect(s, TEST_VA + PAGE_SIZE, 0) == -EFAULT);
	vm_space_destroy(s); /* active: destroy switches back to the kernel's tables */
	ST_CHECK(vm_space_current() == NULL);
	return 0;
}

SELFTEST(mm_vm_copy_on_write)
{
	struct vm_space *a = vm_space_create();
	ST_CHECK(a != NULL);
	uint64_t pa = pmm_alloc_zeroed();
	memset(phys_to_virt(pa), 'A', PAGE_SIZE);
	ST_CHECK(vm_map(a, TEST_VA, pa, VM_WRITE | VM_USER) == 0);
	struct vm_space *b = vm_space_clone_cow(a);
	ST_CHECK(b != NULL);
	ST_CHECK(pmm_refcount(pa) == 2);
	uint64_t pa_a, pa_b;
	unsigned fa, fb;
	ST_CHECK(vm_translate(a, TEST_VA, &pa_a, &fa) == 0 && vm_translate(b, TEST_VA, &pa_b, &fb) == 0);
	ST_CHECK(pa_a == pa && pa_b == pa);
	ST_CHECK((fa & (VM_COW | VM_WRITE)) == VM_COW && (fb & (VM_COW | VM_WRITE)) == VM_COW);

	/* a writes: faults, breaks COW, gets its own copy */
	vm_space_activate(a);
	volatile uint8_t *p = (volatile uint8_t *)TEST_VA;
	struct trap_catch c;
	ST_CHECK(EXPECT_FAULT(&c, write_u8(p, 'B')) == 14);
	ST_CHECK((c.error & 3) == 3);
	ST_CHECK(vm_cow_break(a, c.addr) == 0);
	write_u8(p, 'B');
	ST_CHECK(vm_translate(a, TEST_VA, &pa_a, &fa) == 0);
	ST_CHECK(pa_a != pa && (fa & VM_WRITE) && !(fa & VM_COW));
	ST_CHECK(pmm_refcount(pa) == 1);

	/* b still sees the original; as the last holder its break copies nothing */
	vm_space_activate(b);
	ST_CHECK(p[0] == 'A' && p[PAGE_SIZE - 1] == 'A');
	ST_CHECK(vm_cow_break(b, TEST_VA) == 0);
	ST_CHECK(vm_translate(b, TEST_VA, &pa_b, &fb) == 0 && pa_b == pa && (fb & VM_WRITE));
	ST_CHECK(vm_cow_break(b, TEST_VA) == -EINVAL); /* no longer COW */
	ST_CHECK(vm_cow_break(b, TEST_VA + PAGE_SIZE) == -EFAULT);
	vm_space_activate(a);
	ST_CHECK(p[0] == 'B' && p[1] == 'A');
	vm_space_activate(NULL);
	vm_space_destroy(a);
	vm_space_destroy(b);
	return 0;
}

/* ---- snapshot journal ---- */

#define JPAGES 4
#define JVA(i) (TEST_VA + PAGE_SIZE * (uint64_t)(i))

static bool page_is(uint64_t pa, char c)
{
	const char *p = phys_to_virt(pa);
	for (int i = 0; i < PAGE_SIZE; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* A snapshot of JPAGES pages at TEST_VA holding 'a', 'b', ...: their
 * addresses and their flags once frozen. */
struct snap {
	struct vm_space *s;
	uint64_t pa[JPAGES];
	unsigned fl[JPAGES];
};

/* Builds n, freezes it and begins a run. */
static int snap_run(struct snap *n)
{
	struct vm_space *s = n->s = vm_space_create();
	ST_CHECK(s != NULL);
	for (int i = 0; i < JPAGES; i++) {
		n->pa[i] = pmm_alloc();
		ST_CHECK(n->pa[i] != 0);
		memset(phys_to_virt(n->pa[i]), 'a' + i, PAGE_SIZE);
		ST_CHECK(vm_map(s, JVA(i), n->pa[i], VM_WRITE | VM_USER) == 0);
	}
	ST_CHECK(vm_space_freeze(s) == JPAGES && vm_space_pages(s) == JPAGES);
	for (int i = 0; i < JPAGES; i++)
		ST_CHECK(vm_translate(s, JVA(i), NULL, &n->fl[i]) == 0);
	ST_CHECK((n->fl[0] & (VM_COW | VM_WRITE)) == VM_COW);
	ST_CHECK(vm_journal_pages(s) == 0);
	ST_CHECK(vm_journal_begin(s) == 0);
	ST_CHECK(vm_journal_begin(s) == -EBUSY);
	return 0;
}

SELFTEST(mm_journal_rollback_restores_the_snapshot)
{
	struct snap n;
	ST_CHECK(snap_run(&n) == 0);
	struct vm_space *s = n.s;
	uint64_t *pa = n.pa, got;
	unsigned f;
	size_t free0 = pmm_free_count(); /* the journal's list is allocated by now */
	/* as the fault path does: break copy-on-write, then write the page */
	ST_CHECK(vm_cow_break(s, JVA(0) + 0x123) == 0);
	ST_CHECK(vm_translate(s, JVA(0), &got, &f) == 0 && got != pa[0] && (f & VM_WRITE));
	ST_CHECK(pmm_refcount(pa[0]) == 1); /* copied though nobody else shared it */
	memset(phys_to_virt(got), 'X', PAGE_SIZE);
	uint64_t fresh = pmm_alloc_zeroed();
	ST_CHECK(vm_map(s, JVA(10), fresh, VM_WRITE | VM_USER) == 0);
	ST_CHECK(vm_unmap(s, JVA(2)) == 0 && pmm_refcount(pa[2]) == 1);
	ST_CHECK(vm_protect(s, JVA(3), VM_USER) == 0);
	ST_CHECK(vm_journal_pages(s) == 4 && vm_space_pages(s) == JPAGES);
	ST_CHECK(vm_journal_rollback(s) == 4);
	ST_CHECK(vm_journal_pages(s) == 0 && vm_space_pages(s) == JPAGES);
	for (int i = 0; i < JPAGES; i++) {
		ST_CHECK(vm_translate(s, JVA(i), &got, &f) == 0 && got == pa[i] && f == n.fl[i]);
		ST_CHECK(page_is(pa[i], 'a' + i) && pmm_refcount(pa[i]) == 1);
	}
	ST_CHECK(vm_translate(s, JVA(10), NULL, NULL) == -EFAULT);
	ST_CHECK(pmm_free_count() == free0);
	ST_CHECK(vm_journal_rollback(s) == 0 && vm_journal_commit(s) == 0);
	vm_space_destroy(s);
	return 0;
}

SELFTEST(mm_journal_commit_keeps_the_run_and_refreezes)
{
	struct snap n;
	ST_CHECK(snap_run(&n) == 0);
	struct vm_space *s = n.s;
	size_t free0 = pmm_free_count();
	vm_space_activate(s);
	volatile uint8_t *p = (volatile uint8_t *)TEST_VA;
	struct trap_catch c;
	ST_CHECK(EXPECT_FAULT(&c, write_u8(p, 'X')) == 14);
	ST_CHECK(vm_cow_break(s, c.addr) == 0);
	write_u8(p, 'X');
	ST_CHECK(p[1] == 'a' && pmm_free_count() == free0 - 1);
	ST_CHECK(vm_journal_commit(s) == 1);
	ST_CHECK(pmm_free_count() == free0 && pmm_refcount(n.pa[0]) == 0); /* the original is gone */
	uint64_t got;
	unsigned f;
	ST_CHECK(vm_translate(s, TEST_VA, &got, &f) == 0 && got != n.pa[0]);
	ST_CHECK((f & (VM_COW | VM_WRITE)) == VM_COW && p[0] == 'X' && p[1] == 'a');
	/* frozen again, TLB included: the next run's first write faults, and
	 * its rollback is seen through the user address at once */
	ST_CHECK(vm_journal_begin(s) == 0);
	ST_CHECK(EXPECT_FAULT(&c, write_u8(p + 1, 'Y')) == 14);
	ST_CHECK(vm_cow_break(s, c.addr) == 0);
	write_u8(p + 1, 'Y');
	ST_CHECK(vm_journal_rollback(s) == 1);
	ST_CHECK(p[0] == 'X' && p[1] == 'a' && pmm_free_count() == free0);
	ST_CHECK(EXPECT_FAULT(&c, write_u8(p, 'Z')) == 14);
	vm_space_activate(NULL);
	vm_space_destroy(s);
	return 0;
}

SELFTEST(mm_journal_destroy_while_recording)
{
	size_t free0 = pmm_free_count();
	struct snap n;
	ST_CHECK(snap_run(&n) == 0);
	struct vm_space *s = n.s;
	ST_CHECK(vm_cow_break(s, JVA(0)) == 0);
	ST_CHECK(vm_unmap(s, JVA(1)) == 0);
	ST_CHECK(vm_map(s, JVA(9), pmm_alloc_zeroed(), VM_WRITE | VM_USER) == 0);
	vm_space_destroy(s);
	ST_CHECK(pmm_free_count() == free0);
	return 0;
}

SELFTEST(mm_journal_clone_while_recording)
{
	struct snap n;
	ST_CHECK(snap_run(&n) == 0);
	struct vm_space *s = n.s;
	uint64_t *pa = n.pa, copy, got;
	ST_CHECK(vm_cow_break(s, JVA(0)) == 0 && vm_translate(s, JVA(0), &copy, NULL) == 0);
	memset(phys_to_virt(copy), 'X', PAGE_SIZE);
	struct vm_space *b = vm_space_clone_cow(s);
	ST_CHECK(b != NULL && vm_journal_pages(b) == 0);
	ST_CHECK(pmm_refcount(copy) == 2 && pmm_refcount(pa[1]) == 2);
	ST_CHECK(vm_cow_break(s, JVA(1)) == 0 && pmm_refcount(pa[1]) == 2); /* b and the journal */
	ST_CHECK(vm_journal_rollback(s) == 2);
	ST_CHECK(pmm_refcount(pa[1]) == 2 && pmm_refcount(copy) == 1);
	ST_CHECK(vm_translate(s, JVA(0), &got, NULL) == 0 && got == pa[0] && page_is(got, 'a'));
	ST_CHECK(vm_translate(b, JVA(0), &got, NULL) == 0 && got == copy && page_is(got, 'X'));
	vm_space_destroy(b);
	vm_space_destroy(s);
	return 0;
}

/* ---- W^X, guard pages, stacks ---- */

static const uint64_t rodata_word = 0x5EC7E7;
static uint8_t data_code[16] = {0xC3}; /* ret */

static __attribute__((noipa)) void call(void (*fn)(void))
{
	fn();
}

SELFTEST(mm_kernel_image_wx)
{
	struct trap_catch c;
	volatile uint8_t *text = (volatile uint8_t *)read_u64;
	ST_CHECK(EXPECT_FAULT(&c, write_u8(text, *text)) == 14);
	ST_CHECK((c.error & 3) == 3 && c.addr == (uint64_t)text);
	ST_CHECK(EXPECT_FAULT(&c, write_u8((volatile uint8_t *)&rodata_word, 0)) == 14);
	ST_CHECK((c.error & 3) == 3);
	/* nor through the direct map's alias of the image */
	volatile uint8_t *alias = phys_to_virt(kernel_virt_to_phys((const void *)text));
	ST_CHECK(EXPECT_FAULT(&c, write_u8(alias, *alias)) == 14);

	unsigned f;
	ST_CHECK(vm_translate(NULL, (uintptr_t)text, NULL, &f) == 0 && (f & VM_EXEC) && !(f & VM_WRITE));
	ST_CHECK(vm_translate(NULL, (uintptr_t)&rodata_word, NULL, &f) == 0 && !(f & VM_WRITE));
	ST_CHECK(vm_translate(NULL, (uintptr_t)data_code, NULL, &f) == 0 && (f & VM_WRITE));
	if (!vm_nx_enabled()) {
		kprintf("selftest:   no NX on this CPU: execute checks skipped\n");
		return 0;
	}
	ST_CHECK(!(f & VM_EXEC));
	ST_CHECK(EXPECT_FAULT(&c, call((void (*)(void))data_code)) == 14);
	ST_CHECK((c.error & 0x11) == 0x11 && c.addr == (uint64_t)data_code); /* present, fetch */
	uint8_t *heap_code = kmalloc(16);
	ST_CHECK(heap_code != NULL);
	heap_code[0] = 0xC3;
	long v = EXPECT_FAULT(&c, call((void (*)(void))heap_code));
	kfree(heap_code);
	ST_CHECK(v == 14 && (c.error & 0x10));
	return 0;
}

SELFTEST(mm_guard_pages_and_no_identity_map)
{
	uintptr_t guards[8];
	size_t n = arch_stack_guards(guards, ARRAY_SIZE(guards));
	ST_CHECK(n >= 1);
	struct trap_catch c;
	for (size_t i = 0; i < n; i++) {
		ST_CHECK(!arch_kernel_mapped(guards[i]));
		ST_CHECK(EXPECT_FAULT(&c, read_u64((volatile uint64_t *)guards[i])) == 14);
		ST_CHECK(c.addr == guards[i]);
	}
	uint8_t *top = vm_stack_alloc(2);
	ST_CHECK(top != NULL);
	ST_CHECK(arch_kernel_mapped((uintptr_t)top - 1) &&
		 arch_kernel_mapped((uintptr_t)top - 2 * PAGE_SIZE));
	ST_CHECK(!arch_kernel_mapped((uintptr_t)top - 2 * PAGE_SIZE - 1));
	top[-1] = 1;
	long v = EXPECT_FAULT(&c, write_u8(top - 2 * PAGE_SIZE - 8, 1));
	vm_stack_free(top);
	ST_CHECK(v == 14);
	ST_CHECK(!arch_kernel_mapped((uintptr_t)top - 1)); /* freed stacks are unmapped */
	/* low memory is reachable only through the direct map */
	ST_CHECK(vm_translate(NULL, 0x100000, NULL, NULL) == -EFAULT);
	ST_CHECK(EXPECT_FAULT(&c, read_u64((volatile uint64_t *)0x100000)) == 14);
	uint64_t pa;
	ST_CHECK(vm_translate(NULL, (uintptr_t)phys_to_virt(0x100000), &pa, NULL) == 0 && pa == 0x100000);
	return 0;
}

SELFTEST(mm_vm_mmio_window)
{
	ST_CHECK(vm_map_mmio(0xFEE00000, 0x1000) == phys_to_virt(0xFEE00000)); /* below 4 GiB */
	uint64_t phys = 0x4000000123ull; /* 256 GiB: above 4 GiB, nothing there */
	uint8_t *a = vm_map_mmio(phys, 0x2000);
	ST_CHECK(a != NULL && ((uintptr_t)a & 0xFFF) == 0x123);
	ST_CHECK((uintptr_t)a >= 0xFFFFFE8000000000ull && (uintptr_t)a < 0xFFFFFF0000000000ull);
	uint64_t pa;
	unsigned f;
	ST_CHECK(vm_translate(NULL, (uintptr_t)a + 0x1F00, &pa, &f) == 0 && pa == phys + 0x1F00);
	ST_CHECK((f & VM_WRITE) && (!(f & VM_EXEC) || !vm_nx_enabled()));
	ST_CHECK(vm_translate(NULL, (uintptr_t)a + 0x2000 - 0x123 + 0x1000, NULL, NULL) == -EFAULT);
	uint8_t *b = vm_map_mmio(phys, 1);
	ST_CHECK(b != NULL && b != a); /* a fresh mapping each time */
	return 0;
}

static __attribute__((noipa)) unsigned long recurse(volatile unsigned long *depth)
{
	volatile char frame[200];
	frame[0] = (char)*depth;
	if (++*depth > 1000000)
		return 0; /* never: the guard page stops it far earlier */
	return recurse(depth) + (unsigned long)frame[0];
}

static void overflow(void *arg)
{
	recurse(arg);
}

SELFTEST(mm_kernel_stack_overflow_hits_guard)
{
	uint8_t *top = vm_stack_alloc(2);
	ST_CHECK(top != NULL);
	volatile unsigned long depth = 0;
	struct trap_catch c;
	volatile bool caught = false;
	if (trap_catch_try_double_fault(&c)) {
		arch_run_on_stack(top, overflow, (void *)&depth);
		trap_catch_end();
	} else {
		caught = true;
	}
	vm_stack_free(top);
	kprintf("selftest:   overflow after %lu frames: %s at %#lx\n", (unsigned long)depth,
		trap_name((unsigned)c.vector), (unsigned long)c.addr);
	ST_CHECK(caught);
	/* the page fault could not push its frame on the full stack: double fault */
	ST_CHECK(c.vector == 8 || c.vector == 14);
	uint64_t guard = (uint64_t)top - 3 * PAGE_SIZE;
	ST_CHECK(c.addr >= guard && c.addr < guard + PAGE_SIZE);
	ST_CHECK(depth > 10);
	return 0;
}

/* ---- heap ---- */

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static bool intact(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 13))
			return false;
	return true;
}

SELFTEST(mm_heap_stress)
{
	enum { SLOTS = 256 };
	static uint8_t *p[SLOTS];
	static size_t sz[SLOTS];
	memset(p, 0, sizeof p);
	unsigned rng = (unsigned)rdtsc() | 1;
	for (int op = 0; op < 6000; op++) {
		rng = rng * 1103515245u + 12345u;
		int k = (int)((rng >> 8) % SLOTS);
		if (p[k]) {
			ST_CHECK(intact(p[k], sz[k], (unsigned)k) && heap_check(p[k]) == 0);
			kfree(p[k]);
			p[k] = NULL;
			continue;
		}
		rng = rng * 1103515245u + 12345u;
		sz[k] = (rng >> 4) % 16 == 0 ? (rng >> 8) % 24000 : (rng >> 8) % 600;
		p[k] = kmalloc(sz[k]);
		ST_CHECK(p[k] != NULL && ((uintptr_t)p[k] & 15) == 0);
		fill(p[k], sz[k], (unsigned)k);
	}
	for (int k = 0; k < SLOTS; k++) {
		if (!p[k])
			continue;
		ST_CHECK(intact(p[k], sz[k], (unsigned)k));
		kfree(p[k]);
	}
	/* krealloc keeps contents; kzalloc zeroes */
	uint8_t *r = kmalloc(10);
	fill(r, 10, 7);
	r = krealloc(r, 5000);
	ST_CHECK(r && intact(r, 10, 7));
	r = krealloc(r, 4);
	ST_CHECK(r && intact(r, 4, 7));
	kfree(r);
	uint8_t *z = kzalloc(300);
	for (int i = 0; i < 300; i++)
		ST_CHECK(z[i] == 0);
	kfree(z);
	return 0;
}

SELFTEST(mm_heap_corruption_detected)
{
	uint8_t *keep = kmalloc(24), *p = kmalloc(24);
	ST_CHECK(keep && p && heap_check(p) == 0);
#ifdef KDEBUG
	uint8_t saved = p[24];
	p[24] ^= 0xFF; /* one byte past the end */
	ST_CHECK(heap_check(p) == -EOVERFLOW);
	p[24] = saved;
	ST_CHECK(heap_check(p) == 0);
#endif
	kfree(p);
	ST_CHECK(heap_check(p) == -EINVAL); /* freed: a second kfree would panic */
	ST_CHECK(heap_check(keep + 16) == -EFAULT);
	ST_CHECK(heap_check((void *)&rodata_word) == -EFAULT);
	kfree(keep);
	return 0;
}
