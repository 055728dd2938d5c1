/* test_timer.c - rate conversion and the ordered timer queue. */
#include <stdlib.h>
#include <string.h>

#include "kernel/time/time_internal.h"
#include "unit.h"

typedef unsigned __int128 u128;

/* ---- scale ---- */

TEST(scale_exact_ratios)
{
	struct scale s = scale_make(2000000000, 1000000000); /* 2 GHz TSC -> ns */
	CHECK_EQ(s.mult, 1ull << 31);
	CHECK_EQ(scale_apply(s, 2000000000), 1000000000);
	CHECK_EQ(scale_apply(s, 3), 1);
	struct scale up = scale_make(1000000000, 62500000); /* ns -> LAPIC at 62.5 MHz */
	CHECK_EQ(scale_apply(up, 1000000000), 62500000);
	CHECK_EQ(scale_apply(up, 16), 1);
}

TEST(scale_matches_wide_arithmetic)
{
	static const uint64_t rates[] = {1193182,	14318180,      62500000,
					 999999937,	2096024154ull, 3000000000ull,
					 4294967296ull, 5200000000ull, 99999999999ull};
	srand(7);
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		uint64_t hz = rates[i];
		struct scale s = scale_make(hz, 1000000000);
		/* mult is the exact floor of 1e9 * 2^32 / hz */
		u128 exact = ((u128)1000000000 << 32) / hz;
		CHECK(s.mult == (uint64_t)exact);
		for (int k = 0; k < 1000; k++) {
			uint64_t x = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
			u128 want = ((u128)x * s.mult) >> 32;
			CHECK(scale_apply(s, x) == (want > UINT64_MAX ? UINT64_MAX : (uint64_t)want));
		}
	}
}

TEST(scale_years_without_overflow)
{
	/* 20 years of a 5.2 GHz TSC: far past where a 64-bit product overflows. */
	uint64_t hz = 5200000000ull, secs = 20ull * 365 * 86400;
	struct scale s = scale_make(hz, 1000000000);
	uint64_t ns = scale_apply(s, hz * secs);
	uint64_t want = secs * 1000000000ull;
	CHECK(ns <= want && want - ns < want / 1000000000); /* within 1 ppb */
	/* The full 64-bit TSC range converts (no wrap), and saturates beyond. */
	CHECK(scale_apply(s, UINT64_MAX) > scale_apply(s, UINT64_MAX / 2));
	struct scale big = scale_make(1, 1000000000);
	CHECK_EQ(scale_apply(big, UINT64_MAX), (long long)UINT64_MAX);
}

TEST(scale_inverse_is_the_smallest_reaching_input)
{
	static const uint64_t rates[] = {62500000, 1193182, 2096024154ull, 3000000000ull, 5200000000ull};
	srand(11);
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		struct scale s = scale_make(rates[i], 1000000000);
		for (int k = 0; k < 2000; k++) {
			uint64_t y = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) >> (rand() % 40);
			uint64_t x = scale_inverse_ceil(s, y);
			if (x == UINT64_MAX && scale_apply(s, x) < y)
				continue; /* beyond any 64-bit input: saturated, as documented */
			CHECK(scale_apply(s, x) >= y);
			CHECK(x == 0 || scale_apply(s, x - 1) < y);
		}
	}
	struct scale s = scale_make(3000000000ull, 1000000000);
	CHECK_EQ(scale_inverse_ceil(s, 0), 0);
	CHECK_EQ(scale_inverse_ceil(s, UINT64_MAX), (long long)UINT64_MAX); /* unreachable: saturates */
}

/* ---- the queue ---- */

static void init_all(struct timer *t, size_t n)
{
	memset(t, 0, n * sizeof *t);
}

TEST(timerq_orders_by_deadline_then_arming)
{
	struct timer t[6];
	init_all(t, 6);
	static const uint64_t d[] = {30, 10, 50, 10, 20, 10};
	struct timerq q = {0};
	for (int i = 0; i < 6; i++) {
		t[i].deadline_ns = d[i];
		timerq_insert(&q, &t[i]);
		CHECK(t[i].armed);
	}
	CHECK_EQ(q.count, 6);
	static const int order[] = {1, 3, 5, 4, 0, 2};
	for (int i = 0; i < 6; i++) {
		struct timer *x = timerq_pop_due(&q, 1000);
		CHECK(x == &t[order[i]]);
		CHECK(!x->armed);
	}
	CHECK(timerq_first(&q) == NULL);
	CHECK_EQ(q.count, 0);
}

TEST(timerq_pop_due_respects_now)
{
	struct timer t[2];
	init_all(t, 2);
	struct timerq q = {0};
	t[0].deadline_ns = 100;
	t[1].deadline_ns = 200;
	timerq_insert(&q, &t[1]);
	timerq_insert(&q, &t[0]);
	CHECK(timerq_pop_due(&q, 99) == NULL);
	CHECK(timerq_pop_due(&q, 100) == &t[0]);
	CHECK(timerq_pop_due(&q, 150) == NULL);
	CHECK(timerq_first(&q) == &t[1]);
	CHECK(timerq_pop_due(&q, UINT64_MAX) == &t[1]);
	CHECK(timerq_pop_due(&q, UINT64_MAX) == NULL);
}

TEST(timerq_remove_head_middle_tail)
{
	struct timer t[4];
	init_all(t, 4);
	struct timerq q = {0};
	for (int i = 0; i < 4; i++) {
		t[i].deadline_ns = (uint64_t)(i + 1) * 10;
		timerq_insert(&q, &t[i]);
	}
	timerq_remove(&q, &t[0]); /* head */
	CHECK(timerq_first(&q) == &t[1]);
	timerq_remove(&q, &t[2]); /* middle */
	timerq_remove(&q, &t[3]); /* tail */
	CHECK(timerq_first(&q) == &t[1]);
	CHECK(t[1].next == NULL && t[1].prev == NULL);
	CHECK(!t[0].armed && !t[2].armed && !t[3].armed);
	CHECK_EQ(q.count, 1);
	/* Re-inserting a removed timer works. */
	t[0].deadline_ns = 5;
	timerq_insert(&q, &t[0]);
	CHECK(timerq_first(&q) == &t[0]);
	CHECK(t[0].next == &t[1] && t[1].prev == &t[0]);
}

/* Random arms, moves and cancels against a simple model: the queue always
 * pops the model's minimum (deadline, then arming sequence). */
TEST(timerq_random_against_model)
{
	enum { N = 64 };
	struct timer t[N];
	uint64_t seq[N], next_seq = 0;
	init_all(t, N);
	struct timerq q = {0};
	srand(99);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % N, op = rand() % 4;
		if (op < 2) { /* arm or move */
			if (t[i].armed)
				timerq_remove(&q, &t[i]);
			t[i].deadline_ns = (uint64_t)(rand() % 50);
			seq[i] = next_seq++;
			timerq_insert(&q, &t[i]);
		} else if (op == 2 && t[i].armed) {
			timerq_remove(&q, &t[i]);
		} else if (op == 3) {
			int best = -1;
			for (int k = 0; k < N; k++)
				if (t[k].armed &&
				    (best < 0 || t[k].deadline_ns < t[best].deadline_ns ||
				     (t[k].deadline_ns == t[best].deadline_ns && seq[k] < seq[best])))
					best = k;
			struct timer *got = timerq_pop_due(&q, UINT64_MAX);
			CHECK(best < 0 ? got == NULL : got == &t[best]);
		}
		size_t armed = 0;
		for (int k = 0; k < N; k++)
			armed += t[k].armed;
		CHECK_EQ(q.count, armed);
	}
	/* Drain: deadlines never decrease. */
	uint64_t last = 0;
	for (struct timer *x; (x = timerq_pop_due(&q, UINT64_MAX));) {
		CHECK(x->deadline_ns >= last);
		last = x->deadline_ns;
	}
}
