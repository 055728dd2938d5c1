/*
 * event.h - event queues: topic patterns, bounded per-subscription queues
 * with an overflow policy, and a dispatcher that takes the oldest event
 * across queues. Storage is caller-provided; nothing here allocates.
 */
#ifndef KERNEL_EVENT_EVENT_H
#define KERNEL_EVENT_EVENT_H

#include <optios/abi/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does pattern match topic? Patterns: an exact topic; a prefix ending in '*'
 * ("app:thermo.*"); or, for file topics, a directory ending in '/'
 * ("file:/data/inbox/" matches files under it, component-aware). */
bool event_topic_matches(const char *pattern, const char *topic);

enum evq_policy {
	EVQ_QUEUE,    /* FIFO; when full the new event is dropped */
	EVQ_COALESCE, /* same-topic pending event is updated in place; else FIFO/drop */
	EVQ_LATEST,   /* at most one pending event; a new one replaces it */
};

struct evq {
	struct optios_event *slots; /* caller-provided, cap entries */
	size_t cap, head, count;
	enum evq_policy policy;
	uint64_t posted, delivered, coalesced, dropped;
};

/* Sets up q over slots[cap] (cap >= 1). Returns 0 or -EINVAL. */
int evq_init(struct evq *q, struct optios_event *slots, size_t cap, enum evq_policy policy);
/* Offers ev; returns 0 queued, 1 coalesced (replaced a pending one), -ENOSPC dropped. */
int evq_post(struct evq *q, const struct optios_event *ev);
/* Oldest pending event, or NULL. */
const struct optios_event *evq_peek(const struct evq *q);
/* Removes the oldest into *out; 0 or -EAGAIN when empty. */
int evq_take(struct evq *q, struct optios_event *out);
static inline size_t evq_pending(const struct evq *q) { return q->count; }
/* posted == delivered + coalesced + dropped + pending, and count <= cap. */
bool evq_check(const struct evq *q);

/* Dispatcher: takes the next event in (time_ns, seq) order across qs[n].
 * Returns the index of the queue it came from, or -EAGAIN if all are empty. */
int evq_take_next(struct evq *const *qs, size_t n, struct optios_event *out);

#endif
