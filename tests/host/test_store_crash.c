/*
 * test_store_crash.c - the store's power-cut campaign, as CrashMonkey/ACE
 * do it: every workload of up to 3 operations drawn from {a handler run's
 * commit, a file write, a rename over a file, fsync, truncate, create or
 * unlink, a hard link and a symbolic link made or removed}, run on a simulated disk (simdisk.h) with the power cut at every
 * write index; at each cut, the disks the cut could leave (every subset of
 * the writes not yet flushed - which is every order of them, as no block is
 * written twice between flushes - and the kept multi-sector writes torn) are
 * mounted, checked (store_check) and compared with the states the workload
 * went through: the recovered state must be exactly the state after some
 * operation j, with j at least the last synced one and at most the one in
 * progress at the cut.
 *
 * The unit run checks a slice (every workload of up to 2 operations and
 * every 5th of 3, a bounded number of subsets); `make crashtest-host` runs
 * everything (STORE_CRASH_FULL=1) and prints the tally.
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "kernel/store/store.h"
#include "kernel/store/store_internal.h"
#include "simdisk.h"
#include "unit.h"

enum op { OP_RUN, OP_WRITE, OP_RENAME, OP_FSYNC, OP_TRUNCATE, OP_CREATE_UNLINK, OP_LINK, OP_COUNT };
static const char *const op_names[] = {"run",	   "write",	    "rename",	   "fsync",
				       "truncate", "create/unlink", "link/symlink"};

#define DISK_BLOCKS 48
#define HANDLER STORE_OBJ(STORE_CLASS_HANDLER, 1)
#define REGS STORE_H_REGS
#define PAGES STORE_H_PAGE
#define QUEUE STORE_H_QUEUE
#define RUN_PAGES 6

static char msg[256];

/* The logical state: a hash over every key and value, in key order. */
static uint64_t state_hash(struct store *st)
{
	static uint8_t v[STORE_VALUE_MAX];
	struct store_key k = {0, 0}, end = {UINT64_MAX, UINT64_MAX};
	uint64_t h = 1;
	while (store_next(st, k, end, &k) == 0) {
		int n = store_get(st, k, v, sizeof v);
		h = store_hash(&k, sizeof k, h);
		h = store_hash(v, n > 0 ? (size_t)n : 0, h ^ (uint64_t)n);
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	return h;
}

static int path_ino(struct store_tx *tx, const char *path, uint64_t *ino)
{
	return store_fs_resolve(tx, path, ino);
}

/* A handler run: registers, snapshot pages, a log record, a queued event
 * consumed and one emitted; its output gate syncs. */
static int op_run(struct store *st, unsigned n)
{
	struct store_tx *tx = store_tx_begin(st);
	uint64_t regs[8] = {0};
	uint8_t page[4096];
	struct optios_log_record rec = {0};
	int r = store_tx_get(tx, (struct store_key){HANDLER, REGS}, regs, sizeof regs);
	if (r == -ENOENT)
		r = 0;
	uint64_t count = ++regs[0];
	memset(page, (int)(count + n), sizeof page);
	rec.seq = count;
	rec.kind = OPTIOS_LOG_COMMIT;
	if (r >= 0)
		r = store_put(tx, (struct store_key){HANDLER, REGS}, regs, sizeof regs);
	/* 6 dirty pages: more than a unit holds on this disk, so a run is
	 * several units and only its last one commits it */
	for (int i = 0; r >= 0 && i < RUN_PAGES; i++) {
		page[0] = (uint8_t)i;
		r = store_put(tx, (struct store_key){HANDLER, PAGES + (count + (uint64_t)i) % 9}, page,
			      sizeof page);
	}
	if (r >= 0)
		r = store_log_append(tx, &rec);
	if (r >= 0)
		r = store_del(tx, (struct store_key){HANDLER, QUEUE + count - 1});
	if (r >= 0)
		r = store_put(tx, (struct store_key){HANDLER, QUEUE + count}, &count, sizeof count);
	if (r < 0) {
		store_tx_abort(tx);
		return r;
	}
	int64_t seq = store_tx_commit(tx);
	return seq < 0 ? (int)seq : store_sync(st, (uint64_t)seq);
}

static int op_fs(struct store *st, enum op op, unsigned n)
{
	struct store_tx *tx = store_tx_begin(st);
	static uint8_t buf[5000];
	uint64_t f, g;
	long r = path_ino(tx, "/f", &f);
	memset(buf, 'a' + (int)n, sizeof buf);
	if (op == OP_WRITE && r == 0) {
		r = store_fs_write(tx, f, (n * 3000) % 9000, buf, sizeof buf, n);
	} else if (op == OP_RENAME) {
		r = store_fs_create(tx, STORE_FS_ROOT, "f.new", STORE_FS_REG, 0644, n, &g);
		if (r == 0)
			r = store_fs_write(tx, g, 0, buf, 100, n);
		if (r >= 0)
			r = store_fs_rename(tx, STORE_FS_ROOT, "f.new", STORE_FS_ROOT, "f", n);
	} else if (op == OP_TRUNCATE && r == 0) {
		r = store_fs_truncate(tx, f, 100 + n, n);
	} else if (op == OP_CREATE_UNLINK) {
		uint64_t d;
		r = path_ino(tx, "/h", &g);
		if (r == 0) {
			r = store_fs_unlink(tx, STORE_FS_ROOT, "h", n);
		} else {
			r = store_fs_create(tx, STORE_FS_ROOT, "h", STORE_FS_REG, 0600, n, &g);
			if (r == 0)
				r = store_fs_write(tx, g, 0, "0123456789", 10, n);
		}
		if (r >= 0 && path_ino(tx, "/d", &d) == 0 && store_fs_unlink(tx, d, "sub", n) == -ENOENT)
			r = store_fs_create(tx, d, "sub", STORE_FS_DIR, 0755, n, &g);
	} else if (op == OP_LINK) {
		/* /l a second name of /f (a rename over /f then leaves the old
		 * file to /l alone), /d/s a symbolic link to it; or both removed */
		uint64_t l, d;
		if (path_ino(tx, "/l", &l) == 0) {
			r = store_fs_unlink(tx, STORE_FS_ROOT, "l", n);
			if (r == 0 && path_ino(tx, "/d", &d) == 0)
				r = store_fs_unlink(tx, d, "s", n);
		} else if (r == 0) {
			r = store_fs_link(tx, f, STORE_FS_ROOT, "l", n);
			if (r == 0 && (r = path_ino(tx, "/d", &d)) == 0)
				r = store_fs_symlink(tx, d, "s", "../f", n, &g);
		}
	}
	if (r < 0) {
		store_tx_abort(tx);
		return (int)r;
	}
	int64_t seq = store_tx_commit(tx);
	return seq < 0 ? (int)seq : 0;
}

static int do_op(struct store *st, enum op op, unsigned n)
{
	if (op == OP_RUN)
		return op_run(st, n);
	if (op == OP_FSYNC)
		return store_sync(st, store_committed_seq(st));
	return op_fs(st, op, n);
}

/* What a run of a workload went through. */
#define OPS_MAX 64
struct trace {
	uint64_t state[OPS_MAX + 1]; /* after the mount, after each operation */
	int done; /* operations completed */
	int synced; /* the last state known durable */
	int enospc; /* operations refused for lack of room */
	struct store_stats stats; /* at the end */
	bool mounted;
};

static void run(struct simdisk *d, const enum op *ops, int nops, struct trace *t)
{
	struct store *st = NULL;
	*t = (struct trace){.synced = 0};
	if (store_mount(&d->dev, &sim_env, STORE_NOFORMAT, &st, msg, sizeof msg) < 0)
		return;
	t->mounted = true;
	t->state[0] = state_hash(st);
	for (int i = 0; i < nops; i++) {
		int r = do_op(st, ops[i], (unsigned)i + 1);
		if (r < 0 && r != -ENOSPC)
			break; /* the power cut; a full disk changes nothing, and goes on */
		t->done = i + 1;
		t->state[i + 1] = state_hash(st);
		/* what the caller was promised: a run and fsync returned after
		 * store_sync said 0 (not what the store believes of itself) */
		if ((ops[i] == OP_RUN || ops[i] == OP_FSYNC) && r == 0)
			t->synced = i + 1;
		t->enospc += r == -ENOSPC;
	}
	store_stats_get(st, &t->stats);
	store_unmount(st);
}

/* The formatted disk every workload starts from: /f (9000 bytes), /d, a
 * handler's state; durable. */
static void make_base_filled(struct simdisk *d, uint32_t sector, size_t fill);

static void make_base(struct simdisk *d, uint32_t sector)
{
	make_base_filled(d, sector, 0);
}

/* The base, with a file /big of `fill` bytes taking room for good. */
static void make_base_filled(struct simdisk *d, uint32_t sector, size_t fill)
{
	struct store *st;
	sim_init(d, sector, DISK_BLOCKS * (4096 / sector));
	CHECK_EQ(store_mount(&d->dev, &sim_env, 0, &st, msg, sizeof msg), 0);
	struct store_tx *tx = store_tx_begin(st);
	static uint8_t buf[9000];
	uint64_t f, dir;
	memset(buf, 'f', sizeof buf);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "f", STORE_FS_REG, 0644, 0, &f), 0);
	CHECK_EQ(store_fs_write(tx, f, 0, buf, sizeof buf, 0), (long)sizeof buf);
	CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "d", STORE_FS_DIR, 0755, 0, &dir), 0);
	CHECK(store_tx_commit(tx) > 0);
	for (size_t off = 0; off < fill; off += sizeof buf) {
		uint64_t big;
		tx = store_tx_begin(st);
		if (off == 0)
			CHECK_EQ(store_fs_create(tx, STORE_FS_ROOT, "big", STORE_FS_REG, 0644, 0, &big), 0);
		else
			CHECK_EQ(store_fs_resolve(tx, "/big", &big), 0);
		size_t n = fill - off < sizeof buf ? fill - off : sizeof buf;
		CHECK_EQ(store_fs_write(tx, big, off, buf, n, 0), (long)n);
		CHECK(store_tx_commit(tx) > 0);
	}
	CHECK_EQ(op_run(st, 0), 0);
	store_unmount(st);
	CHECK_EQ(block_flush(&d->dev), 0);
}

struct tally {
	unsigned long workloads, cuts, images, bad;
	unsigned sample; /* cut at one write in `sample` at random (0: every write) */
	double laps; /* what the reference runs wrote, in laps of the log */
	unsigned long clean_blocks, supers, enospc;
	unsigned long ckpts; /* index checkpoints the reference runs wrote */
	unsigned long from_ckpt; /* recovered disks whose mount loaded a checkpoint */
	bool full;
	uint64_t rng;
};

static uint64_t rnd(struct tally *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static void describe(const enum op *ops, int nops, char *out, size_t size)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < nops && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", op_names[ops[i]]);
}

/* One crash image: mounts, checks, compares. Every 8th also goes on:
 * mounted for writing (its fence), a commit, a sync, checked again. */
static void check_image(struct tally *ty, const struct simdisk *base, const uint8_t *img,
			const struct trace *ref, const struct trace *cut, const enum op *ops, int nops,
			long at)
{
	struct simdisk c;
	struct store *st = NULL;
	char what[OPS_MAX * 15];
	sim_init_from(&c, base, img);
	ty->images++;
	int r = store_mount(&c.dev, &sim_env, STORE_RDONLY, &st, msg, sizeof msg);
	bool ok = r == 0;
	if (ok && store_check(st, msg, sizeof msg) != 0)
		ok = false;
	if (ok) {
		struct store_stats s;
		store_stats_get(st, &s);
		ty->from_ckpt += s.ckpt_loaded_keys > 0;
	}
	int hi = cut->done + 1 <= nops ? cut->done + 1 : nops;
	int j = -1;
	if (ok) {
		uint64_t h = state_hash(st);
		for (int i = cut->synced; i <= hi && j < 0; i++)
			if (ref->state[i] == h)
				j = i;
		if (j < 0)
			snprintf(msg, sizeof msg, "the state is none of states %d..%d", cut->synced, hi);
	}
	store_unmount(st);
	if (ok && j >= 0 && ty->images % 8 == 0) {
		r = store_mount(&c.dev, &sim_env, 0, &st, msg, sizeof msg);
		if (r == 0 && (r = op_run(st, 9)) < 0 && r != -ENOSPC)
			snprintf(msg, sizeof msg, "a run after recovery: %d", r);
		ok = (r == 0 || r == -ENOSPC) && store_check(st, msg, sizeof msg) == 0;
		store_unmount(st);
		st = NULL;
		if (ok && (r = store_mount(&c.dev, &sim_env, STORE_RDONLY, &st, msg, sizeof msg)) == 0)
			ok = store_check(st, msg, sizeof msg) == 0;
		else
			ok = false;
		store_unmount(st);
	}
	if (!ok || j < 0) {
		ty->bad++;
		describe(ops, nops, what, sizeof what);
		if (ty->bad <= 5)
			printf("host:   workload %s, cut at write %ld (%d done, %d synced): %s\n", what, at,
			       cut->done, cut->synced, msg);
		CHECK(ok && j >= 0);
	}
	sim_destroy(&c);
}

/* How the kept writes are torn: only their first block landed; all but
 * their first block; whole blocks at random; sectors at random. */
#define TEAR_STYLES 4
static void tear(struct tally *ty, struct simdisk *d, int style)
{
	unsigned spb = 4096 / d->dev.sector_size;
	uint64_t first = spb >= 64 ? ~0ull : (1ull << spb) - 1;
	for (unsigned i = 0; i < d->npending; i++) {
		uint64_t m = 0, r = rnd(ty);
		if (style == 0)
			m = first;
		else if (style == 1)
			m = ~first;
		else if (style == 2)
			for (unsigned b = 0; b * spb < 64; b++)
				m |= (r >> b & 1) ? (spb >= 64 ? ~0ull : ((1ull << spb) - 1) << (b * spb))
						  : 0;
		else
			m = r;
		d->pending[i].torn = m;
	}
}

static void campaign_workload(struct tally *ty, const struct simdisk *base, const enum op *ops, int nops)
{
	struct simdisk d;
	struct trace ref, cut;
	uint8_t *img = malloc(sim_bytes(base));
	sim_init_from(&d, base, base->durable);
	run(&d, ops, nops, &ref);
	unsigned long total = d.writes;
	sim_destroy(&d);
	CHECK(ref.mounted && ref.done == nops);
	CHECK_EQ(d.rewrites, 0);
	ty->workloads++;
	ty->laps += (double)ref.stats.blocks_written / (double)ref.stats.log_blocks;
	ty->clean_blocks += ref.stats.clean_blocks_written;
	ty->supers += ref.stats.superblocks_written;
	ty->ckpts += ref.stats.ckpt_written;
	ty->enospc += (unsigned long)ref.enospc;
	for (unsigned long at = 0; at < total; at++) {
		if (ty->sample && !ty->full && rnd(ty) % ty->sample)
			continue;
		sim_init_from(&d, base, base->durable);
		d.cut_at = (long)at;
		run(&d, ops, nops, &cut);
		ty->cuts++;
		unsigned n = d.npending;
		unsigned all = ty->full ? 8 : 4;
		uint64_t subsets = n <= all ? 1ull << n : (ty->full ? 256 : 24);
		for (uint64_t s = 0; s < subsets; s++) {
			uint64_t keep = n <= all ? s : rnd(ty) & ((n >= 64 ? 0 : 1ull << n) - 1);
			sim_crash_image(&d, keep, 0, img);
			check_image(ty, base, img, &ref, &cut, ops, nops, (long)at);
			for (int style = 0; keep && style < TEAR_STYLES; style++) {
				if (!ty->full && style >= 2 && s % 4)
					continue;
				tear(ty, &d, style);
				sim_crash_image(&d, keep, keep, img);
				check_image(ty, base, img, &ref, &cut, ops, nops, (long)at);
			}
		}
		sim_destroy(&d);
	}
	free(img);
}

static void campaign(uint32_t sector, bool full)
{
	struct simdisk base;
	struct tally ty = {.full = full, .rng = 0x9e3779b97f4a7c15ull};
	make_base(&base, sector);
	enum op ops[3];
	for (int len = 1; len <= 3; len++) {
		unsigned count = 1;
		for (int i = 0; i < len; i++)
			count *= OP_COUNT;
		for (unsigned w = 0; w < count; w++) {
			if (!full && len == 3 && w % 5)
				continue;
			for (int i = 0, x = (int)w; i < len; i++, x /= OP_COUNT)
				ops[i] = (enum op)(x % OP_COUNT);
			campaign_workload(&ty, &base, ops, len);
		}
	}
	printf("host:   crash campaign (%u-byte sectors%s): %lu workloads, %lu power cuts, %lu disks "
	       "recovered (%lu from an index checkpoint; %lu checkpoints written), %lu wrong\n",
	       sector, full ? ", full" : ", slice", ty.workloads, ty.cuts, ty.images, ty.from_ckpt, ty.ckpts,
	       ty.bad);
	CHECK_EQ(ty.bad, 0);
	CHECK(ty.ckpts > 0 && ty.from_ckpt > 0); /* cuts land inside checkpoints and after them */
	sim_destroy(&base);
}

static bool full_run(void)
{
	const char *e = getenv("STORE_CRASH_FULL");
	return e && e[0] == '1';
}

TEST(store_power_cut_at_every_write_of_every_short_workload)
{
	campaign(512, full_run());
}

TEST(store_power_cut_campaign_on_4096_byte_sectors)
{
	campaign(4096, full_run());
}

/* Longer random workloads on the small disk: the log goes round several
 * times, so cuts land in the cleaner's copies, in reclaiming (its extra
 * flushes) and around superblock writes. */
TEST(store_power_cut_during_long_random_workloads)
{
	struct simdisk base;
	struct tally ty = {.full = full_run(), .rng = 0x2545f4914f6cdd1dull, .sample = 3};
	enum op ops[40];
	make_base(&base, 512);
	for (int w = 0; w < (ty.full ? 40 : 6); w++) {
		for (int i = 0; i < 40; i++)
			ops[i] = (enum op)(rnd(&ty) % OP_COUNT);
		campaign_workload(&ty, &base, ops, 40);
	}
	printf("host:   long random workloads (%s): %lu workloads of 40 operations (%.1f laps of the log, "
	       "%lu "
	       "blocks copied by the cleaner, %lu superblocks, %lu refused for room), %lu power cuts, %lu "
	       "disks "
	       "recovered (%lu from a checkpoint, %lu checkpoints written), %lu wrong\n",
	       ty.full ? "full" : "slice", ty.workloads, ty.laps, ty.clean_blocks, ty.supers, ty.enospc,
	       ty.cuts, ty.images, ty.from_ckpt, ty.ckpts, ty.bad);
	CHECK(ty.clean_blocks > 0 && ty.supers > 0 && ty.ckpts > 0 && ty.from_ckpt > 0);
	CHECK_EQ(ty.bad, 0);
	sim_destroy(&base);
}

/* The same on a disk whose live data leaves little room: commits reclaim
 * (cleaning batches of their own, two flushes to make a tail durable) or
 * are refused for room, and the power goes in the middle of it. */
TEST(store_power_cut_while_reclaiming_a_nearly_full_disk)
{
	struct simdisk base;
	struct tally ty = {.full = full_run(), .rng = 0x51ed270b2a4e3c11ull, .sample = 2};
	enum op ops[30];
	make_base_filled(&base, 512, 40000);
	for (int w = 0; w < (ty.full ? 30 : 4); w++) {
		for (int i = 0; i < 30; i++)
			ops[i] = (enum op)(rnd(&ty) % OP_COUNT);
		campaign_workload(&ty, &base, ops, 30);
	}
	printf("host:   nearly full disk (%s): %lu workloads of 30 operations (%.1f laps, %lu blocks copied "
	       "by the "
	       "cleaner, %lu superblocks, %lu refused for room), %lu power cuts, %lu disks recovered, %lu "
	       "wrong\n",
	       ty.full ? "full" : "slice", ty.workloads, ty.laps, ty.clean_blocks, ty.supers, ty.enospc,
	       ty.cuts, ty.images, ty.bad);
	CHECK(ty.clean_blocks > 0 && ty.enospc > 0);
	CHECK_EQ(ty.bad, 0);
	sim_destroy(&base);
}
