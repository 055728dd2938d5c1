/*
 * virtq.h - a virtio split virtqueue, the driver's side (virtio 1.x, 2.6):
 * descriptor table, available ring (driver -> device), used ring (device ->
 * driver), and the free list of descriptors threaded through `next`.
 *
 * Invariants: size is a power of two, 1..VIRTQ_MAX; num_free descriptors
 * are on the free list starting at free_head; avail->idx counts chains
 * published, used->idx (written by the device) chains returned, and
 * last_used the ones the driver has taken back (used->idx - last_used is
 * never more than size: more is a device lying, reported as -EIO). An id
 * the device returns is checked to be the head of a chain in flight.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#ifndef DRIVERS_VIRTIO_VIRTQ_H
#define DRIVERS_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX 256
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer */

struct virtq_desc {
	uint64_t addr; /* physical */
	uint32_t len;
	uint16_t flags, next;
};

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1 /* avail->flags: the driver polls, the device need not interrupt */
struct virtq_avail {
	uint16_t flags, idx;
	uint16_t ring[]; /* size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id, len;
};

struct virtq_used {
	uint16_t flags, idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* One buffer of a chain: physical address, length, device-writable. */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

struct virtq {
	uint16_t size;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	uint16_t free_head, num_free, last_used;
	bool in_flight[VIRTQ_MAX]; /* by head descriptor */
};

/* Bytes of the three parts for size entries, and their offsets when laid
 * out in one zeroed block (desc 16-aligned, avail 2, used 4). */
struct virtq_layout {
	size_t desc_off, avail_off, used_off, total;
};
/* 0, or -EINVAL for a size that is not a power of two in 1..VIRTQ_MAX. */
int virtq_layout(uint16_t size, struct virtq_layout *out);
/* Sets up q over a zeroed block laid out by virtq_layout; 0 or -EINVAL. */
int virtq_init(struct virtq *q, uint16_t size, void *mem);
/* Puts a chain of n buffers in the descriptor table and publishes its head
 * in the available ring. Returns the head, or -ENOSPC (not enough free
 * descriptors) / -EINVAL (n == 0). The caller notifies the device. */
int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, size_t n);
/* Takes back one chain the device returned: 1 with *head and *len, 0 when
 * nothing new, -EIO when the device broke the ring's rules. */
int virtq_reap(struct virtq *q, uint16_t *head, uint32_t *len);

#endif
