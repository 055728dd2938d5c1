/* test_logchain.c - the event log's audit chain: the link (a known vector,
 * every byte counts), the check of a sequence, and the links evlog makes
 * lazily (on read, and at wrap-around for the records it drops). */
#include <stdint.h>
#include <string.h>

#include "kernel/event/event_internal.h"
#include "lib/lib.h"
#include "lib/logchain.h"
#include "unit.h"

static struct optios_log_record recs[2 * EVLOG_RECORDS];

static struct optios_log_record sample(void)
{
	struct optios_log_record r = {.seq = 7,
				      .time_ns = 1000,
				      .tsc = 2000,
				      .kind = OPTIOS_LOG_EFFECT,
				      .result = -5,
				      .event_seq = 3,
				      .a = 24};
	strcpy(r.handler, "counter");
	strcpy(r.topic, "timer:tick");
	strcpy(r.text, "write /data/x +24");
	for (int i = 0; i < LOGCHAIN_HASH_SIZE; i++)
		r.prev_hash[i] = (uint8_t)i;
	return r;
}

static bool hash_is(const struct optios_log_record *r, const uint8_t want[LOGCHAIN_HASH_SIZE])
{
	uint8_t h[LOGCHAIN_HASH_SIZE];
	logchain_hash(r, h);
	return memcmp(h, want, sizeof h) == 0;
}

/* Python: sha256(struct.pack('<QQQIiQQQQ', 7, 1000, 2000, 5, -5, 3, 24, 0, 0)
 *   + b'\x07counter' + b'\x0atimer:tick' + b'\x11write /data/x +24' + bytes(range(16))) */
TEST(logchain_hash_known_vector)
{
	static const uint8_t want[] = {0x01, 0xa8, 0x0a, 0xa4, 0xca, 0xa4, 0x07, 0x9b,
				       0xeb, 0x96, 0x60, 0xbc, 0xce, 0xa9, 0xdc, 0xa5};
	struct optios_log_record r = sample();
	CHECK(hash_is(&r, want));
}

TEST(logchain_hash_changes_with_any_byte)
{
	struct optios_log_record r = sample();
	uint8_t base[LOGCHAIN_HASH_SIZE];
	logchain_hash(&r, base);
	size_t unchanged = 0;
	for (size_t i = 0; i < sizeof r; i++)
		for (int bit = 0; bit < 8; bit += 7) {
			((uint8_t *)&r)[i] ^= (uint8_t)(1 << bit);
			unchanged += hash_is(&r, base);
			((uint8_t *)&r)[i] ^= (uint8_t)(1 << bit);
		}
	CHECK_EQ(unchanged, 0);
	CHECK(hash_is(&r, base));
}

/* A byte moved from the end of one text field to the start of the next
 * keeps the bytes hashed if the encoding were the fields' contents only. */
TEST(logchain_hash_tells_fields_apart)
{
	struct optios_log_record a = {0}, b = {0};
	strcpy(a.handler, "ab");
	strcpy(b.handler, "a");
	strcpy(b.topic, "b");
	uint8_t h[LOGCHAIN_HASH_SIZE];
	logchain_hash(&a, h);
	CHECK(!hash_is(&b, h));
}

/* n records from the log (written then read), seqs consecutive. */
static size_t chain_of(size_t n)
{
	evlog_init();
	uint64_t from = evlog_count() + 1;
	for (size_t i = 0; i < n; i++)
		evlog_add(OPTIOS_LOG_OUTPUT, "h", "app:x", i, 0, i, 0, 0, "line %zu", i);
	return evlog_read(from, recs, ARRAY_SIZE(recs));
}

TEST(logchain_verify_an_intact_log)
{
	struct logchain_problem p[4];
	CHECK_EQ(chain_of(10), 10);
	CHECK_EQ(logchain_verify(recs, 10, p, 4), 0);
	static const uint8_t zero[LOGCHAIN_HASH_SIZE];
	CHECK(memcmp(recs[0].prev_hash, zero, sizeof zero) == 0); /* the first of its boot */
	CHECK(memcmp(recs[1].prev_hash, zero, sizeof zero) != 0);
}

TEST(logchain_verify_names_the_altered_record)
{
	struct logchain_problem p[4];
	chain_of(10);
	recs[4].text[60] ^= 1; /* past the text's end: still part of the record */
	CHECK_EQ(logchain_verify(recs, 10, p, 4), 1);
	CHECK(p[0].what == LOGCHAIN_ALTERED && p[0].seq == recs[4].seq && p[0].count == 1);
	recs[4].text[60] ^= 1;
	recs[6].prev_hash[3] ^= 0x80; /* its own link and its successor's break */
	CHECK_EQ(logchain_verify(recs, 10, p, 4), 1);
	CHECK(p[0].what == LOGCHAIN_ALTERED && p[0].seq == recs[6].seq && p[0].count == 1);
	recs[6].prev_hash[3] ^= 0x80;
	recs[0].a++; /* the anchor's content is covered by the second record */
	CHECK_EQ(logchain_verify(recs, 10, p, 4), 1);
	CHECK(p[0].what == LOGCHAIN_ALTERED && p[0].seq == recs[0].seq);
}

TEST(logchain_verify_last_record_is_one_of_two)
{
	struct logchain_problem p[4];
	chain_of(5);
	recs[4].prev_hash[0] ^= 1;
	CHECK_EQ(logchain_verify(recs, 5, p, 4), 1);
	CHECK(p[0].what == LOGCHAIN_ALTERED && p[0].seq == recs[3].seq && p[0].count == 2);
}

TEST(logchain_verify_reports_missing_and_disorder)
{
	struct logchain_problem p[4];
	chain_of(10);
	uint64_t gone = recs[3].seq;
	memmove(&recs[3], &recs[4], 6 * sizeof recs[0]); /* record 3 removed: 9 left */
	CHECK_EQ(logchain_verify(recs, 9, p, 4), 1);
	CHECK(p[0].what == LOGCHAIN_MISSING && p[0].seq == gone && p[0].count == 1);
	struct optios_log_record t = recs[0];
	recs[0] = recs[1];
	recs[1] = t;
	CHECK(logchain_verify(recs, 9, p, 4) >= 1);
	CHECK(p[0].what == LOGCHAIN_DISORDER && p[0].seq == recs[1].seq);
}

/* The log as if every link were made at write time: the records
 * write_model writes, linked one by one. */
static struct optios_log_record model[2 * EVLOG_RECORDS];

static uint64_t write_model(size_t n, size_t read_every, size_t read_until)
{
	static struct optios_log_record one;
	evlog_init();
	uint64_t base = evlog_count();
	for (size_t i = 0; i < n; i++) {
		evlog_add(OPTIOS_LOG_OUTPUT, "h", NULL, 0, 0, i, 0, 0, NULL);
		if (read_every && i % read_every == read_every - 1 && i < read_until)
			CHECK_EQ(evlog_read(base + 1 + i, &one, 1), 1);
		model[i] = (struct optios_log_record){.seq = base + 1 + i,
						      .time_ns = event_host_clock_ns,
						      .tsc = event_host_clock_ns,
						      .kind = OPTIOS_LOG_OUTPUT,
						      .a = i};
		model[i].handler[0] = 'h';
		if (i)
			logchain_hash(&model[i - 1], model[i].prev_hash);
	}
	return base;
}

/* The log as read equals the model, but from an anchor: the oldest record
 * kept has the link of the record dropped before it if a read reached that
 * one, else zero (and the links after it follow from there). */
static void check_against_model(size_t dropped, size_t last_read)
{
	struct logchain_problem p[4];
	struct optios_log_record *m = model + dropped;
	if (last_read < dropped)
		memset(m[0].prev_hash, 0, sizeof m[0].prev_hash);
	for (size_t i = 1; i < EVLOG_RECORDS; i++)
		logchain_hash(&m[i - 1], m[i].prev_hash);
	CHECK_EQ(evlog_read(0, recs, ARRAY_SIZE(recs)), EVLOG_RECORDS);
	CHECK(memcmp(recs, m, EVLOG_RECORDS * sizeof recs[0]) == 0);
	CHECK_EQ(logchain_verify(recs, EVLOG_RECORDS, p, 4), 0);
}

/* The ring wraps with no read: nothing is hashed, the oldest record kept has
 * a zero link (no one can hold the one before it). */
TEST(logchain_unread_records_dropped_leave_a_zero_link)
{
	write_model(EVLOG_RECORDS + 500, 0, 0);
	check_against_model(500, 0);
}

/* A read reached record 300, not 301: when 300 is dropped, 301 takes its link. */
TEST(logchain_a_dropped_record_read_passes_its_link_on)
{
	write_model(EVLOG_RECORDS + 300, 300, 300);
	check_against_model(300, 300);
}

/* The disk's copy (evlog_copy) makes no link, and says which records it
 * copied unlinked; the ring then links them before dropping them, as if a
 * read had reached them: record 301 takes 300's link, so the disk's copy,
 * linked later from the record before, agrees with every read. */
TEST(logchain_records_copied_unlinked_pass_their_link_on_when_dropped)
{
	static struct optios_log_record copy[300];
	uint64_t linked = 0;
	uint64_t base = write_model(300, 0, 0);
	CHECK_EQ(evlog_copy(base + 1, copy, 300, &linked), 300);
	CHECK_EQ(linked, base + 1); /* the first record's link is the anchor: made, no hash */
	CHECK(copy[0].seq == base + 1 && copy[299].seq == base + 300);
	for (size_t i = 1; i < 300; i++)
		CHECK(memcmp(copy[i].prev_hash, (uint8_t[16]){0}, 16) == 0);
	for (size_t i = 300; i < EVLOG_RECORDS + 300; i++) /* drop them all, nobody reading */
		evlog_add(OPTIOS_LOG_OUTPUT, "h", NULL, 0, 0, i, 0, 0, NULL);
	for (size_t i = 0; i < EVLOG_RECORDS + 300; i++) {
		model[i] = (struct optios_log_record){.seq = base + 1 + i,
						      .time_ns = event_host_clock_ns,
						      .tsc = event_host_clock_ns,
						      .kind = OPTIOS_LOG_OUTPUT,
						      .a = i};
		model[i].handler[0] = 'h';
		if (i)
			logchain_hash(&model[i - 1], model[i].prev_hash);
	}
	check_against_model(300, 300);
}

/* Reads now and then (of one record each, so the links lag and catch up):
 * the links are those of the model; the oldest record kept carries the link
 * of the last one dropped exactly when a read had reached that one. */
TEST(logchain_links_do_not_depend_on_reads)
{
	for (size_t every = 1; every < 1500; every = every * 3 + 2) {
		write_model(EVLOG_RECORDS + 300, every, SIZE_MAX);
		size_t n = EVLOG_RECORDS + 300, last_read = n / every * every; /* 1-based, 0: none */
		check_against_model(300, last_read);
	}
}
