/*
 * pipe_core.h - a pipe's buffer and the rules of its reads and writes,
 * without sleeping (pipe_core.c; the file and the waiting are sys_pipe.c).
 */
#ifndef KERNEL_SYSCALL_PIPE_CORE_H
#define KERNEL_SYSCALL_PIPE_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/ring.h"

struct pipe_buf {
	struct ring ring; /* OPTIOS_PIPE_SIZE bytes */
	int readers, writers; /* open read and write ends */
};

/* Takes up to n bytes: how many (> 0), 0 at end of file (empty, no writer
 * left), -EAGAIN (empty, a writer may still write). n > 0. */
long pipe_buf_read(struct pipe_buf *p, char *out, size_t n);
/* Puts bytes in: how many (> 0); -EPIPE (no reader left); -EAGAIN when the
 * writer must wait: no room, or n <= OPTIOS_PIPE_BUF bytes that do not fit
 * whole (such writes are atomic). A longer write takes what fits. n > 0. */
long pipe_buf_write(struct pipe_buf *p, const char *in, size_t n);
/* POLLIN/POLLOUT/POLLHUP/POLLERR as seen from a reader or a writer. */
unsigned pipe_buf_poll(const struct pipe_buf *p, bool reader);

#endif
