/*
 * simdisk.h - a simulated block device for the store's host tests: it keeps
 * what is durable apart from the writes issued since the last flush, so a
 * test can cut the power at any write and build the disk a power cut could
 * leave (every subset of the unflushed writes, in any order, each
 * multi-sector write torn to any subset of its sectors: the durability
 * contract of kernel/block/block.h).
 */
#ifndef TESTS_HOST_SIMDISK_H
#define TESTS_HOST_SIMDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/block/block.h"
#include "kernel/store/store.h"

#define SIM_PENDING_MAX 256

struct sim_write {
	uint64_t sector;
	uint32_t count;
	uint8_t *data;
	uint64_t torn; /* sectors kept when applied torn: bit i = sector i (count <= 64) */
};

struct simdisk {
	struct blkdev dev;
	uint8_t *durable; /* sectors * sector_size bytes (owned unless base) */
	const uint8_t *base; /* a shared durable image: copied on the first flush */
	struct sim_write pending[SIM_PENDING_MAX];
	unsigned npending;
	unsigned long writes, flushes; /* issued so far */
	long cut_at; /* the write index at which the power goes (-1: never) */
	bool dead; /* power cut: every call fails */
	int fail_writes, fail_flushes; /* injected -EIO on every call while > 0 */
	unsigned rewrites; /* writes overlapping an unflushed write (store.c I6) */
};

extern const struct store_env sim_env; /* malloc, free */

/* A zeroed disk of `sectors` sectors of sector_size bytes. */
void sim_init(struct simdisk *d, uint32_t sector_size, uint64_t sectors);
/* A disk whose durable content is a copy of base's (shared until written). */
void sim_init_from(struct simdisk *d, const struct simdisk *from, const uint8_t *base);
void sim_destroy(struct simdisk *d);
/* The durable image after a power cut that kept pending write i when bit i
 * of keep is set (torn when bit i of tear is set: only its .torn sectors),
 * into out (sectors * sector_size bytes). */
void sim_crash_image(const struct simdisk *d, uint64_t keep, uint64_t tear, uint8_t *out);
size_t sim_bytes(const struct simdisk *d);

#endif
