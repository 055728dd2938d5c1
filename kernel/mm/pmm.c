/*
 * pmm.c - the kernel's physical page allocator: one struct pmm (pmm_core.c)
 * built from the boot memory map, guarded against interrupts, with misuse
 * turned into panics; and mm_report, the memory summary.
 */
#include "kernel/boot/bootinfo.h"
#include "kernel/log/klog.h"
#include "mm_internal.h"
#include "pmm_core.h"

static struct pmm pmm;
static const struct bootinfo *boot_info; /* kmain's copy: lives for ever */

static void *direct(uint64_t pa)
{
	return phys_to_virt(pa);
}

void pmm_init(const struct bootinfo *bi)
{
	boot_info = bi;
	/* Before vm_init only [0, 4 GiB) is reachable (the boot tables' direct map). */
	int err = pmm_core_init(&pmm, bi, kernel_virt_to_phys(_kernel_start),
				kernel_virt_to_phys(_kernel_end), 4ull << 30, direct);
	if (err)
		panic("pmm_init: no room below 4 GiB for the page bookkeeping (%d)", err);
	klog(KLOG_DEBUG, "pmm: %lu pages in %lu ranges, bookkeeping %lu KiB at %#lx",
	     (unsigned long)pmm.total, (unsigned long)pmm.nranges, (unsigned long)(pmm.meta_bytes >> 10),
	     (unsigned long)pmm.meta_pa);
	if (pmm.lost_bytes)
		klog(KLOG_WARN, "pmm: memory map too fragmented, %lu KiB unused",
		     (unsigned long)(pmm.lost_bytes >> 10));
}

void pmm_set_limit(uint64_t limit)
{
	uint64_t f = irq_save();
	pmm_core_set_limit(&pmm, limit);
	irq_restore(f);
}

uint64_t pmm_alloc(void)
{
	uint64_t f = irq_save();
	uint64_t pa = pmm_core_alloc(&pmm);
	irq_restore(f);
	return pa;
}

uint64_t pmm_alloc_zeroed(void)
{
	uint64_t pa = pmm_alloc();
	if (pa)
		arch_page_zero(phys_to_virt(pa));
	return pa;
}

uint64_t pmm_alloc_contig(size_t count, size_t align_pages)
{
	uint64_t f = irq_save();
	uint64_t pa = pmm_core_alloc_contig(&pmm, count, align_pages);
	irq_restore(f);
	return pa;
}

static void misuse(const char *fn, uint64_t pa, int err)
{
	if (err == PMM_ERR_FREE)
		panic("%s: page %#lx is not allocated (double free?)", fn, (unsigned long)pa);
	if (err == PMM_ERR_UNMANAGED)
		panic("%s: %#lx is not a page the allocator hands out", fn, (unsigned long)pa);
	panic("%s: page %#lx: error %d", fn, (unsigned long)pa, err);
}

void pmm_free(uint64_t pa)
{
	uint64_t f = irq_save();
	int err = pmm_core_free(&pmm, pa);
	irq_restore(f);
	if (err)
		misuse("pmm_free", pa, err);
}

void pmm_free_contig(uint64_t pa, size_t count)
{
	for (size_t i = 0; i < count; i++)
		pmm_free(pa + i * PAGE_SIZE);
}

int pmm_get(uint64_t pa)
{
	uint64_t f = irq_save();
	int err = pmm_core_get(&pmm, pa);
	irq_restore(f);
	if (err && err != -EOVERFLOW)
		misuse("pmm_get", pa, err);
	return err;
}

int pmm_refcount(uint64_t pa)
{
	return pmm_core_refcount(&pmm, pa);
}

size_t pmm_free_count(void)
{
	return pmm.free;
}

size_t pmm_total_count(void)
{
	return pmm.total;
}

const struct bootinfo *mm_boot_info(void)
{
	return boot_info;
}

/* "12 MiB" from 10 MiB up, else "345 KiB". */
static const char *size_str(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= (10ull << 20))
		ksnprintf(buf, n, "%lu MiB", (unsigned long)(bytes >> 20));
	else
		ksnprintf(buf, n, "%lu KiB", (unsigned long)(bytes >> 10));
	return buf;
}

void mm_report(void)
{
	char a[24], b[24], c[24], d[24], e[24], g[24], h[24];
	uint64_t managed = (uint64_t)pmm.total * PAGE_SIZE, free = (uint64_t)pmm.free * PAGE_SIZE;
	uint64_t accounted =
		managed + ALIGN_UP(pmm.kernel_bytes, PAGE_SIZE) + pmm.module_bytes + pmm.meta_bytes;
	uint64_t reserved = pmm.ram_bytes > accounted ? pmm.ram_bytes - accounted : 0;
	klog(KLOG_INFO, "mem: %s usable RAM, %s free; kernel image %s, modules %s, reserved %s",
	     size_str(a, sizeof a, pmm.ram_bytes), size_str(b, sizeof b, free),
	     size_str(c, sizeof c, pmm.kernel_bytes), size_str(d, sizeof d, pmm.module_bytes),
	     size_str(e, sizeof e, reserved));
	klog(KLOG_INFO, "mem: page bookkeeping %s, page tables %s, heap %s in use (%s in pages)",
	     size_str(a, sizeof a, pmm.meta_bytes),
	     size_str(g, sizeof g, (uint64_t)vm_table_pages * PAGE_SIZE),
	     size_str(h, sizeof h, kmalloc_bytes_in_use()),
	     size_str(b, sizeof b, (uint64_t)heap_pages() * PAGE_SIZE));
}
