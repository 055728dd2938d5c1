/*
 * heap_core.h - kmalloc's bookkeeping (private to kernel/mm and the host
 * tests). Plain C: pages come from a caller-supplied source, so the host
 * tests run it on malloc'd pages under AddressSanitizer. heap.c wraps one
 * instance for the kernel and turns detected corruption into panics.
 */
#ifndef KERNEL_MM_HEAP_CORE_H
#define KERNEL_MM_HEAP_CORE_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE 4096
#define HEAP_CLASSES 13
#define HEAP_MAX_SIZE 0x40000000u /* larger requests fail */

/* What heap_core_check and heap_core_free report. */
#define HEAP_ERR_NOT_BLOCK (-EFAULT) /* not a heap block, or its header is damaged */
#define HEAP_ERR_FREED (-EINVAL) /* the block is already free (double free) */
#define HEAP_ERR_OVERRUN (-EOVERFLOW) /* bytes after the block were written */

struct heap_slab;

struct heap {
	void *(*page_alloc)(size_t npages); /* npages contiguous, page-aligned, or NULL */
	void (*page_free)(void *p, size_t npages);
	bool debug; /* red zones after blocks, poison in freed ones */
	/* slabs of each class that have a free block */
	struct heap_slab *partial[HEAP_CLASSES];
	size_t bytes_in_use; /* sum of the sizes asked for */
	size_t pages; /* pages held from the source */
	size_t blocks; /* live blocks */
};

void heap_core_init(struct heap *h, void *(*page_alloc)(size_t), void (*page_free)(void *, size_t),
		    bool debug);
/* A 16-byte aligned block of at least size bytes, or NULL. */
void *heap_core_alloc(struct heap *h, size_t size);
/* Frees p (not NULL). 0, or HEAP_ERR_* and then nothing was changed. */
int heap_core_free(struct heap *h, void *p);
/* Checks p is a live block with intact header and red zone; no side effects. */
int heap_core_check(const struct heap *h, const void *p);
/* The size p was allocated with (p must pass heap_core_check). */
size_t heap_core_size(const void *p);
/* The bytes the block at p holds: its size plus the red zone after it. */
size_t heap_core_capacity(const void *p);

#endif
