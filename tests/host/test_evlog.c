/* test_evlog.c - the event log ring: fields, wrap-around, reading from a lost seq, in pieces. */
#include <stdlib.h>
#include <string.h>

#include "kernel/event/event_internal.h"
#include "lib/lib.h"
#include "unit.h"

static struct optios_log_record all[2 * EVLOG_RECORDS];

/* Writes n records whose a counts up from a0; returns the seq of the last. */
static uint64_t write_n(size_t n, uint64_t a0)
{
	uint64_t seq = 0;
	for (size_t i = 0; i < n; i++) {
		struct optios_log_record r = {.kind = OPTIOS_LOG_OUTPUT, .a = a0 + i};
		seq = evlog_write(&r);
		CHECK_EQ(r.seq, seq);
	}
	return seq;
}

TEST(evlog_add_fills_every_field)
{
	evlog_init();
	event_host_clock_ns = 5000;
	uint64_t before = evlog_count();
	uint64_t seq = evlog_add(OPTIOS_LOG_ROLLBACK, "counter", "timer:tick", 42, OPTIOS_RUN_FAULT, 1, 2, 3,
				 "page fault at %#x", 0x10);
	CHECK_EQ(seq, before + 1);
	CHECK_EQ(evlog_count(), seq);
	CHECK_EQ(evlog_read(0, all, 10), 1);
	CHECK_EQ(all[0].seq, seq);
	CHECK_EQ(all[0].kind, OPTIOS_LOG_ROLLBACK);
	CHECK_EQ(all[0].result, OPTIOS_RUN_FAULT);
	CHECK_EQ(all[0].event_seq, 42);
	CHECK_EQ(all[0].a + all[0].b * 10 + all[0].c * 100, 321);
	CHECK_EQ(all[0].time_ns, 5000);
	CHECK_EQ(all[0].tsc, 5000);
	CHECK_STR(all[0].handler, "counter");
	CHECK_STR(all[0].topic, "timer:tick");
	CHECK_STR(all[0].text, "page fault at 0x10");

	/* NULL names and text are empty; overlong ones are cut and terminated */
	char longname[100];
	memset(longname, 'h', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	evlog_add(OPTIOS_LOG_HANDLER, longname, NULL, 0, 0, 0, 0, 0, NULL);
	CHECK_EQ(evlog_read(seq + 1, all, 10), 1);
	CHECK_EQ(strlen(all[0].handler), OPTIOS_NAME_MAX - 1);
	CHECK_STR(all[0].topic, "");
	CHECK_STR(all[0].text, "");
}

TEST(evlog_wraps_around_keeping_the_newest)
{
	evlog_init();
	uint64_t base = evlog_count();
	uint64_t last = write_n(EVLOG_RECORDS + 10, 0);
	CHECK_EQ(last, base + EVLOG_RECORDS + 10);
	size_t n = evlog_read(0, all, ARRAY_SIZE(all));
	CHECK_EQ(n, EVLOG_RECORDS);
	CHECK_EQ(all[0].seq, base + 11);
	CHECK_EQ(all[0].a, 10);
	for (size_t i = 1; i < n; i++) {
		CHECK_EQ(all[i].seq, all[i - 1].seq + 1);
		CHECK_EQ(all[i].a, all[i - 1].a + 1);
	}
	CHECK_EQ(all[n - 1].seq, last);
}

TEST(evlog_read_from_an_overwritten_seq_starts_at_the_oldest)
{
	evlog_init();
	uint64_t base = evlog_count();
	uint64_t last = write_n(EVLOG_RECORDS + 100, 0);
	/* base + 50 was overwritten: the first record returned is the oldest kept */
	CHECK_EQ(evlog_read(base + 50, all, 3), 3);
	CHECK_EQ(all[0].seq, base + 101);
	CHECK_EQ(all[0].a, 100);
	/* past the newest, or nothing asked for: nothing */
	CHECK_EQ(evlog_read(last + 1, all, 3), 0);
	CHECK_EQ(evlog_read(base + 200, all, 0), 0);
	CHECK_EQ(evlog_read(last, all, 3), 1);
	CHECK_EQ(all[0].seq, last);
}

TEST(evlog_read_in_pieces_equals_one_read)
{
	static struct optios_log_record pieces[EVLOG_RECORDS];
	evlog_init();
	write_n(EVLOG_RECORDS + 37, 1000);
	size_t whole = evlog_read(0, all, ARRAY_SIZE(all)), got = 0, step;
	uint64_t from = 0;
	while ((step = evlog_read(from, pieces + got, 100)) > 0) {
		CHECK(step <= 100);
		from = pieces[got + step - 1].seq + 1;
		got += step;
	}
	CHECK_EQ(got, whole);
	CHECK(memcmp(pieces, all, whole * sizeof all[0]) == 0);
}

TEST(evlog_init_again_forgets_but_keeps_counting)
{
	evlog_init();
	write_n(5, 0);
	uint64_t count = evlog_count();
	CHECK_EQ(evlog_read(0, all, 10), 5);
	evlog_init();
	CHECK_EQ(evlog_count(), count);
	CHECK_EQ(evlog_read(0, all, 10), 0);
	CHECK_EQ(write_n(1, 7), count + 1);
	CHECK_EQ(evlog_read(0, all, 10), 1);
	CHECK_EQ(all[0].a, 7);
}
