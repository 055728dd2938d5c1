/* test_virtq.c - the split virtqueue's ring arithmetic (drivers/virtio/virtq.c),
 * with the test playing the device. */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "drivers/virtio/virtq.h"
#include "unit.h"

static void *mem;

static struct virtq make(uint16_t size)
{
	struct virtq_layout l;
	CHECK_EQ(virtq_layout(size, &l), 0);
	free(mem);
	mem = calloc(1, l.total);
	struct virtq q;
	CHECK_EQ(virtq_init(&q, size, mem), 0);
	return q;
}

/* The device: takes the next available chain and returns it used. */
static uint16_t device_complete(struct virtq *q, uint16_t *dev_avail, uint32_t len)
{
	uint16_t head = q->avail->ring[*dev_avail & (q->size - 1)];
	(*dev_avail)++;
	q->used->ring[q->used->idx & (q->size - 1)] = (struct virtq_used_elem){head, len};
	q->used->idx++;
	return head;
}

TEST(virtq_layout_aligns_each_part)
{
	struct virtq_layout l;
	CHECK_EQ(virtq_layout(16, &l), 0);
	CHECK_EQ(l.avail_off, 256);
	CHECK_EQ(l.used_off, 296); /* 256 + 4 + 32 + 2 = 294, up to 4 */
	CHECK_EQ(l.total, 296 + 4 + 128 + 2);
	CHECK_EQ(virtq_layout(256, &l), 0);
	CHECK_EQ(l.used_off % 4, 0);
	CHECK_EQ(virtq_layout(0, &l), -EINVAL);
	CHECK_EQ(virtq_layout(12, &l), -EINVAL);
	CHECK_EQ(virtq_layout(512, &l), -EINVAL);
}

TEST(virtq_chain_published_and_reaped)
{
	struct virtq q = make(4);
	struct virtq_buf b[3] = {{0x1000, 16, false}, {0x2000, 512, true}, {0x3000, 1, true}};
	int head = virtq_submit(&q, b, 3);
	CHECK_EQ(head, 0);
	CHECK_EQ(q.avail->idx, 1);
	CHECK_EQ(q.avail->ring[0], 0);
	CHECK_EQ(q.num_free, 1);
	uint16_t d1 = q.desc[0].next, d2 = q.desc[d1].next;
	CHECK_EQ(q.desc[0].flags, VIRTQ_DESC_F_NEXT);
	CHECK_EQ(q.desc[d1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	CHECK_EQ(q.desc[d1].addr, 0x2000);
	CHECK_EQ(q.desc[d2].flags, VIRTQ_DESC_F_WRITE);
	CHECK_EQ(q.desc[d2].len, 1);
	uint16_t got;
	uint32_t len;
	CHECK_EQ(virtq_reap(&q, &got, &len), 0); /* nothing yet */
	CHECK_EQ(virtq_submit(&q, b, 2), -ENOSPC);
	uint16_t dev_avail = 0;
	device_complete(&q, &dev_avail, 513);
	CHECK_EQ(virtq_reap(&q, &got, &len), 1);
	CHECK_EQ(got, 0);
	CHECK_EQ(len, 513);
	CHECK_EQ(q.num_free, 4);
	CHECK_EQ(virtq_submit(&q, b, 0), -EINVAL);
}

TEST(virtq_indices_wrap_past_65535)
{
	struct virtq q = make(8);
	struct virtq_buf b[3] = {{0x1000, 16, false}, {0x2000, 512, true}, {0x3000, 1, true}};
	uint16_t dev_avail = 0;
	for (unsigned i = 0; i < 70000; i++) {
		int head = virtq_submit(&q, b, 3);
		if (head < 0) {
			CHECK(head >= 0);
			return;
		}
		CHECK_EQ(device_complete(&q, &dev_avail, 1), head);
		uint16_t got;
		uint32_t len;
		CHECK_EQ(virtq_reap(&q, &got, &len), 1);
		CHECK_EQ(got, head);
	}
	CHECK_EQ(q.avail->idx, (uint16_t)70000);
	CHECK_EQ(q.num_free, 8);
}

TEST(virtq_lying_device_is_caught)
{
	struct virtq q = make(4);
	struct virtq_buf b[1] = {{0x1000, 16, false}};
	CHECK_EQ(virtq_submit(&q, b, 1), 0);
	uint16_t got;
	uint32_t len;
	/* an id never submitted */
	q.used->ring[0] = (struct virtq_used_elem){3, 0};
	q.used->idx = 1;
	CHECK_EQ(virtq_reap(&q, &got, &len), -EIO);
	/* an id out of range */
	q = make(4);
	CHECK_EQ(virtq_submit(&q, b, 1), 0);
	q.used->ring[0] = (struct virtq_used_elem){4000, 0};
	q.used->idx = 1;
	CHECK_EQ(virtq_reap(&q, &got, &len), -EIO);
	/* the used index jumping further than the ring holds */
	q = make(4);
	CHECK_EQ(virtq_submit(&q, b, 1), 0);
	q.used->idx = 9;
	CHECK_EQ(virtq_reap(&q, &got, &len), -EIO);
	/* the same chain returned twice */
	q = make(4);
	CHECK_EQ(virtq_submit(&q, b, 1), 0);
	q.used->ring[0] = (struct virtq_used_elem){0, 0};
	q.used->ring[1] = (struct virtq_used_elem){0, 0};
	q.used->idx = 2;
	CHECK_EQ(virtq_reap(&q, &got, &len), 1);
	CHECK_EQ(virtq_reap(&q, &got, &len), -EIO);
	free(mem);
	mem = NULL;
}
