/*
 * socket.c - BSD sockets for foreground programs (docs/NETWORK.md
 * "Sockets"): IPv4 TCP, UDP and raw ICMP over the stack's endpoints
 * (kernel/inet/inet.h), as open files (kernel/fs/file.h). The system
 * calls that reach them, with user memory and descriptors, are
 * sys_socket.c.
 *
 * Data structures. A socket is a struct sock, the priv of exactly one
 * struct file (sock_ops); dup and fork share the file, so the socket lives
 * until the file's last reference goes (release). It holds at most one
 * endpoint of the stack: tcp (a connection or a listener), udp or icmp.
 *   rx        received data not read yet, a list of chunks: a TCP
 *             connection's bytes in order (each chunk one delivery, `off`
 *             what was read of it), or one datagram per chunk with its
 *             source. rx_bytes counts what is in it.
 *   accq      a listener's connections not accepted yet: socks of their own
 *             (state CONNECTED), at most `backlog`; more are reset.
 *   state     NEW -> BOUND (bind) -> LISTENING (listen), or
 *             NEW/BOUND -> CONNECTING -> CONNECTED -> CLOSED (the
 *             connection is gone: a reset, a refusal, a timeout);
 *             datagram sockets are NEW, BOUND or CONNECTED (a default peer).
 *   err       the error a program has not been told yet (SO_ERROR; the
 *             next call returns it once).
 *   bound     every TCP sock bind gave a fixed port (from bind to its
 *             destroy): until it listens or connects lwIP does not know
 *             the port is taken, so bind asks this list as well (Linux's
 *             EADDRINUSE for two sockets bound to one port, unless both
 *             set SO_REUSEADDR).
 *
 * Invariants. The window: every TCP byte in rx was delivered by the stack
 * and not yet consumed; inet_tcp_consumed is called exactly when a read
 * takes bytes out of rx, so the peer may send at most INET_TCP_WINDOW more
 * than the program read (back-pressure; rx is bounded by it). A datagram
 * socket's rx holds at most rcvbuf bytes (more are dropped and counted, as
 * Linux does). tcp is NULL once the stack said the connection is gone
 * (error callback) or we ended it; no callback of the stack runs for a sock
 * after release, which closes its endpoint first.
 *
 * Concurrency. The stack's callbacks run in the network work loop, which
 * runs only between processes' turns (the kernel is not preemptible), so a
 * system call and a callback never interleave; a call that must wait
 * sleeps on the sock (interrupts off from its test to the sleep, proc.h's
 * rule) and every callback that changes what a caller waits for wakes the
 * sock and the pollers (changed()).
 *
 * Permissions (lib/policy.h): binding a fixed port or listening needs
 * net.listen:PROTO:PORT, a TCP connect net.connect:tcp:HOST:PORT, a
 * datagram net.send:udp:HOST:PORT (every send is checked: the destination
 * may change), a raw ICMP socket net.ping. Checked before the stack is
 * asked; a refusal is -EACCES with the log's deny record (perm_check).
 * Effects are logged as OPTIOS_LOG_EFFECT records, one per act rather than
 * per packet so that traffic cannot flood the log: each listen and connect,
 * a datagram socket's first send to each new destination (it remembers the
 * last one), and each TCP connection's end with its byte counts.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/handler.h>
#include <optios/abi/poll.h>
#include <optios/abi/stat.h>

#include "arch.h"
#include "kernel/event/event.h"
#include "kernel/fs/file.h"
#include "kernel/inet/inet.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/socket/socket_internal.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define SIGPIPE 13
#define POLLRDHUP 0x2000
#define NEVER UINT64_MAX
#define UDP_RCVBUF_DEFAULT (208 * 1024) /* Linux's net.core.rmem_default */
#define BACKLOG_MAX 128 /* Linux's somaxconn */
#define POLLIO (POLLIN | POLLRDNORM)
#define POLLWR (POLLOUT | POLLWRNORM)

enum sock_state { S_NEW, S_BOUND, S_LISTENING, S_CONNECTING, S_CONNECTED, S_CLOSED };

struct chunk {
	struct chunk *next;
	size_t len, off;
	struct sock_addr from; /* a datagram's source */
	uint8_t data[];
};

struct sock {
	int type, proto; /* set at creation */
	enum sock_state state;
	struct sock_addr local, peer; /* local.port 0: not bound yet */
	int err;
	bool rd_eof; /* the peer's FIN, or shutdown(SHUT_RD) */
	bool rd_shut, wr_shut;
	struct inet_tcp *tcp;
	struct inet_udp *udp;
	struct inet_icmp *icmp;
	/* received, not read */
	struct chunk *rx, **rx_tail;
	size_t rx_bytes;
	uint64_t rx_dropped;
	/* a listener's accept queue; next links a sock in its listener's */
	struct sock *accq, **accq_tail, *next;
	int accq_len, backlog;
	/* TCP sockets bound to a port (not yet listening or connecting: lwIP
	 * knows nothing of them), a list of their own: `bound` */
	struct sock *bound_next;
	/* options */
	bool reuseaddr, keepalive, nodelay, broadcast;
	int rcvbuf, sndbuf;
	uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: none */
	bool linger_reset; /* SO_LINGER on with time 0: close resets */
	/* what the log says about it */
	char owner[PROC_NAME_MAX];
	struct sock_addr logged; /* a datagram socket's last destination logged */
	uint64_t sent, received;
};

static const struct file_ops sock_ops;
static struct sock *bound; /* every TCP sock bind gave a port, until destroyed */

struct sock *sock_of(struct file *f)
{
	return f && f->ops == &sock_ops ? f->priv : NULL;
}

int sock_type(const struct sock *s)
{
	return s->type;
}

static void changed(struct sock *s)
{
	sched_wakeup(s);
	poll_wake();
}

static void wake_timer(struct timer *t, void *arg)
{
	(void)t;
	sched_wakeup(arg);
}

/* Sleeps once on s until a callback, the deadline (NEVER: none) or a
 * signal. 0 (look again), -EAGAIN (the deadline passed, or a handler's
 * run), -EINTR: restarted under SA_RESTART (kernel/proc/signal.c) unless
 * the call has a deadline (SO_RCVTIMEO, SO_SNDTIMEO), as on Linux. */
static int wait_change(struct sock *s, uint64_t deadline)
{
	if (clock_now_ns() >= deadline)
		return -EAGAIN;
	struct timer t;
	timer_init(&t, wake_timer, s);
	if (deadline != NEVER)
		timer_arm(&t, deadline);
	uint64_t f = irq_save();
	int r = sched_sleep(s);
	irq_restore(f);
	timer_cancel(&t);
	struct proc *self = proc_current();
	if (r == -EINTR && deadline != NEVER && self)
		self->sig_interrupted = false; /* Linux never restarts a socket call with a timeout */
	return r;
}

static uint64_t deadline_of(uint64_t timeo_ns)
{
	return timeo_ns ? clock_now_ns() + timeo_ns : NEVER;
}

static void addr_text(char *out, size_t size, uint32_t a, uint16_t port)
{
	const uint8_t *b = (const uint8_t *)&a;
	ksnprintf(out, size, "%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3], port);
}

static const char *proto_name(const struct sock *s)
{
	return s->type == SOCK_STREAM ? "tcp" : s->type == SOCK_DGRAM ? "udp" : "icmp";
}

/* One EFFECT record: "WHAT PROTO HOST:PORT"; a connection's end also
 * says its bytes (a = sent, b = received). */
static void log_effect(const struct sock *s, const char *what, struct sock_addr at)
{
	char where[32], bytes[64] = "";
	addr_text(where, sizeof where, at.addr, at.port);
	bool end = strcmp(what, "close") == 0;
	if (end)
		ksnprintf(bytes, sizeof bytes, ": sent %lu, received %lu", (unsigned long)s->sent,
			  (unsigned long)s->received);
	evlog_add(OPTIOS_LOG_EFFECT, s->owner, "", 0, 0, end ? s->sent : 0, end ? s->received : 0, 0,
		  "%s %s %s%s", what, proto_name(s), where, bytes);
}

/* perm_check of kind on "PROTO:HOST:PORT" (host NULL: "PROTO:PORT"). */
static int check(enum policy_cap kind, const char *proto, const uint32_t *host, uint16_t port,
		 const char *call)
{
	char obj[40];
	if (host) {
		char where[32];
		addr_text(where, sizeof where, *host, port);
		ksnprintf(obj, sizeof obj, "%s:%s", proto, where);
	} else {
		ksnprintf(obj, sizeof obj, "%s:%u", proto, port);
	}
	return perm_check(proc_current(), kind, obj, call);
}

static void epipe(int flags)
{
	struct proc *self = proc_current();
	if (self && !(flags & MSG_NOSIGNAL))
		proc_signal_send(self, SIGPIPE, 0x80 /* SI_KERNEL */, 0, 0);
}

/* The error not yet reported, once. */
static int take_err(struct sock *s)
{
	int e = s->err;
	s->err = 0;
	return e;
}

/* ---- received data ---- */

static bool rx_add(struct sock *s, const void *data, size_t len, struct sock_addr from)
{
	struct chunk *c = kmalloc(sizeof *c + len);
	if (!c)
		return false;
	*c = (struct chunk){.len = len, .from = from};
	memcpy(c->data, data, len);
	*s->rx_tail = c;
	s->rx_tail = &c->next;
	s->rx_bytes += len;
	return true;
}

static void rx_pop(struct sock *s)
{
	struct chunk *c = s->rx;
	s->rx = c->next;
	if (!s->rx)
		s->rx_tail = &s->rx;
	s->rx_bytes -= c->len - c->off;
	kfree(c);
}

static void rx_clear(struct sock *s)
{
	while (s->rx)
		rx_pop(s);
}

/* ---- the stack's callbacks (the work loop) ---- */

static void tcp_received(struct inet_tcp *c, void *arg, const void *data, size_t len)
{
	struct sock *s = arg;
	if (!data) {
		s->rd_eof = true;
	} else if (s->rd_shut) {
		inet_tcp_consumed(c, len); /* nobody will read it */
	} else if (!rx_add(s, data, len, s->peer)) {
		inet_tcp_abort(c); /* never lose bytes silently */
		s->tcp = NULL;
		s->state = S_CLOSED;
		s->err = -ENOMEM;
	} else {
		s->received += len;
	}
	changed(s);
}

static void tcp_sent(struct inet_tcp *c, void *arg, size_t n)
{
	(void)c, (void)n;
	changed(arg);
}

static void tcp_connected(struct inet_tcp *c, void *arg, int err)
{
	struct sock *s = arg;
	(void)c;
	if (err) {
		s->err = err;
		s->state = S_CLOSED;
	} else {
		s->state = S_CONNECTED;
		inet_tcp_option(s->tcp, INET_TCP_NODELAY, s->nodelay);
		inet_tcp_option(s->tcp, INET_TCP_KEEPALIVE, s->keepalive);
	}
	changed(s);
}

static void tcp_error(struct inet_tcp *c, void *arg, int err)
{
	struct sock *s = arg;
	(void)c;
	s->tcp = NULL;
	if (s->state == S_CONNECTING) /* a reset answers the SYN: refused; no answer: timed out */
		err = err == -ECONNRESET ? -ECONNREFUSED : err == -ECONNABORTED ? -ETIMEDOUT : err;
	s->err = err;
	s->state = S_CLOSED;
	s->rd_eof = true;
	changed(s);
}

static const struct inet_tcp_ops conn_ops;

static struct sock *make_sock(int type, int proto)
{
	struct sock *s = kzalloc(sizeof *s);
	if (!s)
		return NULL;
	s->type = type;
	s->proto = proto;
	s->rx_tail = &s->rx;
	s->accq_tail = &s->accq;
	s->rcvbuf = type == SOCK_STREAM ? INET_TCP_WINDOW : UDP_RCVBUF_DEFAULT;
	s->sndbuf = type == SOCK_STREAM ? INET_TCP_WINDOW : UDP_RCVBUF_DEFAULT;
	struct proc *self = proc_current();
	if (self)
		memcpy(s->owner, self->name, sizeof s->owner);
	return s;
}

static void tcp_accepted(struct inet_tcp *l, struct inet_tcp *c, void *arg)
{
	struct sock *ls = arg;
	(void)l;
	struct sock *s = ls->accq_len < ls->backlog ? make_sock(SOCK_STREAM, IPPROTO_TCP) : NULL;
	if (!s) {
		inet_tcp_abort(c); /* the queue is full: the peer sees a reset */
		return;
	}
	memcpy(s->owner, ls->owner, sizeof s->owner);
	s->tcp = c;
	s->state = S_CONNECTED;
	struct inet_tcp_addrs a;
	inet_tcp_addrs(c, &a);
	s->local = (struct sock_addr){a.local, a.local_port};
	s->peer = (struct sock_addr){a.remote, a.remote_port};
	s->nodelay = ls->nodelay;
	s->keepalive = ls->keepalive;
	inet_tcp_set(c, &conn_ops, s);
	*ls->accq_tail = s;
	ls->accq_tail = &s->next;
	ls->accq_len++;
	changed(ls);
}

static const struct inet_tcp_ops conn_ops = {
	.connected = tcp_connected,
	.received = tcp_received,
	.sent = tcp_sent,
	.error = tcp_error,
};

static const struct inet_tcp_ops listen_ops = {
	.accepted = tcp_accepted,
	.connected = tcp_connected,
	.received = tcp_received,
	.sent = tcp_sent,
	.error = tcp_error,
};

static void udp_received(struct inet_udp *u, void *arg, const void *data, size_t len, uint32_t from_addr,
			 uint16_t from_port)
{
	struct sock *s = arg;
	(void)u;
	if (s->state == S_CONNECTED && (from_addr != s->peer.addr || from_port != s->peer.port))
		return; /* a connected datagram socket hears only its peer */
	if (s->rd_shut || s->rx_bytes + len > (size_t)s->rcvbuf ||
	    !rx_add(s, data, len, (struct sock_addr){from_addr, from_port})) {
		s->rx_dropped++;
		return;
	}
	s->received += len;
	changed(s);
}

static void icmp_received(struct inet_icmp *e, void *arg, const void *packet, size_t len, uint32_t from)
{
	udp_received(NULL, arg, packet, len, from, 0);
	(void)e;
}

/* ---- creation and the end ---- */

long sock_create(int type, int proto, bool nonblock, struct file **out)
{
	if (type == SOCK_STREAM && proto != IPPROTO_IP && proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (type == SOCK_DGRAM && proto != IPPROTO_IP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (type == SOCK_RAW && proto != IPPROTO_ICMP)
		return -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	if (type == SOCK_RAW) {
		int err = perm_check(proc_current(), CAP_NET_PING, "", "socket");
		if (err)
			return err;
	}
	if (proto == IPPROTO_IP)
		proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	struct sock *s = make_sock(type, proto);
	if (!s)
		return -ENOMEM;
	int err = type == SOCK_RAW ? inet_icmp_open(icmp_received, s, &s->icmp) : 0;
	struct file *f = err ? NULL : file_create(&sock_ops, s, O_RDWR | (nonblock ? O_NONBLOCK : 0));
	if (!f) {
		if (s->icmp)
			inet_icmp_close(s->icmp);
		kfree(s);
		return err ? err : -ENOMEM;
	}
	*out = f;
	return 0;
}

static void destroy(struct sock *s);

static void close_tcp(struct sock *s)
{
	if (s->state == S_LISTENING) {
		while (s->accq) {
			struct sock *c = s->accq;
			s->accq = c->next;
			c->linger_reset = true; /* never accepted: reset, as Linux */
			destroy(c);
		}
		inet_tcp_close(s->tcp);
		return;
	}
	log_effect(s, "close", s->peer);
	if (s->rx_bytes || s->linger_reset)
		inet_tcp_abort(s->tcp); /* unread data: the peer learns it was lost */
	else
		inet_tcp_close(s->tcp);
}

static void destroy(struct sock *s)
{
	for (struct sock **p = &bound; *p; p = &(*p)->bound_next)
		if (*p == s) {
			*p = s->bound_next;
			break;
		}
	if (s->tcp)
		close_tcp(s);
	if (s->udp)
		inet_udp_close(s->udp);
	if (s->icmp)
		inet_icmp_close(s->icmp);
	rx_clear(s);
	kfree(s);
}

static void sock_release(struct file *f)
{
	destroy(f->priv);
}

/* ---- bind, listen, accept, connect ---- */

/* Whether a is an address of ours to bind to (any, or an interface's). */
static bool local_addr(uint32_t a)
{
	if (a == 0 || a == 0x0100007f) /* 127.0.0.1: accepted, nothing arrives there */
		return true;
	struct inet_if_info i;
	for (unsigned n = 0; inet_if_info(n, &i) == 0; n++)
		if (i.bound && i.addr == a)
			return true;
	return false;
}

static int udp_open(struct sock *s, uint16_t port)
{
	int err = inet_udp_open(port, udp_received, s, &s->udp);
	if (err)
		return err;
	s->local.port = inet_udp_port(s->udp);
	if (s->state == S_NEW)
		s->state = S_BOUND;
	return 0;
}

int sock_bind(struct sock *s, struct sock_addr a)
{
	if (s->local.port || s->local.addr || s->state != S_NEW)
		return -EINVAL;
	if (!local_addr(a.addr))
		return -EADDRNOTAVAIL;
	if (a.port) {
		int err = check(CAP_NET_LISTEN, proto_name(s), NULL, a.port, "bind");
		if (err)
			return err;
	}
	int err = s->type == SOCK_DGRAM ? udp_open(s, a.port) : 0;
	if (s->type == SOCK_STREAM && a.port) {
		for (struct sock *b = bound; b && !err; b = b->bound_next)
			if (b->state == S_BOUND && b->local.port == a.port && !(b->reuseaddr && s->reuseaddr))
				err = -EADDRINUSE; /* bound by a socket lwIP knows nothing of yet */
		if (!err)
			err = inet_tcp_port_check(a.port);
		if (!err) {
			s->bound_next = bound;
			bound = s;
		}
	}
	if (err)
		return err;
	s->local.addr = a.addr;
	if (s->type == SOCK_STREAM) {
		s->local.port = a.port;
		s->state = S_BOUND;
	}
	return 0;
}

int sock_listen(struct sock *s, int backlog)
{
	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	backlog = backlog < 1 ? 1 : backlog > BACKLOG_MAX ? BACKLOG_MAX : backlog;
	if (s->state == S_LISTENING) {
		s->backlog = backlog;
		return 0;
	}
	if (s->state != S_NEW && s->state != S_BOUND)
		return -EINVAL;
	if (s->local.port) {
		int err = check(CAP_NET_LISTEN, "tcp", NULL, s->local.port, "listen");
		if (err)
			return err;
	}
	s->backlog = backlog;
	int err = inet_tcp_listen(s->local.port, &listen_ops, s, &s->tcp);
	if (err)
		return err;
	struct inet_tcp_addrs a;
	inet_tcp_addrs(s->tcp, &a);
	if (!s->local.port) { /* an ephemeral port: the check needs the number */
		err = check(CAP_NET_LISTEN, "tcp", NULL, a.local_port, "listen");
		if (err) {
			inet_tcp_close(s->tcp);
			s->tcp = NULL;
			return err;
		}
	}
	s->local.port = a.local_port;
	s->state = S_LISTENING;
	log_effect(s, "listen", s->local);
	return 0;
}

long sock_accept(struct sock *s, bool nonblock, bool new_nonblock, struct file **out, struct sock_addr *peer)
{
	if (s->state != S_LISTENING)
		return -EINVAL;
	uint64_t deadline = deadline_of(s->rcvtimeo_ns);
	while (!s->accq) {
		if (!s->tcp) {
			int e = take_err(s);
			return e ? e : -EINVAL;
		}
		if (nonblock)
			return -EAGAIN;
		int r = wait_change(s, deadline);
		if (r)
			return r;
	}
	struct sock *c = s->accq;
	struct file *f = file_create(&sock_ops, c, O_RDWR | (new_nonblock ? O_NONBLOCK : 0));
	if (!f)
		return -ENOMEM;
	s->accq = c->next;
	if (!s->accq)
		s->accq_tail = &s->accq;
	s->accq_len--;
	c->next = NULL;
	struct proc *self = proc_current();
	if (self)
		memcpy(c->owner, self->name, sizeof c->owner);
	*peer = c->peer;
	*out = f;
	return 0;
}

static int connect_tcp(struct sock *s, const struct sock_addr *to, bool nonblock)
{
	if (s->state == S_CONNECTING)
		return -EALREADY;
	if (s->state == S_CONNECTED)
		return -EISCONN;
	if (s->state == S_LISTENING)
		return -EINVAL;
	if (s->state == S_CLOSED) { /* a failed connect: its error once, then it may try again */
		int e = take_err(s);
		if (e)
			return e;
	}
	if (!to)
		return -EAFNOSUPPORT;
	int err = check(CAP_NET_CONNECT, "tcp", &to->addr, to->port, "connect");
	if (err)
		return err;
	s->peer = *to;
	err = inet_tcp_connect_from(s->local.port, to->addr, to->port, &conn_ops, s, &s->tcp);
	if (err)
		return err == -EHOSTUNREACH ? -ENETUNREACH : err;
	s->state = S_CONNECTING;
	log_effect(s, "connect", *to);
	if (nonblock)
		return -EINPROGRESS;
	uint64_t deadline = deadline_of(s->sndtimeo_ns);
	while (s->state == S_CONNECTING) {
		int r = wait_change(s, deadline);
		if (r)
			return r == -EAGAIN ? -EINPROGRESS : r;
	}
	return s->state == S_CONNECTED ? 0 : take_err(s);
}

static void refresh_local(struct sock *s)
{
	if (s->tcp) {
		struct inet_tcp_addrs a;
		inet_tcp_addrs(s->tcp, &a);
		s->local = (struct sock_addr){a.local, a.local_port};
	}
}

int sock_connect(struct sock *s, const struct sock_addr *to, bool nonblock)
{
	if (s->type == SOCK_STREAM) {
		int err = connect_tcp(s, to, nonblock);
		refresh_local(s);
		return err;
	}
	if (!to) { /* AF_UNSPEC: forget the peer */
		if (s->state == S_CONNECTED)
			s->state = s->local.port || s->icmp ? S_BOUND : S_NEW;
		s->peer = (struct sock_addr){0};
		return 0;
	}
	if (s->type == SOCK_DGRAM && !s->udp) {
		int err = udp_open(s, 0);
		if (err)
			return err;
	}
	s->peer = *to;
	s->state = S_CONNECTED;
	if (!s->local.addr)
		s->local.addr = inet_route_source(to->addr);
	return 0;
}

/* ---- sending ---- */

static long send_tcp(struct sock *s, const void *buf, size_t len, int flags, bool nonblock)
{
	uint64_t deadline = deadline_of(s->sndtimeo_ns);
	while (s->state == S_CONNECTING) {
		if (nonblock)
			return -EAGAIN;
		int r = wait_change(s, deadline);
		if (r)
			return r;
	}
	size_t done = 0;
	while (done < len) {
		int e = take_err(s);
		if (e)
			return done ? (long)done : e;
		if (s->state != S_CONNECTED || s->wr_shut || !s->tcp) {
			if (done)
				return (long)done;
			epipe(flags);
			return -EPIPE;
		}
		long n = inet_tcp_write(s->tcp, (const char *)buf + done, len - done);
		if (n < 0)
			return done ? (long)done : n;
		done += (size_t)n;
		s->sent += (size_t)n;
		if (n > 0)
			continue;
		if (nonblock)
			return done ? (long)done : -EAGAIN;
		int r = wait_change(s, deadline);
		if (r)
			return done ? (long)done : r;
	}
	return (long)done;
}

/* A datagram to `to`: checked, logged when the destination is new. */
static long send_datagram(struct sock *s, const void *buf, size_t len, int flags, struct sock_addr to)
{
	if (s->wr_shut) {
		epipe(flags);
		return -EPIPE;
	}
	if (s->type == SOCK_RAW) { /* net.ping: echo requests only */
		const uint8_t *m = buf;
		if (len < 8 || m[0] != 8 /* ICMP_ECHO */ || m[1] != 0)
			return -EPERM;
		int err = inet_icmp_sendto(s->icmp, buf, len, to.addr);
		return err ? err : (long)len;
	}
	if (len > INET_UDP_MAX)
		return -EMSGSIZE;
	if (!to.port)
		return -EINVAL;
	int err = check(CAP_NET_SEND, "udp", &to.addr, to.port, "sendto");
	if (err)
		return err;
	if (!s->udp && (err = udp_open(s, 0)) != 0)
		return err;
	if (to.addr == 0xffffffff && !s->broadcast)
		return -EACCES;
	if (s->logged.addr != to.addr || s->logged.port != to.port) {
		log_effect(s, "send", to);
		s->logged = to;
	}
	err = inet_udp_sendto(s->udp, buf, len, to.addr, to.port);
	if (err)
		return err == -EHOSTUNREACH ? -ENETUNREACH : err;
	s->sent += len;
	return (long)len;
}

long sock_send(struct sock *s, const void *buf, size_t len, int flags, const struct sock_addr *to,
	       bool nonblock)
{
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_STREAM) {
		if (s->state != S_CONNECTED && s->state != S_CONNECTING) {
			int e = take_err(s);
			if (e)
				return e;
			epipe(flags);
			return -EPIPE;
		}
		return send_tcp(s, buf, len, flags, nonblock);
	}
	if (!to && s->state != S_CONNECTED)
		return -EDESTADDRREQ;
	return send_datagram(s, buf, len, flags, to ? *to : s->peer);
}

/* ---- receiving ---- */

/* Whether a read would not block now. */
static bool readable(const struct sock *s)
{
	return s->rx || s->err || s->rd_eof || s->rd_shut ||
	       (s->type == SOCK_STREAM && s->state != S_CONNECTED && s->state != S_CONNECTING);
}

/* Takes (or with MSG_PEEK copies) up to len bytes from rx; the window
 * reopens by what was taken. */
static long recv_stream(struct sock *s, void *buf, size_t len, int flags)
{
	size_t done = 0;
	struct chunk *c = s->rx;
	size_t off = c ? c->off : 0;
	while (c && done < len) {
		size_t n = MIN(len - done, c->len - off);
		memcpy((char *)buf + done, c->data + off, n);
		done += n;
		if (flags & MSG_PEEK) {
			c = c->next;
			off = 0;
			continue;
		}
		c->off += n;
		s->rx_bytes -= n;
		if (c->off == c->len)
			rx_pop(s);
		c = s->rx;
		off = c ? c->off : 0;
	}
	if (done && !(flags & MSG_PEEK) && s->tcp)
		inet_tcp_consumed(s->tcp, done);
	return (long)done;
}

static long recv_datagram(struct sock *s, void *buf, size_t len, int flags, struct sock_addr *from,
			  int *flags_out)
{
	struct chunk *c = s->rx;
	size_t n = MIN(len, c->len);
	memcpy(buf, c->data, n);
	if (from)
		*from = c->from;
	long r = (long)((flags & MSG_TRUNC) ? c->len : n);
	if (c->len > len)
		*flags_out |= MSG_TRUNC;
	if (!(flags & MSG_PEEK))
		rx_pop(s);
	return r;
}

long sock_recv(struct sock *s, void *buf, size_t len, int flags, struct sock_addr *from, int *flags_out,
	       bool nonblock)
{
	*flags_out = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_STREAM && (s->state == S_NEW || s->state == S_BOUND || s->state == S_LISTENING))
		return -ENOTCONN;
	uint64_t deadline = deadline_of(s->rcvtimeo_ns);
	size_t done = 0;
	for (;;) {
		if (s->rx && s->type != SOCK_STREAM)
			return recv_datagram(s, buf, len, flags, from, flags_out);
		if (s->rx) {
			done += (size_t)recv_stream(s, (char *)buf + done, len - done, flags);
			if (from)
				*from = s->peer;
			if (done == len || !(flags & MSG_WAITALL) || (flags & MSG_PEEK))
				return (long)done;
		}
		if (done && (s->err || s->rd_eof))
			return (long)done;
		int e = take_err(s);
		if (e)
			return e;
		if (readable(s) || (len == 0 && s->type == SOCK_STREAM))
			return (long)done;
		if (nonblock)
			return done ? (long)done : -EAGAIN;
		int r = wait_change(s, deadline);
		if (r)
			return done ? (long)done : r;
	}
}

/* ---- shutdown, names, options ---- */

int sock_shutdown(struct sock *s, int how)
{
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (s->state != S_CONNECTED && s->state != S_CONNECTING) {
		if (s->state != S_LISTENING)
			return -ENOTCONN;
		return 0;
	}
	if (how != SHUT_WR) {
		s->rd_shut = true;
		if (s->tcp && s->rx_bytes)
			inet_tcp_consumed(s->tcp, s->rx_bytes);
		rx_clear(s);
	}
	if (how != SHUT_RD && !s->wr_shut) {
		s->wr_shut = true;
		if (s->tcp)
			inet_tcp_shutdown(s->tcp);
	}
	changed(s);
	return 0;
}

int sock_name(struct sock *s, bool peer, struct sock_addr *out)
{
	if (peer) {
		if (s->state != S_CONNECTED &&
		    !(s->type == SOCK_STREAM && s->state == S_CLOSED && s->peer.port))
			return -ENOTCONN;
		*out = s->peer;
		return 0;
	}
	if (s->tcp && s->state != S_LISTENING)
		refresh_local(s);
	*out = s->local;
	return 0;
}

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define IP_TOS 1
#define IP_TTL 2
#define IP_RECVERR 11

struct k_timeval {
	int64_t sec, usec;
};

static int int_opt(const void *val, size_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof *out);
	return 0;
}

static int timeo_opt(const void *val, size_t len, uint64_t *out)
{
	struct k_timeval tv;
	if (len < sizeof tv)
		return -EINVAL;
	memcpy(&tv, val, sizeof tv);
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	if (tv.sec < 0)
		tv = (struct k_timeval){0};
	*out = MIN((uint64_t)tv.sec, 1ull << 32) * NS_PER_SEC + (uint64_t)tv.usec * NS_PER_US;
	return 0;
}

static int set_socket_opt(struct sock *s, int name, const void *val, size_t len)
{
	int v;
	if (name == SO_RCVTIMEO)
		return timeo_opt(val, len, &s->rcvtimeo_ns);
	if (name == SO_SNDTIMEO)
		return timeo_opt(val, len, &s->sndtimeo_ns);
	if (name == SO_LINGER) {
		int l[2];
		if (len < sizeof l)
			return -EINVAL;
		memcpy(l, val, sizeof l);
		s->linger_reset = l[0] && l[1] == 0;
		return 0;
	}
	int err = int_opt(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case SO_REUSEADDR: s->reuseaddr = v; return 0;
	case SO_BROADCAST: s->broadcast = v; return 0;
	case SO_KEEPALIVE:
		s->keepalive = v;
		if (s->tcp && s->state == S_CONNECTED)
			inet_tcp_option(s->tcp, INET_TCP_KEEPALIVE, v);
		return 0;
	case SO_RCVBUF: s->rcvbuf = MAX(MIN(v, 1 << 24), 256) * 2; return 0; /* Linux doubles it */
	case SO_SNDBUF: s->sndbuf = MAX(MIN(v, 1 << 24), 256) * 2; return 0;
	case SO_REUSEPORT:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
	case SO_RCVLOWAT:
	case SO_SNDLOWAT: return 0; /* accepted; no effect here */
	default: return -ENOPROTOOPT;
	}
}

int sock_setopt(struct sock *s, int level, int name, const void *val, size_t len)
{
	int v;
	if (level == SOL_SOCKET)
		return set_socket_opt(s, name, val, len);
	if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
		int err = int_opt(val, len, &v);
		if (err)
			return err;
		if (name == TCP_NODELAY) {
			s->nodelay = v;
			if (s->tcp && s->state == S_CONNECTED)
				inet_tcp_option(s->tcp, INET_TCP_NODELAY, v);
			return 0;
		}
		if (name == TCP_MAXSEG || name == TCP_KEEPIDLE || name == TCP_KEEPINTVL ||
		    name == TCP_KEEPCNT)
			return v < 1 ? -EINVAL : 0; /* accepted; lwIP's own values stay */
		return -ENOPROTOOPT;
	}
	if (level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL || name == IP_RECVERR))
		return int_opt(val, len, &v); /* accepted; lwIP's own values stay */
	return -ENOPROTOOPT;
}

static int get_socket_opt(struct sock *s, int name, int *v)
{
	switch (name) {
	case SO_TYPE: *v = s->type; return 0;
	case SO_ERROR: *v = -take_err(s); return 0;
	case SO_REUSEADDR: *v = s->reuseaddr; return 0;
	case SO_BROADCAST: *v = s->broadcast; return 0;
	case SO_KEEPALIVE: *v = s->keepalive; return 0;
	case SO_RCVBUF: *v = s->rcvbuf; return 0;
	case SO_SNDBUF: *v = s->sndbuf; return 0;
	case SO_ACCEPTCONN: *v = s->state == S_LISTENING; return 0;
	case SO_PROTOCOL: *v = s->proto; return 0;
	case SO_DOMAIN: *v = AF_INET; return 0;
	case SO_REUSEPORT:
	case SO_DONTROUTE:
	case SO_OOBINLINE: *v = 0; return 0;
	case SO_RCVLOWAT:
	case SO_SNDLOWAT: *v = 1; return 0;
	default: return -ENOPROTOOPT;
	}
}

int sock_getopt(struct sock *s, int level, int name, void *val, size_t *len)
{
	int v = 0, err = -ENOPROTOOPT;
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
		struct k_timeval tv = {(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC / NS_PER_US)};
		*len = MIN(*len, sizeof tv);
		memcpy(val, &tv, *len);
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_LINGER) {
		int l[2] = {s->linger_reset, 0};
		*len = MIN(*len, sizeof l);
		memcpy(val, l, *len);
		return 0;
	}
	if (level == SOL_SOCKET)
		err = get_socket_opt(s, name, &v);
	else if (level == IPPROTO_TCP && s->type == SOCK_STREAM && name == TCP_NODELAY)
		v = s->nodelay, err = 0;
	else if (level == IPPROTO_TCP && s->type == SOCK_STREAM && name == TCP_MAXSEG)
		v = 1460, err = 0;
	else if (level == IPPROTO_IP && name == IP_TTL)
		v = 255, err = 0; /* lwIP's IP_DEFAULT_TTL */
	if (err)
		return err;
	*len = MIN(*len, sizeof v);
	memcpy(val, &v, *len);
	return 0;
}

/* ---- the file ---- */

static long sock_read(struct file *f, void *buf, size_t len)
{
	int fl;
	return sock_recv(f->priv, buf, len, 0, NULL, &fl, f->flags & O_NONBLOCK);
}

static long sock_write(struct file *f, const void *buf, size_t len)
{
	return sock_send(f->priv, buf, len, 0, NULL, f->flags & O_NONBLOCK);
}

/* Readiness as Linux's tcp_poll and datagram_poll say it. */
static unsigned sock_poll(struct file *f)
{
	struct sock *s = f->priv;
	unsigned err = s->err ? POLLERR : 0;
	if (s->state == S_LISTENING)
		return s->accq ? POLLIO : 0;
	if (s->type != SOCK_STREAM)
		return POLLWR | err | (s->rx || s->err || s->rd_shut ? POLLIO : 0);
	switch (s->state) {
	case S_NEW:
	case S_BOUND: return POLLWR | POLLHUP;
	case S_CONNECTING: return 0;
	case S_CLOSED: return POLLIO | POLLRDHUP | POLLHUP | POLLWR | err;
	default: break;
	}
	unsigned ev = err;
	if (s->rx || s->rd_eof || s->rd_shut)
		ev |= POLLIO;
	if (s->rd_eof || s->rd_shut)
		ev |= POLLRDHUP;
	if (s->wr_shut || (s->tcp && inet_tcp_sendable(s->tcp) > 0))
		ev |= POLLWR;
	if ((s->rd_eof || s->rd_shut) && s->wr_shut)
		ev |= POLLHUP;
	return ev;
}

static int sock_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFSOCK | 0777;
	st->st_ino = (uint64_t)(uintptr_t)f->priv;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops sock_ops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.stat = sock_stat,
	.release = sock_release,
};
