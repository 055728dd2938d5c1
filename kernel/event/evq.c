/*
 * evq.c - event queues and the cross-queue dispatcher.
 *
 * Theory of operation: a struct evq is a ring over caller-provided slots:
 * pending events are slots[(head + i) % cap] for i < count, oldest first.
 * An event's queue position never changes once queued; COALESCE updates a
 * pending event's payload, time and seq in place (so the queue is no longer
 * strictly seq-ordered, but delivery stays FIFO per queue). LATEST keeps at
 * most one pending event. Counters only grow.
 *
 * Invariants (evq_check): count <= cap and
 *   posted == delivered + coalesced + dropped + count
 * after every operation: each post ends up counted exactly once - pending,
 * then delivered; or coalesced (it, or the event it replaced); or dropped.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "event_internal.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

int evq_init(struct evq *q, struct optios_event *slots, size_t cap, enum evq_policy policy)
{
	if (!q || !slots || !cap || policy > EVQ_LATEST)
		return -EINVAL;
	memset(q, 0, sizeof *q);
	q->slots = slots;
	q->cap = policy == EVQ_LATEST ? 1 : cap;
	q->policy = policy;
	return 0;
}

static struct optios_event *slot_at(const struct evq *q, size_t i)
{
	return &q->slots[(q->head + i) % q->cap];
}

/* Replaces a pending event's contents with ev, keeping its position. */
static void replace_pending(struct evq *q, struct optios_event *old, const struct optios_event *ev)
{
	*old = *ev;
	q->coalesced++;
}

static struct optios_event *find_topic(const struct evq *q, const char *topic)
{
	for (size_t i = 0; i < q->count; i++) {
		struct optios_event *e = slot_at(q, i);
		if (strncmp(e->topic, topic, OPTIOS_EVENT_TOPIC_MAX) == 0)
			return e;
	}
	return NULL;
}

int evq_post(struct evq *q, const struct optios_event *ev)
{
	q->posted++;
	if (q->policy == EVQ_LATEST && q->count) {
		replace_pending(q, slot_at(q, 0), ev);
		return 1;
	}
	if (q->policy == EVQ_COALESCE) {
		struct optios_event *old = find_topic(q, ev->topic);
		if (old) {
			replace_pending(q, old, ev);
			return 1;
		}
	}
	if (q->count == q->cap) {
		q->dropped++;
		return -ENOSPC;
	}
	*slot_at(q, q->count) = *ev;
	q->count++;
	return 0;
}

const struct optios_event *evq_peek(const struct evq *q)
{
	return q->count ? slot_at(q, 0) : NULL;
}

int evq_take(struct evq *q, struct optios_event *out)
{
	if (!q->count)
		return -EAGAIN;
	*out = *slot_at(q, 0);
	q->head = (q->head + 1) % q->cap;
	q->count--;
	q->delivered++;
	return 0;
}

void evq_drain(struct evq *q)
{
	q->dropped += q->count;
	q->count = 0;
	q->head = 0;
}

bool evq_check(const struct evq *q)
{
	return q->count <= q->cap && q->posted == q->delivered + q->coalesced + q->dropped + q->count;
}

int evq_take_next(struct evq *const *qs, size_t n, struct optios_event *out)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		const struct optios_event *e = evq_peek(qs[i]);
		if (e && (best < 0 || event_before(e, evq_peek(qs[best]))))
			best = (int)i;
	}
	if (best < 0)
		return -EAGAIN;
	evq_take(qs[best], out);
	return best;
}
