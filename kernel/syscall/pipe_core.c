/*
 * pipe_core.c - a pipe's rules, without sleeping: what a read or a write may
 * do now (pipe_core.h). The ring holds the bytes written and not yet read;
 * readers and writers count the open ends. A read meets end of file only
 * when the ring is empty and no writer is left; a write with no reader left
 * fails (-EPIPE) whatever the room; a write of at most PIPE_BUF bytes goes in
 * whole or waits (POSIX's atomicity: writers' small messages never
 * interleave).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "kernel/syscall/pipe_core.h"

#include <optios/abi/errno.h>
#include <optios/abi/poll.h>

long pipe_buf_read(struct pipe_buf *p, char *out, size_t n)
{
	if (ring_used(&p->ring) == 0)
		return p->writers ? -EAGAIN : 0;
	return (long)ring_get(&p->ring, out, n);
}

long pipe_buf_write(struct pipe_buf *p, const char *in, size_t n)
{
	if (!p->readers)
		return -EPIPE;
	size_t room = p->ring.size - ring_used(&p->ring);
	if (room == 0 || (n <= OPTIOS_PIPE_BUF && room < n))
		return -EAGAIN;
	return (long)ring_put(&p->ring, in, n);
}

unsigned pipe_buf_poll(const struct pipe_buf *p, bool reader)
{
	size_t used = ring_used(&p->ring);
	if (reader)
		return (used ? POLLIN | POLLRDNORM : 0) | (p->writers ? 0 : POLLHUP);
	if (!p->readers)
		return POLLERR;
	return p->ring.size - used >= OPTIOS_PIPE_BUF ? POLLOUT | POLLWRNORM : 0;
}
