/*
 * poll.h - poll(2) event bits and struct pollfd (Linux x86_64 values),
 * shared by the kernel, the SDK and host tools. A C library defines the same
 * names with the same values.
 */
#ifndef OPTIOS_ABI_POLL_H
#define OPTIOS_ABI_POLL_H

#ifndef POLLIN
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#endif

#define OPTIOS_PIPE_BUF 4096 /* writes of at most this many bytes are atomic */
#define OPTIOS_PIPE_SIZE 65536 /* a pipe's buffer (Linux's default) */

#endif
