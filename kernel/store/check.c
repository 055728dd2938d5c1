/*
 * check.c - fsck: every invariant of the log (store.c I1-I4) and of the file
 * layer (fs.c), checked against what the device holds. Read only.
 *
 * Host-buildable: yes (tests/host/test_store*.c, tools/optios_disk.c).
 */
#include "kernel/store/store_internal.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define DEPTH_MAX 4096

struct checker {
	struct store *st;
	char *msg;
	size_t msgsize;
	int bad;
	uint32_t *live; /* recounted per log block */
};

#define FAIL(c, ...)                                                    \
	do {                                                            \
		if (!(c)->bad)                                          \
			ksnprintf((c)->msg, (c)->msgsize, __VA_ARGS__); \
		(c)->bad = 1;                                           \
	} while (0)

/* I1-I3 over the log: every unit from the superblock's tail to the head is
 * where the chain says, intact, and its blocks' table entries agree. */
static void check_units(struct checker *c)
{
	struct store *st = c->st;
	uint8_t *hdr = st->env.alloc(STORE_BLOCK);
	if (!hdr) {
		FAIL(c, "out of memory");
		return;
	}
	if (st->clean_tail < st->sb_tail || st->clean_tail > st->head ||
	    st->head - st->sb_tail > st->log_blocks)
		FAIL(c, "log bounds: super tail %llu, clean tail %llu, head %llu, log %llu",
		     (unsigned long long)st->sb_tail, (unsigned long long)st->clean_tail,
		     (unsigned long long)st->head, (unsigned long long)st->log_blocks);
	uint64_t pos = st->sb_tail, prev = 0;
	for (bool first = true; !c->bad && pos < st->head; first = false) {
		const struct disk_unit *h = (const struct disk_unit *)hdr;
		if (store_read_block(st, store_block_of(st, pos), hdr) < 0) {
			FAIL(c, "unit at %llu unreadable", (unsigned long long)pos);
			break;
		}
		if (h->magic != UNIT_MAGIC || h->pos != pos || h->nblocks < 1 || h->nblocks > st->unit_max ||
		    (!first && h->prev != prev) || pos + h->nblocks > st->head) {
			FAIL(c, "unit at %llu: header does not continue the log", (unsigned long long)pos);
			break;
		}
		if (st->info[pos % st->log_blocks].unit != h->nblocks)
			FAIL(c, "unit at %llu: block table says %u blocks, header %u",
			     (unsigned long long)pos, st->info[pos % st->log_blocks].unit, h->nblocks);
		for (unsigned i = 1; i < h->nblocks && !c->bad; i++) {
			if (store_read_block(st, store_block_of(st, pos + i), st->buf) < 0 ||
			    store_hash(st->buf, STORE_BLOCK, pos + i) != h->sums[i - 1])
				FAIL(c, "unit at %llu: block %u damaged", (unsigned long long)pos, i);
		}
		prev = h->check;
		pos += h->nblocks;
	}
	st->env.free(hdr);
}

/* I4: an index entry lies in the log, in a block the table counts. */
static int check_entry(void *arg, struct store_key k, struct loc *l)
{
	struct checker *c = arg;
	struct store *st = c->st;
	if (l->pos < st->sb_tail || l->pos >= st->head || l->len > STORE_VALUE_MAX ||
	    (!l->page && (unsigned)l->off + l->len > STORE_BLOCK)) {
		FAIL(c, "key %llx:%llx located outside the log (position %llu)", (unsigned long long)k.obj,
		     (unsigned long long)k.sub, (unsigned long long)l->pos);
		return 1;
	}
	c->live[l->pos % st->log_blocks]++;
	return 0;
}

static void check_live(struct checker *c)
{
	struct store *st = c->st;
	uint64_t blocks = 0;
	for (uint64_t b = 0; b < st->log_blocks && !c->bad; b++) {
		if (c->live[b] != st->info[b].live)
			FAIL(c, "block %llu: %u live values counted, %u recorded", (unsigned long long)b,
			     c->live[b], st->info[b].live);
		blocks += c->live[b] != 0;
	}
	if (!c->bad && blocks != st->live_blocks)
		FAIL(c, "%llu live blocks counted, %llu recorded", (unsigned long long)blocks,
		     (unsigned long long)st->live_blocks);
}

int store_check(struct store *st, char *msg, size_t msgsize)
{
	struct checker c = {.st = st, .msg = msg, .msgsize = msgsize};
	if (msgsize)
		msg[0] = 0;
	c.live = st->env.alloc(st->log_blocks * sizeof *c.live);
	if (!c.live)
		return -ENOMEM;
	memset(c.live, 0, st->log_blocks * sizeof *c.live);
	check_units(&c);
	if (!c.bad)
		index_walk(&st->index, check_entry, &c);
	if (!c.bad)
		check_live(&c);
	st->env.free(c.live);
	if (c.bad)
		return -EINVAL;
	int r = store_replay_compare(st, msg, msgsize);
	return r < 0 ? r : store_fs_check(st, msg, msgsize);
}
