/*
 * vm.c - the kernel's page tables, and the rules every address space keeps.
 *
 * vm_init replaces the boot tables (boot.S: 4 GiB identity map, 2 MiB pages,
 * everything writable and executable) with the kernel's own and switches CR3.
 * Kernel virtual layout, the upper half, shared by every address space:
 *
 *   0xFFFF800000000000  direct map: physical pa at DIRECT_MAP_BASE + pa for
 *                       all of [0, 4 GiB) and every memory-map region above
 *                       (up to 64 TiB: PML4 slots 256-383). RW, NX, 2 MiB
 *                       pages where alignment allows.
 *   0xFFFFFE8000000000  MMIO window (slot 509): device memory above 4 GiB,
 *                       uncached, handed out by vm_map_mmio, never reused.
 *   0xFFFFFF0000000000  kernel stacks (slot 510): 64 KiB slots; a stack fills
 *                       the top of its slot, the slot's lowest page (at least)
 *                       stays unmapped as its guard.
 *   0xFFFFFFFF80000000  the kernel image (slot 511) in 4 KiB pages: .text R-X,
 *                       .rodata R-- NX, .data/.bss RW- NX; the guard pages
 *                       of the static stacks (arch_stack_guards) unmapped.
 *
 * The user half [0, VM_USER_END) belongs to each address space (vm_space.c).
 * No identity map of low memory remains after vm_init.
 *
 * Attributes: no kernel mapping is both writable and executable; the direct
 * map's alias of .text and .rodata is read-only too. A direct-map 2 MiB page
 * holding no usable or ACPI RAM is uncached (PCD|PWT): it may be device
 * memory (MMIO, framebuffer, APIC). Kernel mappings are global when the CPU
 * has PGE, so switching address spaces keeps their TLB entries.
 *
 * Invariants:
 *   1. Every kernel-half PML4 entry is created by vm_init and never changes;
 *      vm_space_create copies them, so kernel mappings made later (stacks,
 *      MMIO) appear in every space at once.
 *   2. A user leaf holds one pmm reference to its page, unless PTE_NOREF
 *      (device memory). User table pages belong to their space and are freed
 *      with it; only 4 KiB leaves exist in the user half.
 *   3. PTE_COW (software bit 9) entries are never writable. A write to one
 *      goes through vm_cow_break, which copies the page unless the writer holds
 *      its last reference. So a page with several references is written by
 *      nobody through a COW mapping.
 *   4. A change to a present entry of the active space is followed by
 *      vm_flush_page before it can matter; other spaces need no flush (a CR3
 *      switch drops their non-global entries). New entries need no flush: the
 *      CPU does not cache non-present ones.
 *   5. PTE_NX is used only when the CPU has NX, and then EFER.NXE is on
 *      (vm_nx is PTE_NX or 0).
 *   6. PTE_JOURNALED (software bit 11) marks the user leaves a space's running
 *      journal lists (journal_core.c); an unmapped listed leaf keeps the bit
 *      with P = 0 until the run is committed or rolled back.
 */
#include "kernel/boot/bootinfo.h"
#include "kernel/log/klog.h"
#include "mm_internal.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define LARGE (2 * MiB)
#define SLOT_VA(slot) (0xFFFF000000000000ull | ((uint64_t)(slot) << 39))
#define DMAP_MAX (64ull << 40)
#define MMIO_BASE SLOT_VA(509)
#define MMIO_SIZE (512 * GiB)
#define STACK_BASE SLOT_VA(510)
#define STACK_SLOT (64 * 1024ull)
#define STACK_SLOTS 1024
#define KSTACK_PAGES 8

static pte_t *table_ptr(uint64_t pa)
{
	return phys_to_virt(pa);
}

static uint64_t table_alloc(void *ctx)
{
	(void)ctx;
	uint64_t pa = pmm_alloc_zeroed();
	if (pa)
		vm_table_pages++;
	return pa;
}

static void table_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	pmm_free(pa);
	vm_table_pages--;
}

const struct mmu vm_mmu = {table_ptr, table_alloc, table_free, NULL};
uint64_t vm_kernel_root;
pte_t vm_nx;
unsigned long vm_table_pages;

static pte_t pte_global; /* PTE_G when the CPU has PGE */
static uint64_t dmap_end; /* the direct map covers [0, dmap_end) where regions are */
static uint64_t dmap_bytes;
static unsigned dmap_large, dmap_small, dmap_uncached;
static uint64_t mmio_next = MMIO_BASE;
static uint64_t stack_slots_used[STACK_SLOTS / 64];
static void *kstack_top;

void vm_flush_page(uintptr_t va)
{
	invlpg(va);
}

bool vm_nx_enabled(void)
{
	return vm_nx != 0;
}

/* Maps one kernel page (level 0: 4 KiB, 1: 2 MiB). 0 or -ENOMEM. */
static int kmap(uint64_t va, uint64_t pa, pte_t flags, int level)
{
	pte_t *e = mmu_entry(&vm_mmu, vm_kernel_root, va, level, PTE_W);
	if (!e)
		return -ENOMEM;
	*e = pa | flags | PTE_P | pte_global | (level ? PTE_PS : 0);
	return 0;
}

static void kmap_boot(uint64_t va, uint64_t pa, pte_t flags, int level)
{
	if (kmap(va, pa, flags, level))
		panic("vm_init: out of memory for the kernel page tables (at %#lx)", (unsigned long)va);
}

/* ---- CPU features ---- */

static void cpu_paging_features(void)
{
	bool nx = cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).edx & (1u << 20));
	if (nx) {
		uint64_t efer = rdmsr(MSR_EFER);
		if (!(efer & EFER_NXE))
			wrmsr(MSR_EFER, efer | EFER_NXE);
		vm_nx = PTE_NX;
	}
	if (cpuid(1, 0).edx & (1u << 13))
		pte_global = PTE_G;
}

/* ---- the kernel image ---- */

static pte_t image_flags(uintptr_t va)
{
	if (va < (uintptr_t)_rodata_start)
		return 0; /* .text: read, execute */
	if (va < (uintptr_t)_data_start)
		return vm_nx; /* .rodata */
	return PTE_W | vm_nx; /* .data, .bss */
}

static void map_kernel_image(void)
{
	uintptr_t guards[8];
	size_t nguards = arch_stack_guards(guards, ARRAY_SIZE(guards));
	for (uintptr_t va = (uintptr_t)_kernel_start; va < (uintptr_t)_kernel_end; va += PAGE_SIZE) {
		bool guard = false;
		for (size_t i = 0; i < nguards; i++)
			guard |= ALIGN_DOWN(guards[i], PAGE_SIZE) == va;
		if (!guard)
			kmap_boot(va, kernel_virt_to_phys((void *)va), image_flags(va), 0);
	}
}

/* ---- the direct map ---- */

/* Whether [pa, pa + len) overlaps usable or ACPI RAM. */
static bool holds_ram(const struct bootinfo *bi, uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < bi->region_count; i++) {
		const struct boot_region *r = &bi->regions[i];
		if ((r->type == BOOT_MEM_USABLE || r->type == BOOT_MEM_ACPI) && r->base < pa + len &&
		    pa < r->base + r->len)
			return true;
	}
	return false;
}

static pte_t dmap_flags(const struct bootinfo *bi, uint64_t pa, uint64_t len)
{
	pte_t f = PTE_W | vm_nx;
	if (!holds_ram(bi, pa, len)) {
		f |= PTE_UNCACHED;
		dmap_uncached++;
	}
	/* the image's code and constants stay read-only through this alias too */
	if (pa >= kernel_virt_to_phys(_kernel_start) && pa < kernel_virt_to_phys(_data_start))
		f &= ~PTE_W;
	return f;
}

static bool chunk_has_image(uint64_t pa)
{
	return pa < ALIGN_UP(kernel_virt_to_phys(_kernel_end), LARGE) &&
	       pa + LARGE > ALIGN_DOWN(kernel_virt_to_phys(_kernel_start), LARGE);
}

/* Maps [lo, hi) inside the 2 MiB chunk at pa; skips what is already mapped
 * (memory-map regions may overlap). */
static void dmap_chunk(const struct bootinfo *bi, uint64_t pa, uint64_t lo, uint64_t hi)
{
	if (lo == pa && hi == pa + LARGE && !chunk_has_image(pa)) {
		pte_t *e = mmu_entry(&vm_mmu, vm_kernel_root, DIRECT_MAP_BASE + pa, MMU_LEVEL_2M, PTE_W);
		if (!e)
			panic("vm_init: out of memory for the direct map");
		if (*e & PTE_PS)
			return;
		if (!(*e & PTE_P)) {
			*e = pa | dmap_flags(bi, pa, LARGE) | PTE_P | PTE_PS | pte_global;
			dmap_bytes += LARGE;
			dmap_large++;
			return;
		}
		/* a page table is already there: fill it in below */
	}
	for (uint64_t q = lo; q < hi; q += PAGE_SIZE) {
		if (mmu_lookup(&vm_mmu, vm_kernel_root, DIRECT_MAP_BASE + q, NULL))
			continue;
		kmap_boot(DIRECT_MAP_BASE + q, q, dmap_flags(bi, q, PAGE_SIZE), 0);
		dmap_bytes += PAGE_SIZE;
		dmap_small++;
	}
}

static void dmap_range(const struct bootinfo *bi, uint64_t start, uint64_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(MIN(end, DMAP_MAX), PAGE_SIZE);
	for (uint64_t pa = ALIGN_DOWN(start, LARGE); pa < end; pa += LARGE)
		dmap_chunk(bi, pa, MAX(start, pa), MIN(end, pa + LARGE));
	dmap_end = MAX(dmap_end, end);
}

static void map_direct(const struct bootinfo *bi)
{
	dmap_range(bi, 0, 4 * GiB);
	for (size_t i = 0; i < bi->region_count; i++) {
		const struct boot_region *r = &bi->regions[i];
		uint64_t end = r->base + r->len < r->base ? ~0ull : r->base + r->len;
		if (end <= 4 * GiB)
			continue;
		if (r->base >= DMAP_MAX) {
			klog(KLOG_WARN, "vm: memory at %#lx is beyond the direct map; ignored",
			     (unsigned long)r->base);
			continue;
		}
		dmap_range(bi, MAX(r->base, 4 * GiB), end);
	}
}

/* ---- set-up ---- */

/* Creates the PML4 entries of the stack and MMIO areas now (invariant 1),
 * and the tables for their first 2 MiB, where most mappings will go. */
static void reserve_kernel_slots(void)
{
	uint64_t areas[] = {MMIO_BASE, STACK_BASE};
	for (size_t i = 0; i < ARRAY_SIZE(areas); i++)
		if (!mmu_entry(&vm_mmu, vm_kernel_root, areas[i], MMU_LEVEL_4K, PTE_W))
			panic("vm_init: out of memory");
}

void vm_init(const struct bootinfo *bi)
{
	cpu_paging_features();
	vm_kernel_root = table_alloc(NULL);
	if (!vm_kernel_root)
		panic("vm_init: out of memory");
	map_kernel_image();
	map_direct(bi);
	reserve_kernel_slots();
	write_cr3(vm_kernel_root);
	if (pte_global)
		write_cr4(read_cr4() | CR4_PGE);
	pmm_set_limit(dmap_end); /* every managed page is now reachable */
	kstack_top = vm_stack_alloc(KSTACK_PAGES);
	if (!kstack_top)
		panic("vm_init: no memory for the kernel stack");
	klog(KLOG_INFO, "vm: kernel W^X; direct map %lu MiB below %#lx (%u x 2 MiB, %u x 4 KiB, %u uncached)",
	     (unsigned long)(dmap_bytes >> 20), (unsigned long)dmap_end, dmap_large, dmap_small,
	     dmap_uncached);
	if (!vm_nx)
		klog(KLOG_WARN, "vm: this CPU has no NX: data and stacks stay executable");
}

void *vm_kernel_stack_top(void)
{
	return kstack_top;
}

/* ---- MMIO ---- */

void *vm_map_mmio(uint64_t phys, size_t size)
{
	if (size == 0)
		size = 1;
	if (phys + size >= phys && phys + size <= 4 * GiB)
		return phys_to_virt(phys);
	uint64_t start = ALIGN_DOWN(phys, PAGE_SIZE), end = ALIGN_UP(phys + size, PAGE_SIZE);
	if (end <= start || end - start > MMIO_BASE + MMIO_SIZE - mmio_next)
		return NULL;
	uint64_t f = irq_save();
	uint64_t va = mmio_next;
	mmio_next += end - start;
	irq_restore(f);
	for (uint64_t off = 0; off < end - start; off += PAGE_SIZE)
		if (kmap(va + off, start + off, PTE_W | PTE_UNCACHED | vm_nx, 0))
			return NULL; /* the window space is lost; the mapped pages stay */
	return (void *)(va + (phys - start));
}

/* ---- kernel stacks ---- */

static int stack_slot_take(void)
{
	for (int i = 0; i < STACK_SLOTS; i++) {
		if (!(stack_slots_used[i / 64] >> (i % 64) & 1)) {
			stack_slots_used[i / 64] |= 1ull << (i % 64);
			return i;
		}
	}
	return -1;
}

void *vm_stack_alloc(size_t pages)
{
	if (pages == 0 || pages > VM_STACK_MAX_PAGES)
		return NULL;
	uint64_t f = irq_save();
	int slot = stack_slot_take();
	irq_restore(f);
	if (slot < 0)
		return NULL;
	uint64_t top = STACK_BASE + (uint64_t)(slot + 1) * STACK_SLOT;
	for (size_t i = 1; i <= pages; i++) {
		uint64_t pa = pmm_alloc();
		if (!pa || kmap(top - i * PAGE_SIZE, pa, PTE_W | vm_nx, 0)) {
			if (pa)
				pmm_free(pa);
			vm_stack_free((void *)top);
			return NULL;
		}
	}
	return (void *)top;
}

void vm_stack_free(void *top)
{
	uint64_t t = (uint64_t)top;
	if (t <= STACK_BASE || t > STACK_BASE + STACK_SLOTS * STACK_SLOT || (t - STACK_BASE) % STACK_SLOT)
		panic("vm_stack_free: %p is not a kernel stack top", top);
	/* the stack's pages are mapped downwards from the top without gaps */
	for (uint64_t va = t - PAGE_SIZE; va > t - STACK_SLOT; va -= PAGE_SIZE) {
		pte_t *e = mmu_lookup(&vm_mmu, vm_kernel_root, va, NULL);
		if (!e)
			break;
		uint64_t pa = *e & PTE_ADDR;
		*e = 0;
		vm_flush_page(va);
		pmm_free(pa);
	}
	int slot = (int)((t - STACK_BASE) / STACK_SLOT) - 1;
	uint64_t f = irq_save();
	stack_slots_used[slot / 64] &= ~(1ull << (slot % 64));
	irq_restore(f);
}
