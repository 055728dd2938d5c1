/*
 * block.c - the block-device registry and the checked, counted device calls
 * (the interface and its durability contract: block.h).
 *
 * Host-buildable: yes (the store's host tests run it over a simulated disk).
 */
#include "kernel/block/block.h"
#include "lib/lib.h"
#include <optios/abi/errno.h>

static struct blkdev *devices;
static uint64_t (*clock_fn)(void);

void block_set_clock(uint64_t (*now)(void))
{
	clock_fn = now;
}

static uint64_t ticks(void)
{
	return clock_fn ? clock_fn() : 0;
}

uint64_t block_clock(void)
{
	return ticks();
}

static int range_ok(const struct blkdev *dev, uint64_t sector, uint32_t count)
{
	return count > 0 && sector < dev->sectors && count <= dev->sectors - sector;
}

int block_read(struct blkdev *dev, uint64_t sector, uint32_t count, void *buf)
{
	if (!range_ok(dev, sector, count))
		return -EINVAL;
	dev->reads++;
	uint64_t t0 = ticks();
	int r = dev->ops->read(dev, sector, count, buf);
	dev->ticks += ticks() - t0;
	if (r < 0)
		dev->errors++;
	return r;
}

int block_write(struct blkdev *dev, uint64_t sector, uint32_t count, const void *buf)
{
	if (!range_ok(dev, sector, count))
		return -EINVAL;
	dev->writes++;
	uint64_t t0 = ticks();
	int r = dev->ops->write(dev, sector, count, buf);
	dev->ticks += ticks() - t0;
	if (r < 0)
		dev->errors++;
	else
		dev->sectors_written += count;
	return r;
}

int block_flush(struct blkdev *dev)
{
	dev->flushes++;
	uint64_t t0 = ticks();
	int r = dev->ops->flush(dev);
	dev->ticks += ticks() - t0;
	if (r < 0)
		dev->errors++;
	return r;
}

int block_register(struct blkdev *dev)
{
	if (!dev->ops || !dev->sector_size || (dev->sector_size & (dev->sector_size - 1)) ||
	    dev->sector_size < 512 || dev->sector_size > 4096 || !dev->sectors)
		return -EINVAL;
	struct blkdev **p = &devices;
	while (*p)
		p = &(*p)->next;
	dev->next = NULL;
	*p = dev;
	return 0;
}

struct blkdev *block_find(const char *name)
{
	for (struct blkdev *d = devices; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

struct blkdev *block_first(void)
{
	return devices;
}
