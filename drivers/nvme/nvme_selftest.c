/*
 * nvme_selftest.c - the first NVMe disk (nvme0n1) written, flushed and read
 * back through the block interface, as the store uses it: 1 sector, 8, a
 * PRP list, a transfer split at MDTS, buffers at every kind of address; a
 * device error and a lost command give -EIO and the disk works on.
 *
 * The self-test boots attach a scratch NVMe disk (tests/run.py,
 * tests/system/test_selftest_iso.py); without one these tests fail. They
 * write sectors from SCRATCH_LBA on. What a user sees (sectors across a
 * QEMU restart, injected errors) is tests/system/test_nvme.py.
 */
#include "arch.h"
#include "kernel/block/block.h"
#include "kernel/mm/mm.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"
#include "lib/lib.h"
#include "nvme_internal.h"

#define SCRATCH_LBA 2048
#define BIG_PAGES 260 /* 1 MiB and some: more than QEMU's MDTS (512 KiB) */

static struct blkdev *disk(void)
{
	struct blkdev *d = block_find("nvme0n1");
	if (!d)
		kprintf("selftest:   no nvme0n1: the self-test boots attach an NVMe disk\n");
	return d;
}

/* A byte pattern unique to seed (a different seed, different bytes). */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

/* Writes count sectors at lba from wbuf (pattern seed), flushes, reads them
 * into rbuf (cleared first) and compares. 0 or the first failing step. */
static int roundtrip(struct blkdev *d, uint64_t lba, uint32_t count, uint8_t *wbuf, uint8_t *rbuf,
		     uint32_t seed)
{
	size_t n = (size_t)count * d->sector_size;
	fill(wbuf, n, seed);
	memset(rbuf, 0, n);
	uint64_t flushes = d->flushes;
	ST_CHECK(block_write(d, lba, count, wbuf) == 0);
	ST_CHECK(block_flush(d) == 0);
	ST_CHECK(block_read(d, lba, count, rbuf) == 0);
	ST_CHECK(memcmp(wbuf, rbuf, n) == 0);
	ST_CHECK(d->flushes == flushes + 1);
	return 0;
}

struct bufs {
	uint64_t pa;
	uint8_t *w, *r; /* BIG_PAGES / 2 pages each */
};

static int bufs_alloc(struct bufs *b)
{
	b->pa = pmm_alloc_contig(BIG_PAGES * 2, 1);
	if (!b->pa)
		return -ENOMEM;
	b->w = phys_to_virt(b->pa);
	b->r = b->w + (size_t)BIG_PAGES * PAGE_SIZE;
	return 0;
}

static void bufs_free(struct bufs *b)
{
	pmm_free_contig(b->pa, BIG_PAGES * 2);
}

SELFTEST(nvme_rw_1_8_sectors_and_prp_list)
{
	struct blkdev *d = disk();
	struct bufs b;
	ST_CHECK(d != NULL);
	ST_CHECK(strcmp(d->name, "nvme0n1") == 0 && d->sectors > SCRATCH_LBA + 8192);
	ST_CHECK(bufs_alloc(&b) == 0);
	int err = roundtrip(d, SCRATCH_LBA, 1, b.w, b.r, 1);
	if (!err) /* written again: the read sees the second write, not the first */
		err = roundtrip(d, SCRATCH_LBA, 1, b.w, b.r, 2);
	if (!err)
		err = roundtrip(d, SCRATCH_LBA + 1, 8, b.w, b.r, 3);
	if (!err) /* 64 KiB: a PRP list of 15 entries */
		err = roundtrip(d, SCRATCH_LBA + 16, 65536 / d->sector_size, b.w, b.r, 4);
	/* 1 MiB and a sector: split at the controller's limit (QEMU: 512 KiB,
	 * three commands each way), each piece a PRP list */
	struct nvme_stats s0, s1;
	nvme_stats_get(d, &s0);
	uint32_t big = (1u << 20) / d->sector_size + 1;
	if (!err)
		err = roundtrip(d, SCRATCH_LBA + 256, big, b.w, b.r, 5);
	nvme_stats_get(d, &s1);
	bufs_free(&b);
	if (err)
		return err;
	uint64_t pieces = ((uint64_t)big * d->sector_size + s0.max_bytes - 1) / s0.max_bytes;
	ST_CHECK(pieces >= 2);
	ST_CHECK(s1.commands - s0.commands == 2 * pieces + 1);
	return 0;
}

SELFTEST(nvme_rw_buffers_at_any_address)
{
	struct blkdev *d = disk();
	struct bufs b;
	uint8_t stack_w[1536], stack_r[1536];
	ST_CHECK(d != NULL);
	ST_CHECK(bufs_alloc(&b) == 0);
	/* mid-page (the first PRP has an offset), not sector aligned (4 bytes in),
	 * odd (through the bounce page, more than a page of it), kernel stack */
	int err = roundtrip(d, SCRATCH_LBA + 4096, 24, b.w + 2048, b.r + 2048, 6);
	if (!err)
		err = roundtrip(d, SCRATCH_LBA + 4096, 9, b.w + 4, b.r + 4, 7);
	if (!err)
		err = roundtrip(d, SCRATCH_LBA + 4096, (PAGE_SIZE / d->sector_size) * 2 + 1, b.w + 1, b.r + 3,
				8);
	if (!err && d->sector_size == 512)
		err = roundtrip(d, SCRATCH_LBA + 4096, 3, stack_w, stack_r, 9);
	bufs_free(&b);
	if (err)
		return err;
	/* a read into memory the kernel may not write is refused, not DMA'd */
	ST_CHECK(block_read(d, SCRATCH_LBA, 1, (void *)(uintptr_t)_rodata_start) == -EFAULT);
	return 0;
}

/* A command the device fails (an LBA past the end, sent to the driver
 * directly: the block layer would refuse it) is -EIO and nothing more. */
SELFTEST(nvme_device_error_is_eio)
{
	struct blkdev *d = disk();
	ST_CHECK(d != NULL);
	struct bufs b;
	ST_CHECK(bufs_alloc(&b) == 0);
	int rd = d->ops->read(d, d->sectors, 1, b.r);
	int wr = d->ops->write(d, d->sectors - 1, 2, b.w);
	int again = roundtrip(d, SCRATCH_LBA, 1, b.w, b.r, 10);
	bufs_free(&b);
	ST_CHECK(rd == -EIO);
	ST_CHECK(wr == -EIO);
	return again;
}

SELFTEST(nvme_lost_command_resets_controller)
{
	struct blkdev *d = disk();
	struct nvme_stats before, after;
	ST_CHECK(d != NULL);
	struct bufs b;
	ST_CHECK(bufs_alloc(&b) == 0);
	nvme_stats_get(d, &before);
	nvme_test_lose_commands(d, 1, 20 * NS_PER_MS);
	int lost = block_read(d, SCRATCH_LBA, 1, b.r);
	nvme_stats_get(d, &after);
	int again = roundtrip(d, SCRATCH_LBA, 1, b.w, b.r, 11);
	bufs_free(&b);
	ST_CHECK(lost == -EIO);
	ST_CHECK(after.timeouts == before.timeouts + 1);
	ST_CHECK(after.resets == before.resets + 1);
	ST_CHECK(!after.dead);
	return again;
}

/* What one 4 KiB write plus a flush costs: the figure docs/DEVICES.md quotes. */
SELFTEST(nvme_write_flush_cost)
{
	struct blkdev *d = disk();
	struct nvme_stats s0, s1;
	enum { ROUNDS = 32 };
	ST_CHECK(d != NULL);
	uint8_t *p = phys_to_virt(pmm_alloc_zeroed());
	ST_CHECK(p != phys_to_virt(0));
	fill(p, PAGE_SIZE, 12);
	uint32_t n = PAGE_SIZE / d->sector_size;
	int err = 0;
	nvme_stats_get(d, &s0);
	uint64_t t0 = rdtsc(), ns0 = clock_now_ns();
	for (int i = 0; i < ROUNDS && !err; i++) {
		err = block_write(d, SCRATCH_LBA + (uint64_t)i * n, n, p);
		if (!err)
			err = block_flush(d);
	}
	uint64_t ticks = rdtsc() - t0, ns = clock_now_ns() - ns0;
	nvme_stats_get(d, &s1);
	pmm_free(virt_to_phys(p));
	ST_CHECK(err == 0);
	ST_CHECK(s1.commands - s0.commands == 2 * ROUNDS);
	/* Under -icount the TSC counts instructions: ticks less the waits is the
	 * CPU's own work, the same on every run. */
	uint64_t wait = s1.wait_tsc - s0.wait_tsc;
	kprintf("selftest:   nvme 4 KiB write+flush: %llu ns, %llu TSC ticks (%llu outside the waits), %llu "
		"polls\n",
		(unsigned long long)(ns / ROUNDS), (unsigned long long)(ticks / ROUNDS),
		(unsigned long long)((ticks - wait) / ROUNDS),
		(unsigned long long)((s1.spins - s0.spins) / ROUNDS));
	return 0;
}

/* The I/O command and then the reset's first admin command are lost: the
 * reset fails, the disk is dead, and every call is -EIO from then on. Run
 * only when named (it leaves the disk dead): system/nvme.failed_reset_*. */
SELFTEST_FLAGS(nvme_failed_reset_leaves_disk_dead, SELFTEST_SLOW)
{
	struct blkdev *d = disk();
	struct nvme_stats s;
	ST_CHECK(d != NULL);
	struct bufs b;
	ST_CHECK(bufs_alloc(&b) == 0);
	nvme_test_lose_commands(d, 2, 20 * NS_PER_MS);
	int lost = block_write(d, SCRATCH_LBA, 1, b.w);
	nvme_stats_get(d, &s);
	int rd = block_read(d, SCRATCH_LBA, 1, b.r), wr = block_write(d, SCRATCH_LBA, 1, b.w);
	int fl = block_flush(d);
	bufs_free(&b);
	ST_CHECK(lost == -EIO);
	ST_CHECK(s.dead && s.resets == 1 && s.timeouts == 2);
	ST_CHECK(rd == -EIO && wr == -EIO && fl == -EIO);
	return 0;
}
