/* test_event.c - event record, topic rules and patterns, queue policies, dispatcher order. */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/event/event.h"
#include "unit.h"

static uint64_t next_seq;

static struct optios_event mk(const char *topic, uint64_t t, uint8_t byte)
{
	struct optios_event e;
	memset(&e, 0, sizeof e);
	e.seq = ++next_seq;
	e.time_ns = t;
	strncpy(e.topic, topic, sizeof e.topic - 1);
	strcpy(e.source, "kernel");
	e.payload_len = 1;
	e.payload[0] = byte;
	return e;
}

TEST(event_topic_validation)
{
	char longt[200];
	CHECK(optios_event_topic_valid("timer:counter.1", 96));
	CHECK(optios_event_topic_valid("net:udp:5000", 96));
	CHECK(optios_event_topic_valid("file:/data/inbox/a.txt", 96));
	CHECK(!optios_event_topic_valid("timer:", 96));
	CHECK(!optios_event_topic_valid("bogus:x", 96));
	CHECK(!optios_event_topic_valid("", 96));
	CHECK(!optios_event_topic_valid("app:a b", 96));
	CHECK(!optios_event_topic_valid("app:a*", 96));
	memset(longt, 'a', sizeof longt);
	memcpy(longt, "app:", 4);
	longt[95] = 0; /* 95 chars + NUL = 96: fits */
	CHECK(optios_event_topic_valid(longt, sizeof longt));
	longt[95] = 'a';
	longt[96] = 0; /* 96 chars: too long */
	CHECK(!optios_event_topic_valid(longt, sizeof longt));
}

TEST(event_pattern_matching)
{
	char longt[200];
	CHECK(topic_matches("timer:counter.1", "timer:counter.1"));
	CHECK(!topic_matches("timer:counter.1", "timer:counter.10"));
	CHECK(topic_matches("timer:counter.*", "timer:counter.10"));
	CHECK(!topic_matches("timer:counter.*", "timer:counter"));
	CHECK(topic_matches("app:thermo.*", "app:thermo.temp"));
	CHECK(!topic_matches("app:thermo.*", "sys:thermo.temp"));
	CHECK(topic_matches("*", "sys:boot"));
	CHECK(topic_matches("*", "file:/x"));
	CHECK(!topic_matches("", "sys:boot"));
	CHECK(!topic_matches("*", ""));
	CHECK(!topic_matches("*", "nokind"));
	CHECK(topic_matches("file:/data/inbox/", "file:/data/inbox/x"));
	CHECK(topic_matches("file:/data/inbox/", "file:/data/inbox/sub/y"));
	CHECK(topic_matches("file:/data/inbox", "file:/data/inbox/x"));
	CHECK(topic_matches("file:/data/inbox/", "file:/data/inbox"));
	CHECK(!topic_matches("file:/data/inbox/", "file:/data/inboxes/x"));
	CHECK(!topic_matches("file:/data/inbox", "file:/data/inboxes/x"));
	CHECK(topic_matches("file:/", "file:/anything"));
	memset(longt, 'a', sizeof longt);
	memcpy(longt, "app:", 4);
	longt[150] = 0;
	CHECK(!topic_matches("app:*", longt));
	CHECK(!topic_matches(longt, longt));
}

static void check_counts(const struct evq *q, uint64_t p, uint64_t d, uint64_t c, uint64_t dr)
{
	CHECK(evq_check(q));
	CHECK_EQ(q->posted, p);
	CHECK_EQ(q->delivered, d);
	CHECK_EQ(q->coalesced, c);
	CHECK_EQ(q->dropped, dr);
}

TEST(evq_queue_policy_drops_new_when_full)
{
	struct optios_event s[3], out;
	struct evq q;
	CHECK_EQ(evq_init(&q, s, 3, EVQ_QUEUE), 0);
	for (int i = 0; i < 5; i++) {
		struct optios_event e = mk("app:x", (uint64_t)i, (uint8_t)i);
		CHECK_EQ(evq_post(&q, &e), i < 3 ? 0 : -ENOSPC);
	}
	check_counts(&q, 5, 0, 0, 2);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(evq_take(&q, &out), 0);
		CHECK_EQ(out.payload[0], i);
	}
	CHECK_EQ(evq_take(&q, &out), -EAGAIN);
	check_counts(&q, 5, 3, 0, 2);
}

TEST(evq_coalesce_keeps_position)
{
	struct optios_event s[2], out, e;
	struct evq q;
	CHECK_EQ(evq_init(&q, s, 2, EVQ_COALESCE), 0);
	e = mk("app:a", 1, 1);
	CHECK_EQ(evq_post(&q, &e), 0);
	e = mk("app:b", 2, 2);
	CHECK_EQ(evq_post(&q, &e), 0);
	e = mk("app:a", 3, 3);
	CHECK_EQ(evq_post(&q, &e), 1);
	e = mk("app:c", 4, 4);
	CHECK_EQ(evq_post(&q, &e), -ENOSPC);
	check_counts(&q, 4, 0, 1, 1);
	CHECK_EQ(evq_take(&q, &out), 0);
	CHECK_STR(out.topic, "app:a");
	CHECK_EQ(out.payload[0], 3);
	CHECK_EQ(out.time_ns, 3);
	CHECK_EQ(evq_take(&q, &out), 0);
	CHECK_STR(out.topic, "app:b");
	check_counts(&q, 4, 2, 1, 1);
}

TEST(evq_latest_keeps_one)
{
	struct optios_event s[4], out, e;
	struct evq q;
	CHECK_EQ(evq_init(&q, s, 4, EVQ_LATEST), 0);
	for (int i = 0; i < 4; i++) {
		e = mk(i & 1 ? "sensor:t" : "sensor:h", (uint64_t)i, (uint8_t)i);
		CHECK_EQ(evq_post(&q, &e), i ? 1 : 0);
		CHECK_EQ(evq_pending(&q), 1);
	}
	check_counts(&q, 4, 0, 3, 0);
	CHECK_EQ(evq_take(&q, &out), 0);
	CHECK_EQ(out.payload[0], 3);
	check_counts(&q, 4, 1, 3, 0);
	CHECK_EQ(evq_init(&q, s, 0, EVQ_QUEUE), -EINVAL);
}

TEST(evq_dispatch_orders_by_time_then_seq)
{
	struct optios_event s0[4], s1[4], out;
	struct evq q0, q1;
	struct evq *qs[2] = {&q0, &q1};
	evq_init(&q0, s0, 4, EVQ_QUEUE);
	evq_init(&q1, s1, 4, EVQ_QUEUE);
	struct optios_event a = mk("app:a", 10, 1), b = mk("app:b", 10, 2), c = mk("app:c", 5, 3);
	evq_post(&q1, &a); /* t10 seq n   */
	evq_post(&q0, &b); /* t10 seq n+1 */
	evq_post(&q0, &c); /* t5 behind b in q0: FIFO per queue keeps it there */
	CHECK_EQ(evq_take_next(qs, 2, &out), 1);
	CHECK_EQ(out.payload[0], 1);
	CHECK_EQ(evq_take_next(qs, 2, &out), 0);
	CHECK_EQ(out.payload[0], 2);
	CHECK_EQ(evq_take_next(qs, 2, &out), 0);
	CHECK_EQ(out.payload[0], 3);
	CHECK_EQ(evq_take_next(qs, 2, &out), -EAGAIN);
}

TEST(evq_dispatch_global_order_monotonic_raises)
{
	struct optios_event st[4][64], out;
	struct evq q[4];
	struct evq *qs[4];
	for (int i = 0; i < 4; i++) {
		evq_init(&q[i], st[i], 64, EVQ_QUEUE);
		qs[i] = &q[i];
	}
	srand(7);
	uint64_t t = 0;
	for (int i = 0; i < 200; i++) {
		t += (uint64_t)(rand() % 3); /* equal times are common */
		struct optios_event e = mk("app:x", t, 0);
		evq_post(qs[rand() % 4], &e);
	}
	struct optios_event prev = {0};
	int got = 0;
	while (evq_take_next(qs, 4, &out) >= 0) {
		if (got)
			CHECK(prev.time_ns < out.time_ns || (prev.time_ns == out.time_ns && prev.seq < out.seq));
		prev = out;
		got++;
	}
	uint64_t dropped = 0;
	for (int i = 0; i < 4; i++)
		dropped += q[i].dropped;
	CHECK_EQ((uint64_t)got + dropped, 200);
}

TEST(evq_invariant_under_random_operations)
{
	static const char *topics[] = {"app:a", "app:b", "timer:c", "sensor:d", "file:/x/y"};
	struct optios_event st[3][5], out;
	struct evq q[3];
	struct evq *qs[3] = {&q[0], &q[1], &q[2]};
	evq_init(&q[0], st[0], 5, EVQ_QUEUE);
	evq_init(&q[1], st[1], 5, EVQ_COALESCE);
	evq_init(&q[2], st[2], 5, EVQ_LATEST);
	srand(12345);
	uint64_t t = 0, takes = 0;
	for (int i = 0; i < 100000; i++) {
		int op = rand() % 10, k = rand() % 3;
		if (op < 6) {
			struct optios_event e = mk(topics[rand() % 5], t += (uint64_t)(rand() % 2), 0);
			evq_post(qs[k], &e);
		} else if (op < 8) {
			if (evq_take(qs[k], &out) == 0)
				takes++;
		} else if (evq_take_next(qs, 3, &out) >= 0) {
			takes++;
		}
		for (int j = 0; j < 3; j++)
			if (!evq_check(qs[j]))
				CHECK(evq_check(qs[j]));
	}
	CHECK_EQ(q[0].delivered + q[1].delivered + q[2].delivered, takes);
	CHECK(q[0].dropped > 0 && q[1].coalesced > 0 && q[2].coalesced > 0);
	CHECK_EQ(q[2].dropped, 0);
}

/* Issue 9: a rolled-back event was gone. Held events stay pending until
 * settled; dead letters and re-injections keep
 * posted == delivered + coalesced + dropped + dead + pending exact. */
TEST(evq_held_events_settle_and_requeue_with_exact_counters)
{
	struct optios_event st[2], out;
	struct evq q;
	evq_init(&q, st, 2, EVQ_QUEUE);
	struct optios_event a = mk("app:a", 1, 0), b = mk("app:b", 2, 0);
	evq_post(&q, &a);
	evq_post(&q, &b);
	CHECK_EQ(evq_hold(&q, &out), 0);
	CHECK_STR(out.topic, "app:a");
	CHECK_EQ(evq_pending(&q), 2); /* held: still pending, not delivered */
	check_counts(&q, 2, 0, 0, 0);
	evq_settle(&q, EVQ_DEAD);
	CHECK_EQ(q.dead, 1);
	CHECK_EQ(evq_requeue(&q, &out), 0); /* the dead letter re-injected */
	CHECK_EQ(evq_requeue(&q, &out), -ENOSPC); /* full: nothing counted */
	check_counts(&q, 3, 0, 0, 0);
	CHECK_EQ(evq_hold(&q, &out), 0);
	evq_settle(&q, EVQ_DELIVERED);
	CHECK_EQ(evq_hold(&q, &out), 0);
	CHECK_STR(out.topic, "app:a");
	evq_drain(&q); /* nothing queued; the held one stays */
	CHECK_EQ(evq_pending(&q), 1);
	evq_settle(&q, EVQ_DROPPED);
	evq_settle(&q, EVQ_DROPPED); /* none held: nothing */
	check_counts(&q, 3, 1, 0, 1);
	CHECK_EQ(q.dead, 1);
	CHECK_EQ(evq_pending(&q), 0);
}

TEST(evq_identity_holds_under_random_holds_and_settles)
{
	struct optios_event st[4], out, held[64];
	struct evq q;
	size_t nheld = 0;
	evq_init(&q, st, 4, EVQ_COALESCE);
	srand(999);
	for (int i = 0; i < 50000; i++) {
		int op = rand() % 6;
		if (op < 2) {
			struct optios_event e = mk(rand() % 2 ? "app:x" : "app:y", (uint64_t)i, 0);
			evq_post(&q, &e);
		} else if (op == 2 && nheld < 64 && evq_hold(&q, &out) == 0) {
			held[nheld++] = out;
		} else if (op == 3 && nheld) {
			evq_settle(&q, (enum evq_outcome)(rand() % 3));
			nheld--;
		} else if (op == 4 && q.dead) {
			evq_requeue(&q, &held[0]);
		} else if (op == 5) {
			evq_drain(&q);
		}
		if (!evq_check(&q) || q.held != nheld)
			CHECK(evq_check(&q) && q.held == nheld);
	}
	CHECK(q.dead > 0 && q.delivered > 0 && q.dropped > 0 && q.coalesced > 0);
}
