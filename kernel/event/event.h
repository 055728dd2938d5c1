/*
 * event.h - events: raising them, the bounded queues they wait in, and the
 * event log.
 *
 * Theory of operation. Three layers, each a file:
 *   evq.c    a queue: a ring over caller-provided slots with an overflow
 *            policy (QUEUE, COALESCE, LATEST) and counters that only grow;
 *            invariant posted == delivered + coalesced + dropped + pending.
 *            The dispatcher (evq_take_next) takes the oldest event across
 *            queues in (time_ns, seq) order: event_before, the one order.
 *   raise.c  the subscriptions (a topic pattern, lib/topic.h, and a queue,
 *            owned by their subscriber: a handler) and event_raise: the next
 *            seq and the time, an EVENT record, a post to every matching
 *            subscription, notify for each that took it. Nothing on that
 *            path allocates, sleeps or formats, so interrupts may raise.
 *            Lost events become DROP records, rate-limited, when taken.
 *   evlog.c  the event log: a ring of fixed-size records (ABI:
 *            optios/abi/handler.h), each with the next seq, its time, and
 *            the audit chain's link to the one before (lib/logchain.h), made
 *            lazily by whoever reads. sys_event.c is its system call.
 * Everything above runs under the event lock (interrupts off on one CPU:
 * event_internal.h), never across a sleep or a user copy. Storage of queues
 * and subscriptions is the caller's; only the log ring is allocated, once.
 * Sources: the kernel (sys:*), timers (timer:*, kernel/handler), the file
 * watch (file:*, event_raise_file from kernel/fs), programs (app:*, emit).
 */
#ifndef KERNEL_EVENT_EVENT_H
#define KERNEL_EVENT_EVENT_H

#include <optios/abi/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/topic.h" /* subscriptions are topic patterns: topic_matches() */

/* (time_ns, seq) order: does a come before b? The one delivery order. */
static inline bool event_before(const struct optios_event *a, const struct optios_event *b)
{
	return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

enum evq_policy {
	EVQ_QUEUE,    /* FIFO; when full the new event is dropped */
	EVQ_COALESCE, /* same-topic pending event is updated in place; else FIFO/drop */
	EVQ_LATEST,   /* at most one pending event; a new one replaces it */
};

struct evq {
	struct optios_event *slots; /* caller-provided, cap entries */
	size_t cap, head, count;
	enum evq_policy policy;
	uint64_t posted, delivered, coalesced, dropped, dead;
	size_t held; /* taken by evq_hold, not yet settled: still pending */
};

/* How a held event ended (evq_settle). */
enum evq_outcome {
	EVQ_DELIVERED, /* handled */
	EVQ_DEAD, /* failed every attempt: a dead letter */
	EVQ_DROPPED, /* let go unhandled (its consumer went, or may not see it) */
};

/* Sets up q over slots[cap] (cap >= 1). Returns 0 or -EINVAL. */
int evq_init(struct evq *q, struct optios_event *slots, size_t cap, enum evq_policy policy);
/* Offers ev; returns 0 queued, 1 coalesced (replaced a pending one), -ENOSPC dropped. */
int evq_post(struct evq *q, const struct optios_event *ev);
/* Oldest pending event, or NULL. */
const struct optios_event *evq_peek(const struct evq *q);
/* Removes the oldest into *out, delivered; 0 or -EAGAIN when empty. */
int evq_take(struct evq *q, struct optios_event *out);
/* Removes the oldest into *out, held: it counts as pending until its
 * consumer settles it (a handler's run may be retried). 0 or -EAGAIN. */
int evq_hold(struct evq *q, struct optios_event *out);
/* Ends one held event as how. */
void evq_settle(struct evq *q, enum evq_outcome how);
/* Offers a settled event again (a dead letter re-injected): counted as
 * posted and queued at the tail, bypassing the overflow policy; -ENOSPC,
 * counting nothing, when the queue is full. */
int evq_requeue(struct evq *q, const struct optios_event *ev);
/* Pending: queued plus held. */
static inline size_t evq_pending(const struct evq *q)
{
	return q->count + q->held;
}
/* Discards every queued event, counting each as dropped (held ones stay). */
void evq_drain(struct evq *q);
/* posted == delivered + coalesced + dropped + dead + pending, count <= cap. */
bool evq_check(const struct evq *q);

/* Dispatcher: takes the next event in (time_ns, seq) order across qs[n].
 * Returns the index of the queue it came from, or -EAGAIN if all are empty. */
int evq_take_next(struct evq *const *qs, size_t n, struct optios_event *out);

/* ---- raising events and subscribing (raise.c) ----
 *
 * A subscription is a topic pattern and a bounded queue, owned (storage
 * included) by its subscriber - a handler (kernel/handler). While linked in,
 * every raised event whose topic the pattern matches is posted to its queue
 * and notify runs. Lists and queues change with interrupts disabled.
 */
struct event_sub {
	char pattern[OPTIOS_EVENT_TOPIC_MAX];
	struct evq q;
	/* Called with interrupts disabled after an event was queued (or coalesced) in s. */
	void (*notify)(struct event_sub *s);
	void *owner;
	const char *owner_name; /* named in DROP log records */
	/* private to raise.c */
	uint64_t logged_dropped, logged_coalesced;
	struct event_sub *next;
};

/* Links s in (its queue set up with evq_init) / out (pending events stay
 * counted in its queue; the owner decides what happens to them). */
void event_subscribe(struct event_sub *s);
void event_unsubscribe(struct event_sub *s);

/*
 * Raises an event: the next seq, time_ns (0: now), a record in the event log,
 * then a post to every matching subscription. payload may be NULL when len is
 * 0. Safe in interrupt context. Returns the seq (> 0), or -EINVAL (topic not
 * valid, source too long, len over OPTIOS_EVENT_PAYLOAD_MAX).
 */
int64_t event_raise(const char *topic, const char *source, const void *payload, size_t len,
		    uint64_t time_ns);
/* The same for one subscription alone (if linked; its pattern is not
 * consulted): a source that makes each subscriber its own events (the
 * sensors' batches, kernel/sensor). Same checks and returns. */
int64_t event_raise_to(struct event_sub *s, const char *topic, const char *source, const void *payload,
		       size_t len, uint64_t time_ns);
/* An event a source could not keep for s (its memory budget, or no room:
 * kernel/handler/netev.c's long datagrams): counted as posted and dropped
 * in s's queue, as a full queue would. */
void event_drop_to(struct event_sub *s);
/* Does any subscription match topic? (So a source can skip building events
 * nobody waits for.) */
bool event_watched(const char *topic);
/* The file watch source: raises "file:<path>" with the payload what
 * ("created", "written", "renamed", "removed"; for renamed, what is
 * "renamed <from-path>") when some subscription matches; else nothing. path
 * is absolute and normal. source: the program that made the change. */
void event_raise_file(const char *path, const char *what, const char *source);

/* Takes the next event across subs[0..n) in (time_ns, seq) order, like
 * evq_take_next, and writes a DROP log record for a subscription that lost
 * events since its last record. Index or -EAGAIN. */
int event_take_next(struct event_sub *const *subs, size_t n, struct optios_event *out);
/* The same, holding the event (evq_hold) for its consumer to settle. */
int event_hold_next(struct event_sub *const *subs, size_t n, struct optios_event *out);

/* ---- the event log (evlog.c) ----
 *
 * A ring of EVLOG_RECORDS struct optios_log_record (ABI: optios/abi/handler.h),
 * oldest overwritten first. Every record gets the next seq and its time
 * (monotonic ns and TSC), and the audit chain's link to the record before
 * (prev_hash, lib/logchain.h) before anyone reads it (evlog.c says when). Safe in interrupt
 * context; never allocates after evlog_init. Formatting is left to the reader
 * (cheap to write).
 */
#define EVLOG_RECORDS 1024
struct optios_log_record;
/* Allocates the ring (after heap_init). Before it, writes are counted and dropped. */
void evlog_init(void);
/* Appends r after filling r->seq, r->time_ns and r->tsc; returns the seq. */
uint64_t evlog_write(struct optios_log_record *r);
/* A record of kind with the given names and numbers; text printf-style (may be NULL). */
uint64_t evlog_add(uint32_t kind, const char *handler, const char *topic, uint64_t event_seq,
		   int32_t result, uint64_t a, uint64_t b, uint64_t c, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
/* Copies up to max records with seq >= from, oldest first; returns how many.
 * Makes the audit links of the records it copies and of older ones not yet
 * linked: ~8,800 instructions a record, once per record. */
size_t evlog_read(uint64_t from, struct optios_log_record *out, size_t max);
/* The seq of the newest record written (the next seq is this + 1). */
uint64_t evlog_count(void);
/* The log goes on from an earlier boot's (kept on disk): the next record is
 * last->seq + 1 and links to last (its prev_hash is logchain_hash(last)).
 * Only before the first record of this boot: -EBUSY after it. */
int evlog_resume(const struct optios_log_record *last);
/* The seq of this boot's first record: older ones are on disk, if anywhere. */
uint64_t evlog_first(void);

#endif
