/*
 * virtq.c - the split virtqueue's ring arithmetic (layout and invariants:
 * virtq.h). The device shares this memory: every index it writes is taken
 * modulo size and checked before use, and memory barriers order the
 * descriptor writes before the index that publishes them.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "virtq.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

/* Orders memory accesses to the shared rings against the device's. On x86
 * stores are not reordered with stores, nor loads with loads: a compiler
 * barrier suffices for those; a full fence for load-after-store. */
#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST) /* the compiler's order only */
#define fence() __atomic_thread_fence(__ATOMIC_SEQ_CST) /* mfence */

static bool pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int virtq_layout(uint16_t size, struct virtq_layout *out)
{
	if (!pow2(size) || size > VIRTQ_MAX)
		return -EINVAL;
	out->desc_off = 0;
	out->avail_off = (size_t)16 * size;
	size_t avail_end = out->avail_off + 4 + 2 * (size_t)size + 2;
	out->used_off = ALIGN_UP(avail_end, 4);
	out->total = out->used_off + 4 + 8 * (size_t)size + 2;
	return 0;
}

int virtq_init(struct virtq *q, uint16_t size, void *mem)
{
	struct virtq_layout l;
	if (virtq_layout(size, &l))
		return -EINVAL;
	memset(q, 0, sizeof *q);
	q->size = size;
	q->desc = (struct virtq_desc *)mem;
	q->avail = (struct virtq_avail *)((uint8_t *)mem + l.avail_off);
	q->used = (struct virtq_used *)((uint8_t *)mem + l.used_off);
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1 < size ? i + 1 : 0);
	q->free_head = 0;
	q->num_free = size;
	return 0;
}

int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, size_t n)
{
	if (n == 0)
		return -EINVAL;
	if (n > q->num_free)
		return -ENOSPC;
	uint16_t head = q->free_head, d = head;
	for (size_t i = 0; i < n; i++) {
		volatile struct virtq_desc *desc = &q->desc[d];
		desc->addr = bufs[i].addr;
		desc->len = bufs[i].len;
		desc->flags = (uint16_t)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (i + 1 < n)
			d = desc->next; /* the free list's order is the chain's */
	}
	q->free_head = q->desc[d].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->in_flight[head] = true;
	q->avail->ring[q->avail->idx & (q->size - 1)] = head;
	barrier(); /* the entry before the index that publishes it */
	q->avail->idx = (uint16_t)(q->avail->idx + 1);
	fence(); /* the index before the caller's notify (and reading flags) */
	return head;
}

/* Returns the chain at head to the free list; its length, or -EIO if the
 * chain is not a well-formed chain of this queue. */
static int free_chain(struct virtq *q, uint16_t head)
{
	uint16_t d = head;
	unsigned n = 1;
	while (q->desc[d].flags & VIRTQ_DESC_F_NEXT) {
		d = q->desc[d].next;
		if (d >= q->size || ++n > q->size)
			return -EIO;
	}
	q->desc[d].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	return (int)n;
}

int virtq_reap(struct virtq *q, uint16_t *head, uint32_t *len)
{
	uint16_t used_idx = q->used->idx;
	barrier(); /* the index before the entries it covers */
	if (used_idx == q->last_used)
		return 0;
	if ((uint16_t)(used_idx - q->last_used) > q->size)
		return -EIO;
	volatile struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
	uint32_t id = e->id;
	if (id >= q->size || !q->in_flight[id])
		return -EIO;
	*head = (uint16_t)id;
	*len = e->len;
	q->last_used = (uint16_t)(q->last_used + 1);
	q->in_flight[id] = false;
	return free_chain(q, (uint16_t)id) < 0 ? -EIO : 1;
}
