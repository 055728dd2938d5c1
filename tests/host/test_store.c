/*
 * test_store.c - the store (kernel/store) on a simulated disk: format,
 * mount, transactions, durability, the file layer, the cleaner, a full disk,
 * device errors, hostile superblocks. The power-cut campaign is
 * test_store_crash.c.
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "kernel/store/store.h"
#include "kernel/store/store_internal.h"
#include "lib/logchain.h"
#include "simdisk.h"
#include "unit.h"

static char msg[256];

static struct store *mount_sim(struct simdisk *d, unsigned flags)
{
	struct store *st = NULL;
	int r = store_mount(&d->dev, &sim_env, flags, &st, msg, sizeof msg);
	if (r < 0) {
		printf("host:   mount: %d %s\n", r, msg);
		return NULL;
	}
	return st;
}

static struct store_key hkey(uint64_t sub)
{
	return (struct store_key){STORE_OBJ(STORE_CLASS_HANDLER, 7), sub};
}

static int64_t put1(struct store *st, uint64_t sub, const void *v, size_t n)
{
	struct store_tx *tx = store_tx_begin(st);
	if (store_put(tx, hkey(sub), v, n) < 0) {
		store_tx_abort(tx);
		return -1;
	}
	return store_tx_commit(tx);
}

static void check_clean(struct store *st)
{
	int r = store_check(st, msg, sizeof msg);
	if (r)
		printf("host:   fsck: %s\n", msg);
	CHECK_EQ(r, 0);
}

TEST(store_formats_a_blank_disk_at_first_mount)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	struct store *st = mount_sim(&d, 0);
	CHECK(st != NULL);
	CHECK(strstr(msg, "formatted") != NULL);
	check_clean(st);
	struct store_fs_attr a;
	struct store_tx *tx = store_tx_begin(st);
	CHECK_EQ(store_fs_stat(tx, STORE_FS_ROOT, &a), 0);
	CHECK_EQ(a.type, STORE_FS_DIR);
	store_tx_abort(tx);
	store_unmount(st);
	/* the second mount finds it formatted */
	st = mount_sim(&d, 0);
	CHECK(st && strstr(msg, "formatted") == NULL);
	store_unmount(st);
	CHECK_EQ(d.rewrites, 0);
	sim_destroy(&d);
}

TEST(store_refuses_a_foreign_header_and_keeps_it)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	memcpy(d.durable + 100, "EFI PART", 8);
	struct store *st = NULL;
	CHECK_EQ(store_mount(&d.dev, &sim_env, 0, &st, msg, sizeof msg), -ENODEV);
	CHECK(strstr(msg, "not an OptiOS store") != NULL);
	CHECK(memcmp(d.durable + 100, "EFI PART", 8) == 0);
	CHECK_EQ(d.writes, 0);
	CHECK_EQ(store_format(&d.dev, &sim_env, 0, 0, msg, sizeof msg), -EEXIST);
	CHECK_EQ(store_format(&d.dev, &sim_env, 0, 1, msg, sizeof msg), 0);
	st = mount_sim(&d, 0);
	CHECK(st != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_refuses_a_disk_below_the_minimum)
{
	struct simdisk d;
	sim_init(&d, 4096, STORE_MIN_BLOCKS - 1);
	struct store *st = NULL;
	CHECK_EQ(store_mount(&d.dev, &sim_env, 0, &st, msg, sizeof msg), -ENODEV);
	CHECK(strstr(msg, "too small") != NULL);
	sim_destroy(&d);
}

TEST(store_blank_disk_is_refused_read_only)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = NULL;
	CHECK_EQ(store_mount(&d.dev, &sim_env, STORE_RDONLY, &st, msg, sizeof msg), -ENODEV);
	CHECK_EQ(d.writes, 0);
	sim_destroy(&d);
}

/* A format cut at every write, with every subset of its unflushed writes and
 * their tears: the next mount formats or finds the format, never refuses. */
TEST(store_power_cut_during_format_never_bricks_the_disk)
{
	struct simdisk ref;
	sim_init(&ref, 512, 64 * 8);
	CHECK_EQ(store_format(&ref.dev, &sim_env, 0, 0, msg, sizeof msg), 0);
	unsigned long total = ref.writes;
	sim_destroy(&ref);
	uint8_t *img = malloc(64 * 4096);
	for (unsigned long cut = 0; cut < total; cut++) {
		struct simdisk d;
		sim_init(&d, 512, 64 * 8);
		d.cut_at = (long)cut;
		CHECK(store_format(&d.dev, &sim_env, 0, 0, msg, sizeof msg) < 0);
		for (uint64_t keep = 0; keep < (1ull << d.npending); keep++)
			for (int tear = 0; tear < 3; tear++) {
				for (unsigned i = 0; i < d.npending; i++)
					d.pending[i].torn = tear == 1 ? 0x0f : tear == 2 ? 0xaa : 0;
				sim_crash_image(&d, keep, tear ? keep : 0, img);
				struct simdisk c;
				sim_init(&c, 512, 64 * 8);
				memcpy(c.durable, img, 64 * 4096);
				struct store *st = mount_sim(&c, 0);
				CHECK(st != NULL);
				if (st)
					check_clean(st);
				store_unmount(st);
				sim_destroy(&c);
			}
		sim_destroy(&d);
	}
	free(img);
}

TEST(store_commit_is_visible_then_durable_after_sync)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	struct store *st = mount_sim(&d, 0);
	int64_t seq = put1(st, 1, "hello", 5);
	CHECK(seq > 0);
	char v[16] = {0};
	CHECK_EQ(store_get(st, hkey(1), v, sizeof v), 5);
	CHECK_STR(v, "hello");
	CHECK((uint64_t)seq > store_durable_seq(st));
	unsigned long f = d.flushes;
	CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
	CHECK_EQ(d.flushes, f + 1);
	CHECK_EQ(store_sync(st, (uint64_t)seq), 0); /* already durable: no flush */
	CHECK_EQ(d.flushes, f + 1);
	CHECK(store_durable_seq(st) >= (uint64_t)seq);
	store_unmount(st);
	st = mount_sim(&d, 0);
	memset(v, 0, sizeof v);
	CHECK_EQ(store_get(st, hkey(1), v, sizeof v), 5);
	CHECK_STR(v, "hello");
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_one_page_commit_writes_two_blocks_and_one_flush)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096];
	memset(page, 0x5a, sizeof page);
	unsigned long w = d.dev.sectors_written, f = d.flushes;
	struct store_tx *tx = store_tx_begin(st);
	CHECK_EQ(store_put(tx, hkey(0x1000), page, sizeof page), 0);
	uint64_t regs[20] = {1, 2, 3};
	CHECK_EQ(store_put(tx, hkey(1), regs, sizeof regs), 0);
	int64_t seq = store_tx_commit(tx);
	CHECK(seq > 0);
	CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
	CHECK_EQ((d.dev.sectors_written - w) / 8, 2);
	CHECK_EQ(d.flushes - f, 1);
	printf("host:   bench: a 1-page commit (+registers): %lu blocks written, %lu flush\n",
	       (d.dev.sectors_written - w) / 8, d.flushes - f);
	store_unmount(st);
	sim_destroy(&d);
}

/* store_put_ref borrows: the transaction reads the caller's bytes until the
 * commit, which writes them; later changes to the buffer are not the
 * store's. store_put copies at once, page-sized values too (they go
 * through the store's spare page buffers, reused from commit to commit). */
TEST(store_put_ref_commits_the_borrowed_bytes_and_store_put_copies)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	static uint8_t borrowed[4096], copied[4096], got[4096];
	for (int round = 0; round < 12; round++) { /* more rounds than spare buffers */
		memset(borrowed, 0x40 + round, sizeof borrowed);
		memset(copied, 0x80 + round, sizeof copied);
		struct store_tx *tx = store_tx_begin(st);
		CHECK_EQ(store_put_ref(tx, hkey(0x1000), borrowed, sizeof borrowed), 0);
		CHECK_EQ(store_put(tx, hkey(0x1001), copied, sizeof copied), 0);
		memset(copied, 0xEE, sizeof copied); /* after the copy: not committed */
		borrowed[7] = 0x11; /* before the commit: committed */
		CHECK_EQ(store_tx_get(tx, hkey(0x1000), got, sizeof got), 4096);
		CHECK_EQ(got[7], 0x11);
		CHECK(store_tx_commit(tx) > 0);
		memset(borrowed, 0xDD, sizeof borrowed); /* after the commit: not the store's */
		CHECK_EQ(store_get(st, hkey(0x1000), got, sizeof got), 4096);
		CHECK_EQ(got[0], 0x40 + round);
		CHECK_EQ(got[7], 0x11);
		CHECK_EQ(store_get(st, hkey(0x1001), got, sizeof got), 4096);
		CHECK_EQ(got[4095], 0x80 + round);
	}
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	CHECK_EQ(store_get(st, hkey(0x1000), got, sizeof got), 4096);
	CHECK_EQ(got[0], 0x40 + 11);
	CHECK_EQ(got[7], 0x11);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_group_commit_shares_one_flush)
{
	struct simdisk d;
	sim_init(&d, 4096, 256);
	struct store *st = mount_sim(&d, 0);
	unsigned long f = d.flushes;
	int64_t last = 0;
	for (int i = 0; i < 10; i++)
		last = put1(st, (uint64_t)i, &i, sizeof i);
	/* a flush in flight: commits made during it wait for the next one */
	uint64_t ticket = store_sync_begin(st);
	int64_t during = put1(st, 99, "x", 1);
	store_sync_end(st, ticket, block_flush(&d.dev));
	CHECK_EQ(store_durable_seq(st), (uint64_t)last);
	CHECK(store_durable_seq(st) < (uint64_t)during);
	CHECK_EQ(store_sync(st, (uint64_t)during), 0);
	CHECK_EQ(d.flushes - f, 2);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_big_transaction_spans_units_and_is_atomic)
{
	struct simdisk d;
	sim_init(&d, 512, 512 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096];
	struct store_tx *tx = store_tx_begin(st);
	for (int i = 0; i < 100; i++) {
		memset(page, i, sizeof page);
		CHECK_EQ(store_put(tx, hkey(0x1000 + (uint64_t)i), page, sizeof page), 0);
	}
	unsigned long w0 = d.writes;
	int64_t seq = store_tx_commit(tx);
	CHECK(seq > 0);
	CHECK(d.writes - w0 > 3); /* several units */
	/* cut before its last unit: after recovery none of it is there */
	struct simdisk c;
	sim_init(&c, 512, 512 * 8);
	sim_crash_image(&d, (1ull << (d.npending - 1)) - 1, 0, c.durable);
	struct store *st2 = mount_sim(&c, STORE_RDONLY);
	CHECK_EQ(store_get(st2, hkey(0x1000), page, sizeof page), -ENOENT);
	check_clean(st2);
	store_unmount(st2);
	sim_destroy(&c);
	CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	CHECK_EQ(store_get(st, hkey(0x1000 + 99), page, sizeof page), 4096);
	CHECK_EQ(page[4095], 99);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

/* Bug: a transaction of several units was applied to the index unit by
 * unit, so a write failing at its second unit left its first one visible. */
TEST(store_write_error_inside_a_multi_unit_commit_leaves_no_part_visible)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096] = {1};
	struct store_tx *tx = store_tx_begin(st);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(store_put(tx, hkey(0x1000 + (uint64_t)i), page, sizeof page), 0);
	d.cut_at = (long)d.writes + 1; /* the second unit's write fails */
	CHECK_EQ(store_tx_commit(tx), -EIO);
	CHECK_EQ(store_get(st, hkey(0x1000), page, sizeof page), -ENOENT);
	struct store_stats s;
	store_stats_get(st, &s);
	CHECK_EQ(s.keys, 2); /* the root and the inode counter */
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_disk_full_is_enospc_and_a_clean_abort)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096];
	int64_t r = 0;
	int i;
	for (i = 0; i < 100 && r >= 0; i++) {
		memset(page, i, sizeof page);
		r = put1(st, 0x1000 + (uint64_t)i, page, sizeof page);
	}
	CHECK_EQ(r, -ENOSPC);
	int stored = i - 1;
	CHECK(stored > 10);
	CHECK_EQ(store_get(st, hkey(0x1000 + (uint64_t)stored), page, sizeof page), -ENOENT);
	check_clean(st);
	/* deleting makes room again */
	struct store_tx *tx = store_tx_begin(st);
	CHECK_EQ(store_del_range(tx, STORE_OBJ(STORE_CLASS_HANDLER, 7), 0x1000, 0x1000 + 10), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK(put1(st, 0x5000, page, sizeof page) > 0);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	check_clean(st);
	store_unmount(st);
	st = mount_sim(&d, 0);
	CHECK_EQ(store_get(st, hkey(0x1000 + 10), page, sizeof page), 4096);
	CHECK_EQ(page[0], 10);
	CHECK_EQ(store_get(st, hkey(0x1000 + 9), page, sizeof page), -ENOENT);
	check_clean(st);
	store_unmount(st);
	CHECK_EQ(d.rewrites, 0);
	sim_destroy(&d);
}

/* A long workload rewriting a working set of `live` pages for several laps
 * around a log of `blocks`: the disk stays usable, every value reads back,
 * the cleaning work per commit stays bounded; prints bytes written per byte
 * dirtied (cleaning and superblocks included). */
static void long_workload(uint64_t blocks, int live, int commits, double max_ratio)
{
	struct simdisk d;
	sim_init(&d, 512, blocks * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096], got[4096];
	uint64_t dirtied = 0, max_commit = 0;
	unsigned long w0 = d.dev.sectors_written;
	for (int i = 0; i < commits; i++) {
		uint64_t k = (uint64_t)(i * 7 % live);
		memset(page, i & 0xff, sizeof page);
		unsigned long before = d.dev.sectors_written;
		int64_t seq = put1(st, 0x1000 + k, page, sizeof page);
		CHECK(seq > 0);
		if (seq <= 0)
			break;
		dirtied += sizeof page;
		if (i % 4 == 0)
			CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
		if ((d.dev.sectors_written - before) / 8 > max_commit)
			max_commit = (d.dev.sectors_written - before) / 8;
	}
	for (int k = 0; k < live; k++) {
		int last = -1;
		for (int i = 0; i < commits; i++)
			if (i * 7 % live == k)
				last = i;
		CHECK_EQ(store_get(st, hkey(0x1000 + (uint64_t)k), got, sizeof got), 4096);
		CHECK_EQ(got[0], last & 0xff);
	}
	check_clean(st);
	struct store_stats s;
	store_stats_get(st, &s);
	double ratio = (double)(d.dev.sectors_written - w0) * 512 / (double)dirtied;
	printf("host:   bench: %d 1-page commits, %d live pages, %llu-block disk (%.1f laps): %.2f bytes "
	       "written "
	       "per byte dirtied, max %llu blocks per commit, %llu cleaner blocks, %llu superblocks, %llu "
	       "flushes\n",
	       commits, live, (unsigned long long)blocks, (double)s.committed_seq * 2 / (double)s.log_blocks,
	       ratio, (unsigned long long)max_commit, (unsigned long long)s.clean_blocks_written,
	       (unsigned long long)s.superblocks_written, (unsigned long long)s.flushes);
	CHECK(max_commit <= 2 + 64);
	CHECK(ratio < max_ratio);
	CHECK_EQ(d.rewrites, 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_cleaner_keeps_a_small_disk_usable_for_many_laps)
{
	long_workload(128, 23, 3000, 3.0);
	long_workload(64, 12, 2000, 3.0);
}

TEST(store_cleaner_bytes_per_byte_dirtied_on_a_larger_disk)
{
	long_workload(2048, 300, 6000, 2.2);
}

/* What the kernel does per handler run (kernel/handler/hstore.c): a page
 * and 3 log records per commit, the log trimmed past store_log_keep in
 * batches of 64 (at most 512 at once); a sync every 4 commits. Returns the
 * commit that failed (0: none) and prints bytes written per byte dirtied
 * (records included, cleaning included). */
static int log_workload(uint64_t blocks, int live, int commits, bool trim, double *ratio)
{
	struct simdisk d;
	sim_init(&d, 512, blocks * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096];
	uint64_t dirtied = 0, rec_seq = 0, kept_from = 0, keep = store_log_keep(st);
	unsigned long w0 = d.dev.sectors_written;
	int failed = 0;
	for (int i = 0; i < commits && !failed; i++) {
		struct store_tx *tx = store_tx_begin(st);
		memset(page, i & 0xff, sizeof page);
		CHECK_EQ(store_put(tx, hkey(0x1000 + (uint64_t)(i * 7 % live)), page, sizeof page), 0);
		for (int r = 0; r < 3; r++) {
			struct optios_log_record rec = {.seq = ++rec_seq, .kind = 1, .a = (uint64_t)i};
			CHECK_EQ(store_log_append(tx, &rec), 0);
		}
		uint64_t trim_to = kept_from;
		if (trim && rec_seq + 1 >= keep + kept_from + 64) {
			trim_to = rec_seq + 1 - keep < kept_from + 512 ? rec_seq + 1 - keep : kept_from + 512;
			CHECK_EQ(store_log_trim(tx, trim_to), 0);
		}
		int64_t seq = store_tx_commit(tx);
		if (seq <= 0) {
			failed = i + 1;
			break;
		}
		kept_from = trim_to;
		dirtied += sizeof page + 3 * sizeof(struct optios_log_record);
		if (i % 4 == 0)
			CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
	}
	struct store_stats s;
	store_stats_get(st, &s);
	*ratio = (double)(d.dev.sectors_written - w0) * 512 / (double)dirtied;
	printf("host:   bench: %d commits of a page and 3 log records, %d live pages, %llu-block disk, "
	       "trim %s: %s; %.2f bytes written per byte dirtied (%llu cleaner blocks, %llu checkpoint "
	       "blocks in %llu), log %llu..%llu kept\n",
	       commits, live, (unsigned long long)blocks, trim ? "on" : "off",
	       failed ? "ran out of space" : "never out of space", *ratio,
	       (unsigned long long)s.clean_blocks_written, (unsigned long long)s.ckpt_blocks_written,
	       (unsigned long long)s.ckpt_written, (unsigned long long)kept_from,
	       (unsigned long long)rec_seq);
	if (!failed && trim) { /* the newest records are there, the trimmed ones gone */
		struct optios_log_record got;
		struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), rec_seq};
		CHECK_EQ(store_get(st, k, &got, sizeof got), (int)sizeof got);
		k.sub = kept_from;
		CHECK_EQ(store_get(st, k, &got, sizeof got), (int)sizeof got);
		k.sub = kept_from - 1;
		CHECK_EQ(store_get(st, k, &got, sizeof got), -ENOENT);
		check_clean(st);
	}
	CHECK_EQ(d.rewrites, 0);
	store_unmount(st);
	sim_destroy(&d);
	return failed;
}

/* The bug: chmod and utimes on /data changed only the RAM tree. */
TEST(store_fs_setattr_keeps_mode_and_mtime_across_a_mount)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	struct store *st = mount_sim(&d, 0);
	uint64_t f;
	struct store_tx *tx = store_tx_begin(st);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "f", STORE_FS_REG, 0644, 1, &f), 0);
	CHECK(store_tx_commit(tx) > 0);
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_setattr(tx, f, true, 0100640, false, 0, 5), 0);
	CHECK(store_tx_commit(tx) > 0);
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_setattr(tx, f, false, 0, true, 981173106000000000ull, 6), 0);
	CHECK_EQ(store_fs_setattr(tx, 999, true, 0600, false, 0, 6), -ENOENT);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	struct store_fs_attr a;
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_stat(tx, f, &a), 0);
	CHECK_EQ(a.mode, 0640); /* the permission bits only */
	CHECK_EQ(a.mtime_ns, 981173106000000000ull);
	CHECK_EQ(a.ctime_ns, 6);
	store_tx_abort(tx);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

/* The bug: a flush split by the caller (store_sync_begin, block_flush,
 * store_sync_end: kernel/persist's group commit) was not counted in the
 * stats, so df showed 1 flush after hundreds of fsyncs. */
TEST(store_stats_count_the_flushes_of_split_syncs)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	struct store *st = mount_sim(&d, 0);
	struct store_stats a, b;
	store_stats_get(st, &a);
	unsigned long f = d.flushes;
	for (int i = 0; i < 3; i++) {
		CHECK(put1(st, 1, "x", 1) > 0);
		uint64_t t = store_sync_begin(st);
		store_sync_end(st, t, block_flush(&d.dev));
	}
	CHECK(put1(st, 1, "y", 1) > 0);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_stats_get(st, &b);
	CHECK_EQ(b.flushes - a.flushes, 4);
	CHECK_EQ(d.flushes - f, 4);
	store_unmount(st);
	sim_destroy(&d);
}

/* The bug: store_log_trim was never called, so the stored event log grew
 * until the disk was full, whatever the live data. */
TEST(store_log_without_trim_fills_a_small_disk_and_with_trim_never_does)
{
	double ratio;
	CHECK(log_workload(256, 20, 20000, false, &ratio) > 0);
	CHECK_EQ(log_workload(256, 20, 20000, true, &ratio), 0);
	CHECK(ratio < 3.0);
	CHECK_EQ(log_workload(2048, 300, 20000, true, &ratio), 0);
	CHECK(ratio < 2.5);
}

TEST(store_clean_due_only_while_old_versions_take_a_quarter_of_the_log)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096] = {1};
	CHECK(!store_clean_due(st));
	for (int i = 0; i < 100 && !store_clean_due(st); i++)
		CHECK(put1(st, 0x1000 + (uint64_t)(i % 4), page, sizeof page) > 0);
	CHECK(store_clean_due(st)); /* 4 live pages, the rest old versions */
	int steps = 0;
	while (store_clean_due(st) && store_clean(st, 256) > 0 && ++steps < 10)
		CHECK_EQ(store_checkpoint(st), 0);
	CHECK(!store_clean_due(st));
	CHECK(steps < 10);
	struct store_stats s;
	store_stats_get(st, &s);
	CHECK(s.used_blocks < s.log_blocks / 4 + 8);
	for (uint64_t k = 0; k < 4; k++)
		CHECK_EQ(store_get(st, hkey(0x1000 + k), page, sizeof page), 4096);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_device_write_error_fails_the_store_not_the_data)
{
	struct simdisk d;
	sim_init(&d, 512, 64 * 8);
	struct store *st = mount_sim(&d, 0);
	int64_t seq = put1(st, 1, "one", 3);
	CHECK_EQ(store_sync(st, (uint64_t)seq), 0);
	d.fail_writes = 1;
	CHECK_EQ(put1(st, 2, "two", 3), -EIO);
	CHECK_EQ(put1(st, 3, "three", 5), -EIO); /* failed until mounted again */
	CHECK_EQ(store_sync(st, store_committed_seq(st)), -EIO);
	store_unmount(st);
	st = mount_sim(&d, 0);
	char v[8] = {0};
	CHECK_EQ(store_get(st, hkey(1), v, sizeof v), 3);
	CHECK_EQ(store_get(st, hkey(3), v, sizeof v), -ENOENT);
	check_clean(st);
	d.fail_flushes = 1;
	seq = put1(st, 4, "four", 4);
	CHECK(seq > 0);
	CHECK_EQ(store_sync(st, (uint64_t)seq), -EIO);
	CHECK(store_durable_seq(st) < (uint64_t)seq);
	store_unmount(st);
	st = mount_sim(&d, 0);
	CHECK_EQ(store_get(st, hkey(1), v, sizeof v), 3);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_damaged_durable_unit_is_refused_with_a_message)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	for (int i = 0; i < 5; i++)
		put1(st, (uint64_t)i, "abc", 3);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_unmount(st);
	/* a bit flipped in the records of the first unit (the format's, before
	 * the superblock's durable_pos): inside the durable part */
	d.durable[(SB_BLOCKS + 0) * 4096 + 100] ^= 1;
	st = NULL;
	CHECK_EQ(store_mount(&d.dev, &sim_env, STORE_RDONLY, &st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "damaged") != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

/* Bug: mount skips the page blocks of the durable part of the log, and
 * reads did not check a value's block, so a page damaged after it was
 * written read back as wrong bytes. */
TEST(store_damaged_page_reads_as_eio_not_wrong_bytes)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096];
	memset(page, 7, sizeof page);
	CHECK(put1(st, 1, page, sizeof page) > 0);
	CHECK(put1(st, 2, "small", 5) > 0);
	/* a superblock covers those two (durable_pos) */
	CHECK_EQ(store_checkpoint(st), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	struct store_key k = hkey(1);
	struct loc *l = index_find(&st->index, k);
	CHECK(l && l->page);
	struct loc *ls = index_find(&st->index, hkey(2));
	uint64_t page_block = store_block_of(st, l->pos), small_block = store_block_of(st, ls->pos),
		 small_off = ls->off;
	CHECK(l->pos < st->sb_durable_pos && ls->pos < st->sb_durable_pos);
	store_unmount(st);
	d.durable[page_block * 4096 + 100] ^= 1;
	st = mount_sim(&d, 0);
	CHECK(st != NULL); /* the durable part's pages are not read at mount */
	CHECK_EQ(store_get(st, hkey(1), page, sizeof page), -EIO);
	CHECK_EQ(store_get(st, hkey(2), page, sizeof page), 5);
	store_unmount(st);
	/* a value inline in a header: damage there refuses the mount (the
	 * header of a durable unit is read and checked at mount) */
	d.durable[page_block * 4096 + 100] ^= 1;
	d.durable[small_block * 4096 + small_off] ^= 1;
	struct store *st2 = NULL;
	CHECK_EQ(store_mount(&d.dev, &sim_env, STORE_RDONLY, &st2, msg, sizeof msg), -EINVAL);
	d.durable[small_block * 4096 + small_off] ^= 1;
	d.durable[page_block * 4096 + 100] ^= 1;
	st = mount_sim(&d, 0);
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "damaged") != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_tx_reads_its_own_writes)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	put1(st, 5, "five", 4);
	put1(st, 6, "six", 3);
	struct store_tx *tx = store_tx_begin(st);
	char v[8];
	struct store_key k;
	CHECK_EQ(store_del(tx, hkey(5)), 0);
	CHECK_EQ(store_tx_get(tx, hkey(5), v, sizeof v), -ENOENT);
	CHECK_EQ(store_get(st, hkey(5), v, sizeof v), 4);
	CHECK_EQ(store_put(tx, hkey(4), "four", 4), 0);
	CHECK_EQ(store_tx_next(tx, hkey(0), hkey(100), &k), 0);
	CHECK_EQ(k.sub, 4);
	k.sub = 5;
	CHECK_EQ(store_tx_next(tx, k, hkey(100), &k), 0);
	CHECK_EQ(k.sub, 6);
	CHECK_EQ(store_del_range(tx, hkey(0).obj, 0, 100), 0);
	CHECK_EQ(store_tx_next(tx, hkey(0), hkey(100), &k), -ENOENT);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_next(st, hkey(0), hkey(100), &k), -ENOENT);
	store_unmount(st);
	sim_destroy(&d);
}

/* ---- the file layer ---- */
static long fs_read_all(struct store *st, const char *path, char *buf, size_t cap)
{
	struct store_tx *tx = store_tx_begin(st);
	uint64_t ino;
	long r = store_fs_resolve(tx, path, &ino);
	if (r == 0)
		r = store_fs_read(tx, ino, 0, buf, cap);
	store_tx_abort(tx);
	return r;
}

TEST(store_fs_create_write_rename_truncate_unlink)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	struct store_tx *tx = store_tx_begin(st);
	uint64_t dir, f, g;
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "dir", STORE_FS_DIR, 0755, 1, &dir), 0);
	CHECK_EQ(store_fs_create(tx, dir, "f", STORE_FS_REG, 0644, 1, &f), 0);
	CHECK_EQ(store_fs_create(tx, dir, "f", STORE_FS_REG, 0644, 1, &g), -EEXIST);
	CHECK_EQ(store_fs_create(tx, dir, "..", STORE_FS_REG, 0644, 1, &g), -EINVAL);
	CHECK_EQ(store_fs_write(tx, f, 0, "hello world", 11, 2), 11);
	CHECK_EQ(store_fs_write(tx, f, 10000, "end", 3, 2), 3);
	CHECK(store_tx_commit(tx) > 0);
	char buf[20000];
	CHECK_EQ(fs_read_all(st, "/dir/f", buf, sizeof buf), 10003);
	CHECK(memcmp(buf, "hello world", 11) == 0 && buf[5000] == 0 && memcmp(buf + 10000, "end", 3) == 0);
	check_clean(st);
	/* the atomic replace: write a temporary, rename it over */
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_create(tx, dir, "f.tmp", STORE_FS_REG, 0644, 3, &g), 0);
	CHECK_EQ(store_fs_write(tx, g, 0, "new", 3, 3), 3);
	CHECK_EQ(store_fs_rename(tx, dir, "f.tmp", dir, "f", 3), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(fs_read_all(st, "/dir/f", buf, sizeof buf), 3);
	CHECK_EQ(fs_read_all(st, "/dir/f.tmp", buf, sizeof buf), -ENOENT);
	check_clean(st);
	/* truncate down then up: the cut bytes read as zeros */
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_truncate(tx, g, 1, 4), 0);
	CHECK_EQ(store_fs_truncate(tx, g, 5, 4), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(fs_read_all(st, "/dir/f", buf, sizeof buf), 5);
	CHECK(memcmp(buf, "n\0\0\0\0", 5) == 0);
	check_clean(st);
	/* a directory cannot go under itself, a full one cannot go */
	tx = store_tx_begin(st);
	uint64_t sub;
	CHECK_EQ(store_fs_create(tx, dir, "sub", STORE_FS_DIR, 0755, 5, &sub), 0);
	CHECK_EQ(store_fs_rename(tx, STORE_FS_ROOT, "dir", sub, "x", 5), -EINVAL);
	CHECK_EQ(store_fs_unlink(tx, STORE_FS_ROOT, "dir", 5), -ENOTEMPTY);
	CHECK_EQ(store_fs_rename(tx, dir, "sub", STORE_FS_ROOT, "moved", 5), 0);
	CHECK_EQ(store_fs_unlink(tx, dir, "f", 5), 0);
	CHECK_EQ(store_fs_unlink(tx, STORE_FS_ROOT, "dir", 5), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(fs_read_all(st, "/dir/f", buf, sizeof buf), -ENOENT);
	tx = store_tx_begin(st);
	uint64_t cookie = 0, ino;
	struct store_fs_dirent de;
	CHECK_EQ(store_fs_readdir(tx, STORE_FS_ROOT, &cookie, &de), 0);
	CHECK_STR(de.name, "moved");
	CHECK_EQ(store_fs_readdir(tx, STORE_FS_ROOT, &cookie, &de), -ENOENT);
	CHECK_EQ(store_fs_resolve(tx, "/moved", &ino), 0);
	CHECK_EQ(ino, sub);
	store_tx_abort(tx);
	check_clean(st);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	check_clean(st);
	struct store_stats s;
	store_stats_get(st, &s);
	CHECK_EQ(s.keys, 4); /* the counter, root, "moved" and its entry */
	store_unmount(st);
	sim_destroy(&d);
}

/* Cost grows with the change: one byte written in a 1 MiB file writes one page. */
/* Hard links: one inode, several entries, nlink counting them; symbolic
 * links: an inode of type LNK holding its target. fsck checks both. */
TEST(store_fs_links_and_symlinks)
{
	struct simdisk d;
	sim_init(&d, 512, 256 * 8);
	struct store *st = mount_sim(&d, 0);
	struct store_tx *tx = store_tx_begin(st);
	uint64_t dir, f, s, ino;
	struct store_fs_attr a;
	char buf[64];
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "dir", STORE_FS_DIR, 0755, 1, &dir), 0);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "f", STORE_FS_REG, 0644, 1, &f), 0);
	CHECK_EQ(store_fs_write(tx, f, 0, "data", 4, 1), 4);
	CHECK_EQ(store_fs_link(tx, f, dir, "g", 2), 0);
	CHECK_EQ(store_fs_link(tx, f, dir, "g", 2), -EEXIST);
	CHECK_EQ(store_fs_link(tx, dir, STORE_FS_ROOT, "d2", 2), -EPERM);
	CHECK_EQ(store_fs_symlink(tx, dir, "s", "../f", 2, &s), 0);
	CHECK_EQ(store_fs_symlink(tx, dir, "e", "", 2, &ino), -EINVAL);
	CHECK(store_tx_commit(tx) > 0);
	check_clean(st);
	CHECK_EQ(fs_read_all(st, "/dir/g", buf, sizeof buf), 4);
	CHECK_EQ(fs_read_all(st, "/dir/s", buf, sizeof buf), 4);
	CHECK(memcmp(buf, "../f", 4) == 0);
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_stat(tx, f, &a), 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(store_fs_stat(tx, s, &a), 0);
	CHECK_EQ(a.type, STORE_FS_LNK);
	CHECK_EQ(a.mode, 0777);
	/* the first name goes: the file stays, under its other one */
	CHECK_EQ(store_fs_unlink(tx, STORE_FS_ROOT, "f", 3), 0);
	CHECK_EQ(store_fs_stat(tx, f, &a), 0);
	CHECK_EQ(a.nlink, 1);
	CHECK(store_tx_commit(tx) > 0);
	check_clean(st);
	CHECK_EQ(fs_read_all(st, "/dir/g", buf, sizeof buf), 4);
	/* a rename over the last name drops the file */
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_rename(tx, dir, "s", dir, "g", 4), 0);
	CHECK_EQ(store_fs_stat(tx, f, &a), -ENOENT);
	CHECK(store_tx_commit(tx) > 0);
	check_clean(st);
	/* fsck sees an nlink that does not count the names, and an empty link */
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "h", STORE_FS_REG, 0644, 5, &f), 0);
	CHECK_EQ(store_fs_link(tx, f, STORE_FS_ROOT, "h2", 5), 0);
	CHECK_EQ(store_fs_stat(tx, f, &a), 0);
	a.nlink = 1;
	CHECK_EQ(store_put(tx, (struct store_key){STORE_OBJ(STORE_CLASS_FS, f), 0}, &a, sizeof a), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "2 names, expected 1") != NULL);
	tx = store_tx_begin(st);
	a.nlink = 2;
	CHECK_EQ(store_put(tx, (struct store_key){STORE_OBJ(STORE_CLASS_FS, f), 0}, &a, sizeof a), 0);
	CHECK_EQ(store_fs_stat(tx, s, &a), 0);
	a.size = 0;
	CHECK_EQ(store_put(tx, (struct store_key){STORE_OBJ(STORE_CLASS_FS, s), 0}, &a, sizeof a), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "a target of 0 bytes") != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_fs_small_write_to_a_big_file_costs_one_page)
{
	struct simdisk d;
	sim_init(&d, 512, 1024 * 8);
	struct store *st = mount_sim(&d, 0);
	struct store_tx *tx = store_tx_begin(st);
	uint64_t f;
	static char big[1 << 20];
	memset(big, 'x', sizeof big);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "big", STORE_FS_REG, 0644, 1, &f), 0);
	CHECK_EQ(store_fs_write(tx, f, 0, big, sizeof big, 1), (long)sizeof big);
	CHECK(store_tx_commit(tx) > 0);
	unsigned long w = d.dev.sectors_written;
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_write(tx, f, 500000, "y", 1, 2), 1);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ((d.dev.sectors_written - w) / 8, 2);
	w = d.dev.sectors_written;
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_truncate(tx, f, 10, 3), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK((d.dev.sectors_written - w) / 8 <= 1);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_log_records_keep_their_chain)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	struct optios_log_record r = {0};
	struct store_tx *tx = store_tx_begin(st);
	for (uint64_t s = 1; s <= 5; s++) {
		r.seq = s;
		r.kind = OPTIOS_LOG_COMMIT;
		CHECK_EQ(store_log_append(tx, &r), 0);
	}
	CHECK_EQ(store_log_trim(tx, 3), 0);
	CHECK(store_tx_commit(tx) > 0);
	struct store_key k;
	CHECK_EQ(store_next(st, (struct store_key){STORE_OBJ(STORE_CLASS_LOG, 0), 0},
			    (struct store_key){STORE_OBJ(STORE_CLASS_LOG, 0), UINT64_MAX}, &k),
		 0);
	CHECK_EQ(k.sub, 3);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

/* Records stored unlinked under the owed mark (the kernel's lazy links,
 * kernel/handler/hstore.c) read back linked after store_log_relink, exactly
 * as if each had been linked before it was stored; fsck accepts the mark
 * and refuses one naming records that are not there. */
TEST(store_log_records_stored_unlinked_are_linked_from_the_disk)
{
	struct simdisk d;
	struct optios_log_record want[6] = {0}, got;
	sim_init(&d, 4096, 64);
	struct store *st = mount_sim(&d, 0);
	struct store_tx *tx = store_tx_begin(st);
	for (uint64_t s = 1; s <= 5; s++) {
		want[s].seq = s;
		want[s].kind = OPTIOS_LOG_COMMIT;
		snprintf(want[s].text, sizeof want[s].text, "record %u", (unsigned)s);
		CHECK_EQ(store_log_append(tx, &want[s]), 0); /* record 1 linked (the first), 2..5 not */
		if (s > 1)
			logchain_hash(&want[s - 1], want[s].prev_hash);
	}
	CHECK_EQ(store_log_set_owed(tx, 2), 0);
	CHECK(store_tx_commit(tx) > 0);
	check_clean(st);
	uint64_t from = 0;
	tx = store_tx_begin(st);
	CHECK_EQ(store_log_owed(tx, &from), 1);
	CHECK_EQ(from, 2);
	CHECK_EQ(store_log_relink(tx, from), 4);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	store_unmount(st);
	st = mount_sim(&d, 0);
	tx = store_tx_begin(st);
	CHECK_EQ(store_log_owed(tx, &from), 0);
	store_tx_abort(tx);
	for (uint64_t s = 1; s <= 5; s++) {
		CHECK_EQ(store_get(st, (struct store_key){STORE_OBJ(STORE_CLASS_LOG, 0), s}, &got, sizeof got),
			 (int)sizeof got);
		CHECK(memcmp(&got, &want[s], sizeof got) == 0);
	}
	CHECK_EQ(logchain_verify(&want[1], 5, NULL, 0), 0);
	check_clean(st);
	tx = store_tx_begin(st); /* a mark naming a record not stored */
	CHECK_EQ(store_log_set_owed(tx, 7), 0);
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "owed mark") != NULL);
	tx = store_tx_begin(st);
	CHECK_EQ(store_log_relink(tx, 7), -EINVAL);
	store_tx_abort(tx);
	store_unmount(st);
	sim_destroy(&d);
}

/* ---- the fuzzer's seeds (tests/fuzz/corpus/store/) ----
 * small.img: a 32-block store with files, a directory, a rename, a truncate,
 * a handler's state and three chained log records, all synced; torn.img: the
 * same with one more commit whose blocks were torn by a power cut. Both are
 * made here, deterministically, and must equal the committed files:
 * STORE_WRITE_SEEDS=1 build/host/unit store_fuzz_seeds_are_current writes
 * them anew after a format change. */
#include "lib/logchain.h"

static void seed_workload(struct store *st)
{
	struct store_tx *tx = store_tx_begin(st);
	uint64_t dir, a, b;
	uint8_t page[6000];
	memset(page, 'p', sizeof page);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "a", STORE_FS_REG, 0644, 1, &a), 0);
	CHECK_EQ(store_fs_write(tx, a, 0, "hello, store\n", 13, 1), 13);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "dir", STORE_FS_DIR, 0755, 1, &dir), 0);
	CHECK_EQ(store_fs_create(tx, dir, "b", STORE_FS_REG, 0644, 1, &b), 0);
	CHECK_EQ(store_fs_write(tx, b, 0, page, 6000, 1), 6000);
	CHECK(store_tx_commit(tx) > 0);
	tx = store_tx_begin(st);
	CHECK_EQ(store_fs_rename(tx, dir, "b", STORE_FS_ROOT, "c", 2), 0);
	CHECK_EQ(store_fs_truncate(tx, b, 5000, 2), 0);
	CHECK_EQ(store_put(tx, hkey(1), "registers", 9), 0);
	CHECK_EQ(store_put(tx, hkey(0x400), page, 4096), 0);
	struct optios_log_record r = {0};
	for (uint64_t s = 1; s <= 3; s++) {
		uint8_t link[LOGCHAIN_HASH_SIZE];
		if (s > 1) {
			logchain_hash(&r, link);
			memcpy(r.prev_hash, link, sizeof link);
		}
		r.seq = s;
		r.kind = OPTIOS_LOG_COMMIT;
		r.time_ns = s * 1000;
		memcpy(r.handler, "counter", 8);
		CHECK_EQ(store_log_append(tx, &r), 0);
	}
	CHECK(store_tx_commit(tx) > 0);
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
}

static void seed_check(const char *name, const uint8_t *img, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/store/%s", SOURCE_DIR, name);
	const char *w = getenv("STORE_WRITE_SEEDS");
	if (w && w[0] == '1') {
		FILE *f = fopen(path, "wb");
		CHECK(f && fwrite(img, 1, len, f) == len);
		if (f)
			fclose(f);
		return;
	}
	size_t have = 0;
	uint8_t *old = unit_read_file(path, &have);
	CHECK(old != NULL);
	CHECK_EQ(have, len);
	if (old && have == len && memcmp(old, img, len))
		printf("host:   %s differs from what the store writes now: STORE_WRITE_SEEDS=1 "
		       "build/host/unit "
		       "store_fuzz_seeds_are_current\n",
		       path);
	CHECK(old && have == len && memcmp(old, img, len) == 0);
	free(old);
}

TEST(store_fuzz_seeds_are_current)
{
	struct simdisk d;
	sim_init(&d, 512, STORE_MIN_BLOCKS * 8);
	struct store *st = mount_sim(&d, 0);
	seed_workload(st);
	check_clean(st);
	seed_check("small.img", d.durable, sim_bytes(&d));
	CHECK(put1(st, 0x401, "torn", 4) > 0);
	store_unmount(st);
	uint8_t *img = malloc(sim_bytes(&d));
	d.pending[0].torn = 0xf0; /* the header's last half-block landed, not its first */
	sim_crash_image(&d, 1, 1, img);
	seed_check("torn.img", img, sim_bytes(&d));
	free(img);
	sim_destroy(&d);
}

/* Recovery's cost against the log's length: logs of n 1-page commits (500
 * keys) with a sync each, then a mount; prints blocks read and time. With
 * index checkpoints (every 256 blocks here) the mount loads the newest
 * durable one and replays only the units after it: the cost stops growing
 * with the log (it grew linearly before: 4,000 commits read 4,419 blocks). */
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(store_recovery_cost_against_log_length)
{
	static const int lengths[] = {10, 100, 1000, 4000};
	for (unsigned i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		struct simdisk d;
		sim_init(&d, 4096, 16384); /* 64 MiB: the log never wraps here */
		struct store *st = mount_sim(&d, 0);
		uint8_t page[4096];
		for (int c = 0; c < lengths[i]; c++) {
			memset(page, c, sizeof page);
			CHECK_EQ(store_sync(st, (uint64_t)put1(st, 0x1000 + (uint64_t)(c % 500), page,
							       sizeof page)),
				 0);
		}
		store_unmount(st);
		double t0 = now_s();
		st = mount_sim(&d, STORE_RDONLY);
		double t = now_s() - t0;
		struct store_stats s;
		store_stats_get(st, &s);
		printf("host:   bench: recovery of %d commits: %llu keys from a checkpoint, %llu units "
		       "replayed, "
		       "%llu blocks read, %.2f ms (host, ASan)\n",
		       lengths[i], (unsigned long long)s.ckpt_loaded_keys,
		       (unsigned long long)s.recovered_units, (unsigned long long)s.blocks_read, t * 1e3);
		CHECK_EQ(s.keys,
			 (uint64_t)(lengths[i] < 500 ? lengths[i] : 500) + 2); /* and the format's 2 */
		if (lengths[i] < 256) {
			CHECK(s.recovered_units >= (uint64_t)lengths[i]); /* no checkpoint yet */
		} else {
			CHECK_EQ(s.ckpt_loaded_keys, s.keys);
			CHECK(s.recovered_units <= 260);
			/* the checkpoint (40 bytes a key), headers, the pages past the
			 * last superblock's durable_pos */
			CHECK(s.blocks_read <= 2 + 16 + 2 * 260);
		}
		store_unmount(st);
		sim_destroy(&d);
	}
}

TEST(store_clean_on_demand_only_past_its_threshold)
{
	struct simdisk d;
	sim_init(&d, 4096, 256);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096] = {0};
	CHECK_EQ(store_clean(st, 64), 0); /* an empty log: nothing to do */
	unsigned long w = d.writes;
	for (int i = 0; i < 80; i++)
		CHECK(put1(st, 0x1000 + (uint64_t)(i % 4), page, sizeof page) > 0);
	w = d.writes;
	int passed = store_clean(st, 64);
	CHECK(passed >= 64);
	CHECK(d.writes - w <= 8); /* 4 live pages copied, at most a few units */
	CHECK_EQ(store_sync(st, store_committed_seq(st)), 0);
	check_clean(st);
	store_unmount(st);
	st = mount_sim(&d, 0);
	CHECK_EQ(store_get(st, hkey(0x1003), page, sizeof page), 4096);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

/* The index (index.c), iterative throughout: inserts, replaces, erases,
 * ceilings and an in-order walk against a plain array. */
static int count_walk(void *arg, struct store_key k, struct loc *l)
{
	uint64_t *state = arg; /* [0] entries seen, [1] the last key's sub + 1 */
	if (k.sub + 1 <= state[1] || l->pos != k.sub * 3)
		return 1;
	state[0]++;
	state[1] = k.sub + 1;
	return 0;
}

TEST(store_index_matches_a_plain_array)
{
	struct index ix = {.seed = 42};
	static bool present[20000];
	memset(present, 0, sizeof present);
	uint64_t x = 1, n = 0;
	for (int i = 0; i < 60000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t sub = (x >> 33) % 20000;
		struct store_key k = {5, sub};
		struct loc old, l = {.pos = sub * 3};
		bool had;
		if ((x >> 20) % 3) {
			CHECK_EQ(index_set(&ix, &sim_env, k, l, &old, &had), 0);
			CHECK_EQ(had, present[sub]);
			n += !present[sub];
			present[sub] = true;
		} else {
			CHECK_EQ(index_erase(&ix, &sim_env, k, &old), present[sub]);
			n -= present[sub];
			present[sub] = false;
		}
	}
	CHECK_EQ(ix.count, n);
	uint64_t state[2] = {0, 0};
	CHECK_EQ(index_walk(&ix, count_walk, state), 0);
	CHECK_EQ(state[0], n);
	for (uint64_t sub = 0; sub < 20000; sub += 97) {
		struct store_key found, want = {5, sub};
		uint64_t next = sub;
		while (next < 20000 && !present[next])
			next++;
		struct loc *l = index_ceil(&ix, want, &found);
		CHECK(next < 20000 ? l && found.sub == next : l == NULL);
	}
	state[0] = state[1] = 0;
	CHECK_EQ(index_walk(&ix, count_walk, state), 0); /* the walk left the tree as it was */
	CHECK_EQ(state[0], n);
	index_destroy(&ix, &sim_env);
	CHECK_EQ(ix.count, 0);
}

/* A checkpoint's keys come in order and are appended (index_append: no
 * search, no split): the tree then finds, walks, replaces and erases as
 * one built by index_set. */
TEST(store_index_appended_in_key_order_matches_one_set_key_by_key)
{
	struct index ix = {.seed = 7};
	for (uint64_t sub = 0; sub < 6000; sub++)
		CHECK_EQ(index_append(&ix, &sim_env, (struct store_key){5, sub * 2}, (struct loc){.pos = sub * 6}),
			 0);
	CHECK_EQ(ix.count, 6000);
	uint64_t state[2] = {0, 0};
	for (uint64_t sub = 0; sub < 12000; sub += 2) /* count_walk's pos: sub * 3 */
		CHECK(index_find(&ix, (struct store_key){5, sub}) && !index_find(&ix, (struct store_key){5, sub + 1}));
	CHECK_EQ(index_walk(&ix, count_walk, state), 0);
	CHECK_EQ(state[0], 6000);
	struct loc old;
	bool had;
	for (uint64_t sub = 1; sub < 12000; sub += 4) /* odd keys in between, then the even ones out */
		CHECK_EQ(index_set(&ix, &sim_env, (struct store_key){5, sub}, (struct loc){.pos = sub * 3}, &old,
				   &had),
			 0);
	for (uint64_t sub = 0; sub < 12000; sub += 4)
		CHECK(index_erase(&ix, &sim_env, (struct store_key){5, sub}, &old) && old.pos == sub * 3);
	state[0] = state[1] = 0;
	CHECK_EQ(index_walk(&ix, count_walk, state), 0);
	CHECK_EQ(state[0], 6000);
	struct store_key found;
	CHECK(index_ceil(&ix, (struct store_key){5, 4}, &found) && found.sub == 5);
	index_destroy(&ix, &sim_env);
}

/* A blank device larger than STORE_AUTO_BLOCKS: the first mount formats
 * 16 GiB of it (a block table of 16 MiB, not one for the whole device).
 * The simulated disk holds 64 blocks and claims more: the store touches
 * only its superblocks and the start of its log here. */
TEST(store_large_blank_device_gets_a_bounded_store)
{
	struct simdisk d;
	sim_init(&d, 4096, 64);
	d.dev.sectors = (uint64_t)STORE_AUTO_BLOCKS * 4;
	struct store *st = mount_sim(&d, 0);
	CHECK(st != NULL);
	struct store_stats s;
	if (st)
		store_stats_get(st, &s);
	CHECK_EQ(st ? s.blocks : 0, STORE_AUTO_BLOCKS);
	CHECK(st && put1(st, 1, "x", 1) > 0);
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	CHECK(st != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

/* A checkpoint: everything durable and under a superblock, in two flushes;
 * a mount after it reads no page block (they are all known flushed). */
TEST(store_checkpoint_puts_everything_under_a_superblock)
{
	struct simdisk d;
	sim_init(&d, 512, 512 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096] = {3};
	for (int i = 0; i < 20; i++)
		CHECK(put1(st, 0x1000 + (uint64_t)i, page, sizeof page) > 0);
	struct store_stats a, b;
	store_stats_get(st, &a);
	CHECK_EQ(store_checkpoint(st), 0);
	store_stats_get(st, &b);
	CHECK_EQ(b.flushes - a.flushes, 2);
	CHECK_EQ(b.superblocks_written - a.superblocks_written, 1);
	CHECK_EQ(b.durable_seq, b.committed_seq);
	CHECK_EQ(store_checkpoint(st), 0); /* nothing new: no flush */
	store_stats_get(st, &a);
	CHECK_EQ(a.flushes, b.flushes);
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	store_stats_get(st, &a);
	CHECK_EQ(a.blocks_read, a.recovered_units + 1); /* each header, and the block past the end */
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

/* ---- index checkpoints ---- */
#define CKPT_COST_TEST 32 /* store.c CKPT_COST */

/* A 1,024-block store with `n` 1-page commits on 40 keys, each synced, then
 * a clean shutdown (store_checkpoint): the superblock names a checkpoint. */
static struct store *ckpt_store(struct simdisk *d, int n)
{
	sim_init(d, 512, 1024 * 8);
	struct store *st = mount_sim(d, 0);
	uint8_t page[4096];
	for (int c = 0; c < n; c++) {
		memset(page, c, sizeof page);
		CHECK_EQ(store_sync(st, (uint64_t)put1(st, (uint64_t)(c % 40), page, sizeof page)), 0);
	}
	CHECK_EQ(store_checkpoint(st), 0);
	return st;
}

TEST(store_superblock_names_a_checkpoint_only_after_a_flush_covered_it)
{
	struct simdisk d;
	sim_init(&d, 512, 1024 * 8);
	struct store *st = mount_sim(&d, 0);
	uint8_t page[4096] = {1};
	struct store_stats s;
	do { /* commits without a flush until one writes a checkpoint */
		CHECK(put1(st, 1, page, sizeof page) > 0);
		store_stats_get(st, &s);
	} while (s.ckpt_written == 0);
	CHECK(st->ck_new.seq != 0 && st->ck_durable.seq == 0);
	/* the flush that makes it durable: a superblock written at its start
	 * (forced here) must not name it */
	uint64_t t = store_sync_begin(st);
	CHECK(st->pending_gen == 0 || st->pending_ckpt_pos != st->ck_new.pos);
	store_sync_end(st, t, block_flush(&d.dev));
	CHECK_EQ(st->ck_durable.pos, st->ck_new.pos);
	CHECK(st->sb_ckpt_pos != st->ck_new.pos);
	CHECK_EQ(store_checkpoint(st), 0); /* the next superblock names it */
	CHECK_EQ(st->sb_ckpt_pos, st->ck_new.pos);
	check_clean(st);
	uint64_t pos = st->ck_new.pos;
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	store_stats_get(st, &s);
	CHECK_EQ(st->mounted.ckpt_pos, pos);
	CHECK_EQ(s.ckpt_loaded_keys, s.keys);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_damaged_checkpoint_is_never_trusted_mount_replays_fully)
{
	struct simdisk d;
	struct store *st = ckpt_store(&d, 600);
	uint64_t state = 0, pos = st->sb_ckpt_pos, keys = st->index.count;
	CHECK(pos != 0);
	uint8_t v[4096];
	for (uint64_t k = 0; k < 40; k++)
		state = store_hash(v, (size_t)store_get(st, hkey(k), v, sizeof v), state);
	uint64_t block = store_block_of(st, pos);
	store_unmount(st);
	/* one bit of the checkpoint's header flipped, as a bad sector would */
	d.durable[block * 4096 + 200] ^= 0x10;
	st = mount_sim(&d, STORE_RDONLY);
	CHECK(strstr(msg, "checkpoint damaged (replayed fully)") != NULL);
	struct store_stats s;
	store_stats_get(st, &s);
	CHECK_EQ(s.ckpt_loaded_keys, 0);
	CHECK_EQ(s.keys, keys);
	uint64_t again = 0;
	for (uint64_t k = 0; k < 40; k++)
		again = store_hash(v, (size_t)store_get(st, hkey(k), v, sizeof v), again);
	CHECK_EQ(again, state);
	/* fsck names it */
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	printf("host:   fsck of a damaged checkpoint: %s\n", msg);
	CHECK(strstr(msg, "checksum mismatch at log position") != NULL);
	store_unmount(st);
	/* written on: the next mounts still work and a new checkpoint takes over */
	st = mount_sim(&d, 0);
	uint8_t page[4096] = {7};
	for (int c = 0; c < 600; c++)
		CHECK_EQ(store_sync(st, (uint64_t)put1(st, (uint64_t)(c % 40), page, sizeof page)), 0);
	CHECK_EQ(store_checkpoint(st), 0);
	CHECK(st->sb_ckpt_pos > pos);
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	store_stats_get(st, &s);
	CHECK_EQ(s.ckpt_loaded_keys, s.keys);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_fsck_compares_the_checkpoint_with_a_full_replay)
{
	struct simdisk d;
	struct store *st = ckpt_store(&d, 600);
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	struct store_stats s;
	store_stats_get(st, &s);
	CHECK(s.ckpt_loaded_keys > 0);
	check_clean(st);
	/* what a wrong checkpoint would have loaded: one value's location */
	struct loc *l = index_find(&st->index, hkey(3));
	CHECK(l != NULL);
	l->sum ^= 1;
	CHECK_EQ(store_check(st, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "disagrees with a full replay") != NULL);
	store_unmount(st);
	sim_destroy(&d);
}

TEST(store_format_versions_1_and_2_are_refused_with_a_clear_message)
{
	for (uint32_t version = 1; version <= 2; version++) {
		struct simdisk d;
		char want[32];
		sim_init(&d, 512, 64 * 8);
		struct store *st = mount_sim(&d, 0);
		store_unmount(st);
		for (unsigned slot = 0; slot < 2; slot++) {
			struct disk_super *s = (struct disk_super *)(d.durable + slot * 4096);
			if (s->magic != SB_MAGIC)
				continue;
			s->version = version;
			s->check = 0;
			s->check = store_hash(s, sizeof *s, SB_MAGIC);
		}
		st = NULL;
		CHECK_EQ(store_mount(&d.dev, &sim_env, 0, &st, msg, sizeof msg), -ENODEV);
		snprintf(want, sizeof want, "format version %u", version);
		CHECK(strstr(msg, want) != NULL);
		CHECK(st == NULL);
		sim_destroy(&d);
	}
}

/* What checkpoints cost: blocks written per 1-page commit with and
 * without them, and recovery after many laps of the log. */
TEST(store_checkpoint_cost_is_bounded)
{
	struct simdisk d;
	struct store *st = ckpt_store(&d, 6000); /* ~3 laps of 1,022 blocks */
	struct store_stats s;
	store_stats_get(st, &s);
	double share = (double)s.ckpt_blocks_written / (double)s.blocks_written;
	printf("host:   checkpoints: %llu written, %llu of %llu blocks (%.2f%%), %llu superblocks\n",
	       (unsigned long long)s.ckpt_written, (unsigned long long)s.ckpt_blocks_written,
	       (unsigned long long)s.blocks_written, share * 100, (unsigned long long)s.superblocks_written);
	CHECK(s.ckpt_written >= 3);
	CHECK(share < 1.0 / CKPT_COST_TEST);
	store_unmount(st);
	st = mount_sim(&d, STORE_RDONLY);
	store_stats_get(st, &s);
	CHECK_EQ(s.ckpt_loaded_keys, s.keys);
	CHECK(s.recovered_units <= 260);
	check_clean(st);
	store_unmount(st);
	sim_destroy(&d);
}
