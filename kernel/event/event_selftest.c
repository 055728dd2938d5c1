/*
 * event_selftest.c - raising events in the kernel: from a thread and from a
 * timer callback (interrupt context), into two subscriptions with different
 * policies; queue counters, take order, and the EVENT and DROP log records.
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "event_internal.h"
#include "kernel/test/selftest.h"

struct st_sub {
	struct event_sub s;
	struct optios_event slots[4];
	int notified, notified_irq_on;
};

static struct st_sub apps, ticks;
static struct timer tick_timer;
static int ticks_raised;

static void st_notify(struct event_sub *s)
{
	struct st_sub *t = container_of(s, struct st_sub, s);
	t->notified++;
	t->notified_irq_on += irq_enabled();
}

static void st_add(struct st_sub *t, const char *pattern, enum evq_policy policy, const char *owner)
{
	memset(t, 0, sizeof *t);
	memcpy(t->s.pattern, pattern, strlen(pattern) + 1);
	evq_init(&t->s.q, t->slots, ARRAY_SIZE(t->slots), policy);
	t->s.notify = st_notify;
	t->s.owner_name = owner;
	event_subscribe(&t->s);
}

/* Interrupt context: raises one tick, re-arms until three were raised. */
static void raise_tick(struct timer *t, void *arg)
{
	(void)arg;
	if (event_raise("timer:st.tick", NULL, NULL, 0, 0) > 0 && ++ticks_raised < 3)
		timer_arm(t, clock_now_ns() + NS_PER_MS);
}

static void wait_ticks(uint64_t until)
{
	uint64_t f = irq_save();
	irq_enable();
	while (ticks_raised < 3 && clock_now_ns() < until)
		cpu_relax();
	irq_restore(f);
}

static size_t count_kind(const struct optios_log_record *r, size_t n, uint32_t kind)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += r[i].kind == kind;
	return k;
}

static bool counters_add_up(const struct evq *q)
{
	return evq_check(q) &&
	       q->posted == q->delivered + q->coalesced + q->dropped + q->dead + evq_pending(q);
}

/* Takes every pending event: apps' four in raise order, then the latest tick. */
static int check_take_order(struct event_sub *const *set)
{
	struct optios_event out;
	uint64_t prev_seq = 0;
	for (int i = 0; i < 4; i++) {
		ST_CHECK(event_take_next(set, 2, &out) == 0);
		ST_CHECK(out.seq > prev_seq && out.topic[0] == 'a');
		prev_seq = out.seq;
	}
	ST_CHECK(event_take_next(set, 2, &out) == 1);
	ST_CHECK(strcmp(out.topic, "timer:st.tick") == 0 && strcmp(out.source, "kernel") == 0);
	ST_CHECK(event_take_next(set, 2, &out) == -EAGAIN);
	return 0;
}

/* Six app events from this thread, three ticks from a timer callback. */
static int raise_and_check(struct event_sub *const *set)
{
	for (int i = 0; i < 6; i++) /* 4 queued, 2 dropped */
		ST_CHECK(event_raise("app:st.n", "selftest", &i, sizeof i, 0) > 0);
	ticks_raised = 0;
	timer_init(&tick_timer, raise_tick, NULL);
	timer_arm(&tick_timer, clock_now_ns() + NS_PER_MS);
	wait_ticks(clock_now_ns() + 500 * NS_PER_MS);
	timer_cancel(&tick_timer);
	ST_CHECK(ticks_raised == 3); /* 1 pending, 2 coalesced */

	ST_CHECK(apps.notified == 4 && apps.notified_irq_on == 0);
	ST_CHECK(ticks.notified == 3 && ticks.notified_irq_on == 0);
	ST_CHECK(apps.s.q.dropped == 2 && evq_pending(&apps.s.q) == 4);
	ST_CHECK(ticks.s.q.coalesced == 2 && evq_pending(&ticks.s.q) == 1);
	int err = check_take_order(set);
	ST_CHECK(counters_add_up(&apps.s.q) && counters_add_up(&ticks.s.q));
	return err;
}

SELFTEST(event_raise_subscribe_and_log)
{
	static struct optios_log_record recs[64];
	struct event_sub *set[] = {&apps.s, &ticks.s};
	uint64_t base = evlog_count();
	st_add(&apps, "app:st.*", EVQ_QUEUE, "st-apps");
	st_add(&ticks, "timer:st.tick", EVQ_LATEST, "st-ticks");
	int err = raise_and_check(set);
	event_unsubscribe(&apps.s);
	event_unsubscribe(&ticks.s);
	if (err)
		return err;
	ST_CHECK(!event_watched("app:st.n") && !event_watched("timer:st.tick"));

	size_t n = evlog_read(base + 1, recs, ARRAY_SIZE(recs));
	ST_CHECK(count_kind(recs, n, OPTIOS_LOG_EVENT) == 9);
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == OPTIOS_LOG_EVENT)
			ST_CHECK(recs[i].a == 1);
	ST_CHECK(count_kind(recs, n, OPTIOS_LOG_DROP) == 2); /* one per subscription */
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == OPTIOS_LOG_DROP)
			ST_CHECK(strcmp(recs[i].handler, "st-apps") == 0 ? recs[i].a == 2 : recs[i].b == 2);
	return 0;
}

/* What one raise into one QUEUE subscription and one take cost, in TSC
 * ticks (instructions under -icount). */
SELFTEST(event_raise_cost)
{
	struct event_sub *set[] = {&apps.s};
	struct optios_event out;
	st_add(&apps, "app:cost", EVQ_QUEUE, "st-cost");
	uint64_t best_raise = UINT64_MAX, best_take = UINT64_MAX;
	for (int i = 0; i < 8; i++) {
		uint64_t t0 = rdtsc();
		event_raise("app:cost", "selftest", "12345678", 8, 0);
		uint64_t t1 = rdtsc();
		event_take_next(set, 1, &out);
		uint64_t t2 = rdtsc();
		best_raise = MIN(best_raise, t1 - t0);
		best_take = MIN(best_take, t2 - t1);
	}
	event_unsubscribe(&apps.s);
	kprintf("selftest:   event_raise %lu ticks, event_take_next %lu ticks\n", (unsigned long)best_raise,
		(unsigned long)best_take);
	ST_CHECK(apps.s.q.delivered == 8 && apps.s.q.dropped == 0);
	return 0;
}
