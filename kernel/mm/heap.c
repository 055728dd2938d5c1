/*
 * heap.c - the kernel heap: one struct heap (heap_core.c) whose pages are
 * physically contiguous pmm runs reached through the direct map. Red zones
 * and poisoning are on in debug builds (KDEBUG). Corruption found at kfree is
 * a kernel bug and panics with the block's address; heap_check reports the
 * same findings as an error code (for tests and debugging aids).
 */
#include "heap_core.h"
#include "kernel/log/klog.h"
#include "mm_internal.h"

#ifdef KDEBUG
#define HEAP_DEBUG true
#else
#define HEAP_DEBUG false
#endif

static void *pages_alloc(size_t n);
static void pages_free(void *p, size_t n);

/* Usable as soon as pmm and the direct map are (heap_init only re-states it). */
static struct heap heap = {.page_alloc = pages_alloc, .page_free = pages_free, .debug = HEAP_DEBUG};

static void *pages_alloc(size_t n)
{
	uint64_t pa = pmm_alloc_contig(n, 1);
	return pa ? phys_to_virt(pa) : NULL;
}

static void pages_free(void *p, size_t n)
{
	pmm_free_contig(virt_to_phys(p), n);
}

void heap_init(void)
{
	/* The state is initialised statically (kmalloc works once vm_init is
	 * done); this marks the heap's place in the boot. */
	klog(KLOG_DEBUG, "heap: slabs up to 2000 bytes, pages beyond; red zones %s",
	     HEAP_DEBUG ? "on" : "off");
}

void *kmalloc(size_t size)
{
	uint64_t f = irq_save();
	void *p = heap_core_alloc(&heap, size);
	irq_restore(f);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	uint64_t f = irq_save();
	int err = heap_core_free(&heap, p);
	irq_restore(f);
	if (err == HEAP_ERR_FREED)
		panic("kfree: double free of %p", p);
	if (err == HEAP_ERR_OVERRUN)
		panic("kfree: buffer overrun: bytes past the end of block %p (%lu bytes) were written", p,
		      (unsigned long)heap_core_size(p));
	if (err)
		panic("kfree: %p is not a heap block (or its header was overwritten)", p);
}

void *krealloc(void *p, size_t size)
{
	if (!p)
		return kmalloc(size);
	if (size == 0) {
		kfree(p);
		return NULL;
	}
	if (heap_check(p) != 0)
		kfree(p); /* panics with the reason */
	void *n = kmalloc(size);
	if (!n)
		return NULL;
	size_t old = heap_core_size(p);
	memcpy(n, p, MIN(old, size));
	kfree(p);
	return n;
}

int heap_check(const void *p)
{
	uint64_t f = irq_save();
	int err = heap_core_check(&heap, p);
	irq_restore(f);
	return err;
}

size_t kmalloc_bytes_in_use(void)
{
	return heap.bytes_in_use;
}

size_t heap_pages(void)
{
	return heap.pages;
}
