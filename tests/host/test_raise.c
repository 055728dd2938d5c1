/* test_raise.c - raising events into subscriptions, take order, EVENT and DROP log records. */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/event/event_internal.h"
#include "lib/lib.h"
#include "unit.h"

struct tsub {
	struct event_sub s;
	struct optios_event slots[4];
	int notified;
};

static void count_notify(struct event_sub *s)
{
	container_of(s, struct tsub, s)->notified++;
}

static void tsub_add(struct tsub *t, const char *pattern, enum evq_policy policy, size_t cap,
		     const char *owner)
{
	memset(t, 0, sizeof *t);
	strcpy(t->s.pattern, pattern);
	evq_init(&t->s.q, t->slots, cap, policy);
	t->s.notify = count_notify;
	t->s.owner_name = owner;
	event_subscribe(&t->s);
}

/* The log records of kind with seq > after, into out[max]; returns how many. */
static size_t records(uint32_t kind, uint64_t after, struct optios_log_record *out, size_t max)
{
	static struct optios_log_record buf[EVLOG_RECORDS];
	size_t n = evlog_read(after + 1, buf, ARRAY_SIZE(buf)), k = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i].kind == kind && k < max)
			out[k++] = buf[i];
	return k;
}

static int64_t raise_str(const char *topic, const char *payload, uint64_t time_ns)
{
	return event_raise(topic, "test", payload, strlen(payload), time_ns);
}

TEST(event_raise_refuses_bad_arguments)
{
	char src[OPTIOS_EVENT_SOURCE_MAX + 1];
	uint8_t big[OPTIOS_EVENT_PAYLOAD_MAX + 1] = {0};
	memset(src, 's', sizeof src - 1);
	src[sizeof src - 1] = 0;
	evlog_init();
	uint64_t logged = evlog_count();
	CHECK_EQ(event_raise("bogus:x", NULL, NULL, 0, 0), -EINVAL);
	CHECK_EQ(event_raise(NULL, NULL, NULL, 0, 0), -EINVAL);
	CHECK_EQ(event_raise("app:x", src, NULL, 0, 0), -EINVAL);
	CHECK_EQ(event_raise("app:x", NULL, big, sizeof big, 0), -EINVAL);
	CHECK_EQ(event_raise("app:x", NULL, NULL, 1, 0), -EINVAL);
	CHECK_EQ(evlog_count(), logged); /* refused: no record */
	src[OPTIOS_EVENT_SOURCE_MAX - 1] = 0; /* 31 bytes: fits */
	int64_t a = event_raise("app:x", src, big, OPTIOS_EVENT_PAYLOAD_MAX, 0);
	int64_t b = event_raise("app:x", NULL, NULL, 0, 0);
	CHECK(a > 0);
	CHECK_EQ(b, a + 1);
}

TEST(event_raise_posts_to_matching_subscriptions_and_logs)
{
	struct tsub all, one;
	struct optios_log_record rec[4];
	evlog_init();
	event_host_clock_ns = 777;
	uint64_t base = evlog_count();
	tsub_add(&all, "timer:*", EVQ_QUEUE, 4, "all");
	tsub_add(&one, "timer:a", EVQ_LATEST, 1, "one");
	CHECK(event_watched("timer:b"));
	CHECK(!event_watched("app:b"));

	int64_t s1 = raise_str("timer:a", "x", 0);
	int64_t s2 = raise_str("timer:b", "yz", 0);
	int64_t s3 = event_raise("app:none", NULL, NULL, 0, 0);
	CHECK_EQ(all.notified, 2);
	CHECK_EQ(one.notified, 1);
	CHECK_EQ(evq_pending(&all.s.q), 2);
	CHECK_EQ(evq_pending(&one.s.q), 1);
	const struct optios_event *e = evq_peek(&all.s.q);
	CHECK_EQ(e->seq, s1);
	CHECK_EQ(e->time_ns, 777);
	CHECK_STR(e->topic, "timer:a");
	CHECK_STR(e->source, "test");
	CHECK_EQ(e->payload_len, 1);
	CHECK_EQ(e->payload[0], 'x');
	CHECK_EQ(e->payload[1], 0);

	CHECK_EQ(records(OPTIOS_LOG_EVENT, base, rec, 4), 3);
	CHECK_EQ(rec[0].event_seq, s1);
	CHECK_EQ(rec[0].a, 2);
	CHECK_EQ(rec[0].b, 1); /* the payload's length */
	CHECK_STR(rec[0].topic, "timer:a");
	CHECK_STR(rec[0].text, "test");
	CHECK_EQ(rec[1].event_seq, s2);
	CHECK_EQ(rec[1].a, 1);
	CHECK_EQ(rec[2].event_seq, s3);
	CHECK_EQ(rec[2].a, 0);
	CHECK_STR(rec[2].text, "kernel");

	event_unsubscribe(&all.s);
	event_unsubscribe(&one.s);
	CHECK(!event_watched("timer:a"));
	raise_str("timer:a", "x", 0);
	CHECK_EQ(all.notified, 2);
	CHECK(evq_check(&all.s.q) && evq_check(&one.s.q));
}

TEST(event_take_next_goes_by_time_then_seq)
{
	struct tsub a, b;
	struct event_sub *set[] = {&a.s, &b.s};
	struct optios_event out;
	tsub_add(&a, "app:a", EVQ_QUEUE, 4, "a");
	tsub_add(&b, "app:b", EVQ_QUEUE, 4, "b");
	int64_t a30 = raise_str("app:a", "1", 30);
	int64_t b10 = raise_str("app:b", "2", 10);
	int64_t a40 = raise_str("app:a", "3", 40);
	int64_t b30 = raise_str("app:b", "4", 30);
	const int64_t want_seq[] = {b10, a30, b30, a40};
	const int want_index[] = {1, 0, 1, 0};
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(event_take_next(set, 2, &out), want_index[i]);
		CHECK_EQ(out.seq, want_seq[i]);
	}
	CHECK_EQ(event_take_next(set, 2, &out), -EAGAIN);
	CHECK_EQ(event_take_next(set, 0, &out), -EAGAIN);
	CHECK_EQ(a.s.q.delivered + b.s.q.delivered, 4);
	event_unsubscribe(&a.s);
	event_unsubscribe(&b.s);
}

TEST(event_drop_records_one_per_burst)
{
	struct tsub q, c;
	struct event_sub *set[] = {&q.s, &c.s};
	struct optios_event out;
	struct optios_log_record rec[8];
	evlog_init();
	uint64_t base = evlog_count();
	tsub_add(&q, "app:q.*", EVQ_QUEUE, 2, "queuer");
	tsub_add(&c, "app:q.*", EVQ_COALESCE, 4, "coalescer");
	for (int i = 0; i < 5; i++)
		raise_str("app:q.x", "p", 0); /* q: 2 queued, 3 dropped; c: 1 pending, 4 coalesced */
	CHECK_EQ(q.s.q.dropped, 3);
	CHECK_EQ(c.s.q.coalesced, 4);
	CHECK_EQ(records(OPTIOS_LOG_DROP, base, rec, 8), 0); /* nothing until a take */

	CHECK(event_take_next(set, 2, &out) >= 0);
	CHECK_EQ(records(OPTIOS_LOG_DROP, base, rec, 8), 2);
	CHECK_STR(rec[0].handler, "queuer");
	CHECK_STR(rec[0].topic, "app:q.*");
	CHECK_EQ(rec[0].a, 3);
	CHECK_EQ(rec[0].b, 0);
	CHECK_STR(rec[1].handler, "coalescer");
	CHECK_EQ(rec[1].a, 0);
	CHECK_EQ(rec[1].b, 4);

	/* counters stood still: no new record; then one more burst: one record, the growth only */
	uint64_t mark = evlog_count();
	while (event_take_next(set, 2, &out) >= 0)
		;
	CHECK_EQ(records(OPTIOS_LOG_DROP, mark, rec, 8), 0);
	for (int i = 0; i < 4; i++)
		raise_str("app:q.y", "p", 0); /* q: 2 queued, 2 dropped */
	mark = evlog_count();
	event_take_next(set, 1, &out);
	event_take_next(set, 1, &out);
	CHECK_EQ(records(OPTIOS_LOG_DROP, mark, rec, 8), 1);
	CHECK_EQ(rec[0].a, 2);

	/* unsubscribe logs what is not logged yet */
	raise_str("app:q.z", "p", 0);
	raise_str("app:q.z", "p", 0); /* c: 1 more coalesced, 3 from y not logged yet */
	mark = evlog_count();
	event_unsubscribe(&q.s);
	event_unsubscribe(&c.s);
	CHECK_EQ(records(OPTIOS_LOG_DROP, mark, rec, 8), 1);
	CHECK_STR(rec[0].handler, "coalescer");
	CHECK_EQ(rec[0].b, 4);
	CHECK(evq_check(&q.s.q) && evq_check(&c.s.q));
	CHECK_EQ(q.s.q.posted,
		 q.s.q.delivered + q.s.q.coalesced + q.s.q.dropped + q.s.q.dead + evq_pending(&q.s.q));
}

TEST(event_raise_file_only_when_watched)
{
	struct tsub w;
	char path[200];
	evlog_init();
	uint64_t base = evlog_count();
	event_raise_file("/data/x", "written", "prog");
	CHECK_EQ(evlog_count(), base); /* nobody watches: nothing raised */

	tsub_add(&w, "file:/data/", EVQ_QUEUE, 4, "w");
	event_raise_file("/data/in/a.txt", "renamed /data/in/b.txt", "a-program-name-longer-than-31-bytes");
	event_raise_file("/tmp/x", "written", "prog"); /* not watched */
	event_raise_file("/data/has space", "created", "prog"); /* no valid topic */
	memset(path, 'p', sizeof path);
	memcpy(path, "/data/", 6);
	path[sizeof path - 1] = 0;
	event_raise_file(path, "created", "prog"); /* too long for a topic */
	path[OPTIOS_EVENT_TOPIC_MAX - 6] = 0; /* "file:" + path + NUL = 96: fits */
	event_raise_file(path, "created", "prog");
	CHECK_EQ(evq_pending(&w.s.q), 2);
	const struct optios_event *e = evq_peek(&w.s.q);
	CHECK_STR(e->topic, "file:/data/in/a.txt");
	CHECK_EQ(e->payload_len, strlen("renamed /data/in/b.txt"));
	CHECK(memcmp(e->payload, "renamed /data/in/b.txt", e->payload_len) == 0);
	CHECK_EQ(strlen(e->source), OPTIOS_EVENT_SOURCE_MAX - 1);
	CHECK_EQ(evlog_count(), base + 2);
	event_unsubscribe(&w.s);
}

TEST(event_subscribe_twice_links_once)
{
	struct tsub t;
	tsub_add(&t, "app:twice", EVQ_QUEUE, 4, "twice");
	event_subscribe(&t.s);
	raise_str("app:twice", "x", 0);
	CHECK_EQ(t.s.q.posted, 1);
	event_unsubscribe(&t.s);
	CHECK(!event_watched("app:twice"));
	event_unsubscribe(&t.s); /* not linked: nothing */
	raise_str("app:twice", "x", 0);
	CHECK_EQ(t.s.q.posted, 1);
}

/* event_drop_to (network events: a long datagram the kernel cannot keep
 * for its event): counted as posted and dropped in that queue, the
 * invariant kept; event_raise_to a port's subscription reaches it alone. */
TEST(event_drop_to_counts_a_drop_in_one_queue)
{
	static struct tsub port, any;
	evlog_init();
	tsub_add(&port, "net:udp:7", EVQ_QUEUE, 2, "echo");
	tsub_add(&any, "*", EVQ_QUEUE, 4, "all");
	CHECK(event_raise_to(&port.s, "net:udp:7", "kernel", "ab", 2, 0) > 0);
	event_drop_to(&port.s);
	CHECK_EQ(port.s.q.posted, 2);
	CHECK_EQ(port.s.q.dropped, 1);
	CHECK_EQ(port.s.q.count, 1);
	CHECK(evq_check(&port.s.q));
	CHECK_EQ(any.s.q.count, 0);
	CHECK_EQ(any.s.q.posted, 0);
	event_unsubscribe(&port.s);
	event_unsubscribe(&any.s);
}
