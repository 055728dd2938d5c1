/*
 * test_hrec.c - kernel/handler/hrec.c: a handler's persisted registration
 * round-trips, and every damaged or hostile value is refused with a
 * message (never read past its length, never a crash under ASan).
 */
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/handler/hrec.h"
#include "unit.h"

static struct hrec sample(void)
{
	struct hrec r = {.version = 3, .ntimers = 2, .runs = 41, .failures = 2};
	strcpy(r.name, "counter");
	strcpy(r.path, "/apps/counter");
	for (int i = 0; i < 32; i++)
		r.hash[i] = (uint8_t)(i * 7);
	r.timer_left_ns[0] = 250000000;
	r.timer_left_ns[1] = HREC_TIMER_OFF;
	return r;
}

TEST(hrec_round_trips)
{
	struct hrec r = sample(), back;
	uint8_t buf[HREC_SIZE_MAX];
	char msg[128];
	size_t n = hrec_encode(&r, buf);
	CHECK_EQ(hrec_decode(buf, n, &back, msg, sizeof msg), 0);
	CHECK_STR(back.name, "counter");
	CHECK_STR(back.path, "/apps/counter");
	CHECK_EQ(back.version, 3);
	CHECK_EQ(back.ntimers, 2);
	CHECK_EQ(back.runs, 41);
	CHECK_EQ(back.failures, 2);
	CHECK(memcmp(back.hash, r.hash, 32) == 0);
	CHECK_EQ(back.timer_left_ns[0], 250000000);
	CHECK(back.timer_left_ns[1] == HREC_TIMER_OFF);
}

TEST(hrec_longest_fields_fit_the_bound)
{
	struct hrec r = sample(), back;
	memset(r.name, 'n', sizeof r.name - 1);
	r.name[sizeof r.name - 1] = 0;
	memset(r.path, 'p', sizeof r.path - 1);
	r.path[0] = '/';
	r.path[sizeof r.path - 1] = 0;
	r.ntimers = MANIFEST_TIMERS_MAX;
	uint8_t buf[HREC_SIZE_MAX];
	char msg[128];
	size_t n = hrec_encode(&r, buf);
	CHECK(n <= HREC_SIZE_MAX);
	CHECK_EQ(hrec_decode(buf, n, &back, msg, sizeof msg), 0);
	CHECK_STR(back.path, r.path);
}

static int decode_damaged(const uint8_t *buf, size_t n, char *msg, size_t msgsize)
{
	struct hrec back;
	msg[0] = 0;
	int err = hrec_decode(buf, n, &back, msg, msgsize);
	CHECK(err == 0 || (err == -EINVAL && strstr(msg, "handler record refused:")));
	return err;
}

TEST(hrec_hostile_values_are_refused_with_a_message)
{
	struct hrec r = sample();
	uint8_t buf[HREC_SIZE_MAX], bad[HREC_SIZE_MAX];
	char msg[128];
	size_t n = hrec_encode(&r, buf);
	for (size_t len = 0; len < n; len++) /* every truncation */
		CHECK_EQ(decode_damaged(buf, len, msg, sizeof msg), -EINVAL);
	CHECK_EQ(decode_damaged(buf, n + 8, msg, sizeof msg), -EINVAL); /* trailing bytes */
	struct {
		size_t off;
		uint8_t val;
		const char *why;
	} cases[] = {
		{0, 'X', "magic"},   {4, 2, "format"},	  {12, 200, "timers"},	{64, 0, "length"},
		{64, 250, "length"}, {66, 255, "length"}, {68, 0, "printable"}, {75, 'x', "absolute"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(bad, buf, n);
		bad[cases[i].off] = cases[i].val;
		CHECK_EQ(decode_damaged(bad, n, msg, sizeof msg), -EINVAL);
		CHECK(strstr(msg, cases[i].why) != NULL);
	}
	/* every single byte flipped: refused or decoded, never more */
	for (size_t off = 0; off < n; off++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, buf, n);
			bad[off] ^= (uint8_t)(1u << bit);
			decode_damaged(bad, n, msg, sizeof msg);
		}
}

TEST(hrec_id_is_stable_and_never_zero)
{
	CHECK(hrec_id("counter") == hrec_id("counter"));
	CHECK(hrec_id("counter") != hrec_id("watcher"));
	CHECK(hrec_id("counter") >> 56 == 0);
	CHECK(hrec_id("") != 0);
}

TEST(hrec_stored_event_hostile_values_are_refused)
{
	struct hrec_event e = {.sub = 1};
	char msg[96];
	strcpy(e.ev.topic, "app:tally");
	strcpy(e.ev.source, "sh");
	e.ev.payload_len = 3;
	CHECK_EQ(hrec_event_check(&e, sizeof e, 2, 0, msg, sizeof msg), 0);
	CHECK_EQ(hrec_event_check(&e, sizeof e - 1, 2, 0, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "size") != NULL);
	CHECK_EQ(hrec_event_check(&e, sizeof e, 1, 0, msg, sizeof msg), -EINVAL); /* sub 1 of 1 */
	CHECK(strstr(msg, "subscription") != NULL);
	CHECK_EQ(hrec_event_check(&e, sizeof e, 1, 1, msg, sizeof msg), 0); /* an inbox event: any */
	struct hrec_event bad = e;
	bad.ev.payload_len = OPTIOS_EVENT_PAYLOAD_MAX + 1;
	CHECK_EQ(hrec_event_check(&bad, sizeof bad, 2, 0, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "payload") != NULL);
	bad = e;
	memset(bad.ev.topic, 'x', sizeof bad.ev.topic); /* no NUL */
	CHECK_EQ(hrec_event_check(&bad, sizeof bad, 2, 0, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "topic") != NULL);
	bad = e;
	memset(bad.ev.source, 'y', sizeof bad.ev.source);
	CHECK_EQ(hrec_event_check(&bad, sizeof bad, 2, 0, msg, sizeof msg), -EINVAL);
	CHECK(strstr(msg, "source") != NULL);
	/* every single byte of the header and topic flipped: refused or accepted, never more */
	for (size_t off = 0; off < 8 + 16 + OPTIOS_EVENT_TOPIC_MAX; off++)
		for (int bit = 0; bit < 8; bit++) {
			bad = e;
			((uint8_t *)&bad)[off] ^= (uint8_t)(1u << bit);
			int r = hrec_event_check(&bad, sizeof bad, 2, 0, msg, sizeof msg);
			CHECK(r == 0 || r == -EINVAL);
		}
}
