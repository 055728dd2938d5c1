/*
 * retry.c - what becomes of an event whose run rolled back: retried with
 * backoff, then a dead letter; and when a handler is quarantined.
 *
 * Theory of operation. The runner takes each event from its subscription
 * with evq_hold: the event leaves the queue but stays pending, held by its
 * handler (h->holding; the event is h->ev, the current run's), until it is
 * settled. A committed run settles it as
 * delivered. A rolled-back run counts an attempt: while attempts <=
 * handler.retries the event is retried - the handler gets nothing else until
 * then (its events keep their order) and is due again after
 * handler.retry_delay_ms << (attempts - 1), at most handler.retry_delay_max_ms
 * (a timer wakes the runner); other handlers run meanwhile. After the last
 * attempt the event is settled as dead and kept in the handler's dead letters,
 * a ring of handler.dead_letters entries (the oldest is pushed out and
 * counted when it is full). `handler retry` re-injects dead letters into
 * their subscriptions' queues (a new post). A handler is quarantined when
 * handler.quarantine_after events in a row became dead letters with no
 * commit between: it keeps failing across different events, not on one.
 * `handler retry` of a quarantined handler lifts the quarantine first.
 *
 * Invariants: h->holding exactly while one event of h is held from
 * subscription h->held_sub (so that queue's held count is 1, else 0);
 * h->retry_due_ns != 0 only while holding; dead letters are kept in
 * dead[(dead_head + i) % dead_cap] for i < dead_count, oldest first;
 * dead_total counts every dead letter, dead_discarded those pushed out;
 * every counter only grows. Called on the runner (or with the handler not
 * running: destroy, retry), interrupts disabled around the queues.
 */
#include "kernel/handler/handler_internal.h"

#include <optios/abi/errno.h>

#include "kernel/conf/conf.h"
#include "kernel/mm/mm.h"
#include "lib/lib.h"

static void retry_fire(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	runner_kick();
}

int retry_create(struct handler *h)
{
	h->dead_cap = (size_t)conf_int(CONF_HANDLER_DEAD_LETTERS);
	h->dead = kzalloc(h->dead_cap * sizeof *h->dead);
	timer_init(&h->retry_timer, retry_fire, h);
	return h->dead ? 0 : -ENOMEM;
}

/* Settles the held event as how (interrupts disabled inside). */
static void settle(struct handler *h, enum evq_outcome how)
{
	if (!h->holding)
		return;
	if (how != EVQ_DELIVERED)
		netev_lost(h, &h->ev); /* a connection's bytes that will not be handled */
	uint64_t f = irq_save();
	evq_settle(&h->subs[h->held_sub].q, how);
	h->holding = false;
	h->retry_due_ns = 0;
	h->attempts = 0;
	timer_cancel(&h->retry_timer);
	irq_restore(f);
}

void retry_destroy(struct handler *h)
{
	settle(h, EVQ_DROPPED); /* its handler is gone: never handled */
	timer_cancel(&h->retry_timer);
	kfree(h->dead);
	h->dead = NULL;
}

const struct optios_event *retry_due(const struct handler *h, uint64_t now)
{
	return h->retry_due_ns <= now ? &h->ev : NULL;
}

void retry_taken(struct handler *h, int sub)
{
	h->holding = true;
	h->held_sub = (size_t)sub;
	h->attempts = 0;
	h->retry_due_ns = 0;
}

void retry_committed(struct handler *h)
{
	settle(h, EVQ_DELIVERED);
	h->dead_in_a_row = 0;
}

void retry_dropped(struct handler *h)
{
	settle(h, EVQ_DROPPED);
}

static uint64_t delay_ms(uint32_t attempts)
{
	uint64_t d = (uint64_t)conf_int(CONF_HANDLER_RETRY_DELAY_MS),
		 max = conf_int(CONF_HANDLER_RETRY_DELAY_MAX_MS);
	for (uint32_t i = 1; i < attempts && d < max; i++)
		d *= 2;
	return MIN(d, max);
}

static void dead_letter(struct handler *h, int32_t result)
{
	struct handler_dead *d;
	if (h->dead_count == h->dead_cap) { /* the oldest goes, counted */
		h->dead_head = (h->dead_head + 1) % h->dead_cap;
		h->dead_count--;
		h->dead_discarded++;
	}
	d = &h->dead[(h->dead_head + h->dead_count++) % h->dead_cap];
	d->ev = h->ev;
	d->ev.retry = 0;
	d->sub = h->held_sub;
	d->attempts = h->attempts;
	d->result = result;
	d->dead_ns = clock_now_ns();
	h->dead_total++;
	h->dead_in_a_row++;
}

bool retry_failed(struct handler *h, int32_t result)
{
	if (!h->holding)
		return false;
	h->attempts++;
	uint32_t retries = (uint32_t)conf_int(CONF_HANDLER_RETRIES);
	if (h->attempts <= retries) {
		uint64_t ms = delay_ms(h->attempts);
		evlog_add(OPTIOS_LOG_RETRY, h->name, h->ev.topic, h->ev.seq, result, h->attempts, 0, ms,
			  "retry %u of %u in %lu ms", h->attempts, retries, (unsigned long)ms);
		uint64_t f = irq_save();
		h->retry_due_ns = clock_now_ns() + ms * NS_PER_MS;
		timer_arm(&h->retry_timer, h->retry_due_ns);
		irq_restore(f);
		return false;
	}
	evlog_add(OPTIOS_LOG_RETRY, h->name, h->ev.topic, h->ev.seq, result, h->attempts, 1, 0,
		  "dead letter after %u attempts", h->attempts);
	uint64_t f = irq_save(); /* handler_retry reads the ring */
	dead_letter(h, result);
	irq_restore(f);
	settle(h, EVQ_DEAD);
	return h->dead_in_a_row >= (uint32_t)conf_int(CONF_HANDLER_QUARANTINE_AFTER);
}

long handler_retry(struct handler *h, uint64_t max)
{
	if (h->state == OPTIOS_HANDLER_QUARANTINED)
		handler_resume(h); /* the user asks for its events to run again */
	long n = 0;
	uint64_t f = irq_save();
	while ((uint64_t)n < max && h->dead_count) {
		struct handler_dead *d = &h->dead[h->dead_head];
		if (evq_requeue(&h->subs[d->sub].q, &d->ev) != 0)
			break; /* its queue is full: the rest stay */
		evlog_add(OPTIOS_LOG_RETRY, h->name, d->ev.topic, d->ev.seq, 0, 0, 2, 0, "re-injected");
		h->dead_head = (h->dead_head + 1) % h->dead_cap;
		h->dead_count--;
		n++;
	}
	if (n)
		runner_kick();
	irq_restore(f);
	return n;
}

void retry_info(const struct handler *h, struct optios_handler_info *out)
{
	out->retry_event_seq = h->holding && h->retry_due_ns ? h->ev.seq : 0;
	out->retry_due_ns = h->holding ? h->retry_due_ns : 0;
	out->retry_attempts = h->holding ? h->attempts : 0;
	out->dead_in_a_row = h->dead_in_a_row;
	out->dead_total = h->dead_total;
	out->dead_discarded = h->dead_discarded;
	out->dead_kept = (uint32_t)h->dead_count;
	for (size_t i = 0; i < h->dead_count && i < OPTIOS_DEAD_SHOWN; i++) { /* newest first */
		const struct handler_dead *d = &h->dead[(h->dead_head + h->dead_count - 1 - i) % h->dead_cap];
		struct optios_dead_letter *o = &out->dead[out->dead_shown++];
		o->event_seq = d->ev.seq;
		o->time_ns = d->ev.time_ns;
		o->dead_ns = d->dead_ns;
		memcpy(o->topic, d->ev.topic, sizeof o->topic);
		o->result = d->result;
		o->attempts = d->attempts;
	}
}
