/* simdisk.c - the simulated block device of the store's host tests (simdisk.h). */
#include "simdisk.h"

#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

static void *sim_alloc(size_t n)
{
	return malloc(n ? n : 1);
}

const struct store_env sim_env = {.alloc = sim_alloc, .free = free, .seed = 0x5eed};

size_t sim_bytes(const struct simdisk *d)
{
	return (size_t)d->dev.sectors * d->dev.sector_size;
}

static struct simdisk *of(struct blkdev *dev)
{
	return dev->priv;
}

static int sim_read(struct blkdev *dev, uint64_t sector, uint32_t count, void *buf)
{
	struct simdisk *d = of(dev);
	size_t ss = dev->sector_size;
	if (d->dead)
		return -EIO;
	memcpy(buf, (d->durable ? d->durable : d->base) + sector * ss, count * ss);
	for (unsigned i = 0; i < d->npending; i++) {
		const struct sim_write *w = &d->pending[i];
		uint64_t lo = w->sector > sector ? w->sector : sector;
		uint64_t hi = w->sector + w->count < sector + count ? w->sector + w->count : sector + count;
		if (lo < hi)
			memcpy((uint8_t *)buf + (lo - sector) * ss, w->data + (lo - w->sector) * ss,
			       (hi - lo) * ss);
	}
	return 0;
}

static int sim_write(struct blkdev *dev, uint64_t sector, uint32_t count, const void *buf)
{
	struct simdisk *d = of(dev);
	size_t ss = dev->sector_size;
	if (d->dead)
		return -EIO;
	if (d->fail_writes > 0) {
		d->fail_writes--;
		return -EIO;
	}
	for (unsigned i = 0; i < d->npending; i++)
		if (d->pending[i].sector < sector + count &&
		    sector < d->pending[i].sector + d->pending[i].count)
			d->rewrites++;
	if (d->npending == SIM_PENDING_MAX)
		abort(); /* a test issuing this many writes without a flush is wrong */
	struct sim_write *w = &d->pending[d->npending++];
	*w = (struct sim_write){.sector = sector, .count = count, .data = malloc(count * ss)};
	memcpy(w->data, buf, count * ss);
	if ((long)d->writes++ == d->cut_at) {
		d->dead = true; /* the write reached the device, or part of it, or not */
		return -EIO;
	}
	return 0;
}

static void apply(uint8_t *img, const struct sim_write *w, size_t ss, bool torn)
{
	for (uint32_t s = 0; s < w->count; s++)
		if (!torn || (s < 64 && (w->torn >> s & 1)))
			memcpy(img + (w->sector + s) * ss, w->data + s * ss, ss);
}

static int sim_flush(struct blkdev *dev)
{
	struct simdisk *d = of(dev);
	if (d->dead)
		return -EIO;
	if (d->fail_flushes > 0) {
		d->fail_flushes--;
		return -EIO;
	}
	if (!d->durable) {
		d->durable = malloc(sim_bytes(d));
		memcpy(d->durable, d->base, sim_bytes(d));
	}
	for (unsigned i = 0; i < d->npending; i++) {
		apply(d->durable, &d->pending[i], dev->sector_size, false);
		free(d->pending[i].data);
	}
	d->npending = 0;
	d->flushes++;
	return 0;
}

static const struct blkdev_ops sim_ops = {sim_read, sim_write, sim_flush};

void sim_init(struct simdisk *d, uint32_t sector_size, uint64_t sectors)
{
	*d = (struct simdisk){.cut_at = -1};
	d->dev = (struct blkdev){
		.name = "sim", .sector_size = sector_size, .sectors = sectors, .ops = &sim_ops, .priv = d};
	d->durable = calloc(1, sim_bytes(d));
}

void sim_init_from(struct simdisk *d, const struct simdisk *from, const uint8_t *base)
{
	*d = (struct simdisk){.cut_at = -1, .base = base};
	d->dev = (struct blkdev){.name = "sim",
				 .sector_size = from->dev.sector_size,
				 .sectors = from->dev.sectors,
				 .ops = &sim_ops,
				 .priv = d};
}

void sim_destroy(struct simdisk *d)
{
	for (unsigned i = 0; i < d->npending; i++)
		free(d->pending[i].data);
	d->npending = 0;
	free(d->durable);
	d->durable = NULL;
}

void sim_crash_image(const struct simdisk *d, uint64_t keep, uint64_t tear, uint8_t *out)
{
	memcpy(out, d->durable ? d->durable : d->base, sim_bytes(d));
	for (unsigned i = 0; i < d->npending && i < 64; i++)
		if (keep >> i & 1)
			apply(out, &d->pending[i], d->dev.sector_size, tear >> i & 1);
}
