/*
 * logchain.h - the audit chain of the event log (optios/abi/handler.h):
 * each record's prev_hash is logchain_hash of the record before it, so a
 * record altered or removed anywhere breaks the chain after it. The kernel
 * (kernel/event/evlog.c) fills the links; the log tool (user/bin/log.c)
 * checks them; both use this one definition.
 */
#ifndef LIB_LOGCHAIN_H
#define LIB_LOGCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <optios/abi/handler.h>

#define LOGCHAIN_HASH_SIZE 16

_Static_assert(sizeof(((struct optios_log_record *)0)->prev_hash) == LOGCHAIN_HASH_SIZE, "prev_hash size");

/*
 * The link r's successor carries: the first 16 bytes of SHA-256 over r's
 * canonical encoding, which is every byte of r, text fields shortened:
 *   bytes 0-63 (seq .. c) as stored (little endian),
 *   for handler, topic and text: one byte n, then the field's first n bytes,
 *     n being the field's size without its trailing zero bytes,
 *   prev_hash (16 bytes).
 * Two records differing in any byte have different encodings (the bytes a
 * field drops are zeros by definition of n), so the chain still covers the
 * whole record; the encoding only saves hashing the unused ends of the text
 * fields (a typical record is 2 SHA-256 blocks instead of 6).
 */
void logchain_hash(const struct optios_log_record *r, uint8_t out[LOGCHAIN_HASH_SIZE]);

/* What logchain_verify finds wrong. */
#define LOGCHAIN_ALTERED 1 /* record seq (count 1), or seq or the next (count 2: cannot tell which) */
#define LOGCHAIN_MISSING 2 /* count records from seq on are not there */
#define LOGCHAIN_DISORDER 3 /* record seq does not come after the one before it */

struct logchain_problem {
	int what; /* LOGCHAIN_* */
	uint64_t seq, count;
};

/*
 * Checks n records in the order given (a dump, or the log as read): each seq
 * follows the one before and each prev_hash is the link of the record before.
 * The first record is the anchor: its prev_hash is all zero at the start of a
 * boot, else it is the link of a record no longer kept. Which record a broken
 * link names: a record whose content changed breaks its successor's link; one
 * whose prev_hash changed breaks its own and its successor's. Stores up to
 * max problems in out, in order; returns how many there are (0: intact).
 */
size_t logchain_verify(const struct optios_log_record *recs, size_t n, struct logchain_problem *out,
		       size_t max);

#endif
