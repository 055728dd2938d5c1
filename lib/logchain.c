/*
 * logchain.c - the event log's audit chain: the link a record passes to its
 * successor (logchain_hash) and the check of a sequence of records
 * (logchain_verify). Contracts in logchain.h; the kernel side, which fills
 * the links lazily, is kernel/event/evlog.c.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "logchain.h"

#include <stdbool.h>

#include "lib.h"
#include "sha256.h"

#define NUMBERS_SIZE offsetof(struct optios_log_record, handler)

_Static_assert(NUMBERS_SIZE == 64, "the numeric fields are bytes 0-63, no padding");
_Static_assert(offsetof(struct optios_log_record, prev_hash) + LOGCHAIN_HASH_SIZE ==
		       sizeof(struct optios_log_record),
	       "prev_hash ends the record");

/* Size of field f[size] without its trailing zero bytes, whole words first. */
static size_t used_size(const char *f, size_t size)
{
	uint64_t w;
	while (size >= 8 && (memcpy(&w, f + size - 8, 8), w == 0))
		size -= 8;
	while (size > 0 && f[size - 1] == 0)
		size--;
	return size;
}

/* Appends n then the field's first n bytes at p; returns the end. */
static uint8_t *put_field(uint8_t *p, const char *f, size_t size)
{
	size_t n = used_size(f, size);
	*p++ = (uint8_t)n;
	memcpy(p, f, n);
	return p + n;
}

void logchain_hash(const struct optios_log_record *r, uint8_t out[LOGCHAIN_HASH_SIZE])
{
	_Static_assert(sizeof r->text < 256 && sizeof r->topic < 256 && sizeof r->handler < 256,
		       "a field's length fits its one byte");
	uint8_t enc[sizeof *r + 3], digest[SHA256_DIGEST_SIZE];
	uint8_t *p = enc;
	memcpy(p, r, NUMBERS_SIZE);
	p = put_field(p + NUMBERS_SIZE, r->handler, sizeof r->handler);
	p = put_field(p, r->topic, sizeof r->topic);
	p = put_field(p, r->text, sizeof r->text);
	memcpy(p, r->prev_hash, LOGCHAIN_HASH_SIZE);
	sha256(enc, (size_t)(p + LOGCHAIN_HASH_SIZE - enc), digest);
	memcpy(out, digest, LOGCHAIN_HASH_SIZE);
}

/* Does r carry prev's link? */
static bool linked(const struct optios_log_record *prev, const struct optios_log_record *r)
{
	uint8_t h[LOGCHAIN_HASH_SIZE];
	logchain_hash(prev, h);
	return memcmp(h, r->prev_hash, sizeof h) == 0;
}

static void note(struct logchain_problem *out, size_t max, size_t *found, int what, uint64_t seq,
		 uint64_t count)
{
	if (*found < max)
		out[*found] = (struct logchain_problem){.what = what, .seq = seq, .count = count};
	(*found)++;
}

size_t logchain_verify(const struct optios_log_record *recs, size_t n, struct logchain_problem *out,
		       size_t max)
{
	size_t found = 0;
	bool explained = false; /* the link into recs[i] is known broken: its record was named */
	for (size_t i = 1; i < n; i++) {
		const struct optios_log_record *prev = &recs[i - 1], *r = &recs[i];
		bool skip = explained;
		explained = false;
		if (r->seq <= prev->seq) {
			note(out, max, &found, LOGCHAIN_DISORDER, r->seq, 1);
		} else if (r->seq != prev->seq + 1) {
			note(out, max, &found, LOGCHAIN_MISSING, prev->seq + 1, r->seq - prev->seq - 1);
		} else if (!skip && !linked(prev, r)) {
			const struct optios_log_record *next = i + 1 < n ? &recs[i + 1] : NULL;
			if (!next)
				note(out, max, &found, LOGCHAIN_ALTERED, prev->seq, 2);
			else if (next->seq == r->seq + 1 && !linked(r, next)) {
				note(out, max, &found, LOGCHAIN_ALTERED, r->seq, 1);
				explained = true;
			} else
				note(out, max, &found, LOGCHAIN_ALTERED, prev->seq, 1);
		}
	}
	return found;
}
