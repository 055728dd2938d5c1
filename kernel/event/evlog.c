/*
 * evlog.c - the event log: a ring of fixed-size records, hash-chained.
 *
 * Theory of operation: every record ever written takes the next seq
 * (written counts them, so it is also the newest seq). The record with seq s
 * lives in ring[(s - 1) % EVLOG_RECORDS]; a new record overwrites the one
 * EVLOG_RECORDS older. Records written before evlog_init have a seq but no
 * place: first is the seq of the first record kept. Writers and readers hold
 * the event lock, so a reader never sees a half-written record and never
 * waits: writers do not format (evlog_add, the one that does, formats on its
 * own stack before it locks), and the hot path (raise.c) fills its record in
 * place through evlog_slot.
 *
 * The audit chain (lib/logchain.h): record s carries in prev_hash the link
 * of record s - 1. A link is SHA-256 over the record before: ~8,800
 * instructions (make bench: log_link_instructions), more than a whole event -> run -> commit cycle
 * (~7,500), which writes three records. And a record is not final when the
 * next one is written: raise.c completes its EVENT record after notify has
 * logged. So links are made lazily, in seq order ("linking"), by whoever
 * needs them:
 *   - a reader: evlog_read links every record up to the last it copies (in
 *     steps of LINK_STEP records, letting go of the lock between steps);
 *     records nobody reads cost nothing;
 *   - the ring, when it wraps and record d is about to be overwritten while
 *     d + 1 has no link yet: if a read has reached d, someone may hold a
 *     copy of d, so d + 1 takes the link of d (one hash, at most once per
 *     read); if not, nobody can ever check a link to d, so d + 1 keeps a zero
 *     prev_hash, as the first record of the boot has.
 * Nobody can see a record before it is linked, so every record read is
 * linked to its predecessor whenever a read has reached that predecessor:
 * dumps taken one after another chain up, and the log as read verifies from
 * its first record (zero prev_hash: no read reached the one before; else the
 * link of the last record dropped). In the worst case (every record read)
 * the cost is one hash per record, paid by the reader, not by the event
 * path. A record is final once its writer lets go of the lock; linking runs
 * under the lock, either in a reader (every record final) or for records
 * older than the one being written (raise.c's in-place record is hashed
 * only once it is overwritten, and then raise.c no longer touches it).
 *
 * The disk's copy (kernel/handler/hstore.c) takes records as they are
 * (evlog_copy: no link made, so no hash on a run's path); a record copied
 * unlinked is owed: the ring links it before dropping it, as if a read had
 * reached it, so its successor's link is the hash of it whoever makes it,
 * and the disk's copy, linked later, agrees with every read.
 *
 * Across boots (evlog_resume): the first record of a boot links to the last
 * record an earlier boot persisted (anchor), so a chain read from the disk
 * and then from the ring verifies as one.
 *
 * Invariants (event lock): the records kept are the seqs [lo, written] with
 * lo = max(first, written - EVLOG_RECORDS + 1), and ring[(s - 1) %
 * EVLOG_RECORDS].seq == s for each of them. first - 1 <= reached <= linked <=
 * written; records in (linked, written] have a zero prev_hash; linked >= lo
 * whenever lo > first (a record dropped), so the link of linked + 1 can
 * always be made.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <stdarg.h>

#include <optios/abi/errno.h>

#include "event_internal.h"
#include "lib/lib.h"
#include "lib/logchain.h"

_Static_assert((EVLOG_RECORDS & (EVLOG_RECORDS - 1)) == 0, "ring index is a mask");

/* Records linked per hold of the event lock in evlog_read (~140,000 instructions). */
#define LINK_STEP 16

/* Protected by the event lock. */
static struct optios_log_record *ring;
static uint64_t written;
static uint64_t first = 1;
static uint64_t linked; /* the newest record whose prev_hash is final */
static uint64_t reached; /* the newest record a read has copied */
static uint64_t owed; /* the newest record evlog_copy copied (maybe unlinked): linked before it is dropped */
static uint8_t anchor[LOGCHAIN_HASH_SIZE]; /* record first's prev_hash: zero, or an earlier boot's link */

static struct optios_log_record *slot_of(uint64_t seq)
{
	return &ring[(seq - 1) % EVLOG_RECORDS];
}

static uint64_t oldest_kept(void)
{
	if (written >= EVLOG_RECORDS && written - EVLOG_RECORDS + 1 > first)
		return written - EVLOG_RECORDS + 1;
	return first;
}

/* Links the records up to seq upto (kept ones, in order). */
static void link_through(uint64_t upto)
{
	for (uint64_t s = linked + 1; s <= upto; s++)
		if (s != first)
			logchain_hash(slot_of(s - 1), slot_of(s)->prev_hash);
		else
			memcpy(slot_of(s)->prev_hash, anchor, sizeof anchor);
	linked = MAX(linked, upto);
}

/* Before seq takes its slot: the record d it overwrites passes its link on
 * if a read has reached it or it was copied unlinked (evlog_copy: its
 * copy's successor will be linked to it); else its successor keeps a zero
 * prev_hash. */
static void make_room(uint64_t seq)
{
	uint64_t d = seq - EVLOG_RECORDS;
	if (seq <= EVLOG_RECORDS || d < first || linked > d)
		return;
	if (reached >= d || owed >= d)
		link_through(d + 1);
	linked = d + 1;
}

static void stamp(struct optios_log_record *r, uint64_t seq)
{
	r->seq = seq;
	r->time_ns = event_now_ns();
	r->tsc = event_tsc();
}

/* Called again (host tests), it keeps the ring and forgets what it holds. */
void evlog_init(void)
{
	struct optios_log_record *r = ring ? ring : event_zalloc(EVLOG_RECORDS * sizeof *r);
	uint64_t f = event_lock();
	ring = r;
	first = written + 1;
	memset(anchor, 0, sizeof anchor);
	linked = reached = written;
	event_unlock(f);
}

struct optios_log_record *evlog_slot(uint32_t kind)
{
	uint64_t seq = ++written;
	if (!ring)
		return NULL;
	make_room(seq);
	struct optios_log_record *r = slot_of(seq);
	*r = (struct optios_log_record){.kind = kind};
	stamp(r, seq);
	return r;
}

uint64_t evlog_write(struct optios_log_record *r)
{
	uint64_t f = event_lock();
	stamp(r, ++written);
	if (ring) {
		make_room(r->seq);
		struct optios_log_record *slot = slot_of(r->seq);
		*slot = *r;
		memset(slot->prev_hash, 0, sizeof slot->prev_hash); /* linked later, see above */
	}
	event_unlock(f);
	return r->seq;
}

uint64_t evlog_add(uint32_t kind, const char *handler, const char *topic, uint64_t event_seq, int32_t result,
		   uint64_t a, uint64_t b, uint64_t c, const char *fmt, ...)
{
	struct optios_log_record r = {
		.kind = kind, .result = result, .event_seq = event_seq, .a = a, .b = b, .c = c};
	copy_name(r.handler, sizeof r.handler, handler);
	copy_name(r.topic, sizeof r.topic, topic);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		kvsnprintf(r.text, sizeof r.text, fmt, ap);
		va_end(ap);
	}
	return evlog_write(&r);
}

/* The last seq a read of max records from seq from copies now; 0: none. */
static uint64_t read_end(uint64_t from, size_t max)
{
	uint64_t lo = MAX(from, oldest_kept());
	if (!ring || !max || lo > written)
		return 0;
	return written - lo >= max ? lo + max - 1 : written;
}

size_t evlog_read(uint64_t from, struct optios_log_record *out, size_t max)
{
	uint64_t f, end;
	for (bool done = false; !done;) { /* link first, a few records per hold */
		f = event_lock();
		end = read_end(from, max);
		done = linked >= end;
		if (!done)
			link_through(MIN(end, linked + LINK_STEP));
		event_unlock(f);
	}
	size_t n = 0;
	f = event_lock();
	end = read_end(from, max);
	link_through(end); /* what was written since the loop */
	reached = MAX(reached, end);
	for (uint64_t s = MAX(from, oldest_kept()); end && s <= end; s++)
		out[n++] = *slot_of(s);
	event_unlock(f);
	return n;
}

size_t evlog_copy(uint64_t from, struct optios_log_record *out, size_t max, uint64_t *linked_upto)
{
	uint64_t f = event_lock();
	uint64_t end = read_end(from, max);
	size_t n = 0;
	if (end && linked + 1 == first)
		link_through(first); /* the boot's first record: its link is the anchor, no hash */
	for (uint64_t s = MAX(from, oldest_kept()); end && s <= end; s++)
		out[n++] = *slot_of(s);
	owed = MAX(owed, end);
	*linked_upto = linked;
	event_unlock(f);
	return n;
}

void evlog_link(uint64_t upto)
{
	for (bool done = false; !done;) { /* a few records per hold, as evlog_read */
		uint64_t f = event_lock();
		uint64_t end = MIN(upto, written);
		done = linked >= end;
		if (!done)
			link_through(MIN(end, linked + LINK_STEP));
		event_unlock(f);
	}
}

uint64_t evlog_linked(void)
{
	return linked;
}

uint64_t evlog_count(void)
{
	return written;
}

uint64_t evlog_first(void)
{
	return first;
}

int evlog_resume(const struct optios_log_record *last)
{
	uint64_t f = event_lock();
	int err = written ? -EBUSY : 0;
	if (!err) {
		written = linked = reached = last->seq;
		first = written + 1;
		logchain_hash(last, anchor);
	}
	event_unlock(f);
	return err;
}
