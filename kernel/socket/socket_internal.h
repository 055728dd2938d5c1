/*
 * socket_internal.h - what socket.c (sockets and their protocols) offers
 * sys_socket.c (the system calls: user memory, descriptors). Nothing here
 * sees a user pointer; addresses and ports are in network byte order as
 * the wire has them, except where a name says _port (host order).
 */
#ifndef KERNEL_SOCKET_SOCKET_INTERNAL_H
#define KERNEL_SOCKET_SOCKET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct sock;

/* Linux's values (the ABI programs use). */
#define AF_UNSPEC 0
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

/* The most one send or receive moves through the kernel at a time (a
 * datagram's largest payload fits). */
#define SOCK_IO_MAX 65536

/* A peer or local address: IPv4 in network byte order, port in host order. */
struct sock_addr {
	uint32_t addr;
	uint16_t port;
};

/* A new socket's file (O_RDWR | nonblock's O_NONBLOCK), or an error:
 * -EPROTONOSUPPORT, -ESOCKTNOSUPPORT, -EACCES (raw ICMP without net.ping),
 * -ENOMEM. */
long sock_create(int type, int proto, bool nonblock, struct file **out);
/* The socket behind f, or NULL when f is no socket. */
struct sock *sock_of(struct file *f);
int sock_type(const struct sock *s); /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */

int sock_bind(struct sock *s, struct sock_addr a);
int sock_listen(struct sock *s, int backlog);
/* A connection from s's queue as a new file (0 with *out and its peer). */
long sock_accept(struct sock *s, bool nonblock, bool new_nonblock, struct file **out, struct sock_addr *peer);
/* to NULL: AF_UNSPEC (a datagram socket forgets its peer). */
int sock_connect(struct sock *s, const struct sock_addr *to, bool nonblock);
/* to NULL: the connected peer. Returns bytes taken or -E... */
long sock_send(struct sock *s, const void *buf, size_t len, int flags, const struct sock_addr *to,
	       bool nonblock);
/* *flags_out gets MSG_TRUNC when a datagram was longer than len; from (may be
 * NULL) its source. For MSG_TRUNC in flags, returns the datagram's length. */
long sock_recv(struct sock *s, void *buf, size_t len, int flags, struct sock_addr *from, int *flags_out,
	       bool nonblock);
int sock_shutdown(struct sock *s, int how);
int sock_name(struct sock *s, bool peer, struct sock_addr *out);
/* Options: val is a kernel copy of the user's (len bytes). */
int sock_setopt(struct sock *s, int level, int name, const void *val, size_t len);
/* Fills val (room: *len bytes) and sets *len. */
int sock_getopt(struct sock *s, int level, int name, void *val, size_t *len);

#endif
