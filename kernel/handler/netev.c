/*
 * netev.c - network events for handlers (net:udp:PORT, net:tcp:PORT) and
 * the sends that answer them, staged as effects of the run (ABI:
 * include/optios/abi/net.h; guide: docs/NETWORK.md "Handlers on the network").
 *
 * Theory of operation. A handler's subscription to net:udp:P or net:tcp:P is
 * a *binding*: while the handler is registered and not quarantined, the
 * kernel holds UDP port P open / listens on TCP port P for it (kernel/inet),
 * and the stack's callbacks (the network work loop) raise the events for
 * that one subscription (event_raise_to: point to point, not by pattern).
 *
 *   UDP   each datagram is one DATAGRAM event; the first 224 bytes travel in
 *         the event, a longer datagram is also kept here (dgrams, by event
 *         seq) until its event is settled. A full queue drops the datagram,
 *         counted in the subscription as for any event.
 *   TCP   a connection (struct nconn) keeps the bytes received and not yet
 *         consumed, rbuf = stream bytes [base, base + rlen). Its events are
 *         raised only when the queue has room (else the connection waits in
 *         its binding's `waiting` list until a settle makes room), in order:
 *         OPEN, then DATA [announced, base + rlen) with at most one DATA
 *         event outstanding (data_inflight), then CLOSE once the peer closed
 *         and every byte was announced. Nothing is ever dropped or coalesced.
 *
 * Effects. optios_net_send stages a struct neffect on the current run's list
 * (staged). At commit (netev_commit) the list moves to `held`, with the
 * consumption of the run's DATA event (the window reopens by its bytes) or,
 * after a CLOSE event, the kernel's own close; at the output gate's release
 * (netev_release: at once in memory, after the flush with a disk) the held
 * effects are carried out in order. A rolled-back run's staged list is freed
 * (netev_rollback): it sends nothing, and its DATA event, retried, finds its
 * bytes still in rbuf. A DATA event that is lost (a dead letter, let go)
 * resets its connection.
 *
 * Lifetimes. A binding lives from netev_bind to netev_unbind (quarantine,
 * removal), which closes its port, aborts its connections and frees what
 * it holds. An nconn is freed when its stack connection is gone (closed by
 * us or by the peer: tcp NULL), no event of it is outstanding and its
 * backlog is empty; events and effects name it by id (looked up in
 * conn_hash), so a stale id finds nothing and fails softly (ENOTCONN).
 *
 * Memory (kernel heap, beside the stack's net.memory_kib): a connection
 * buffers at most its window unconsumed (the stack accepts no more) and its
 * backlog (OPTIOS_NET_BACKLOG); all connections' buffers together stay under
 * MEM_MAX and a binding has at most CONNS_MAX connections: past either a new
 * connection is reset at once (counted, logged once); long datagrams held
 * per binding stay under UDP_HELD_MAX (past it they are dropped, counted in
 * the subscription).
 *
 * Invariants: base <= announced <= base + rlen; data_inflight implies one
 * DATA event of the connection is queued or held; events counts its events
 * raised and not yet settled; a connection is on its binding's waiting list
 * at most once (waiting). All of this runs in kernel context, never in an
 * interrupt handler: the work loop and the runner's system calls, which
 * never run at the same time (the kernel is not preemptible).
 */
#include "kernel/handler/handler_internal.h"

#include <optios/abi/errno.h>
#include <optios/abi/net.h>

#include "kernel/conf/conf.h"
#include "kernel/inet/inet.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/net/net.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/rand/rand.h"
#include "lib/lib.h"

#define UDP_HELD_MAX (1024 * 1024) /* bytes of long datagrams a binding keeps for its events */
#define CONNS_MAX 1024 /* connections of one binding */
#define RBUF_MAX (2 * INET_TCP_WINDOW) /* unconsumed bytes: the window, and room to spare */
#define DATA_MAX (64 * 1024) /* bytes of one DATA event */
#define MEM_MAX (8 * 1024 * 1024) /* bytes of all connections' buffers: past it, new ones are refused */
#define HASH 256

struct nconn;

struct ndgram { /* a long datagram, kept for its event */
	struct ndgram *next;
	uint64_t seq;
	size_t len;
	uint8_t data[];
};

struct nbind {
	struct handler *h;
	struct event_sub *sub;
	uint32_t proto; /* OPTIOS_NET_UDP or OPTIOS_NET_TCP */
	uint16_t port;
	struct inet_udp *udp;
	struct inet_tcp *listener;
	struct ndgram *dgrams;
	size_t dgram_bytes;
	struct nconn *conns;
	size_t nconns;
	struct nconn *waiting, **waiting_tail;
	char topic[24]; /* "net:udp:7" */
	/* net.reply of the port, as the handler's permissions said at generation reply_gen */
	uint64_t reply_gen;
	bool reply_ok;
	uint64_t rx_tsc, rx_seq; /* the last datagram's (udp_echo_handler_instructions) */
	struct nbind *next;
};

struct nconn {
	uint64_t id;
	struct nbind *b;
	struct inet_tcp *tcp; /* NULL: closed by us, or gone */
	uint32_t peer_addr;
	uint16_t peer_port;
	uint8_t *rbuf;
	size_t rcap, rlen;
	uint64_t base, announced;
	bool open_raised, data_inflight, peer_closed, close_raised, reset, closing, waiting;
	unsigned events;
	uint8_t *sbuf; /* the backlog: staged bytes the stack has not taken yet */
	size_t scap, slen;
	struct nconn *next, *hnext, *wnext;
};

enum fx_kind { FX_UDP, FX_WRITE, FX_CLOSE, FX_ABORT, FX_CONSUME };

struct neffect {
	struct neffect *next;
	enum fx_kind kind;
	uint64_t conn;
	uint32_t addr;
	uint16_t port, local_port;
	uint64_t reply_seq; /* FX_UDP: the datagram event it answers (0: none) */
	size_t len;
	uint8_t data[];
};

static struct nbind *binds;
static struct nconn *conn_hash[HASH];
static uint64_t conn_salt, conn_count;
static struct inet_udp *any_udp; /* sends from a port of the kernel's choosing */
static struct neffect *staged, **staged_tail = &staged;
static size_t staged_bytes;
static struct neffect *held, **held_tail = &held;
static size_t mem_used; /* the connections' buffers (rcap + scap of each) */
static uint64_t conns_refused; /* accepted by the stack, reset here: over CONNS_MAX or MEM_MAX */

static void pump(struct nconn *c);

/* ---- topics and bindings ---- */

/* "net:udp:7" -> proto, port; false if not an exact net topic. */
static bool net_topic(const char *t, uint32_t *proto, uint16_t *port)
{
	if (strncmp(t, "net:udp:", 8) == 0)
		*proto = OPTIOS_NET_UDP;
	else if (strncmp(t, "net:tcp:", 8) == 0)
		*proto = OPTIOS_NET_TCP;
	else
		return false;
	const char *d = t + 8;
	unsigned long v = 0;
	size_t n = 0;
	for (; d[n] >= '0' && d[n] <= '9' && n < 6; n++)
		v = v * 10 + (unsigned long)(d[n] - '0');
	if (n == 0 || d[n] || d[0] == '0' || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static const char *proto_name(uint32_t proto)
{
	return proto == OPTIOS_NET_UDP ? "udp" : "tcp";
}

static struct nbind *bind_find(uint32_t proto, uint16_t port)
{
	for (struct nbind *b = binds; b; b = b->next)
		if (b->proto == proto && b->port == port)
			return b;
	return NULL;
}

static struct nbind *bind_of(const struct handler *h, uint32_t proto, uint16_t port)
{
	struct nbind *b = bind_find(proto, port);
	return b && b->h == h ? b : NULL;
}

static struct nconn *conn_find(uint64_t id)
{
	for (struct nconn *c = conn_hash[id % HASH]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- raising events ---- */

static bool room(const struct nbind *b)
{
	return b->sub->q.count < b->sub->q.cap;
}

/* Raises one event of b with header ne and data (inline part); its seq or < 0. */
static int64_t raise(struct nbind *b, struct optios_net_event *ne, const void *data, size_t inline_len)
{
	ne->port = b->port;
	ne->inline_len = (uint16_t)inline_len;
	if (inline_len)
		memcpy(ne->data, data, inline_len);
	return event_raise_to(b->sub, b->topic, "kernel", ne, OPTIOS_NET_HEADER + inline_len, 0);
}

static void udp_recv(struct inet_udp *u, void *arg, const void *data, size_t len, uint32_t from_addr,
		     uint16_t from_port)
{
	(void)u;
	struct nbind *b = arg;
	struct optios_net_event ne = {.kind = OPTIOS_NET_DATAGRAM,
				      .peer_addr = from_addr,
				      .peer_port = from_port,
				      .len = (uint32_t)len};
	size_t in = MIN(len, (size_t)OPTIOS_NET_INLINE_MAX);
	struct ndgram *d = NULL;
	if (!room(b) || (len > in && (b->dgram_bytes + len > UDP_HELD_MAX || !(d = kmalloc(sizeof *d + len))))) {
		event_drop_to(b->sub); /* a full queue, or no room to keep it: dropped, counted */
		return;
	}
	if (d) { /* kept here until its event is settled */
		d->len = len;
		memcpy(d->data, data, len);
	}
	uint64_t tsc = net_rx_tsc();
	int64_t seq = raise(b, &ne, data, in);
	if (seq > 0) {
		b->rx_tsc = tsc;
		b->rx_seq = (uint64_t)seq;
	}
	if (!d)
		return;
	if (seq < 0) {
		kfree(d);
		return;
	}
	d->seq = (uint64_t)seq;
	d->next = b->dgrams;
	b->dgrams = d;
	b->dgram_bytes += len;
}

static void wait_room(struct nconn *c)
{
	if (c->waiting)
		return;
	c->waiting = true;
	c->wnext = NULL;
	*c->b->waiting_tail = c;
	c->b->waiting_tail = &c->wnext;
}

/* Raises kind for c (when b's queue has room): true if raised. */
static bool raise_conn(struct nconn *c, uint8_t kind, uint8_t flags, uint64_t offset, size_t len)
{
	struct nbind *b = c->b;
	if (!room(b)) {
		wait_room(c);
		return false;
	}
	struct optios_net_event ne = {.kind = kind,
				      .flags = flags,
				      .peer_addr = c->peer_addr,
				      .peer_port = c->peer_port,
				      .len = (uint32_t)len,
				      .conn = c->id,
				      .offset = offset};
	const uint8_t *data = len ? c->rbuf + (offset - c->base) : NULL;
	if (raise(b, &ne, data, MIN(len, (size_t)OPTIOS_NET_INLINE_MAX)) < 0)
		return false; /* cannot happen with room; the next pump tries again */
	c->events++;
	return true;
}

/* Raises what c has due, in order, as far as the queue has room. */
static void pump(struct nconn *c)
{
	if (!c->b || c->closing)
		return;
	if (!c->open_raised) {
		if (!raise_conn(c, OPTIOS_NET_OPEN, 0, 0, 0))
			return;
		c->open_raised = true;
	}
	uint64_t end = c->base + c->rlen;
	if (!c->data_inflight && c->announced < end && c->slen <= INET_TCP_WINDOW) {
		size_t n = (size_t)MIN(end - c->announced, (uint64_t)DATA_MAX);
		if (!raise_conn(c, OPTIOS_NET_DATA, 0, c->announced, n))
			return;
		c->announced += n;
		c->data_inflight = true;
	}
	if (c->peer_closed && !c->close_raised && c->announced == end) {
		if (!raise_conn(c, OPTIOS_NET_CLOSE, c->reset ? OPTIOS_NET_RESET : 0, 0, 0))
			return;
		c->close_raised = true;
	}
}

/* The connections of b waiting for room, while there is room. */
static void pump_waiting(struct nbind *b)
{
	while (b->waiting && room(b)) {
		struct nconn *c = b->waiting;
		b->waiting = c->wnext;
		if (!b->waiting)
			b->waiting_tail = &b->waiting;
		c->waiting = false;
		pump(c);
	}
}

/* ---- TCP connections ---- */

static void unwait(struct nconn *c)
{
	struct nbind *b = c->b;
	if (!c->waiting)
		return;
	struct nconn **p = &b->waiting;
	while (*p != c)
		p = &(*p)->wnext;
	*p = c->wnext;
	if (!*p)
		b->waiting_tail = p;
	c->waiting = false;
}

static void conn_free(struct nconn *c)
{
	struct nconn **p = &conn_hash[c->id % HASH];
	while (*p != c)
		p = &(*p)->hnext;
	*p = c->hnext;
	if (c->b) {
		unwait(c);
		for (p = &c->b->conns; *p != c; p = &(*p)->next)
			;
		*p = c->next;
		c->b->nconns--;
	}
	mem_used -= c->rcap + c->scap;
	kfree(c->rbuf);
	kfree(c->sbuf);
	kfree(c);
}

/* Frees c once nothing refers to it any more. */
static void conn_maybe_free(struct nconn *c)
{
	if (!c->tcp && !c->events && !c->slen)
		conn_free(c);
}

/* Hands the backlog to the stack as far as it takes it; closes when asked
 * and the backlog is out. */
static void push(struct nconn *c)
{
	while (c->tcp && c->slen) {
		long n = inet_tcp_write(c->tcp, c->sbuf, c->slen);
		if (n <= 0) {
			if (n < 0)
				c->slen = 0; /* the connection is going: its error callback follows */
			break;
		}
		memmove(c->sbuf, c->sbuf + n, c->slen - (size_t)n);
		c->slen -= (size_t)n;
	}
	if (c->tcp && c->closing && !c->slen) {
		inet_tcp_close(c->tcp);
		c->tcp = NULL;
	}
	if (c->b && c->slen <= INET_TCP_WINDOW)
		pump(c);
}

/* Makes room for need bytes in a connection's buffer, within MEM_MAX. */
static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 2048;
	while (n < need)
		n *= 2;
	if (mem_used - *cap + n > MEM_MAX)
		return false;
	uint8_t *p = krealloc(*buf, n);
	if (!p)
		return false;
	mem_used += n - *cap;
	*buf = p;
	*cap = n;
	return true;
}

static void tcp_received(struct inet_tcp *t, void *arg, const void *data, size_t len)
{
	struct nconn *c = arg;
	if (!len) {
		c->peer_closed = true;
	} else if (c->rlen + len > RBUF_MAX || !grow(&c->rbuf, &c->rcap, c->rlen + len)) {
		evlog_add(OPTIOS_LOG_EFFECT, c->b->h->name, "", 0, -ENOMEM, c->id, c->rlen, 0,
			  "net: connection #%lx reset: no room for its bytes", (unsigned long)c->id);
		inet_tcp_abort(t);
		c->tcp = NULL;
		c->peer_closed = c->reset = true;
	} else {
		memcpy(c->rbuf + c->rlen, data, len);
		c->rlen += len;
	}
	pump(c);
}

static void tcp_sent(struct inet_tcp *t, void *arg, size_t n)
{
	(void)t, (void)n;
	push(arg);
	conn_maybe_free(arg);
}

static void tcp_error(struct inet_tcp *t, void *arg, int err)
{
	(void)t, (void)err;
	struct nconn *c = arg;
	c->tcp = NULL; /* freed by the stack when this returns */
	c->slen = 0;
	if (!c->peer_closed)
		c->reset = true;
	c->peer_closed = true;
	pump(c);
	if (!c->open_raised || c->closing) /* the handler never heard of it, or let it go */
		conn_maybe_free(c);
}

static const struct inet_tcp_ops conn_ops = {.received = tcp_received, .sent = tcp_sent, .error = tcp_error};

static void tcp_accepted(struct inet_tcp *listener, struct inet_tcp *t, void *arg)
{
	(void)listener;
	struct nbind *b = arg;
	struct nconn *c = b->nconns < CONNS_MAX && mem_used < MEM_MAX ? kzalloc(sizeof *c) : NULL;
	if (!c) { /* refused visibly: reset, counted, logged the first time */
		inet_tcp_set(t, &conn_ops, NULL);
		inet_tcp_abort(t);
		if (conns_refused++ == 0)
			klog(KLOG_WARN, "netev: %s: connection refused (%lu open, %lu bytes buffered)",
			     b->topic, (unsigned long)b->nconns, (unsigned long)mem_used);
		return;
	}
	c->id = conn_salt | (++conn_count & 0xffffffffffULL);
	c->b = b;
	c->tcp = t;
	inet_tcp_peer(t, &c->peer_addr, &c->peer_port);
	c->next = b->conns;
	b->conns = c;
	b->nconns++;
	c->hnext = conn_hash[c->id % HASH];
	conn_hash[c->id % HASH] = c;
	inet_tcp_set(t, &conn_ops, c);
	pump(c);
}

static const struct inet_tcp_ops listen_ops = {.accepted = tcp_accepted};

/* ---- binding ports ---- */

static int bind_one(struct handler *h, struct event_sub *s, char *msg, size_t msglen)
{
	uint32_t proto;
	uint16_t port;
	char obj[16];
	if (!net_topic(s->pattern, &proto, &port)) {
		ksnprintf(msg, msglen, "%s: net: events need one exact port (net:udp:7, net:tcp:80)",
			  s->pattern);
		return -EINVAL;
	}
	if (s->q.policy != EVQ_QUEUE) {
		ksnprintf(msg, msglen,
			  "%s: net: events are never coalesced (data must not be lost): use queue",
			  s->pattern);
		return -EINVAL;
	}
	ksnprintf(obj, sizeof obj, "%s:%u", proto_name(proto), port);
	if (!policy_set_allows(h->perm, CAP_NET_LISTEN, obj)) {
		ksnprintf(msg, msglen,
			  "%s asks for %s without net.listen:%s (declare and grant it: policy grant %s "
			  "net.listen:%s)",
			  h->name, s->pattern, obj, h->name, obj);
		evlog_add(OPTIOS_LOG_DENY, h->name, s->pattern, 0, -EACCES, 0, 0, 0,
			  "subscribe net.listen:%s", obj);
		return -EACCES;
	}
	struct nbind *b = kzalloc(sizeof *b);
	if (!b)
		return -ENOMEM;
	*b = (struct nbind){.h = h, .sub = s, .proto = proto, .port = port, .reply_gen = UINT64_MAX};
	b->waiting_tail = &b->waiting;
	ksnprintf(b->topic, sizeof b->topic, "net:%s:%u", proto_name(proto), port);
	int err = bind_find(proto, port)    ? -EADDRINUSE
		  : proto == OPTIOS_NET_UDP ? inet_udp_open(port, udp_recv, b, &b->udp)
					    : inet_tcp_listen(port, &listen_ops, b, &b->listener);
	if (err) {
		kfree(b);
		ksnprintf(msg, msglen, "%s: %s port %u: %s", s->pattern, proto_name(proto), port,
			  err == -EADDRINUSE ? "in use" : "cannot be opened");
		return err;
	}
	b->next = binds;
	binds = b;
	return 0;
}

int netev_bind(struct handler *h, char *msg, size_t msglen)
{
	if (!conn_salt) {
		uint32_t r = 0;
		rand_fill(&r, sizeof r);
		conn_salt = ((uint64_t)(r & 0xffffff) | 1) << 40;
	}
	for (size_t i = 0; i < h->nsubs; i++) {
		if (strncmp(h->subs[i].pattern, "net:", 4) != 0)
			continue;
		int err = bind_one(h, &h->subs[i], msg, msglen);
		if (err) {
			netev_unbind(h);
			return err;
		}
	}
	return 0;
}

void netev_unbind(struct handler *h)
{
	for (struct nbind **p = &binds; *p;) {
		struct nbind *b = *p;
		if (b->h != h) {
			p = &b->next;
			continue;
		}
		*p = b->next;
		if (b->udp)
			inet_udp_close(b->udp);
		if (b->listener)
			inet_tcp_close(b->listener);
		while (b->conns) {
			struct nconn *c = b->conns;
			if (c->tcp)
				inet_tcp_abort(c->tcp);
			c->tcp = NULL;
			conn_free(c);
		}
		while (b->dgrams) {
			struct ndgram *d = b->dgrams;
			b->dgrams = d->next;
			kfree(d);
		}
		kfree(b);
	}
}

/* ---- settling events ---- */

/* ev's record when it is a net event of h's (its binding in *bp). */
static const struct optios_net_event *net_event_of(const struct handler *h, const struct optios_event *ev,
						   struct nbind **bp)
{
	uint32_t proto;
	uint16_t port;
	if (ev->payload_len < OPTIOS_NET_HEADER || !net_topic(ev->topic, &proto, &port))
		return NULL;
	*bp = bind_of(h, proto, port);
	return (const struct optios_net_event *)(const void *)ev->payload;
}

static void dgram_forget(struct nbind *b, uint64_t seq)
{
	for (struct ndgram **p = &b->dgrams; *p; p = &(*p)->next)
		if ((*p)->seq == seq) {
			struct ndgram *d = *p;
			*p = d->next;
			b->dgram_bytes -= d->len;
			kfree(d);
			return;
		}
}

static void hold(struct neffect *e)
{
	e->next = NULL;
	*held_tail = e;
	held_tail = &e->next;
}

static struct neffect *effect_new(enum fx_kind kind, uint64_t conn, size_t len)
{
	struct neffect *e = kzalloc(sizeof *e + len);
	if (e) {
		e->kind = kind;
		e->conn = conn;
		e->len = len;
	}
	return e;
}

static void carry_out(const struct neffect *e);

/* The event ev of h ended: committed (its consumption becomes an effect,
 * held with the run's sends) or lost (a dead letter, let go: a DATA
 * event's connection is reset at once, nothing of it having committed). */
static void settle(struct handler *h, const struct optios_event *ev, bool committed, struct neffect **run_at)
{
	struct nbind *b;
	const struct optios_net_event *ne = net_event_of(h, ev, &b);
	if (!ne || !b)
		return;
	if (ne->kind == OPTIOS_NET_DATAGRAM) {
		dgram_forget(b, ev->seq);
		return;
	}
	struct nconn *c = conn_find(ne->conn);
	if (!c || c->b != b || !c->events)
		return;
	c->events--;
	if (ne->kind == OPTIOS_NET_DATA)
		c->data_inflight = false;
	struct neffect *e = NULL;
	if (committed && ne->kind == OPTIOS_NET_DATA)
		e = effect_new(FX_CONSUME, c->id, ne->len);
	else if (committed && ne->kind == OPTIOS_NET_CLOSE)
		e = effect_new(FX_CLOSE, c->id, 0); /* the kernel's close, after what the run wrote */
	else if (!committed && ne->kind == OPTIOS_NET_DATA)
		e = effect_new(FX_ABORT, c->id, 0); /* a hole in the stream: reset */
	if (e && committed && e->kind == FX_CONSUME && run_at) {
		/* before the run's own effects: its close must find the bytes it
		 * consumed consumed, else lwIP closes a connection with unread
		 * bytes by a reset and the tail of what the run wrote is lost
		 * (system/netapps.close_after_a_big_answer_was_a_reset) */
		e->next = *run_at;
		*run_at = e;
		if (held_tail == run_at)
			held_tail = &e->next;
	} else if (e && committed) {
		hold(e);
	} else if (e) {
		carry_out(e);
		kfree(e);
	}
	if (conn_find(ne->conn)) {
		pump(c);
		conn_maybe_free(c);
	}
	pump_waiting(b);
}

void netev_lost(struct handler *h, const struct optios_event *ev)
{
	settle(h, ev, false, NULL);
}

/* ---- staging and carrying out sends ---- */

void netev_commit(struct handler *h)
{
	struct neffect **run_at = held_tail; /* where the run's effects begin */
	if (staged) {
		*held_tail = staged;
		held_tail = staged_tail;
	}
	staged = NULL;
	staged_tail = &staged;
	staged_bytes = 0;
	settle(h, &h->ev, true, run_at);
}

void netev_rollback(void)
{
	while (staged) {
		struct neffect *e = staged;
		staged = e->next;
		kfree(e);
	}
	staged_tail = &staged;
	staged_bytes = 0;
}

static void effect_failed(const struct neffect *e, int err)
{
	evlog_add(OPTIOS_LOG_EFFECT, "", "", 0, err, e->len, e->conn, 0, "net: a send failed (error %d)",
		  err);
}

static void sink_recv(struct inet_udp *u, void *arg, const void *data, size_t len, uint32_t a, uint16_t p)
{
	(void)u, (void)arg, (void)data, (void)len, (void)a, (void)p;
}

static void do_udp(const struct neffect *e)
{
	struct nbind *b = e->local_port ? bind_find(OPTIOS_NET_UDP, e->local_port) : NULL;
	struct inet_udp *u = b ? b->udp : NULL;
	if (!e->local_port && !any_udp && inet_udp_open(0, sink_recv, NULL, &any_udp) != 0)
		any_udp = NULL;
	if (!e->local_port)
		u = any_udp;
	/* its port closed since the commit (the handler removed): not from another */
	int err = u		  ? inet_udp_sendto(u, e->data, e->len, e->addr, e->port)
		  : e->local_port ? -ENOTCONN
				  : -ENOMEM;
	if (err)
		effect_failed(e, err);
	else if (b && e->reply_seq && e->reply_seq == b->rx_seq && conf_int(CONF_NET_ECHO_TRACE))
		klog(KLOG_INFO, "netev: udp reply: %lu instructions from frame in to frame out",
		     (unsigned long)(rdtsc() - b->rx_tsc));
}

static void carry_out(const struct neffect *e)
{
	if (e->kind == FX_UDP) {
		do_udp(e);
		return;
	}
	struct nconn *c = conn_find(e->conn);
	if (!c)
		return;
	switch (e->kind) {
	case FX_WRITE:
		if (!c->tcp || c->closing || !grow(&c->sbuf, &c->scap, c->slen + e->len)) {
			effect_failed(e, c->tcp && !c->closing ? -ENOMEM : -ENOTCONN);
			break;
		}
		memcpy(c->sbuf + c->slen, e->data, e->len);
		c->slen += e->len;
		push(c);
		break;
	case FX_CLOSE:
		c->closing = true;
		unwait(c);
		push(c);
		break;
	case FX_ABORT:
		if (c->tcp)
			inet_tcp_abort(c->tcp);
		c->tcp = NULL;
		c->slen = 0;
		c->closing = true;
		unwait(c);
		break;
	case FX_CONSUME:
		if (e->len <= c->rlen) {
			memmove(c->rbuf, c->rbuf + e->len, c->rlen - e->len);
			c->rlen -= e->len;
			c->base += e->len;
			if (c->tcp)
				inet_tcp_consumed(c->tcp, e->len);
		}
		break;
	case FX_UDP: break;
	}
	conn_maybe_free(c);
}

void netev_release(void)
{
	while (held) {
		struct neffect *e = held;
		held = e->next;
		if (!held)
			held_tail = &held;
		carry_out(e);
		kfree(e);
	}
}

/* ---- the audit records ---- */

/* Text of an audit record, written by hand: ksnprintf's conversions cost
 * about 2,000 instructions a send, a tenth of a datagram's whole way. */
struct line {
	char *p, *end;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->p < l->end)
		*l->p++ = *s++;
}

static void put_dec(struct line *l, uint64_t v)
{
	char d[20];
	int n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 20);
	while (n && l->p < l->end)
		*l->p++ = d[--n];
}

static void put_hex(struct line *l, uint64_t v)
{
	for (int shift = 60; shift >= 0; shift -= 4)
		if (l->p < l->end && (v >> shift || !shift))
			*l->p++ = "0123456789abcdef"[(v >> shift) & 15];
}

static void put_peer(struct line *l, uint32_t a, uint16_t port)
{
	for (int i = 0; i < 4; i++) {
		put_dec(l, (a >> (8 * i)) & 0xff);
		put_str(l, i < 3 ? "." : ":");
	}
	put_dec(l, port);
}

/* One send's record: "net.send udp 10.0.2.2:40000 from 7: 12 bytes",
 * "net.write tcp #CONN 10.0.2.2:40000: 12 bytes" (net.close, net.abort). */
static void log_effect(const struct handler *h, const struct neffect *e)
{
	struct optios_log_record r = {.kind = OPTIOS_LOG_EFFECT,
				      .event_seq = h->ev.seq,
				      .a = e->len,
				      .b = e->kind == FX_UDP ? e->port : e->conn,
				      .c = e->kind == FX_UDP ? e->local_port : (uint64_t)e->kind};
	struct line l = {r.text, r.text + sizeof r.text - 1};
	memcpy(r.handler, h->name, sizeof r.handler);
	memcpy(r.topic, h->ev.topic, sizeof r.topic);
	if (e->kind == FX_UDP) {
		put_str(&l, "net.send udp ");
		put_peer(&l, e->addr, e->port);
		put_str(&l, " from ");
		put_dec(&l, e->local_port);
	} else {
		put_str(&l, e->kind == FX_WRITE	  ? "net.write tcp #"
			    : e->kind == FX_CLOSE ? "net.close tcp #"
						  : "net.abort tcp #");
		put_hex(&l, e->conn);
		put_str(&l, " ");
		put_peer(&l, e->addr, e->port);
	}
	put_str(&l, ": ");
	put_dec(&l, e->len);
	put_str(&l, " bytes");
	evlog_write(&r);
}

/* The audit records of the run's sends: before its commit is stored. */
void netev_log(struct handler *h)
{
	for (const struct neffect *e = staged; e; e = e->next)
		log_effect(h, e);
}

/* ---- the calls ---- */

static void stage(struct neffect *e)
{
	*staged_tail = e;
	staged_tail = &e->next;
	staged_bytes += e->len;
}

/* The net event h is handling (its binding in *bp), or NULL. */
static const struct optios_net_event *current_net(struct handler *h, struct nbind **bp)
{
	if (!h || h->state != OPTIOS_HANDLER_RUNNING)
		return NULL;
	return net_event_of(h, &h->ev, bp);
}

long sys_optios_net_recv(long ubuf, long len, long off, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	struct handler *h = proc_current()->handler;
	struct nbind *b = NULL;
	const struct optios_net_event *ne = current_net(h, &b);
	if (!ne || !(ne->kind == OPTIOS_NET_DATAGRAM || ne->kind == OPTIOS_NET_DATA) || len < 0 || off < 0)
		return -EINVAL;
	if ((uint64_t)off >= ne->len)
		return 0;
	size_t n = MIN((size_t)len, ne->len - (size_t)off);
	const uint8_t *src = NULL;
	if (ne->len == ne->inline_len) {
		src = ne->data;
	} else if (b && ne->kind == OPTIOS_NET_DATAGRAM) {
		for (struct ndgram *d = b->dgrams; d && !src; d = d->next)
			if (d->seq == h->ev.seq)
				src = d->data;
	} else if (b) {
		struct nconn *c = conn_find(ne->conn);
		if (c && c->b == b && ne->offset >= c->base && ne->offset + ne->len <= c->base + c->rlen)
			src = c->rbuf + (ne->offset - c->base);
	}
	if (!src)
		return -ENOENT;
	return copy_to_user((uptr)ubuf, src + off, n) ? -EFAULT : (long)n;
}

/* May h answer on b's port (net.reply)? The policy's answer, kept while
 * h's permissions stay the same generation (a grant or revoke moves it):
 * a check costs about 6,000 instructions, a datagram's whole way 25,000. */
static bool may_reply(const struct handler *h, struct nbind *b)
{
	if (b->reply_gen != h->perm->generation) {
		char obj[16];
		ksnprintf(obj, sizeof obj, "%s:%u", proto_name(b->proto), b->port);
		b->reply_ok = policy_set_allows(h->perm, CAP_NET_REPLY, obj);
		b->reply_gen = h->perm->generation;
	}
	return b->reply_ok;
}

/* A datagram: checks, then stages it. */
static long send_udp(struct handler *h, const struct optios_net_send *s, long udata, size_t len)
{
	struct proc *p = proc_current();
	struct nbind *b = NULL;
	const struct optios_net_event *ne = current_net(h, &b);
	bool udp_event = ne && ne->kind == OPTIOS_NET_DATAGRAM;
	uint16_t from = s->local_port ? s->local_port : udp_event ? ne->port : 0;
	char obj[40];
	if (s->flags || !s->port || len > OPTIOS_NET_UDP_MAX)
		return len > OPTIOS_NET_UDP_MAX ? -EMSGSIZE : -EINVAL;
	if (from && !bind_of(h, OPTIOS_NET_UDP, from))
		return -EINVAL; /* a port it does not hold */
	bool reply =
		udp_event && b && from == ne->port && s->addr == ne->peer_addr && s->port == ne->peer_port;
	long err;
	if (reply && may_reply(h, b)) {
		perm_pass(p); /* checked: a reply it may make */
		err = 0;
	} else {
		uint32_t a = s->addr;
		ksnprintf(obj, sizeof obj, "udp:%u.%u.%u.%u:%u", a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff,
			  a >> 24, s->port);
		err = perm_check(p, CAP_NET_SEND, obj, NULL);
	}
	if (err)
		return err;
	struct neffect *e = effect_new(FX_UDP, 0, len);
	if (!e)
		return -ENOMEM;
	e->addr = s->addr;
	e->port = s->port;
	e->local_port = from;
	e->reply_seq = reply ? h->ev.seq : 0;
	if (len && copy_from_user(e->data, (uptr)udata, len)) {
		kfree(e);
		return -EFAULT;
	}
	stage(e);
	return (long)len;
}

/* Bytes on a connection, a close or a reset: checks, then stages it. */
static long send_tcp(struct handler *h, const struct optios_net_send *s, long udata, size_t len)
{
	struct nconn *c = conn_find(s->conn);
	if ((s->flags & ~(uint32_t)(OPTIOS_NET_CLOSE_AFTER | OPTIOS_NET_ABORT)) ||
	    s->flags == (OPTIOS_NET_CLOSE_AFTER | OPTIOS_NET_ABORT))
		return -EINVAL;
	if (!c || !c->b || c->b->h != h)
		return -ENOTCONN;
	long err = 0;
	if (may_reply(h, c->b))
		perm_pass(proc_current());
	else if ((err = perm_check(proc_current(), CAP_NET_REPLY, c->b->topic + 4, NULL)))
		return err; /* "tcp:7": the topic without "net:" */
	if (!c->tcp || c->closing)
		return -ENOTCONN;
	if (c->slen + len > OPTIOS_NET_BACKLOG)
		return -EAGAIN;
	struct neffect *e = NULL;
	if (len || !s->flags) {
		if (!(e = effect_new(FX_WRITE, c->id, len)))
			return -ENOMEM;
		if (len && copy_from_user(e->data, (uptr)udata, len)) {
			kfree(e);
			return -EFAULT;
		}
		e->addr = c->peer_addr;
		e->port = c->peer_port;
		stage(e);
	}
	if (s->flags) {
		if (!(e = effect_new(s->flags & OPTIOS_NET_ABORT ? FX_ABORT : FX_CLOSE, c->id, 0)))
			return -ENOMEM;
		e->addr = c->peer_addr;
		e->port = c->peer_port;
		stage(e);
	}
	return (long)len;
}

long sys_optios_net_send(long us, long udata, long len, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	struct handler *h = proc_current()->handler;
	struct optios_net_send s;
	if (!h || h->state != OPTIOS_HANDLER_RUNNING || len < 0)
		return -EINVAL;
	if (copy_from_user(&s, (uptr)us, sizeof s))
		return -EFAULT;
	if ((size_t)len > OPTIOS_NET_RUN_BYTES - staged_bytes)
		return (size_t)len > OPTIOS_NET_UDP_MAX && s.proto == OPTIOS_NET_UDP ? -EMSGSIZE : -EAGAIN;
	if (s.proto == OPTIOS_NET_UDP)
		return send_udp(h, &s, udata, (size_t)len);
	if (s.proto == OPTIOS_NET_TCP)
		return send_tcp(h, &s, udata, (size_t)len);
	return -EINVAL;
}
