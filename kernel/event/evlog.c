/*
 * evlog.c - the event log: a ring of fixed-size records.
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
 * Invariants (event lock): the records kept are the seqs [lo, written] with
 * lo = max(first, written - EVLOG_RECORDS + 1), and ring[(s - 1) %
 * EVLOG_RECORDS].seq == s for each of them.
 */
#include <stdarg.h>

#include "event_internal.h"
#include "lib/lib.h"

_Static_assert((EVLOG_RECORDS & (EVLOG_RECORDS - 1)) == 0, "ring index is a mask");

/* Protected by the event lock. */
static struct optios_log_record *ring;
static uint64_t written;
static uint64_t first = 1;

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
	event_unlock(f);
}

struct optios_log_record *evlog_slot(uint32_t kind)
{
	uint64_t seq = ++written;
	if (!ring)
		return NULL;
	struct optios_log_record *r = slot_of(seq);
	*r = (struct optios_log_record){.kind = kind};
	stamp(r, seq);
	return r;
}

uint64_t evlog_write(struct optios_log_record *r)
{
	uint64_t f = event_lock();
	stamp(r, ++written);
	if (ring)
		*slot_of(r->seq) = *r;
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

size_t evlog_read(uint64_t from, struct optios_log_record *out, size_t max)
{
	size_t n = 0;
	uint64_t f = event_lock();
	if (ring)
		for (uint64_t s = MAX(from, oldest_kept()); s <= written && n < max; s++)
			out[n++] = *slot_of(s);
	event_unlock(f);
	return n;
}

uint64_t evlog_count(void)
{
	return written;
}
