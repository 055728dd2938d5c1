/*
 * store.c - the crash-consistent store: a circular log of 4 KiB blocks,
 * replayed into an in-memory index at mount (API: store.h; on-disk format
 * and the crash-safety argument: docs/STORAGE.md).
 *
 * Theory of operation. Block 0 and 1 are two superblock slots; blocks 2..
 * are the log, addressed by a monotonic position pos (block 2 + pos %
 * log_blocks), so a position names one lap's use of a block. A commit
 * appends its records to the log as one or more units: a header block (seq,
 * pos, the previous header's check, a checksum of every other block of the
 * unit, the small records themselves), record blocks when they do not fit,
 * and one block per page-sized value. Nothing is flushed: store_sync flushes
 * once for every commit before it. Mount reads the newer valid superblock
 * and replays units from its tail while each is the next seq, at its
 * position, chained to its predecessor and intact; a transaction's records
 * apply only at its last unit, so recovery ends on a transaction boundary.
 * The cleaner walks units from the tail, copying the values still live
 * (the index still points at them) into the next commit; the tail it leaves
 * behind is written to a superblock one flush after the copies were
 * flushed, and the space before it is reused only once that superblock is
 * durable. Every so often (ck_every: in proportion to the index's size) a
 * commit is followed by an index checkpoint, a transaction of its own in
 * the chain; once durable, the superblock names it and mount loads it and
 * replays only the units after it.
 *
 * Invariants (store_check verifies them):
 *  I1 tail <= clean_tail <= head, head - sb_tail <= log_blocks: the log
 *     never overwrites a block the durable superblock's replay would read.
 *  I2 every unit in [sb_tail, durable_pos) is durable and intact; a unit at
 *     or after durable_pos may be torn or missing, and replay stops there.
 *  I3 units are consecutive: unit at pos p with seq s is followed by the
 *     unit at p + nblocks with seq s + 1 whose prev is its header's check.
 *  I4 every index entry's loc lies in [clean_tail, head) (after a cleaning
 *     commit) and in [sb_tail, head) always, and reads back the value of
 *     the last record for its key; info[b].live counts the entries in b.
 *  I5 a superblock names a tail only when the copies that emptied the units
 *     before it are durable (safe_tail), and a durable_pos only of units a
 *     completed flush covered.
 *  I6 a block is written at most once between two flushes (the head only
 *     moves forward, superblock slots alternate per flush), so reordering
 *     unflushed writes never lets an older version win.
 *  I7 committed_seq >= durable_seq; durable_seq is the seq of the last unit
 *     written before the last successful flush was issued.
 *  I8 after a device error (failed) nothing more is written.
 *  I9 a superblock names an index checkpoint only when a completed flush
 *     covered every unit of it (ck_durable), and only at or after its own
 *     tail (so I1 protects its blocks); loaded, it yields the index and
 *     block table a replay from the tail to it would (fsck compares), and
 *     a checkpoint that does not load whole is never trusted: mount replays
 *     fully, stepping over it.
 *
 * Memory on the commit path: a transaction's record and its value (up to
 * INLINE_MAX) come from the store's arena (one transaction at a time owns
 * it: the store's own struct store_tx; reset when the next one begins) or,
 * when it is taken or full, from an allocation of their own; a larger value
 * lives in a page buffer from the store's spares (given back when the
 * record is freed, the spares capped at SPARE_PAGES), or is borrowed from the caller (store_put_ref: never
 * freed here, valid until the commit or abort). The spares are allocated at
 * mount, so the store's memory does not grow with its first commits (the
 * in-kernel tests count pages); a 1-page commit allocates nothing
 * page-sized.
 *
 * Host-buildable: yes (tests/host/test_store*.c, tools/optios_disk.c).
 */
#include "kernel/store/store_internal.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define UNIT_MAX_CAP 32 /* blocks per unit, whatever the device size */
#define VERIFY_MAX 1024 /* log blocks past durable_pos, at most, for recovery to check whole */
#define SUMS_MAX ((STORE_BLOCK - UNIT_HDR_SIZE) / 8)
#define CKPT_BLOCKS_MAX 65535 /* a checkpoint's blocks, at most (a block table entry) */
#define CKPT_EVERY_MIN 256 /* log blocks between two checkpoints, at least */
#define CKPT_COST 32 /* ... and at least this many times the checkpoint's size */
#define CKPT_UNITS_PER_REC (INLINE_MAX / 2)
_Static_assert(UNIT_MAX_CAP - 1 <= SUMS_MAX, "a unit's sums fit its header");

/* ---- hashing: xxHash64's construction (four lanes of multiply-rotate
 * over 32-byte stripes, then an avalanche), about 5 instructions per 8
 * bytes. Not cryptographic: it tells torn, stale and misplaced blocks from
 * good ones. ---- */
#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
#define P4 0x85ebca77c2b2ae63ull
#define P5 0x27d4eb2f165667c5ull

static uint64_t rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t lane(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

static uint64_t word(const uint8_t *b)
{
	uint64_t w;
	__builtin_memcpy(&w, b, 8); /* one load: the kernel's memcpy would be a call per word */
	return w;
}

uint64_t store_hash(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p, *end = b + n;
	uint64_t h;
	if (n >= 32) {
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
		for (; b + 32 <= end; b += 32) {
			v1 = lane(v1, word(b));
			v2 = lane(v2, word(b + 8));
			v3 = lane(v3, word(b + 16));
			v4 = lane(v4, word(b + 24));
		}
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = (h ^ lane(0, v1)) * P1 + P4;
		h = (h ^ lane(0, v2)) * P1 + P4;
		h = (h ^ lane(0, v3)) * P1 + P4;
		h = (h ^ lane(0, v4)) * P1 + P4;
	} else {
		h = seed + P5;
	}
	h += n;
	for (; b + 8 <= end; b += 8)
		h = rotl(h ^ lane(0, word(b)), 27) * P1 + P4;
	for (; b < end; b++)
		h = rotl(h ^ (*b * P5), 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

/* A unit header's check: the hash of its used bytes (the fixed fields with
 * check as 0, the sums, the records), seeded by its position. The rest of
 * the block is never parsed, so it is not covered. Safe on any bytes. */
uint64_t store_unit_check(const void *hdr, uint64_t pos)
{
	struct disk_unit h;
	memcpy(&h, hdr, sizeof h);
	h.check = 0;
	unsigned nblocks = h.nblocks < 1 ? 1 : h.nblocks > UNIT_MAX_CAP ? UNIT_MAX_CAP : h.nblocks;
	size_t used = UNIT_HDR_SIZE + 8 * (nblocks - 1) + MIN((size_t)h.hdr_rec_bytes, (size_t)STORE_BLOCK);
	used = MIN(used, (size_t)STORE_BLOCK);
	uint64_t fixed = store_hash(&h, sizeof h, pos);
	return store_hash((const uint8_t *)hdr + UNIT_HDR_SIZE, used - UNIT_HDR_SIZE, fixed);
}

/* ---- device I/O in blocks ---- */
uint64_t store_block_of(const struct store *st, uint64_t pos)
{
	return SB_BLOCKS + pos % st->log_blocks;
}

static int dev_read(struct blkdev *dev, unsigned spb, uint64_t block, uint32_t n, void *buf)
{
	return block_read(dev, block * spb, n * spb, buf);
}

int store_read_block(struct store *st, uint64_t block, void *buf)
{
	st->stats.blocks_read++;
	return dev_read(st->dev, st->secs_per_block, block, 1, buf);
}

/* Writes n blocks from log position pos on (splitting at the log's end). */
static int write_log(struct store *st, uint64_t pos, uint32_t n, const uint8_t *buf)
{
	while (n > 0) {
		uint64_t b = store_block_of(st, pos);
		uint32_t run = (uint32_t)MIN((uint64_t)n, SB_BLOCKS + st->log_blocks - b);
		int r = block_write(st->dev, b * st->secs_per_block, run * st->secs_per_block, buf);
		if (r < 0) {
			st->failed = true;
			return r;
		}
		st->stats.blocks_written += run;
		pos += run;
		n -= run;
		buf += (size_t)run * STORE_BLOCK;
	}
	return 0;
}

static int dev_flush(struct store *st)
{
	st->stats.flushes++;
	int r = block_flush(st->dev);
	if (r < 0)
		st->failed = true;
	return r;
}

/* ---- superblocks ---- */
static void super_seal(struct disk_super *s)
{
	s->check = 0;
	s->check = store_hash(s, sizeof *s, SB_MAGIC);
}

/* NULL when s is a valid superblock for a device of dev_blocks, else why not. */
static const char *super_invalid(const struct disk_super *s, uint64_t dev_blocks)
{
	struct disk_super c = *s;
	super_seal(&c);
	if (s->magic != SB_MAGIC)
		return "bad magic";
	if (c.check != s->check)
		return "checksum mismatch";
	if (s->version == 1)
		return "format version 1 (before index checkpoints): copy its files out with an older "
		       "optios-disk";
	if (s->version == 2)
		return "format version 2 (before log records stored unlinked): copy its files out with an "
		       "older optios-disk";
	if (s->version != SB_VERSION || s->block_size != STORE_BLOCK)
		return "unknown version or block size";
	if (s->blocks < STORE_MIN_BLOCKS || s->blocks > dev_blocks)
		return "size out of range for this device";
	if (s->log_blocks != s->blocks - SB_BLOCKS)
		return "log size inconsistent";
	if (s->gen == 0 || s->tail_seq == 0 || s->tail_seq > (1ull << 62))
		return "generation or sequence out of range";
	if (s->tail_pos > s->durable_pos || s->durable_pos - s->tail_pos > s->log_blocks ||
	    s->durable_pos > (1ull << 62))
		return "log positions out of range";
	if (s->ckpt_seq &&
	    (s->ckpt_pos < s->tail_pos || s->ckpt_pos >= s->ckpt_end || s->ckpt_end > s->durable_pos ||
	     s->ckpt_end - s->ckpt_pos > CKPT_BLOCKS_MAX || s->ckpt_seq < s->tail_seq ||
	     s->ckpt_end_seq <= s->ckpt_seq || s->ckpt_end_seq - s->ckpt_seq > s->ckpt_end - s->ckpt_pos))
		return "checkpoint out of range";
	return NULL;
}

static int write_super(struct store *st, uint64_t gen, uint64_t tail, uint64_t tail_seq, uint64_t dpos,
		       const struct ckpt *ck)
{
	memset(st->buf, 0, STORE_BLOCK);
	struct disk_super *s = (struct disk_super *)st->buf;
	*s = (struct disk_super){.magic = SB_MAGIC,
				 .version = SB_VERSION,
				 .block_size = STORE_BLOCK,
				 .blocks = st->blocks,
				 .log_blocks = st->log_blocks,
				 .gen = gen,
				 .tail_pos = tail,
				 .tail_seq = tail_seq,
				 .durable_pos = dpos,
				 .ckpt_pos = ck->pos,
				 .ckpt_seq = ck->seq,
				 .ckpt_end = ck->end,
				 .ckpt_end_seq = ck->end_seq,
				 .ckpt_check = ck->check};
	super_seal(s);
	int r = block_write(st->dev, (gen % 2) * st->secs_per_block, st->secs_per_block, st->buf);
	if (r < 0) {
		st->failed = true;
		return r;
	}
	st->stats.blocks_written++;
	st->stats.superblocks_written++;
	return 0;
}

/* ---- applying a record to the index (commit and replay alike) ---- */
static void live_add(struct store *st, uint64_t pos, int d)
{
	struct blockinfo *bi = &st->info[pos % st->log_blocks];
	if (d > 0 && bi->live++ == 0)
		st->live_blocks++;
	if (d < 0 && --bi->live == 0)
		st->live_blocks--;
}

static int apply_put(struct store *st, struct store_key k, struct loc l)
{
	struct loc old;
	bool had;
	int r = index_set(&st->index, &st->env, k, l, &old, &had);
	if (r < 0)
		return r;
	if (had)
		live_add(st, old.pos, -1);
	live_add(st, l.pos, +1);
	return 0;
}

static void apply_del(struct store *st, struct store_key k)
{
	struct loc old;
	if (index_erase(&st->index, &st->env, k, &old))
		live_add(st, old.pos, -1);
}

static void apply_del_range(struct store *st, uint64_t obj, uint64_t from, uint64_t to)
{
	struct store_key k = {obj, from}, found;
	while (from < to && index_ceil(&st->index, k, &found) && found.obj == obj && found.sub < to)
		apply_del(st, found);
}

/* ---- units: the records of a transaction laid out in blocks ---- */

static bool rec_is_page(const struct txrec *t);

/* Bytes a transaction record takes in a record stream. */
static unsigned rec_span(const struct txrec *t)
{
	unsigned data = REC_INLINE(t->op) && !rec_is_page(t) ? t->len : t->op == REC_DEL_RANGE ? 8 : 0;
	return REC_SIZE + (data + 7u) / 8u * 8u;
}

static bool rec_is_page(const struct txrec *t)
{
	return t->op == REC_PUT && t->len > INLINE_MAX;
}

/* How the records from `first` on fill the next unit: count records,
 * nrec record blocks (0: all in the header), npages. */
struct plan {
	unsigned count, nrec, npages, hdr_bytes;
};

static unsigned plan_blocks(const struct plan *p)
{
	return 1 + p->nrec + p->npages;
}

static struct plan plan_unit(const struct store *st, const struct txrec *first)
{
	struct plan p = {0};
	unsigned bytes = 0, blocks = 0, fill = STORE_BLOCK; /* packed record blocks */
	for (const struct txrec *t = first; t; t = t->next) {
		unsigned s = rec_span(t), pages = p.npages + rec_is_page(t);
		unsigned nblocks = blocks + (fill + s > STORE_BLOCK);
		unsigned nfill = fill + s > STORE_BLOCK ? s : fill + s;
		bool in_hdr = UNIT_HDR_SIZE + 8u * pages + bytes + s <= STORE_BLOCK;
		unsigned total = 1 + pages + (in_hdr ? 0 : nblocks);
		if (p.count > 0 && (total > st->unit_max || UNIT_HDR_SIZE + 8u * (total - 1) > STORE_BLOCK))
			break;
		p.count++;
		p.npages = pages;
		bytes += s;
		blocks = nblocks;
		fill = nfill;
		p.nrec = in_hdr ? 0 : blocks;
		p.hdr_bytes = in_hdr ? bytes : 0;
	}
	return p;
}

/* Blocks the records from first on need, unit by unit. */
static uint64_t plan_total(const struct store *st, const struct txrec *first)
{
	uint64_t total = 0;
	while (first) {
		struct plan p = plan_unit(st, first);
		total += plan_blocks(&p);
		for (unsigned i = 0; i < p.count; i++)
			first = first->next;
	}
	return total;
}

/* Writes record t at *at (a record stream) and says where its value went. */
static void emit_rec(const struct txrec *t, uint8_t *at, uint64_t block_pos, unsigned off, unsigned page,
		     uint64_t unit_pos, struct loc *l)
{
	struct disk_rec d = {.op = t->op, .len = t->len, .obj = t->k.obj, .sub = t->k.sub};
	unsigned span = rec_span(t);
	memset(at, 0, span);
	*l = (struct loc){0};
	if (rec_is_page(t)) {
		d.op = REC_PUT_PAGE;
		d.page = page;
		*l = (struct loc){.pos = unit_pos + page, .len = t->len, .page = 1};
	} else if (t->op == REC_PUT) {
		memcpy(at + REC_SIZE, t->val, t->len);
		*l = (struct loc){.pos = block_pos,
				  .off = (uint16_t)(off + REC_SIZE),
				  .len = t->len,
				  .in_hdr = block_pos == unit_pos};
	} else if (t->op == REC_DEL_RANGE) {
		memcpy(at + REC_SIZE, &t->to, 8);
	} else if (REC_INLINE(t->op)) { /* a checkpoint's record */
		memcpy(at + REC_SIZE, t->val, t->len);
	}
	memcpy(at, &d, REC_SIZE);
}

/* What a value's loc keeps of the hash of block i of the unit h heads. */
static uint32_t block_sum(const struct disk_unit *h, uint64_t i)
{
	return (uint32_t)(i == 0 ? h->check : h->sums[i - 1]);
}

/* Builds the unit of plan p from records first.. at log position pos into
 * buf (plan_blocks(p) blocks), filling locs[i] for each record. *dirty: the
 * bytes of buf's header block that may not be zero past what this unit
 * writes there (every unused byte written is zero: a unit's slack never
 * carries an earlier one's bytes); updated. */
static void build_unit(const struct plan *p, const struct txrec *first, uint64_t pos, uint64_t seq,
		       uint64_t prev, uint32_t flags, uint8_t *buf, size_t *dirty, struct loc *locs)
{
	unsigned nblocks = plan_blocks(p);
	/* records write their own spans (emit_rec), so only the header's tail
	 * left by a longer unit needs zeroing; record blocks are zeroed whole */
	size_t hdr_end = p->nrec ? STORE_BLOCK : UNIT_HDR_SIZE + 8 * (nblocks - 1) + p->hdr_bytes;
	if (p->nrec)
		memset(buf, 0, (size_t)(1 + p->nrec) * STORE_BLOCK); /* page blocks are filled below */
	else if (*dirty > hdr_end)
		memset(buf + hdr_end, 0, *dirty - hdr_end);
	*dirty = hdr_end;
	struct disk_unit *h = (struct disk_unit *)buf;
	unsigned hdr_off = UNIT_HDR_SIZE + 8 * (nblocks - 1);
	unsigned blk = p->nrec ? 1 : 0, off = p->nrec ? 0 : hdr_off, page = 1 + p->nrec;
	const struct txrec *t = first;
	for (unsigned i = 0; i < p->count; i++, t = t->next) {
		unsigned s = rec_span(t);
		if (p->nrec && off + s > STORE_BLOCK) {
			blk++;
			off = 0;
		}
		emit_rec(t, buf + (size_t)blk * STORE_BLOCK + off, pos + blk, off, page, pos, &locs[i]);
		if (rec_is_page(t)) {
			uint8_t *b = buf + (size_t)page++ * STORE_BLOCK;
			memcpy(b, t->val, t->len);
			memset(b + t->len, 0, STORE_BLOCK - t->len);
		}
		off += s;
	}
	*h = (struct disk_unit){.magic = UNIT_MAGIC,
				.seq = seq,
				.pos = pos,
				.prev = prev,
				.nblocks = nblocks,
				.nrec = p->nrec,
				.flags = flags,
				.hdr_rec_bytes = p->hdr_bytes};
	for (unsigned i = 1; i < nblocks; i++)
		h->sums[i - 1] = store_hash(buf + (size_t)i * STORE_BLOCK, STORE_BLOCK, pos + i);
	h->check = store_unit_check(buf, pos);
	t = first;
	for (unsigned i = 0; i < p->count; i++, t = t->next)
		if (t->op == REC_PUT)
			locs[i].sum = block_sum(h, locs[i].pos - pos);
}

/* Marks the blocks of a unit written at pos in the block table. */
static void note_unit(struct store *st, uint64_t pos, unsigned nblocks)
{
	for (unsigned i = 0; i < nblocks; i++)
		st->info[(pos + i) % st->log_blocks].unit = 0;
	st->info[pos % st->log_blocks].unit = (uint16_t)nblocks;
}

/* Applies a written record to the index. */
static int apply_rec(struct store *st, const struct txrec *t, struct loc l)
{
	if (t->op == REC_PUT)
		return apply_put(st, t->k, l);
	if (t->op == REC_DEL)
		apply_del(st, t->k);
	else
		apply_del_range(st, t->k.obj, t->k.sub, t->to);
	return 0;
}

/* Writes the records from first on as units at the head (PART on all but
 * the last); once every unit is written, applies them to the index, so a
 * reader never sees part of a transaction. The caller checked the space. */
static int write_units(struct store *st, struct txrec *first, uint32_t extra_flags)
{
	size_t n = 0;
	for (const struct txrec *t = first; t; t = t->next)
		n++;
	struct loc *locs = n <= LOCS_KEPT ? st->locs : st->env.alloc(sizeof(struct loc) * n);
	uint64_t head = st->head, seq = st->next_seq, prev = st->prev_check;
	if (!locs)
		return -ENOMEM;
	int r = 0;
	size_t i = 0;
	struct txrec *t = first;
	do {
		struct plan p = plan_unit(st, t);
		struct txrec *next = t;
		for (unsigned j = 0; j < p.count; j++)
			next = next->next;
		uint32_t flags = extra_flags | (next ? UNIT_PART : 0);
		build_unit(&p, t, head, seq, prev, flags, st->unit_buf, &st->unit_dirty, locs + i);
		r = write_log(st, head, plan_blocks(&p), st->unit_buf);
		if (r < 0)
			goto out; /* the store is failed: nothing of it applied */
		note_unit(st, head, plan_blocks(&p));
		prev = ((struct disk_unit *)st->unit_buf)->check;
		head += plan_blocks(&p);
		seq++;
		i += p.count;
		t = next;
	} while (t);
	i = 0;
	for (t = first; t && r == 0 && !(extra_flags & UNIT_CKPT); t = t->next)
		r = apply_rec(st, t, locs[i++]);
	if (r < 0) {
		st->failed = true; /* out of memory half way: the index no longer matches the log */
		goto out;
	}
	st->head = head;
	st->prev_check = prev;
	st->committed_seq = seq - 1;
	st->next_seq = seq;
out:
	if (locs != st->locs)
		st->env.free(locs);
	return r;
}

/* ---- transactions ---- */
struct store_tx *store_tx_begin(struct store *st)
{
	struct store_tx *tx = st->tx.arena ? st->env.alloc(sizeof *tx) : &st->tx;
	if (tx == &st->tx)
		st->arena_used = 0; /* no record of an earlier transaction is left in it */
	if (tx)
		*tx = (struct store_tx){.st = st, .arena = tx == &st->tx};
	return tx;
}

struct store *store_tx_store(struct store_tx *tx)
{
	return tx->st;
}

uint8_t *store_page_get(struct store *st)
{
	return st->nspare ? st->spare[--st->nspare] : st->env.alloc(STORE_BLOCK);
}

void store_page_put(struct store *st, uint8_t *page)
{
	if (st->nspare < SPARE_PAGES)
		st->spare[st->nspare++] = page;
	else
		st->env.free(page);
}

/* Room for a record of size bytes: from the arena when tx owns it and it
 * fits (*in_arena), else alone; NULL when out of memory. */
static struct txrec *rec_mem(struct store *st, const struct store_tx *tx, size_t size, bool *in_arena)
{
	size = (size + 7) / 8 * 8;
	*in_arena = tx && tx->arena && st->arena_used + size <= ARENA_SIZE;
	if (!*in_arena)
		return st->env.alloc(size);
	struct txrec *t = (struct txrec *)(st->arena + st->arena_used);
	st->arena_used += size;
	return t;
}

/* A record of len bytes of value (its val to be filled), or NULL; tx: the
 * transaction it is for (its arena), NULL for the cleaner's copies. */
static struct txrec *rec_alloc(struct store *st, const struct store_tx *tx, uint8_t op, struct store_key k,
			       uint64_t to, size_t len)
{
	bool page = len > INLINE_MAX, in_arena;
	struct txrec *t = rec_mem(st, tx, sizeof *t + (page ? 0 : len), &in_arena);
	if (!t)
		return NULL;
	*t = (struct txrec){
		.op = op, .k = k, .to = to, .len = (uint16_t)len, .own = VAL_INLINE, .in_arena = in_arena};
	if (len && !page)
		t->val = (uint8_t *)(t + 1);
	if (page) {
		t->own = VAL_PAGE;
		if (!(t->val = store_page_get(st))) {
			if (!in_arena)
				st->env.free(t);
			return NULL;
		}
	}
	return t;
}

static void free_recs(struct store *st, struct txrec *t)
{
	while (t) {
		struct txrec *n = t->next;
		if (t->own == VAL_PAGE)
			store_page_put(st, t->val);
		if (!t->in_arena)
			st->env.free(t);
		t = n;
	}
}

void store_tx_abort(struct store_tx *tx)
{
	if (!tx)
		return;
	free_recs(tx->st, tx->first);
	if (tx->arena)
		tx->arena = false; /* the store's tx and arena are free again */
	else
		tx->st->env.free(tx);
}

/* Appends a record; its value copied, or borrowed (store_put_ref). */
static int add_rec(struct store_tx *tx, uint8_t op, struct store_key k, uint64_t to, const void *val,
		   size_t len, bool borrow)
{
	if (len > STORE_VALUE_MAX || (len && !val))
		return -EINVAL;
	struct txrec *t = rec_alloc(tx->st, tx, op, k, to, borrow ? 0 : len);
	if (!t)
		return -ENOMEM;
	if (borrow) {
		t->len = (uint16_t)len;
		t->val = (uint8_t *)val;
		t->own = VAL_BORROWED;
	} else if (len) {
		memcpy(t->val, val, len);
	}
	if (tx->last)
		tx->last->next = t;
	else
		tx->first = t;
	tx->last = t;
	tx->nrec++;
	return 0;
}

int store_put(struct store_tx *tx, struct store_key k, const void *val, size_t len)
{
	return add_rec(tx, REC_PUT, k, 0, val, len, false);
}

int store_put_ref(struct store_tx *tx, struct store_key k, const void *val, size_t len)
{
	return add_rec(tx, REC_PUT, k, 0, val, len, true);
}

int store_del(struct store_tx *tx, struct store_key k)
{
	return add_rec(tx, REC_DEL, k, 0, NULL, 0, false);
}

int store_del_range(struct store_tx *tx, uint64_t obj, uint64_t from, uint64_t to)
{
	if (from >= to)
		return 0;
	return add_rec(tx, REC_DEL_RANGE, (struct store_key){obj, from}, to, NULL, 0, false);
}

/* The transaction's last word on k: the record putting it, or *gone when
 * it deleted it last; NULL and !*gone when it never touched k. */
static const struct txrec *tx_find(const struct store_tx *tx, struct store_key k, bool *gone)
{
	const struct txrec *found = NULL;
	*gone = false;
	for (const struct txrec *t = tx->first; t; t = t->next) {
		if (t->op == REC_PUT && key_cmp(t->k, k) == 0) {
			found = t;
			*gone = false;
		} else if ((t->op == REC_DEL && key_cmp(t->k, k) == 0) ||
			   (t->op == REC_DEL_RANGE && t->k.obj == k.obj && k.sub >= t->k.sub &&
			    k.sub < t->to)) {
			found = NULL;
			*gone = true;
		}
	}
	return found;
}

/* Reads a value, checking its block against the hash its unit recorded: a
 * block damaged since it was written is -EIO, never wrong bytes. */
int store_read_value(struct store *st, const struct loc *l, void *buf, size_t cap)
{
	int r = dev_read(st->dev, st->secs_per_block, store_block_of(st, l->pos), 1, st->buf);
	if (r < 0)
		return r;
	uint64_t h = l->in_hdr ? store_unit_check(st->buf, l->pos) : store_hash(st->buf, STORE_BLOCK, l->pos);
	if ((uint32_t)h != l->sum)
		return -EIO;
	memcpy(buf, st->buf + l->off, MIN((size_t)l->len, cap));
	return l->len;
}

int store_get(struct store *st, struct store_key k, void *buf, size_t cap)
{
	struct loc *l = index_find(&st->index, k);
	if (!l)
		return -ENOENT;
	return store_read_value(st, l, buf, cap);
}

int store_tx_get(struct store_tx *tx, struct store_key k, void *buf, size_t cap)
{
	bool gone;
	const struct txrec *t = tx_find(tx, k, &gone);
	if (t) {
		memcpy(buf, t->val, MIN((size_t)t->len, cap));
		return t->len;
	}
	return gone ? -ENOENT : store_get(tx->st, k, buf, cap);
}

int store_next(struct store *st, struct store_key from, struct store_key to, struct store_key *found)
{
	if (!index_ceil(&st->index, from, found) || key_cmp(*found, to) > 0)
		return -ENOENT;
	return 0;
}

int store_tx_next(struct store_tx *tx, struct store_key from, struct store_key to, struct store_key *found)
{
	bool have = false, gone;
	struct store_key best = {0}, k = from;
	/* the committed keys, skipping those the transaction deleted */
	while (store_next(tx->st, k, to, &k) == 0) {
		if (!tx_find(tx, k, &gone) && gone) {
			if (k.sub == UINT64_MAX)
				break;
			k.sub++;
			continue;
		}
		best = k;
		have = true;
		break;
	}
	/* the transaction's own puts still standing */
	for (const struct txrec *t = tx->first; t; t = t->next)
		if (t->op == REC_PUT && key_cmp(t->k, from) >= 0 && key_cmp(t->k, to) <= 0 &&
		    (!have || key_cmp(t->k, best) < 0) && tx_find(tx, t->k, &gone)) {
			best = t->k;
			have = true;
		}
	if (!have)
		return -ENOENT;
	*found = best;
	return 0;
}

/* ---- the cleaner ---- */

/* What a cleaning pass gathered: copies of live values (records to commit
 * before the transaction's own), and the tail once they are committed. */
struct clean {
	struct txrec *first, *last;
	uint64_t tail, tail_seq;
	uint64_t cleaned; /* log blocks passed */
	uint64_t copy_blocks; /* an estimate of what the copies take */
};

static int copy_live(struct store *st, struct clean *c, struct store_key k, const struct loc *l)
{
	struct txrec *t = rec_alloc(st, NULL, REC_PUT, k, 0, l->len);
	if (!t)
		return -ENOMEM;
	int r = l->len ? store_read_value(st, l, t->val, l->len) : 0;
	if (r < 0) {
		free_recs(st, t);
		return r;
	}
	if (c->last)
		c->last->next = t;
	else
		c->first = t;
	c->last = t;
	c->copy_blocks += rec_is_page(t) ? 1 : 0;
	c->copy_blocks += (rec_span(t) + STORE_BLOCK - 1) / STORE_BLOCK; /* pessimistic */
	return 0;
}

/* Walks one unit's records at pos (already checked at mount or written by
 * us), calling fn for each. */
typedef int (*rec_fn)(struct store *st, void *arg, const struct disk_rec *d, struct loc l, uint64_t to,
		      const uint8_t *data);
static int parse_records(struct store *st, const uint8_t *blk, unsigned len, uint64_t block_pos,
			 uint64_t unit_pos, const struct disk_unit *h, unsigned base_off, rec_fn fn,
			 void *arg);

static int clean_one(struct store *st, void *arg, const struct disk_rec *d, struct loc l, uint64_t to,
		     const uint8_t *data)
{
	(void)to;
	(void)data;
	struct store_key k = {d->obj, d->sub};
	struct loc *cur = index_find(&st->index, k);
	if (d->op != REC_PUT && d->op != REC_PUT_PAGE)
		return 0; /* deletions need no copy: everything older goes with them */
	if (!cur || cur->pos != l.pos || cur->off != l.off)
		return 0; /* dead */
	return copy_live(st, arg, k, cur);
}

static int read_unit_records(struct store *st, uint64_t pos, uint8_t *hdr, rec_fn fn, void *arg);

/* Cleans units from clean_tail while fewer than `want` blocks were passed
 * and the copies' estimate stays under max_copy. Copies are only gathered:
 * nothing changes until the caller commits them and sets the tail. */
static int clean_gather(struct store *st, uint64_t want, uint64_t max_copy, struct clean *c)
{
	*c = (struct clean){.tail = st->clean_tail, .tail_seq = st->clean_tail_seq};
	uint8_t *hdr = st->env.alloc(STORE_BLOCK);
	if (!hdr)
		return -ENOMEM;
	int r = 0;
	while (c->tail < st->head && c->cleaned < want && c->copy_blocks < max_copy) {
		const struct blockinfo *bi = &st->info[c->tail % st->log_blocks];
		unsigned n = bi->unit, live = 0;
		if (n == 0 || c->tail + n > st->head) {
			st->failed = true; /* the block table lost a unit: a bug */
			r = -EIO;
			break;
		}
		for (unsigned i = 0; i < n; i++)
			live += st->info[(c->tail + i) % st->log_blocks].live;
		if (live) {
			r = read_unit_records(st, c->tail, hdr, clean_one, c);
			if (r < 0)
				break;
		}
		c->tail += n;
		c->tail_seq++;
		c->cleaned += n;
	}
	st->env.free(hdr);
	if (r < 0) {
		free_recs(st, c->first);
		c->first = c->last = NULL;
	}
	return r;
}

/* ---- commit ---- */
static uint64_t free_blocks(const struct store *st)
{
	return st->sb_tail + st->log_blocks - st->head;
}

static int flush_cycle(struct store *st, bool force_super);
static void ck_after_commit(struct store *st);

/* Frees room for `need` blocks at the head: cleans (each batch committed
 * on its own) and makes the new tail durable (two flushes), as long as it
 * helps. -ENOSPC when a whole lap of cleaning could not. */
static int reclaim(struct store *st, uint64_t need)
{
	uint64_t passed = 0;
	while (free_blocks(st) < need) {
		if (st->clean_tail > st->sb_tail) {
			if (st->flushing)
				return -EAGAIN; /* the caller's flush must end first */
			int r = flush_cycle(st, false);
			if (r == 0)
				r = flush_cycle(st, true);
			if (r < 0)
				return r;
			if (st->clean_tail == st->sb_tail)
				continue;
		}
		if (passed > st->log_blocks || st->clean_tail >= st->head)
			return -ENOSPC;
		uint64_t room = free_blocks(st);
		if (room < 2 * (uint64_t)st->unit_max + 1)
			return -ENOSPC;
		struct clean c;
		int r = clean_gather(st, need, room - 2 * st->unit_max, &c);
		if (r < 0)
			return r;
		passed += c.cleaned;
		if (c.first && plan_total(st, c.first) > room) {
			free_recs(st, c.first);
			return -ENOSPC;
		}
		r = c.first ? write_units(st, c.first, 0) : 0;
		if (c.first)
			st->stats.clean_blocks_written += plan_total(st, c.first);
		free_recs(st, c.first);
		if (r < 0)
			return r;
		st->clean_tail = c.tail;
		st->clean_tail_seq = c.tail_seq;
	}
	return 0;
}

static bool tx_puts(const struct store_tx *tx)
{
	for (const struct txrec *t = tx->first; t; t = t->next)
		if (t->op == REC_PUT)
			return true;
	return false;
}

int64_t store_tx_commit(struct store_tx *tx)
{
	struct store *st = tx->st;
	struct clean c = {0};
	int64_t r = 0;
	if (st->failed || st->rdonly) {
		r = st->failed ? -EIO : -EROFS;
		goto out;
	}
	uint64_t n = plan_total(st, tx->first);
	if (n == 0)
		n = 1; /* an empty transaction is one header */
	if (n > st->log_blocks / 2) {
		r = -EFBIG;
		goto out;
	}
	if (free_blocks(st) < n + st->reserve) {
		r = reclaim(st, n + st->reserve);
		/* a transaction that only deletes may dip into the reserve, down
		 * to what one cleaning step needs: on a full disk, removing
		 * things must still work */
		if (r == -ENOSPC && !tx_puts(tx) && free_blocks(st) >= n + 2 * st->unit_max + 1)
			r = 0;
		if (r < 0)
			goto out;
	}
	/* fold cleaning into this commit once the log is half full */
	if (st->head - st->clean_tail > st->log_blocks / 2) {
		r = clean_gather(st, 2 * n + 2, st->reserve / 2, &c);
		if (r < 0)
			goto out;
	}
	struct txrec *all = tx->first;
	uint64_t copies = 0;
	if (c.first) {
		copies = plan_total(st, c.first);
		c.last->next = tx->first;
		all = c.first;
	}
	if (c.first && plan_total(st, all) + st->unit_max > free_blocks(st)) {
		/* the copies overshot the room: commit without them this time */
		c.last->next = NULL;
		free_recs(st, c.first);
		c = (struct clean){0};
		all = tx->first;
	}
	r = write_units(st, all, 0);
	if (c.first)
		c.last->next = NULL;
	if (r == 0) {
		if (c.cleaned) {
			st->clean_tail = c.tail;
			st->clean_tail_seq = c.tail_seq;
			st->stats.clean_blocks_written += copies;
		}
		r = (int64_t)st->committed_seq;
		ck_after_commit(st);
	}
out:
	free_recs(st, c.first);
	store_tx_abort(tx);
	return r;
}

/* ---- durability ---- */
uint64_t store_durable_seq(const struct store *st)
{
	return st->durable_seq;
}

uint64_t store_committed_seq(const struct store *st)
{
	return st->committed_seq;
}

struct blkdev *store_device(struct store *st)
{
	return st->dev;
}

/* A superblock is written when the space it frees matters (an eighth of
 * the log, or the log getting full) or when recovery would otherwise verify
 * the page blocks of more than VERIFY_MAX blocks (or a quarter of the log):
 * not at every flush. */
static bool super_due(const struct store *st)
{
	uint64_t gain = st->safe_tail - st->sb_tail;
	return (gain && (gain >= st->log_blocks / 8 || free_blocks(st) < st->reserve + st->log_blocks / 8)) ||
	       st->durable_pos - st->sb_durable_pos >= MIN(st->log_blocks / 4, VERIFY_MAX) ||
	       (st->ck_durable.seq && st->ck_durable.pos != st->sb_ckpt_pos);
}

/* The checkpoint a superblock with this tail may name: the newest durable
 * one, unless the tail passed it (then none: a full replay). */
static struct ckpt super_ckpt(const struct store *st, uint64_t tail)
{
	if (st->ck_durable.seq && st->ck_durable.pos >= tail)
		return st->ck_durable;
	return (struct ckpt){0};
}

static uint64_t sync_begin(struct store *st, bool force_super)
{
	st->flushing = true;
	st->pending_gen = 0;
	struct ckpt ck = super_ckpt(st, st->safe_tail);
	if (!st->failed && !st->rdonly && (force_super || super_due(st)) &&
	    write_super(st, st->sb_gen + 1, st->safe_tail, st->safe_tail_seq, st->durable_pos, &ck) == 0) {
		st->pending_gen = st->sb_gen + 1;
		st->pending_ckpt_pos = ck.pos;
		st->pending_tail = st->safe_tail;
		st->pending_tail_seq = st->safe_tail_seq;
		st->pending_durable_pos = st->durable_pos;
	}
	st->flush_snap_tail = st->clean_tail;
	st->flush_snap_tail_seq = st->clean_tail_seq;
	st->pending_head = st->head;
	st->ck_pending = st->ck_new; /* written: durable at this flush's end */
	return st->committed_seq;
}

uint64_t store_sync_begin(struct store *st)
{
	return sync_begin(st, false);
}

void store_sync_end(struct store *st, uint64_t ticket, int flush_result)
{
	st->flushing = false;
	st->stats.flushes++; /* the caller's block_flush (kernel/persist), or flush_cycle's */
	if (flush_result < 0) {
		st->failed = true;
		return;
	}
	if (st->pending_gen) {
		st->sb_gen = st->pending_gen;
		st->sb_tail = st->pending_tail;
		st->sb_durable_pos = st->pending_durable_pos;
		st->sb_ckpt_pos = st->pending_ckpt_pos;
	}
	st->ck_durable = st->ck_pending;
	if (ticket > st->durable_seq)
		st->durable_seq = ticket;
	st->durable_pos = st->pending_head;
	st->safe_tail = st->flush_snap_tail;
	st->safe_tail_seq = st->flush_snap_tail_seq;
}

static int flush_cycle(struct store *st, bool force_super)
{
	if (st->failed)
		return -EIO;
	uint64_t t = sync_begin(st, force_super);
	int r = block_flush(st->dev); /* counted and failed by store_sync_end */
	store_sync_end(st, t, r);
	return r;
}

int store_sync(struct store *st, uint64_t seq)
{
	if (st->durable_seq >= seq && !st->failed)
		return 0;
	if (st->failed)
		return -EIO;
	if (st->flushing)
		return -EBUSY; /* a split flush is in flight: wait for its end */
	return flush_cycle(st, false);
}

int store_checkpoint(struct store *st)
{
	if (st->rdonly)
		return 0;
	int r = store_sync(st, st->committed_seq);
	if (r == 0 && st->sb_durable_pos < st->durable_pos)
		r = flush_cycle(st, true);
	return r;
}

/* ---- index checkpoints ----
 * A checkpoint is a transaction of its own (units flagged UNIT_CKPT, in the
 * chain like any other) holding the index (REC_CK_KEY: key -> struct
 * ck_loc) and the sizes of the units from the durable superblock's tail to
 * its own position (REC_CK_UNITS), so that mount can load it and replay only
 * the units after it. Its records are never applied to the index, so the
 * cleaner skips its blocks unread. It is written after a commit once the
 * head passed ck_next (CKPT_COST times its estimated size, at least
 * CKPT_EVERY_MIN blocks or a quarter of the log, since the last one): its
 * cost is bounded by a fraction of the log traffic. A superblock names it
 * only once a completed flush covered it (ck_durable), and only while its
 * tail has not passed it. */

/* Estimated blocks of a checkpoint now. */
static uint64_t ck_size(const struct store *st)
{
	uint64_t bytes = st->index.count * (REC_SIZE + sizeof(struct ck_loc)) + (st->head - st->sb_tail) * 2;
	uint64_t est = bytes / (STORE_BLOCK - 2 * REC_SIZE) + 1;
	return est + est / (st->unit_max - 1) + 1; /* and headers */
}

/* Log blocks between two checkpoints: CKPT_COST times the size of one, at
 * least CKPT_EVERY_MIN or a quarter of the log, at most half the log (on a
 * small disk, where ck_maybe's bound on the size caps the cost). */
static uint64_t ck_every(const struct store *st)
{
	uint64_t every = MAX(CKPT_COST * ck_size(st), MIN((uint64_t)CKPT_EVERY_MIN, st->log_blocks / 4));
	return MIN(every, st->log_blocks / 2);
}

static int ck_key(void *arg, struct store_key k, struct loc *l)
{
	struct ck_loc c = {.pos = l->pos | (l->page ? CK_PAGE : 0) | (l->in_hdr ? CK_IN_HDR : 0),
			   .off = l->off,
			   .len = l->len,
			   .sum = l->sum};
	return add_rec(arg, REC_CK_KEY, k, 0, &c, sizeof c, false);
}

/* The sizes of the units in [from, to), as REC_CK_UNITS records. */
static int ck_units(struct store_tx *tx, uint64_t from, uint64_t to)
{
	struct store *st = tx->st;
	uint16_t sizes[CKPT_UNITS_PER_REC];
	while (from < to) {
		uint64_t start = from;
		unsigned n = 0;
		for (; from < to && n < CKPT_UNITS_PER_REC; n++) {
			unsigned u = st->info[from % st->log_blocks].unit;
			if (u == 0 || from + u > to)
				return -EIO; /* the block table lost a unit: a bug */
			sizes[n] = (uint16_t)u;
			from += u;
		}
		int r = add_rec(tx, REC_CK_UNITS, (struct store_key){start, 0}, 0, sizes, 2 * n, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Writes a checkpoint at the head: -ENOSPC (nothing written) when it would
 * eat into the reserve. */
static int ck_write(struct store *st)
{
	struct store_tx *tx = store_tx_begin(st);
	if (!tx)
		return -ENOMEM;
	uint64_t pos = st->head, seq = st->next_seq;
	int r = ck_units(tx, st->sb_tail, pos);
	if (r == 0)
		r = index_walk(&st->index, ck_key, tx);
	uint64_t n = r == 0 ? MAX(plan_total(st, tx->first), 1) : 0;
	if (r == 0 && (n > CKPT_BLOCKS_MAX || n + st->reserve > free_blocks(st)))
		r = -ENOSPC;
	if (r == 0)
		r = write_units(st, tx->first, UNIT_CKPT);
	if (r == 0) {
		st->ck_new = (struct ckpt){.pos = pos,
					   .seq = seq,
					   .end = st->head,
					   .end_seq = st->next_seq,
					   .check = st->prev_check};
		st->stats.ckpt_written++;
		st->stats.ckpt_blocks_written += st->head - pos;
	}
	store_tx_abort(tx);
	return r;
}

/* After a commit: a checkpoint when one is due (the caller checked
 * head >= ck_next or clean_tail > ck_guard, two comparisons). */
static void ck_maybe(struct store *st)
{
	uint64_t every = ck_every(st), base = st->ck_new.seq ? st->ck_new.end : st->sb_tail;
	bool passed = st->clean_tail > st->ck_guard; /* the next superblock would drop it */
	if (st->failed || st->rdonly)
		return;
	if (!passed && st->head < base + every) {
		st->ck_next = base + every;
		return;
	}
	/* a checkpoint larger than a sixteenth of the log is not worth it; with
	 * no room now, the next try is a whole interval later */
	if (ck_size(st) <= st->log_blocks / 16 && ck_write(st) == 0)
		st->ck_guard = st->ck_new.pos;
	else if (passed)
		st->ck_guard = UINT64_MAX;
	st->ck_next = st->head + every;
}

static void ck_after_commit(struct store *st)
{
	if (st->head >= st->ck_next || st->clean_tail > st->ck_guard)
		ck_maybe(st);
}

int store_clean(struct store *st, unsigned blocks)
{
	if (st->failed || st->rdonly)
		return st->failed ? -EIO : -EROFS;
	if (st->head - st->clean_tail <= st->log_blocks / 4)
		return 0; /* below the threshold: old versions may stay */
	struct clean c;
	uint64_t room = free_blocks(st);
	if (room < st->reserve)
		room = st->reserve; /* the cleaner may use the reserve */
	int r = clean_gather(st, blocks, room / 2, &c);
	if (r < 0)
		return r;
	if (c.first) {
		uint64_t n = plan_total(st, c.first);
		r = n + st->unit_max <= free_blocks(st) ? write_units(st, c.first, 0) : -ENOSPC;
		if (r == 0)
			st->stats.clean_blocks_written += n;
	}
	free_recs(st, c.first);
	if (r < 0)
		return r;
	st->clean_tail = c.tail;
	st->clean_tail_seq = c.tail_seq;
	ck_after_commit(st);
	return (int)c.cleaned;
}

bool store_clean_due(const struct store *st)
{
	uint64_t used = st->head - st->clean_tail;
	return !st->failed && !st->rdonly && used > st->live_blocks &&
	       used - st->live_blocks > st->log_blocks / 4;
}

void store_stats_get(const struct store *st, struct store_stats *out)
{
	*out = st->stats;
	out->blocks = st->blocks;
	out->log_blocks = st->log_blocks;
	out->used_blocks = st->head - st->clean_tail;
	out->live_blocks = st->live_blocks;
	out->keys = st->index.count;
	out->committed_seq = st->committed_seq;
	out->durable_seq = st->durable_seq;
	out->max_tx_blocks = st->log_blocks / 2;
}

/* ---- reading units back (recovery, the cleaner, fsck) ---- */

/* Checks one record stream of len bytes (a header's records, or a whole
 * record block ended by a zero op) and calls fn for each record. -EINVAL
 * (st->why) for a record no writer makes. */
static int parse_records(struct store *st, const uint8_t *blk, unsigned len, uint64_t block_pos,
			 uint64_t unit_pos, const struct disk_unit *h, unsigned base_off, rec_fn fn,
			 void *arg)
{
	unsigned off = 0, first_page = 1 + h->nrec, nblocks = h->nblocks;
	bool ckpt = h->flags & UNIT_CKPT;
	while (off + REC_SIZE <= len) {
		struct disk_rec d;
		memcpy(&d, blk + off, REC_SIZE);
		if (d.op == 0 && base_off == 0)
			break; /* the end of a record block */
		unsigned data = REC_INLINE(d.op) ? d.len : d.op == REC_DEL_RANGE ? 8 : 0;
		unsigned span = REC_SIZE + (data + 7u) / 8u * 8u;
		struct loc l = {0};
		uint64_t to = 0;
		if (d.op < REC_PUT || d.op > REC_OP_MAX || (d.op >= REC_CK_KEY) != ckpt ||
		    d.len > STORE_VALUE_MAX || (REC_INLINE(d.op) && d.len > INLINE_MAX) || off + span > len) {
			st->why = "a record out of bounds";
			st->why_pos = unit_pos;
			return -EINVAL;
		}
		if (d.op == REC_PUT_PAGE && (d.page < first_page || d.page >= nblocks)) {
			st->why = "a record's page outside its unit";
			st->why_pos = unit_pos;
			return -EINVAL;
		}
		if (d.op == REC_PUT)
			l = (struct loc){.pos = block_pos,
					 .off = (uint16_t)(base_off + off + REC_SIZE),
					 .len = d.len,
					 .in_hdr = block_pos == unit_pos};
		else if (d.op == REC_PUT_PAGE)
			l = (struct loc){.pos = unit_pos + d.page, .len = d.len, .page = 1};
		else if (d.op == REC_DEL_RANGE)
			memcpy(&to, blk + off + REC_SIZE, 8);
		if (d.op == REC_PUT || d.op == REC_PUT_PAGE)
			l.sum = block_sum(h, l.pos - unit_pos);
		int r = fn(st, arg, &d, l, to, blk + off + REC_SIZE);
		if (r)
			return r;
		off += span;
	}
	return 0;
}

/* The header at hdr read from pos: NULL if it is the unit expected there,
 * else why not. */
static const char *unit_invalid(const struct store *st, const struct disk_unit *h, uint64_t pos, uint64_t seq,
				const uint64_t *prev)
{
	if (h->magic != UNIT_MAGIC)
		return "no unit header";
	if (store_unit_check(h, pos) != h->check)
		return "unit header checksum mismatch";
	if (h->pos != pos || h->seq != seq)
		return "a stale unit (another position or sequence)";
	if (prev && h->prev != *prev)
		return "a unit not chained to the one before";
	if (h->nblocks < 1 || h->nblocks > st->unit_max || h->nrec >= h->nblocks || (h->flags & ~UNIT_FLAGS))
		return "unit fields out of range";
	if (UNIT_HDR_SIZE + 8u * (h->nblocks - 1) + h->hdr_rec_bytes > STORE_BLOCK ||
	    (h->nrec && h->hdr_rec_bytes))
		return "unit record area out of range";
	return NULL;
}

/* Reads the unit at pos (header into hdr, record blocks into a buffer of
 * its own) and calls fn for each record, without checking sums. */
static int read_unit_records(struct store *st, uint64_t pos, uint8_t *hdr, rec_fn fn, void *arg)
{
	int r = dev_read(st->dev, st->secs_per_block, store_block_of(st, pos), 1, hdr);
	if (r < 0)
		return r;
	const struct disk_unit *h = (const struct disk_unit *)hdr;
	unsigned base = UNIT_HDR_SIZE + 8 * (h->nblocks - 1);
	r = parse_records(st, hdr + base, h->hdr_rec_bytes, pos, pos, h, base, fn, arg);
	if (r || h->nrec == 0)
		return r;
	uint8_t *rb = st->env.alloc(STORE_BLOCK);
	if (!rb)
		return -ENOMEM;
	for (unsigned i = 1; i <= h->nrec && r == 0; i++) {
		r = dev_read(st->dev, st->secs_per_block, store_block_of(st, pos + i), 1, rb);
		if (r == 0)
			r = parse_records(st, rb, STORE_BLOCK, pos + i, pos, h, 0, fn, arg);
	}
	st->env.free(rb);
	return r;
}

/* ---- recovery ---- */

/* Records of a transaction's units seen so far, applied at its last unit. */
struct pend {
	struct disk_rec d;
	struct loc l;
	uint64_t to;
};
struct replay {
	struct pend *p;
	size_t n, cap;
};

static int pend_one(struct store *st, void *arg, const struct disk_rec *d, struct loc l, uint64_t to,
		    const uint8_t *data)
{
	(void)data;
	struct replay *rp = arg;
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? 2 * rp->cap : 64;
		struct pend *p = st->env.alloc(cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		if (rp->n)
			memcpy(p, rp->p, rp->n * sizeof *p);
		if (rp->p)
			st->env.free(rp->p);
		rp->p = p;
		rp->cap = cap;
	}
	rp->p[rp->n++] = (struct pend){*d, l, to};
	return 0;
}

static int replay_apply(struct store *st, struct replay *rp)
{
	for (size_t i = 0; i < rp->n; i++) {
		const struct pend *p = &rp->p[i];
		struct store_key k = {p->d.obj, p->d.sub};
		if (p->d.op == REC_PUT || p->d.op == REC_PUT_PAGE) {
			int r = apply_put(st, k, p->l);
			if (r < 0)
				return r;
		} else if (p->d.op == REC_DEL) {
			apply_del(st, k);
		} else {
			apply_del_range(st, k.obj, k.sub, p->to);
		}
	}
	rp->n = 0;
	return 0;
}

/* Checks the sums of blocks [from, to) of the unit at pos; buf holds the
 * record blocks already read (from 1 on), or NULL to read each block. */
static bool unit_sums_ok(struct store *st, const struct disk_unit *h, uint64_t pos, unsigned from,
			 unsigned to, const uint8_t *buf)
{
	for (unsigned i = from; i < to; i++) {
		const uint8_t *b = buf ? buf + (size_t)(i - 1) * STORE_BLOCK : st->buf;
		if (!buf && store_read_block(st, store_block_of(st, pos + i), st->buf) < 0)
			return false;
		if (store_hash(b, STORE_BLOCK, pos + i) != h->sums[i - 1])
			return false;
	}
	return true;
}

/* Reads the unit expected at pos with seq (chained to *prev unless NULL):
 * its header into hdr, its record blocks into recs, checking those; NULL,
 * or why it is not that unit. */
static const char *unit_read(struct store *st, uint64_t pos, uint64_t seq, const uint64_t *prev, uint8_t *hdr,
			     uint8_t *recs)
{
	const struct disk_unit *h = (const struct disk_unit *)hdr;
	const char *why = NULL;
	if (store_read_block(st, store_block_of(st, pos), hdr) < 0)
		why = "unreadable unit header";
	else
		why = unit_invalid(st, h, pos, seq, prev);
	if (!why && pos + h->nblocks > st->sb_tail + st->log_blocks)
		why = "a unit past the end of the lap";
	if (!why && h->nrec &&
	    dev_read(st->dev, st->secs_per_block, store_block_of(st, pos + 1), 1, recs) < 0)
		why = "unreadable record block";
	for (unsigned i = 2; !why && i <= h->nrec; i++)
		if (store_read_block(st, store_block_of(st, pos + i), recs + (size_t)(i - 1) * STORE_BLOCK) <
		    0)
			why = "unreadable record block";
	if (!why && !unit_sums_ok(st, h, pos, 1, 1 + h->nrec, recs))
		why = "record block checksum mismatch";
	return why;
}

/* Calls fn for every record of the unit read into hdr and recs. */
static int unit_parse(struct store *st, uint64_t pos, const uint8_t *hdr, const uint8_t *recs, rec_fn fn,
		      void *arg)
{
	const struct disk_unit *h = (const struct disk_unit *)hdr;
	unsigned base = UNIT_HDR_SIZE + 8 * (h->nblocks - 1);
	int r = parse_records(st, hdr + base, h->hdr_rec_bytes, pos, pos, h, base, fn, arg);
	for (unsigned i = 1; r == 0 && i <= h->nrec; i++)
		r = parse_records(st, recs + (size_t)(i - 1) * STORE_BLOCK, STORE_BLOCK, pos + i, pos, h, 0,
				  fn, arg);
	return r;
}

/* One unit at pos, expected seq: 1 (accepted into rp, or applied with its
 * transaction), 0 (the log ends here), or -EINVAL (damage inside the
 * durable part: st->why). A checkpoint's unit is checked, never applied. */
static int replay_unit(struct store *st, uint64_t pos, uint64_t seq, const uint64_t *prev,
		       uint64_t sb_durable, uint8_t *hdr, uint8_t *recs, struct replay *rp, uint64_t *check,
		       bool *last)
{
	const struct disk_unit *h = (const struct disk_unit *)hdr;
	bool in_durable = pos < sb_durable;
	const char *why = unit_read(st, pos, seq, prev, hdr, recs);
	bool durable = !why && pos + h->nblocks <= sb_durable;
	if (!why && !durable && !unit_sums_ok(st, h, pos, 1 + h->nrec, h->nblocks, NULL))
		why = "page block checksum mismatch";
	if (why) {
		if (!in_durable)
			return 0;
		st->why = why;
		st->why_pos = pos;
		return -EINVAL;
	}
	int r = h->flags & UNIT_CKPT ? 0 : unit_parse(st, pos, hdr, recs, pend_one, rp);
	if (r < 0)
		return r;
	*check = h->check;
	*last = !(h->flags & UNIT_PART);
	if (*last)
		r = replay_apply(st, rp);
	note_unit(st, pos, h->nblocks);
	return r < 0 ? r : 1;
}

/* Loading a checkpoint: its REC_CK_UNITS continue from `next` (once
 * `started`), its keys come in increasing order. */
struct ck_load {
	const struct disk_super *sb;
	uint64_t next;
	bool started, any_key;
	struct store_key last;
};

static int ck_load_units(struct store *st, struct ck_load *cl, const struct disk_rec *d, const uint8_t *data)
{
	uint64_t p = d->obj, tail = cl->sb->tail_pos;
	if (d->len == 0 || d->len % 2 || (cl->started ? p != cl->next : p > tail))
		return -EINVAL;
	for (unsigned i = 0; i < d->len / 2u; i++) {
		uint16_t n;
		memcpy(&n, data + 2 * i, 2);
		if (n == 0 || n > st->unit_max || p + n > cl->sb->ckpt_pos || (p < tail && p + n > tail))
			return -EINVAL;
		if (p >= tail)
			note_unit(st, p, n);
		p += n;
	}
	cl->next = p;
	cl->started = true;
	return 0;
}

static int ck_load_rec(struct store *st, void *arg, const struct disk_rec *d, struct loc l, uint64_t to,
		       const uint8_t *data)
{
	struct ck_load *cl = arg;
	struct store_key k = {d->obj, d->sub};
	struct ck_loc c;
	(void)l;
	(void)to;
	if (d->op == REC_CK_UNITS)
		return ck_load_units(st, cl, d, data);
	if (d->len != sizeof c || (cl->any_key && key_cmp(k, cl->last) <= 0))
		return -EINVAL;
	memcpy(&c, data, sizeof c);
	struct loc v = {.pos = c.pos & ~(CK_PAGE | CK_IN_HDR),
			.off = c.off,
			.len = c.len,
			.page = (c.pos & CK_PAGE) != 0,
			.in_hdr = (c.pos & CK_IN_HDR) != 0,
			.sum = c.sum};
	/* a value before the tail was copied by the cleaner after the
	 * checkpoint: the replay after it must replace it (checked at its end) */
	if (v.pos >= cl->sb->ckpt_pos || v.pos + st->log_blocks < cl->sb->ckpt_pos ||
	    v.len > STORE_VALUE_MAX ||
	    (v.page ? v.off != 0 || v.in_hdr : v.len > INLINE_MAX || (unsigned)v.off + v.len > STORE_BLOCK))
		return -EINVAL;
	cl->last = k;
	cl->any_key = true;
	int r = index_append(&st->index, &st->env, k, v); /* above every key: ck_load began empty */
	if (r == 0)
		live_add(st, v.pos, +1);
	return r;
}

/* Loads the checkpoint the superblock names into the index and the block
 * table: every unit of it intact, chained, where and what the superblock
 * says. Any doubt is -EINVAL (the caller replays fully). */
static int ck_load(struct store *st, const struct disk_super *sb, uint8_t *hdr, uint8_t *recs)
{
	const struct disk_unit *h = (const struct disk_unit *)hdr;
	struct ck_load cl = {.sb = sb};
	uint64_t pos = sb->ckpt_pos, seq = sb->ckpt_seq, prev = 0;
	if (st->index.count)
		return -EINVAL; /* keys are appended (ck_load_rec): only into an empty index */
	for (bool last = false; !last;) {
		if (pos >= sb->ckpt_end ||
		    unit_read(st, pos, seq, pos == sb->ckpt_pos ? NULL : &prev, hdr, recs) ||
		    !(h->flags & UNIT_CKPT) || h->nblocks != 1 + h->nrec)
			return -EINVAL;
		int r = unit_parse(st, pos, hdr, recs, ck_load_rec, &cl);
		if (r < 0)
			return r;
		note_unit(st, pos, h->nblocks);
		last = !(h->flags & UNIT_PART);
		prev = h->check;
		pos += h->nblocks;
		seq++;
	}
	if (pos != sb->ckpt_end || seq != sb->ckpt_end_seq || prev != sb->ckpt_check ||
	    (cl.started ? cl.next != sb->ckpt_pos : sb->tail_pos != sb->ckpt_pos))
		return -EINVAL;
	st->stats.ckpt_loaded_keys = st->index.count;
	return 0;
}

static void replay_reset(struct store *st)
{
	index_destroy(&st->index, &st->env);
	memset(st->info, 0, st->log_blocks * sizeof *st->info);
	st->live_blocks = 0;
	st->stats.ckpt_loaded_keys = 0;
	st->stats.recovered_units = 0;
}

static int below_tail(void *arg, struct store_key k, struct loc *l)
{
	(void)k;
	return l->pos < *(const uint64_t *)arg;
}

/* Replays the log of superblock sb: from its checkpoint (use_ckpt, when it
 * loads) or from its tail. A checkpoint that does not load is damage: the
 * full replay steps over it (the superblock says where it ends and what
 * the unit after it chains to). Sets the index, head, next seq. */
static int replay(struct store *st, const struct disk_super *sb, bool use_ckpt)
{
	uint8_t *hdr = st->env.alloc(STORE_BLOCK), *recs = st->env.alloc((size_t)st->unit_max * STORE_BLOCK);
	struct replay rp = {0};
	int r = hdr && recs ? 0 : -ENOMEM;
	uint64_t pos = sb->tail_pos, seq = sb->tail_seq, prev = 0;
	bool chained = false, skip = false, from_ckpt = false;
	if (r == 0 && sb->ckpt_seq && use_ckpt) {
		from_ckpt = ck_load(st, sb, hdr, recs) == 0;
		if (!from_ckpt)
			replay_reset(st);
		skip = st->ck_damaged = !from_ckpt;
	}
	if (from_ckpt) {
		pos = sb->ckpt_end;
		seq = sb->ckpt_end_seq;
		prev = sb->ckpt_check;
		chained = true;
	}
	st->head = pos;
	st->next_seq = seq;
	st->committed_seq = seq - 1;
	st->prev_check = prev;
	while (r == 0) {
		uint64_t check;
		bool last;
		if (skip && pos == sb->ckpt_pos) {
			note_unit(st, pos, (unsigned)(sb->ckpt_end - pos)); /* the cleaner steps over it */
			st->head = pos = sb->ckpt_end;
			st->next_seq = seq = sb->ckpt_end_seq;
			st->committed_seq = seq - 1;
			st->prev_check = prev = sb->ckpt_check;
			chained = true;
			continue;
		}
		r = replay_unit(st, pos, seq, chained ? &prev : NULL, sb->durable_pos, hdr, recs, &rp, &check,
				&last);
		if (r <= 0)
			break;
		r = 0;
		st->stats.recovered_units++;
		pos += ((struct disk_unit *)hdr)->nblocks;
		prev = check;
		chained = true;
		seq++;
		if (last) {
			st->head = pos;
			st->next_seq = seq;
			st->committed_seq = seq - 1;
			st->prev_check = check;
		}
	}
	if (r == 0 && st->head < sb->durable_pos) {
		st->why = "the log ends inside its durable part";
		st->why_pos = st->head;
		r = -EINVAL;
	}
	if (rp.p)
		st->env.free(rp.p);
	if (hdr)
		st->env.free(hdr);
	if (recs)
		st->env.free(recs);
	uint64_t tail = sb->tail_pos;
	if (from_ckpt && (r < 0 || index_walk(&st->index, below_tail, &tail))) {
		/* the checkpoint and the log after it disagree: trust neither
		 * the checkpoint nor what was built on it */
		replay_reset(st);
		st->ck_damaged = true;
		return replay(st, sb, false);
	}
	return r;
}

/* ---- mount, format ---- */
static void layout(struct store *st, struct blkdev *dev, uint64_t blocks)
{
	st->dev = dev;
	st->secs_per_block = STORE_BLOCK / dev->sector_size;
	st->blocks = blocks;
	st->log_blocks = blocks - SB_BLOCKS;
	st->unit_max = (unsigned)MAX(4, MIN(UNIT_MAX_CAP, st->log_blocks / 8));
	st->reserve = 2 * st->unit_max + MAX(2, MIN(64, st->log_blocks / 16));
}

static uint64_t device_blocks(const struct blkdev *dev)
{
	return dev->sectors / (STORE_BLOCK / dev->sector_size);
}

static struct store *store_alloc(struct blkdev *dev, const struct store_env *env, uint64_t blocks)
{
	struct store *st = env->alloc(sizeof *st);
	if (!st)
		return NULL;
	*st = (struct store){.env = *env};
	st->index.seed = env->seed;
	layout(st, dev, blocks);
	st->buf = env->alloc(STORE_BLOCK);
	st->unit_buf = env->alloc((size_t)st->unit_max * STORE_BLOCK);
	st->unit_dirty = STORE_BLOCK;
	st->info = env->alloc(st->log_blocks * sizeof *st->info);
	st->arena = env->alloc(ARENA_SIZE);
	st->locs = env->alloc(LOCS_KEPT * sizeof *st->locs);
	while (st->nspare < SPARE_PAGES && (st->spare[st->nspare] = env->alloc(STORE_BLOCK)))
		st->nspare++;
	if (!st->buf || !st->unit_buf || !st->info || !st->arena || !st->locs || st->nspare < SPARE_PAGES) {
		store_unmount(st);
		return NULL;
	}
	memset(st->info, 0, st->log_blocks * sizeof *st->info);
	return st;
}

void store_unmount(struct store *st)
{
	if (!st)
		return;
	index_destroy(&st->index, &st->env);
	while (st->nspare)
		st->env.free(st->spare[--st->nspare]);
	if (st->buf)
		st->env.free(st->buf);
	if (st->unit_buf)
		st->env.free(st->unit_buf);
	if (st->info)
		st->env.free(st->info);
	if (st->arena)
		st->env.free(st->arena);
	if (st->locs)
		st->env.free(st->locs);
	st->env.free(st);
}

#define FORMAT_HEAD 1 /* the format's one unit: a header holding the root */

/* The size a format without one takes: the device, up to STORE_AUTO_BLOCKS
 * (memory: the block table is 4 bytes a block, the index ~56 a key). */
static uint64_t auto_blocks(const struct blkdev *dev)
{
	return MIN(device_blocks(dev), (uint64_t)STORE_AUTO_BLOCKS);
}

/* The superblock a format of `blocks` writes (deterministic: a torn one is
 * recognised at the next mount). */
static void format_super(uint64_t blocks, struct disk_super *s)
{
	*s = (struct disk_super){.magic = SB_MAGIC,
				 .version = SB_VERSION,
				 .block_size = STORE_BLOCK,
				 .blocks = blocks,
				 .log_blocks = blocks - SB_BLOCKS,
				 .gen = 1,
				 .tail_pos = 0,
				 .tail_seq = 1,
				 .durable_pos = FORMAT_HEAD};
	super_seal(s);
}

/* Blank: both superblock slots zero, but for sectors of slot 1 holding what
 * an interrupted format of the whole device writes there. */
static bool blank(struct blkdev *dev, uint8_t *buf)
{
	unsigned spb = STORE_BLOCK / dev->sector_size;
	struct disk_super want;
	format_super(auto_blocks(dev), &want);
	for (unsigned slot = 0; slot < SB_BLOCKS; slot++) {
		if (dev_read(dev, spb, slot, 1, buf) < 0)
			return false;
		for (unsigned s = 0; s < spb; s++) {
			bool zero = true, format = slot == 1;
			for (unsigned i = s * dev->sector_size; i < (s + 1) * dev->sector_size; i++) {
				uint8_t w = i < sizeof want ? ((const uint8_t *)&want)[i] : 0;
				zero = zero && buf[i] == 0;
				format = format && buf[i] == w;
			}
			if (!zero && !format)
				return false;
		}
	}
	return true;
}

int store_format(struct blkdev *dev, const struct store_env *env, uint64_t blocks, int force, char *msg,
		 size_t msgsize)
{
	uint64_t have = device_blocks(dev);
	if (blocks == 0)
		blocks = auto_blocks(dev);
	if (blocks < STORE_MIN_BLOCKS || blocks > have) {
		ksnprintf(msg, msgsize, "cannot format %llu blocks on a device of %llu (minimum %u)",
			  (unsigned long long)blocks, (unsigned long long)have, STORE_MIN_BLOCKS);
		return -EINVAL;
	}
	struct store *st = store_alloc(dev, env, blocks);
	if (!st)
		return -ENOMEM;
	int r = 0;
	if (!force && !blank(dev, st->buf)) {
		ksnprintf(msg, msgsize, "the device holds data (not all zero): refusing to format over it");
		r = -EEXIST;
		goto out;
	}
	/* slot 0 zeroed (a forced format over an old store), then the root, then
	 * the superblock in slot 1 once the root is durable */
	memset(st->buf, 0, STORE_BLOCK);
	st->next_seq = 1;
	r = block_write(dev, 0, st->secs_per_block, st->buf);
	struct store_tx *tx = r == 0 ? store_tx_begin(st) : NULL;
	if (r == 0 && !tx)
		r = -ENOMEM;
	if (r == 0)
		r = store_fs_init(tx);
	if (r == 0)
		r = write_units(st, tx->first, 0);
	store_tx_abort(tx);
	if (r == 0 && st->head != FORMAT_HEAD)
		r = -EINVAL; /* the format unit outgrew its header: format_super is wrong */
	if (r == 0)
		r = dev_flush(st);
	if (r == 0) {
		struct disk_super s;
		format_super(blocks, &s);
		r = write_super(st, 1, 0, 1, FORMAT_HEAD, &(struct ckpt){0});
		if (r == 0 && memcmp(st->buf, &s, sizeof s))
			r = -EINVAL;
	}
	if (r == 0)
		r = dev_flush(st);
	if (r == 0)
		ksnprintf(msg, msgsize, "formatted %llu blocks (%llu KiB)", (unsigned long long)blocks,
			  (unsigned long long)blocks * 4);
	else if (r != -EEXIST)
		ksnprintf(msg, msgsize, "format failed (%d)", r);
out:
	store_unmount(st);
	return r;
}

/* Reads both superblocks: the valid one with the higher generation into
 * *sb; NULL or why none is. */
static const char *read_super(struct blkdev *dev, uint8_t *buf, struct disk_super *sb)
{
	const char *why = "no superblock";
	bool have = false;
	unsigned spb = STORE_BLOCK / dev->sector_size;
	for (unsigned slot = 0; slot < SB_BLOCKS; slot++) {
		struct disk_super s;
		if (dev_read(dev, spb, slot, 1, buf) < 0) {
			why = "superblock unreadable";
			continue;
		}
		memcpy(&s, buf, sizeof s);
		const char *w = super_invalid(&s, device_blocks(dev));
		if (w)
			why = w;
		else if (s.gen % 2 != slot)
			why = "superblock in the wrong slot";
		else if (!have || s.gen > sb->gen) {
			*sb = s;
			have = true;
		}
	}
	return have ? NULL : why;
}

static int mount_fence(struct store *st)
{
	int r = write_units(st, NULL, UNIT_FENCE);
	if (r == 0)
		r = dev_flush(st);
	if (r == 0) {
		st->durable_seq = st->committed_seq;
		st->durable_pos = st->head;
	}
	return r;
}

int store_mount(struct blkdev *dev, const struct store_env *env, unsigned flags, struct store **out,
		char *msg, size_t msgsize)
{
	struct disk_super sb;
	uint8_t *buf = env->alloc(STORE_BLOCK);
	const char *why;
	bool formatted = false;
	int r = 0;
	*out = NULL;
	if (!buf)
		return -ENOMEM;
	if (dev->sector_size > STORE_BLOCK || device_blocks(dev) < STORE_MIN_BLOCKS) {
		ksnprintf(msg, msgsize, "device too small (%llu sectors of %u bytes; minimum %u KiB)",
			  (unsigned long long)dev->sectors, dev->sector_size, STORE_MIN_BLOCKS * 4);
		env->free(buf);
		return -ENODEV;
	}
	why = read_super(dev, buf, &sb);
	if (why && blank(dev, buf)) {
		if (flags & (STORE_RDONLY | STORE_NOFORMAT)) {
			ksnprintf(msg, msgsize, "blank device (not formatted)");
			r = -ENODEV;
		} else {
			r = store_format(dev, env, 0, 0, msg, msgsize);
			formatted = r == 0;
			why = r == 0 ? read_super(dev, buf, &sb) : "format failed";
		}
	} else if (why) {
		ksnprintf(msg, msgsize, "not an OptiOS store: %s", why);
		r = -ENODEV;
	}
	env->free(buf);
	if (r < 0)
		return r;
	if (why) {
		ksnprintf(msg, msgsize, "format did not take: %s", why);
		return -EIO;
	}
	struct store *st = store_alloc(dev, env, sb.blocks);
	if (!st)
		return -ENOMEM;
	st->rdonly = flags & STORE_RDONLY;
	st->sb_gen = sb.gen;
	st->sb_tail = st->clean_tail = st->safe_tail = sb.tail_pos;
	st->clean_tail_seq = st->safe_tail_seq = sb.tail_seq;
	st->sb_durable_pos = st->durable_pos = sb.durable_pos;
	st->mounted = sb;
	r = replay(st, &sb, true);
	if (r == -EINVAL) {
		ksnprintf(msg, msgsize, "damaged store refused: %s at log position %llu", st->why,
			  (unsigned long long)st->why_pos);
	} else if (r < 0) {
		ksnprintf(msg, msgsize, "recovery failed (%d)", r);
	} else {
		st->durable_seq = st->committed_seq;
		if (sb.ckpt_seq) {
			st->ck_new = st->ck_durable = (struct ckpt){.pos = sb.ckpt_pos,
								    .seq = sb.ckpt_seq,
								    .end = sb.ckpt_end,
								    .end_seq = sb.ckpt_end_seq,
								    .check = sb.ckpt_check};
			st->sb_ckpt_pos = sb.ckpt_pos;
		}
		st->ck_guard = sb.ckpt_seq ? sb.ckpt_pos : UINT64_MAX;
		st->ck_next = (sb.ckpt_seq ? sb.ckpt_end : sb.tail_pos) + ck_every(st);
		if (!st->rdonly)
			r = mount_fence(st);
		st->mount_head = st->head;
		ksnprintf(msg, msgsize,
			  "%s%llu blocks, %s%llu keys from a checkpoint, recovered %llu units (seq "
			  "%llu..%llu, %llu "
			  "blocks read), %llu keys",
			  formatted ? "formatted a blank device: " : "", (unsigned long long)st->blocks,
			  st->ck_damaged ? "checkpoint damaged (replayed fully), " : "",
			  (unsigned long long)st->stats.ckpt_loaded_keys,
			  (unsigned long long)st->stats.recovered_units,
			  (unsigned long long)(st->stats.ckpt_loaded_keys ? sb.ckpt_end_seq : sb.tail_seq),
			  (unsigned long long)st->committed_seq, (unsigned long long)st->stats.blocks_read,
			  (unsigned long long)st->index.count);
		if (r < 0)
			ksnprintf(msg, msgsize, "mount fence failed (%d)", r);
	}
	if (r < 0) {
		store_unmount(st);
		return r;
	}
	*out = st;
	return 0;
}

/* ---- fsck: the checkpoint against a full replay ---- */
static int differs(void *arg, struct store_key k, struct loc *l)
{
	struct store *full = arg;
	const struct loc *o = index_find(&full->index, k);
	return !o || o->pos != l->pos || o->off != l->off || o->len != l->len || o->page != l->page ||
	       o->in_hdr != l->in_hdr || o->sum != l->sum;
}

int store_replay_compare(struct store *st, char *msg, size_t msgsize)
{
	const struct disk_super *sb = &st->mounted;
	if (!sb->ckpt_seq || st->head != st->mount_head)
		return 0; /* mounted without a checkpoint, or changed since */
	if (msgsize)
		msg[0] = 0;
	struct store *full = store_alloc(st->dev, &st->env, st->blocks);
	if (!full)
		return -ENOMEM;
	full->rdonly = true;
	full->sb_tail = full->clean_tail = sb->tail_pos;
	full->sb_durable_pos = full->durable_pos = sb->durable_pos;
	int r = replay(full, sb, false);
	if (r == -EINVAL)
		ksnprintf(msg, msgsize, "the full replay past the checkpoint fails: %s at log position %llu",
			  full->why, (unsigned long long)full->why_pos);
	else if (r < 0)
		ksnprintf(msg, msgsize, "the full replay failed (%d)", r);
	else if (full->head != st->head || full->next_seq != st->next_seq ||
		 full->index.count != st->index.count || index_walk(&st->index, differs, full))
		ksnprintf(msg, msgsize,
			  "the checkpoint at log position %llu disagrees with a full replay (head %llu/%llu, "
			  "%llu/%llu "
			  "keys)",
			  (unsigned long long)sb->ckpt_pos, (unsigned long long)st->head,
			  (unsigned long long)full->head, (unsigned long long)st->index.count,
			  (unsigned long long)full->index.count);
	else
		for (uint64_t p = sb->tail_pos; p < full->head && r == 0; p++) {
			const struct blockinfo *a = &st->info[p % st->log_blocks],
					       *b = &full->info[p % st->log_blocks];
			if (a->unit != b->unit || a->live != b->live) {
				ksnprintf(msg, msgsize,
					  "the checkpoint's block table disagrees with a full replay at log "
					  "position %llu",
					  (unsigned long long)p);
				r = -EINVAL;
			}
		}
	if (r == 0 && msg[0])
		r = -EINVAL;
	store_unmount(full);
	return r;
}
