/*
 * ring.c - byte ring buffer (see ring.h for the invariants).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "ring.h"

size_t ring_put(struct ring *r, const char *s, size_t n)
{
	size_t room = r->size - ring_used(r);
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		r->buf[r->tail++ & (r->size - 1)] = s[i];
	return n;
}

void ring_put_overwrite(struct ring *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->buf[r->tail++ & (r->size - 1)] = s[i];
		if (ring_used(r) > r->size)
			r->head++;
	}
}

size_t ring_get(struct ring *r, char *out, size_t n)
{
	size_t avail = ring_used(r);
	if (n > avail)
		n = avail;
	for (size_t i = 0; i < n; i++)
		out[i] = r->buf[r->head++ & (r->size - 1)];
	return n;
}

size_t ring_copy_newest(const struct ring *r, char *out, size_t n)
{
	size_t avail = ring_used(r);
	if (n > avail)
		n = avail;
	uint64_t start = r->tail - n;
	for (size_t i = 0; i < n; i++)
		out[i] = r->buf[(start + i) & (r->size - 1)];
	return n;
}
