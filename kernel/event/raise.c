/*
 * raise.c - raising events, subscriptions, and taking the next event.
 *
 * Theory of operation: the subscriptions form one singly linked list, newest
 * first. event_raise checks its arguments and builds the event on its stack,
 * then, under the event lock, takes the next seq and the time, reserves the
 * EVENT record in the log (so it comes before anything notify logs), offers
 * the event to every subscription whose pattern matches (evq_post applies
 * the queue's overflow policy), calls notify for each that queued or
 * coalesced it, and last stores in the record how many it was offered to.
 * Nothing here allocates, sleeps or formats text, so a timer callback may
 * raise, and a raise costs copies, not printf.
 *
 * Lost events are logged, rate-limited: a subscription remembers its dropped
 * and coalesced counts as of its last DROP record (logged_*). Each time
 * event_take_next looks at a subscription (and at unsubscribe), one DROP
 * record is written if either count grew since then, with a and b the
 * growth, and the marks move up. A burst of any length between two takes
 * costs one record per subscription; quiet subscriptions cost none.
 *
 * Invariants (event lock): last_seq is the seq of the newest event; a
 * subscription is on the list at most once; logged_dropped <= q.dropped and
 * logged_coalesced <= q.coalesced. notify must not subscribe or unsubscribe.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "event_internal.h"
#include "lib/lib.h"

/* Protected by the event lock. */
static struct event_sub *sub_list;
static uint64_t last_seq;

/* One DROP record if s lost events since its last one (event lock held). */
static void log_losses(struct event_sub *s)
{
	uint64_t dropped = s->q.dropped - s->logged_dropped;
	uint64_t coalesced = s->q.coalesced - s->logged_coalesced;
	if (!dropped && !coalesced)
		return;
	struct optios_log_record *r = evlog_slot(OPTIOS_LOG_DROP);
	if (r) {
		r->a = dropped;
		r->b = coalesced;
		copy_name(r->handler, sizeof r->handler, s->owner_name);
		copy_name(r->topic, sizeof r->topic, s->pattern);
	}
	s->logged_dropped = s->q.dropped;
	s->logged_coalesced = s->q.coalesced;
}

/* The link that points at s, or the list's last (NULL) link if s is not on it. */
static struct event_sub **link_of(struct event_sub *s)
{
	struct event_sub **p = &sub_list;
	while (*p && *p != s)
		p = &(*p)->next;
	return p;
}

/* Subscribing a linked subscription again changes nothing. */
void event_subscribe(struct event_sub *s)
{
	uint64_t f = event_lock();
	struct event_sub **p = link_of(s);
	if (!*p) {
		s->logged_dropped = s->q.dropped;
		s->logged_coalesced = s->q.coalesced;
		s->next = sub_list;
		sub_list = s;
	}
	event_unlock(f);
}

/* Unlinking also logs the losses not yet logged: none goes unrecorded. */
void event_unsubscribe(struct event_sub *s)
{
	uint64_t f = event_lock();
	struct event_sub **p = link_of(s);
	if (*p) {
		*p = s->next;
		s->next = NULL;
		log_losses(s);
	}
	event_unlock(f);
}

/* The event without seq and time; arguments already checked. Every byte is
 * set, so no kernel stack contents reach user space. (Struct assignments,
 * not memset: the compiler makes them word-wide; this is the hot path.) */
static void build(struct optios_event *ev, const char *topic, const char *source, const void *payload,
		  size_t len)
{
	*ev = (struct optios_event){.payload_len = (uint32_t)len};
	copy_name(ev->topic, sizeof ev->topic, topic);
	copy_name(ev->source, sizeof ev->source, source);
	if (len)
		memcpy(ev->payload, payload, len);
}

/* Offers ev to every matching subscription, or to only (when not NULL and
 * linked) alone; returns how many (event lock held). */
static uint64_t post_matching(const struct optios_event *ev, struct event_sub *only)
{
	uint64_t offered = 0;
	for (struct event_sub *s = sub_list, *next; s; s = next) {
		next = s->next;
		if (only ? s != only : !topic_matches(s->pattern, ev->topic))
			continue;
		offered++;
		if (evq_post(&s->q, ev) >= 0 && s->notify)
			s->notify(s);
	}
	return offered;
}

/* source NULL: "kernel". only: see event_raise_to. */
static int64_t raise_event(const char *topic, const char *source, const void *payload, size_t len, uint64_t time_ns,
		     struct event_sub *only)
{
	struct optios_event ev;
	if (!source)
		source = "kernel";
	if (!topic || !optios_event_topic_valid(topic, OPTIOS_EVENT_TOPIC_MAX) ||
	    strnlen(source, OPTIOS_EVENT_SOURCE_MAX) == OPTIOS_EVENT_SOURCE_MAX ||
	    len > OPTIOS_EVENT_PAYLOAD_MAX || (len && !payload))
		return -EINVAL;
	build(&ev, topic, source, payload, len);

	uint64_t f = event_lock();
	ev.seq = ++last_seq;
	ev.time_ns = time_ns ? time_ns : event_now_ns();
	struct optios_log_record *r = evlog_slot(OPTIOS_LOG_EVENT);
	uint64_t rseq = r ? r->seq : 0;
	if (r) {
		r->event_seq = ev.seq;
		r->b = ev.payload_len;
		copy_name(r->topic, sizeof r->topic, ev.topic);
		copy_name(r->text, sizeof r->text, ev.source);
	}
	uint64_t offered = post_matching(&ev, only);
	if (r && r->seq == rseq) /* not overwritten by what notify logged */
		r->a = offered;
	event_unlock(f);
	return (int64_t)ev.seq;
}

int64_t event_raise(const char *topic, const char *source, const void *payload, size_t len, uint64_t time_ns)
{
	return raise_event(topic, source, payload, len, time_ns, NULL);
}

int64_t event_raise_to(struct event_sub *s, const char *topic, const char *source, const void *payload,
		       size_t len, uint64_t time_ns)
{
	return raise_event(topic, source, payload, len, time_ns, s);
}

void event_drop_to(struct event_sub *s)
{
	uint64_t f = event_lock();
	s->q.posted++;
	s->q.dropped++;
	event_unlock(f);
}

bool event_watched(const char *topic)
{
	bool found = false;
	uint64_t f = event_lock();
	for (struct event_sub *s = sub_list; s && !found; s = s->next)
		found = topic_matches(s->pattern, topic);
	event_unlock(f);
	return found;
}

/* A path too long for a topic, or with characters the topic rule refuses,
 * matches no subscription and raises nothing; what longer than a payload is
 * cut to OPTIOS_EVENT_PAYLOAD_MAX bytes, source to a source's size. */
void event_raise_file(const char *path, const char *what, const char *source)
{
	char topic[OPTIOS_EVENT_TOPIC_MAX] = "file:";
	char src[OPTIOS_EVENT_SOURCE_MAX] = "";
	size_t kind = strlen(topic), n = strnlen(path, sizeof topic - kind);
	if (n == sizeof topic - kind)
		return;
	memcpy(topic + kind, path, n);
	if (!event_watched(topic))
		return;
	copy_name(src, sizeof src, source);
	event_raise(topic, src, what, what ? strnlen(what, OPTIOS_EVENT_PAYLOAD_MAX) : 0, 0);
}

static int take_next(struct event_sub *const *subs, size_t n, struct optios_event *out, bool hold)
{
	int best = -1;
	uint64_t f = event_lock();
	for (size_t i = 0; i < n; i++) {
		const struct optios_event *e = evq_peek(&subs[i]->q);
		log_losses(subs[i]);
		if (e && (best < 0 || event_before(e, evq_peek(&subs[best]->q))))
			best = (int)i;
	}
	if (best >= 0 && hold)
		evq_hold(&subs[best]->q, out);
	else if (best >= 0)
		evq_take(&subs[best]->q, out);
	event_unlock(f);
	return best < 0 ? -EAGAIN : best;
}

int event_take_next(struct event_sub *const *subs, size_t n, struct optios_event *out)
{
	return take_next(subs, n, out, false);
}

int event_hold_next(struct event_sub *const *subs, size_t n, struct optios_event *out)
{
	return take_next(subs, n, out, true);
}
