/*
 * fuzz_store.c - libFuzzer target for the store's on-disk format
 * (kernel/store, docs/STORAGE.md). The input is a disk image (padded with
 * zeros to the minimum size, cut at 64 blocks); 512-byte sectors. Properties:
 *   - mounting it read-only never crashes: 0, or an error with a message;
 *   - fsck (store_check) never crashes: 0, or -EINVAL with a message;
 *   - a store that checks clean can be walked (every directory listed,
 *     every file read, the log read) without a malformed-value error;
 *   - a store that checks clean, mounted for writing, takes a commit and a
 *     sync and still checks clean after a remount.
 * Each input is tried twice: as it is (the checksums stop most damage at
 * the door), then with every checksum recomputed over the damaged bytes, as
 * a hostile image would have them, so the records and the file layer behind
 * them are parsed too.
 * Seeds: tests/fuzz/corpus/store/ (made by the host test
 * store_fuzz_seed_is_current, tests/host/test_store.c).
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "fuzz.h"
#include "kernel/store/store.h"
#include "kernel/store/store_internal.h"

#define SECTOR 512
#define MAX_BLOCKS 64

static uint8_t disk[MAX_BLOCKS * STORE_BLOCK];

static int mem_read(struct blkdev *d, uint64_t sector, uint32_t count, void *buf)
{
	(void)d;
	memcpy(buf, disk + sector * SECTOR, (size_t)count * SECTOR);
	return 0;
}

static int mem_write(struct blkdev *d, uint64_t sector, uint32_t count, const void *buf)
{
	(void)d;
	memcpy(disk + sector * SECTOR, buf, (size_t)count * SECTOR);
	return 0;
}

static int mem_flush(struct blkdev *d)
{
	(void)d;
	return 0;
}

static const struct blkdev_ops ops = {mem_read, mem_write, mem_flush};

static void *fz_alloc(size_t n)
{
	return malloc(n ? n : 1);
}
static const struct store_env env = {.alloc = fz_alloc, .free = free};

static void walk(struct store_tx *tx, uint64_t dir, int depth)
{
	static uint8_t buf[8192];
	struct store_fs_dirent de;
	uint64_t cookie = 0;
	int r;
	while (depth < 8 && (r = store_fs_readdir(tx, dir, &cookie, &de)) == 0) {
		struct store_fs_attr a;
		FUZZ_ASSERT(store_fs_stat(tx, de.ino, &a) == 0);
		if (a.type == STORE_FS_DIR)
			walk(tx, de.ino, depth + 1);
		else
			FUZZ_ASSERT(store_fs_read(tx, de.ino, 0, buf, sizeof buf) >= 0);
	}
	FUZZ_ASSERT(depth >= 8 || r == -ENOENT);
}

static void read_log(struct store *st)
{
	struct optios_log_record r;
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), 0},
			 end = {STORE_OBJ(STORE_CLASS_LOG, 0), UINT64_MAX};
	while (store_next(st, k, end, &k) == 0) {
		FUZZ_ASSERT(store_get(st, k, &r, sizeof r) == (int)sizeof r);
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
}

/* A write on a clean store keeps it clean. */
static void write_once(struct blkdev *dev)
{
	static char msg[256];
	struct store *st;
	uint64_t ino;
	FUZZ_ASSERT(store_mount(dev, &env, STORE_NOFORMAT, &st, msg, sizeof msg) == 0);
	struct store_tx *tx = store_tx_begin(st);
	FUZZ_ASSERT(tx);
	int r = store_fs_create(tx, STORE_FS_ROOT, "fuzz-new", STORE_FS_REG, 0644, 1, &ino);
	if (r == 0)
		FUZZ_ASSERT(store_fs_write(tx, ino, 0, "x", 1, 1) == 1);
	int64_t seq = store_tx_commit(tx);
	FUZZ_ASSERT(seq > 0 || seq == -ENOSPC || r != 0);
	if (seq > 0)
		FUZZ_ASSERT(store_sync(st, (uint64_t)seq) == 0);
	store_unmount(st);
	FUZZ_ASSERT(store_mount(dev, &env, STORE_RDONLY, &st, msg, sizeof msg) == 0);
	if (store_check(st, msg, sizeof msg) != 0) {
		fprintf(stderr, "after a write: %s\n", msg);
		FUZZ_ASSERT(0);
	}
	store_unmount(st);
}

/* Recomputes the checksums of the superblocks and of the units a replay
 * from each superblock's tail would meet (their fields left as they are). */
static void reseal(size_t blocks)
{
	for (unsigned slot = 0; slot < SB_BLOCKS; slot++) {
		struct disk_super *sb = (struct disk_super *)(disk + slot * STORE_BLOCK);
		if (sb->magic != SB_MAGIC || sb->blocks < STORE_MIN_BLOCKS || sb->blocks > blocks)
			continue;
		sb->check = 0;
		sb->check = store_hash(sb, sizeof *sb, SB_MAGIC);
		uint64_t log = sb->blocks - SB_BLOCKS, pos = sb->tail_pos;
		for (uint64_t walked = 0; walked < log;) {
			struct disk_unit *h =
				(struct disk_unit *)(disk + (SB_BLOCKS + pos % log) * STORE_BLOCK);
			if (h->magic != UNIT_MAGIC)
				break;
			unsigned n = h->nblocks < 1 ? 1 : h->nblocks > 32 ? 32 : h->nblocks;
			for (unsigned i = 1; i < n; i++)
				h->sums[i - 1] =
					store_hash(disk + (SB_BLOCKS + (pos + i) % log) * STORE_BLOCK,
						   STORE_BLOCK, pos + i);
			h->check = store_unit_check(h, pos);
			pos += n;
			walked += n;
		}
	}
}

static void one(const uint8_t *data, size_t size, bool sealed)
{
	static char msg[256];
	size_t n = size < sizeof disk ? size : sizeof disk;
	size_t blocks = n / STORE_BLOCK < STORE_MIN_BLOCKS ? STORE_MIN_BLOCKS : n / STORE_BLOCK;
	struct blkdev dev = {.name = "fuzz",
			     .sector_size = SECTOR,
			     .sectors = blocks * (STORE_BLOCK / SECTOR),
			     .ops = &ops};
	struct store *st = NULL;
	memset(disk, 0, sizeof disk);
	memcpy(disk, data, n);
	if (sealed)
		reseal(blocks);
	msg[0] = 0;
	int r = store_mount(&dev, &env, STORE_RDONLY, &st, msg, sizeof msg);
	FUZZ_ASSERT(r == 0 ? st != NULL : st == NULL && msg[0]);
	if (r < 0)
		return;
	msg[0] = 0;
	r = store_check(st, msg, sizeof msg);
	FUZZ_ASSERT(r == 0 || (r == -EINVAL && msg[0]));
	if (r == 0) {
		struct store_tx *tx = store_tx_begin(st);
		walk(tx, STORE_FS_ROOT, 0);
		store_tx_abort(tx);
		read_log(st);
	}
	store_unmount(st);
	if (r == 0)
		write_once(&dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, false);
	one(data, size, true);
	return 0;
}
