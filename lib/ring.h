/*
 * ring.h - a byte ring buffer over caller-provided storage.
 *
 * head and tail count bytes ever read and written (64-bit, never wrap in
 * practice); the bytes waiting are tail - head, at most size, and byte i
 * lives at buf[i % size]. size must be a power of two. Two ways to write:
 * ring_put keeps what is there and refuses what does not fit (input queues:
 * the caller counts the refused bytes); ring_put_overwrite keeps the newest
 * bytes, dropping the oldest (logs). No locking: callers serialise.
 */
#ifndef LIB_RING_H
#define LIB_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
	char *buf;
	size_t size;
	uint64_t head, tail;
};

#define RING_INIT(storage) {(storage), sizeof(storage), 0, 0}

static inline size_t ring_used(const struct ring *r)
{
	return (size_t)(r->tail - r->head);
}

/* Stores what fits of s; returns how many bytes were stored. */
size_t ring_put(struct ring *r, const char *s, size_t n);
/* Stores all of s, dropping the oldest bytes when full. */
void ring_put_overwrite(struct ring *r, const char *s, size_t n);
/* Removes up to n of the oldest bytes into out; returns how many. */
size_t ring_get(struct ring *r, char *out, size_t n);
/* Copies (without removing) up to n of the newest bytes, oldest first. */
size_t ring_copy_newest(const struct ring *r, char *out, size_t n);

#endif
