/*
 * store_internal.h - the store's structures, shared by store.c (log,
 * recovery, cleaner), index.c (the in-memory index), fs.c and check.c.
 * The on-disk layout is docs/STORAGE.md; the invariants are at the top of
 * store.c.
 */
#ifndef KERNEL_STORE_STORE_INTERNAL_H
#define KERNEL_STORE_STORE_INTERNAL_H

#include <stdbool.h>

#include "kernel/store/store.h"

/* ---- on disk (little endian) ---- */
#define SB_MAGIC 0x31305453534f4950ull /* "PIOSST01" */
#define UNIT_MAGIC 0x31305855534f4950ull /* "PIOSUX01" */
#define SB_BLOCKS 2 /* superblock slots 0 and 1; the log starts at block 2 */

struct disk_super {
	uint64_t magic;
	uint32_t version; /* SB_VERSION */
	uint32_t block_size; /* 4096 */
	uint64_t blocks; /* the store's size (<= the device's) */
	uint64_t log_blocks; /* blocks - SB_BLOCKS */
	uint64_t gen; /* written to slot gen % 2; the higher valid one wins */
	uint64_t tail_pos; /* replay starts here: the header of unit tail_seq */
	uint64_t tail_seq;
	uint64_t durable_pos; /* every unit ending at or before it was flushed */
	/* the newest durable index checkpoint at or after tail_pos (ckpt_seq 0:
	 * none): units [ckpt_pos, ckpt_end), seqs [ckpt_seq, ckpt_end_seq), the
	 * last one's header check ckpt_check (what the unit at ckpt_end chains to) */
	uint64_t ckpt_pos, ckpt_seq, ckpt_end, ckpt_end_seq, ckpt_check;
	uint64_t check; /* store_hash of this struct with check = 0 */
};
#define SB_VERSION 3 /* 1: no checkpoint fields; 2: every LOG record linked (both refused: docs/STORAGE.md) */

#define UNIT_PART 1u /* more units of the same transaction follow */
#define UNIT_FENCE 2u /* written by a mount: no records */
#define UNIT_CKPT 4u /* an index checkpoint's unit: REC_CK_* records, never applied */
#define UNIT_FLAGS (UNIT_PART | UNIT_FENCE | UNIT_CKPT)

/* A unit: this header block, nrec record blocks, then page blocks. */
struct disk_unit {
	uint64_t magic;
	uint64_t seq;
	uint64_t pos; /* log position (monotonic); device block = 2 + pos % log_blocks */
	uint64_t prev; /* check of the previous unit's header (0 after a format) */
	uint32_t nblocks; /* the unit's blocks, this header included */
	uint32_t nrec; /* record blocks following the header */
	uint32_t flags; /* UNIT_* */
	uint32_t hdr_rec_bytes; /* bytes of records in this header */
	uint64_t check; /* store_unit_check: the hash of the header's used bytes */
	uint64_t sums[]; /* store_hash of each following block, nblocks - 1 of them */
	/* then hdr_rec_bytes of records */
};
#define UNIT_HDR_SIZE 56
_Static_assert(sizeof(struct disk_unit) == UNIT_HDR_SIZE, "unit header layout");

#define REC_PUT 1 /* value inline, after the record, padded to 8 */
#define REC_PUT_PAGE 2 /* value in page block `page` of the unit (index from 0 = the header) */
#define REC_DEL 3
#define REC_DEL_RANGE 4 /* inline: uint64_t to (exclusive) */
/* only in UNIT_CKPT units: */
#define REC_CK_KEY 5 /* key obj:sub, inline: struct ck_loc (where its value is) */
#define REC_CK_UNITS 6 /* obj: a log position; inline: uint16_t sizes of the units from there on */
#define REC_OP_MAX REC_CK_UNITS
#define REC_INLINE(op) ((op) == REC_PUT || (op) == REC_CK_KEY || (op) == REC_CK_UNITS)
struct disk_rec {
	uint8_t op;
	uint8_t pad;
	uint16_t len; /* value bytes (0..4096) */
	uint32_t page;
	uint64_t obj, sub;
};
#define REC_SIZE 24
_Static_assert(sizeof(struct disk_rec) == REC_SIZE, "record layout");
#define INLINE_MAX 1024 /* a value up to this goes inline, else in a page block */
#define REC_SPAN(r) \
	(REC_SIZE + ((REC_INLINE((r)->op) ? (r)->len : (r)->op == REC_DEL_RANGE ? 8 : 0) + 7u) / 8u * 8u)

/* A checkpointed index entry (struct loc on disk). */
struct ck_loc {
	uint64_t pos; /* bit 63: page, bit 62: in_hdr */
	uint16_t off, len;
	uint32_t sum;
};
#define CK_PAGE (1ull << 63)
#define CK_IN_HDR (1ull << 62)
_Static_assert(sizeof(struct ck_loc) == 16, "checkpoint entry layout");

/* ---- in memory ---- */

/* Where a value lives: a log position and, for an inline value, its offset
 * in that block. */
struct loc {
	uint64_t pos;
	uint16_t off; /* 0 for a page block */
	uint16_t len;
	uint8_t page; /* 1: a whole page block */
	uint8_t in_hdr; /* 1: inline in its unit's header */
	uint32_t sum; /* the low half of the block's hash (the header's: its check), verified on every read */
};

struct inode_node; /* index.c */

struct index {
	struct inode_node *root;
	uint64_t count;
	uint64_t seed; /* store_env.seed: the priorities' */
};

/* One change of a transaction, in the order made. */
struct txrec {
	uint8_t op; /* REC_PUT (inline or page, by len), REC_DEL, REC_DEL_RANGE */
	struct store_key k;
	uint64_t to; /* DEL_RANGE */
	uint16_t len;
	uint8_t own; /* VAL_INLINE, VAL_PAGE or VAL_BORROWED: where val lives */
	bool in_arena; /* the record (and an inline value) lies in the store's arena: never freed alone */
	uint8_t *val;
	struct txrec *next;
};
/* A record's value: in the record's own allocation, right after it (values
 * up to INLINE_MAX: one allocation a record); in a page buffer from the
 * store's spares (larger values); or the caller's (store_put_ref), never
 * freed by the store. */
enum { VAL_INLINE, VAL_PAGE, VAL_BORROWED };
#define SPARE_PAGES 4 /* page buffers the store keeps for values and scratch, from its mount on */

struct store_tx {
	struct store *st;
	struct txrec *first, *last;
	unsigned nrec;
	uint64_t pages, rec_bytes; /* what it needs, for sizing */
	bool arena; /* this is the store's own tx (st->tx) and owns its arena */
};

/* The records of one transaction at a time come from an arena the store
 * keeps from its mount on (a 1-page run's records take about 2.5 KiB); a
 * record that does not fit, or one of a second transaction open meanwhile,
 * is allocated alone. */
#define ARENA_SIZE (2 * STORE_BLOCK)
#define LOCS_KEPT 64 /* write_units' locations array kept for reuse, in entries */

struct blockinfo {
	uint16_t live; /* index entries located in this block */
	uint16_t unit; /* at a unit's header: its nblocks; else 0 */
};

struct store {
	struct blkdev *dev;
	struct store_env env;
	unsigned secs_per_block;
	bool rdonly, failed;
	/* the layout (from the superblock) */
	uint64_t blocks, log_blocks;
	unsigned unit_max; /* blocks per unit */
	uint64_t reserve; /* log blocks kept for the cleaner */
	/* the log: positions are monotonic, block = SB_BLOCKS + pos % log_blocks */
	uint64_t head; /* where the next unit goes */
	uint64_t next_seq; /* its seq */
	uint64_t prev_check; /* the previous unit's header check */
	uint64_t committed_seq, durable_seq;
	uint64_t durable_pos; /* head when the last flush was issued */
	/* the cleaner: units before clean_tail have no live value left */
	uint64_t clean_tail, clean_tail_seq;
	/* a tail whose copies are durable (from the last completed flush) */
	uint64_t safe_tail, safe_tail_seq;
	/* the superblock: the newest durable one, and one being written */
	uint64_t sb_gen, sb_tail, sb_durable_pos;
	uint64_t pending_gen, pending_tail, pending_tail_seq, pending_durable_pos;
	/* at store_sync_begin: clean_tail and head, what the flush will cover */
	uint64_t flush_snap_tail, flush_snap_tail_seq, pending_head;
	bool flushing;
	/* index checkpoints: the newest written (ck_new), the newest a completed
	 * flush made durable (ck_durable), the one the flush in flight covers
	 * (ck_pending), the one the durable superblock names (sb_ckpt_pos) */
	struct ckpt {
		uint64_t pos, seq, end, end_seq, check;
	} ck_new, ck_durable, ck_pending;
	uint64_t sb_ckpt_pos, pending_ckpt_pos;
	uint64_t ck_next; /* a checkpoint is considered once the head reaches it */
	uint64_t ck_guard; /* ... or once clean_tail passes this (ck_new.pos) */
	/* the superblock mounted and the head after the mount, its fence
	 * included (fsck replays the log fully and compares while nothing was
	 * written since) */
	struct disk_super mounted;
	uint64_t mount_head;
	bool ck_damaged; /* the mount's checkpoint did not load: replayed fully */
	/* why mount refused the device (a message for store_mount's caller) */
	const char *why;
	uint64_t why_pos;
	struct index index;
	struct blockinfo *info; /* log_blocks of them */
	uint64_t live_blocks;
	struct store_stats stats;
	uint8_t *buf; /* one block of scratch */
	uint8_t *unit_buf; /* unit_max blocks: the unit being written */
	size_t unit_dirty; /* bytes of its header block that may not be zero (build_unit) */
	uint8_t *spare[SPARE_PAGES]; /* STORE_BLOCK buffers kept for reuse (store_page_get) */
	unsigned nspare;
	/* the arena: used by tx while tx.arena (one transaction at a time) */
	struct store_tx tx;
	uint8_t *arena;
	size_t arena_used;
	struct loc *locs; /* LOCS_KEPT entries, for write_units */
};

uint64_t store_hash(const void *p, size_t n, uint64_t seed);
uint64_t store_unit_check(const void *hdr, uint64_t pos);
uint64_t store_block_of(const struct store *st, uint64_t pos);
/* fsck: replays the log of the mounted superblock fully (no checkpoint)
 * and compares the index and block table with st's; 0 or -EINVAL (msg). */
int store_replay_compare(struct store *st, char *msg, size_t msgsize);
int store_read_block(struct store *st, uint64_t block, void *buf);
int store_read_value(struct store *st, const struct loc *l, void *buf, size_t cap);
/* A STORE_BLOCK buffer (from the spares when there is one; NULL when out of
 * memory), and back: the hot paths allocate no page twice. */
uint8_t *store_page_get(struct store *st);
void store_page_put(struct store *st, uint8_t *page);

/* index.c: an ordered map key -> loc (a treap). */
struct loc *index_find(struct index *ix, struct store_key k);
/* Sets k's loc; returns the previous loc in *old (and true) when k was there. */
int index_set(struct index *ix, const struct store_env *env, struct store_key k, struct loc l,
	      struct loc *old, bool *had);
/* index_set of a key above every key in ix (a checkpoint's, in key order):
 * no search, no split. 0 or -ENOMEM. */
int index_append(struct index *ix, const struct store_env *env, struct store_key k, struct loc l);
bool index_erase(struct index *ix, const struct store_env *env, struct store_key k, struct loc *old);
/* The smallest key >= k, or NULL. */
struct loc *index_ceil(struct index *ix, struct store_key k, struct store_key *found);
void index_destroy(struct index *ix, const struct store_env *env);
/* Calls fn for every entry in key order; stops at the first nonzero return. */
int index_walk(struct index *ix, int (*fn)(void *arg, struct store_key k, struct loc *l), void *arg);

static inline int key_cmp(struct store_key a, struct store_key b)
{
	if (a.obj != b.obj)
		return a.obj < b.obj ? -1 : 1;
	if (a.sub != b.sub)
		return a.sub < b.sub ? -1 : 1;
	return 0;
}

#endif
