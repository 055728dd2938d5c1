/*
 * inet.h - the kernel's TCP/IP stack: lwIP 2.1.3 behind OptiOS's own
 * interface (docs/NETWORK.md). kernel/inet is lwIP's port and the only code
 * that includes lwIP's headers; everything else sees this file.
 *
 * What it offers the rest of the kernel:
 *   - bring-up: every network device (kernel/net) becomes an interface,
 *     configured by /etc/net.conf (DHCP unless it says static);
 *   - what `net` shows: each interface's addresses, link and counters;
 *   - ICMP echo (ping) and name resolution (DNS), asynchronous: the caller
 *     owns a request structure, the stack fills it and calls its `done`
 *     callback, from the network work loop;
 *   - UDP endpoints: open a port, receive datagrams through a callback,
 *     send; TCP endpoints: listen, connect, write, and a receive window
 *     that reopens only when the owner says it consumed the bytes. This is
 *     the layer both a socket layer and net:udp / net:tcp handler events
 *     stand on (kernel/net's work loop calls the callbacks).
 *
 * Who may call: kernel context outside interrupt handlers (system calls,
 * self-tests, the work loop). Callbacks run in the work loop (kernel
 * context, interrupts on): they must not sleep; they may call inet_*.
 * Addresses are IPv4 in network byte order (a.b.c.d is a | b<<8 | ...).
 */
#ifndef KERNEL_INET_INET_H
#define KERNEL_INET_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/net/net.h"

/* Brings the stack up on every registered network device (and on any that
 * registers later). conf is /etc/net.conf's text (NULL, len 0: none, DHCP
 * everywhere); problems are logged as "net.conf:LINE: ...". The kernel
 * command line's words optios.net.KEY=VALUE override its keys (tests). */
void inet_init(const char *conf, size_t len, const char *cmdline);

/* ---- interfaces ---- */
enum inet_cfg { INET_CFG_DHCP, INET_CFG_STATIC, INET_CFG_OFF };
struct inet_if_info {
	char name[NETDEV_NAME_MAX];
	char driver[16];
	uint8_t mac[ETH_ALEN];
	uint16_t mtu;
	bool link_up, up; /* device link; interface administratively up */
	enum inet_cfg cfg;
	bool bound; /* has an address (DHCP bound, or static) */
	uint32_t addr, netmask, gateway;
	struct netdev_stats stats;
};
/* 0, or -ENODEV past the last interface. */
int inet_if_info(unsigned index, struct inet_if_info *out);
/* The DNS servers in use (0: none). */
void inet_dns_servers(uint32_t out[2]);

/* ---- ICMP echo ---- */
enum inet_req_state { INET_REQ_WAITING, INET_REQ_DONE, INET_REQ_FAILED };
struct inet_ping {
	/* The caller's: */
	uint32_t addr;
	uint16_t seq;
	uint16_t size; /* bytes of payload, at most INET_PING_MAX */
	void (*done)(struct inet_ping *p); /* a reply came (work loop) */
	void *arg;
	/* The stack's: */
	volatile enum inet_req_state state;
	uint64_t sent_ns, rtt_ns;
	uint8_t ttl;
	uint16_t reply_size;
	struct inet_ping *next; /* the requests waiting */
};
#define INET_PING_MAX 1472
/* Sends one echo request and waits for its reply in the background. 0, or
 * -EINVAL (size), -ENETUNREACH (no interface is up), -ENOMEM. */
int inet_ping_send(struct inet_ping *p);
/* Stops waiting (the caller's timeout); safe after the reply came. */
void inet_ping_cancel(struct inet_ping *p);

/* ---- DNS ---- */
#define INET_NAME_MAX 255
struct inet_resolve {
	char name[INET_NAME_MAX + 1]; /* the caller's */
	void (*done)(struct inet_resolve *r); /* the answer came (work loop) */
	void *arg;
	volatile enum inet_req_state state; /* DONE with addr, or FAILED */
	uint32_t addr;
	bool active; /* the stack holds r: inet_resolve_cancel before freeing */
};
/* A dotted quad is answered at once (0, state DONE, done not called), as
 * is a cached name; else the query goes out: 0 with state WAITING. -EINVAL
 * (name), -ENETUNREACH (no DNS server), -ENOMEM. */
int inet_resolve_start(struct inet_resolve *r);
void inet_resolve_cancel(struct inet_resolve *r);
/* Parses a.b.c.d; 0 with *addr, or -EINVAL. */
int inet_parse_addr(const char *s, uint32_t *addr);

/* ---- UDP endpoints ---- */
struct inet_udp;
typedef void (*inet_udp_recv_fn)(struct inet_udp *u, void *arg, const void *data, size_t len,
				 uint32_t from_addr, uint16_t from_port);
/* Opens a UDP endpoint on port (0: any free port) for datagrams to any local
 * address. 0 with *out, -EADDRINUSE, -ENOMEM. */
int inet_udp_open(uint16_t port, inet_udp_recv_fn recv, void *arg, struct inet_udp **out);
/* The port it is bound to. */
uint16_t inet_udp_port(const struct inet_udp *u);
/* Sends one datagram (len at most INET_UDP_MAX). 0, -EMSGSIZE, -ENOMEM,
 * -EHOSTUNREACH (no route). */
int inet_udp_sendto(struct inet_udp *u, const void *data, size_t len, uint32_t addr, uint16_t port);
void inet_udp_close(struct inet_udp *u);
#define INET_UDP_MAX 65507

/* When the stack's timer is armed for (its next lwIP deadline, on the
 * kernel clock), or TIMER_NEVER: nothing needs timing. */
uint64_t inet_deadline_ns(void);

/* ---- TCP endpoints (tcp.c: lifetimes and the window there) ---- */
struct inet_tcp;
#define INET_TCP_WINDOW (16 * 1460) /* bytes received unconsumed before the peer must stop */
struct inet_tcp_ops {
	/* A listener's new connection (its ops and arg start as the
	 * listener's; inet_tcp_set changes them). */
	void (*accepted)(struct inet_tcp *listener, struct inet_tcp *conn, void *arg);
	/* inet_tcp_connect's outcome: 0 connected (a refusal comes as error). */
	void (*connected)(struct inet_tcp *c, void *arg, int err);
	/* Bytes arrived (len 0, data NULL: the peer closed its side). The
	 * window stays closed over them until inet_tcp_consumed. */
	void (*received)(struct inet_tcp *c, void *arg, const void *data, size_t len);
	/* The peer acknowledged n bytes: room to write again. May be NULL. */
	void (*sent)(struct inet_tcp *c, void *arg, size_t n);
	/* The connection is gone (-ECONNRESET, -ECONNABORTED, -ENOMEM, ...):
	 * c is freed when this returns. May be NULL. */
	void (*error)(struct inet_tcp *c, void *arg, int err);
};
/* Listens on port (any local address). 0, -EADDRINUSE, -ENOMEM. */
int inet_tcp_listen(uint16_t port, const struct inet_tcp_ops *ops, void *arg, struct inet_tcp **out);
/* Starts connecting; ops->connected or ops->error tells how it ended. */
int inet_tcp_connect(uint32_t addr, uint16_t port, const struct inet_tcp_ops *ops, void *arg,
		     struct inet_tcp **out);
void inet_tcp_set(struct inet_tcp *t, const struct inet_tcp_ops *ops, void *arg);
/* Queues up to len bytes (copied): how many were taken (0: the send
 * buffer is full, wait for `sent`), or -ENOTCONN, -ENOMEM. */
long inet_tcp_write(struct inet_tcp *t, const void *data, size_t len);
size_t inet_tcp_sendable(const struct inet_tcp *t);
/* The connection's peer: its address and port (0, 0 once it is gone). */
void inet_tcp_peer(const struct inet_tcp *t, uint32_t *addr, uint16_t *port);
/* The owner has taken n received bytes: the window reopens by n. */
void inet_tcp_consumed(struct inet_tcp *t, size_t n);
/* Closes (a listener stops listening) and frees t; never fails (a close
 * lwIP cannot queue becomes a reset). No callback for t runs after. The
 * side that closes first keeps lwIP's connection state in TIME_WAIT for
 * two minutes (2 * TCP_MSL). */
void inet_tcp_close(struct inet_tcp *t);
/* Resets the connection and frees t: nothing stays behind. */
void inet_tcp_abort(struct inet_tcp *t);

/* The stack's memory (bytes charged to net.memory_kib) and what was refused. */
struct inet_mem_stats {
	uint64_t in_use, limit, refused;
};
void inet_mem_stats(struct inet_mem_stats *out);

#endif
