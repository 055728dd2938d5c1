/*
 * tcp.c - TCP endpoints for the kernel (inet.h): listeners and connections
 * over lwIP's raw TCP API, for a socket layer and net:tcp handler events.
 *
 * The window is the owner's: received data is handed to ops->received and
 * the receive window reopens only when the owner calls inet_tcp_consumed
 * (lwIP's tcp_recved) - for a handler, when its run commits. An owner that
 * stops consuming stops the peer (back-pressure) instead of losing data.
 *
 * Lifetimes. A struct inet_tcp is allocated here and freed here, exactly
 * once: by inet_tcp_close (the owner gives it up; lwIP finishes the close
 * alone, its callbacks then see a NULL arg and drop what comes), or after
 * ops->error (lwIP has already freed the pcb: reset, aborted, out of
 * memory; the owner must forget the pointer when error returns). A
 * listener's accepted connection starts with the listener's ops and arg;
 * the owner may change them with inet_tcp_set inside `accepted`. An owner
 * may close or abort a connection from inside that connection's own
 * callback: lwIP is then in the middle of a call on the pcb, so the end is
 * carried out when the callback returns (bytes of the same delivery not
 * yet handed over are dropped, their window reopened).
 */
#include "lwip/opt.h"

#include "lwip/tcp.h"

#include <optios/abi/errno.h>

#include "kernel/inet/inet.h"
#include "kernel/inet/inet_internal.h"
#include "kernel/mm/mm.h"
#include "lib/lib.h"

_Static_assert(TCP_WND == INET_TCP_WINDOW, "inet.h's window is lwipopts.h's");

struct inet_tcp {
	struct tcp_pcb *pcb;
	const struct inet_tcp_ops *ops;
	void *arg;
	/* Inside one of its callbacks (lwIP is then inside a call on pcb): a
	 * close or abort the owner asks for is recorded in `end` and done by
	 * the callback's wrapper once the owner's callback returns. */
	bool in_callback;
	enum { END_NONE, END_CLOSE, END_ABORT } end;
};

static bool end_now(struct inet_tcp *t, bool abort);

/* After the owner's callback: carries out a close or abort it asked for.
 * Returns the err_t the lwIP callback must return (ERR_ABRT once the pcb
 * was aborted, which lwIP requires). */
static err_t callback_done(struct inet_tcp *t)
{
	t->in_callback = false;
	if (t->end == END_NONE)
		return ERR_OK;
	return end_now(t, t->end == END_ABORT) ? ERR_ABRT : ERR_OK;
}

static int errno_of(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: return -ENOMEM;
	case ERR_RTE: return -EHOSTUNREACH;
	case ERR_USE: return -EADDRINUSE;
	case ERR_RST: return -ECONNRESET;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_CLSD: return -ENOTCONN;
	default: return -EIO;
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct inet_tcp *t = arg;
	(void)err;
	if (!t) { /* the owner closed it: drop what comes, keep the window open */
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	t->in_callback = true;
	if (!p)
		t->ops->received(t, t->arg, NULL, 0); /* the peer closed its side */
	for (struct pbuf *q = p; q && t->end == END_NONE; q = q->next)
		t->ops->received(t, t->arg, q->payload, q->len);
	if (p && t->end != END_NONE)
		tcp_recved(pcb, p->tot_len); /* what the closed owner never saw */
	if (p)
		pbuf_free(p);
	return callback_done(t);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct inet_tcp *t = arg;
	(void)pcb;
	if (!t || !t->ops->sent)
		return ERR_OK;
	t->in_callback = true;
	t->ops->sent(t, t->arg, len);
	return callback_done(t);
}

static void on_err(void *arg, err_t err)
{
	struct inet_tcp *t = arg;
	if (!t)
		return;
	t->pcb = NULL; /* lwIP freed it */
	if (t->ops->error)
		t->ops->error(t, t->arg, errno_of(err));
	kfree(t);
}

static void hook(struct inet_tcp *t)
{
	tcp_arg(t->pcb, t);
	tcp_recv(t->pcb, on_recv);
	tcp_sent(t->pcb, on_sent);
	tcp_err(t->pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_tcp *l = arg;
	if (err != ERR_OK || !pcb || !l)
		return ERR_VAL;
	struct inet_tcp *t = kzalloc(sizeof *t);
	if (!t) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	*t = (struct inet_tcp){.pcb = pcb, .ops = l->ops, .arg = l->arg};
	hook(t);
	if (!t->ops->accepted)
		return ERR_OK;
	t->in_callback = true;
	t->ops->accepted(l, t, l->arg);
	return callback_done(t);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_tcp *t = arg;
	(void)pcb;
	if (!t || !t->ops->connected)
		return ERR_OK;
	t->in_callback = true;
	t->ops->connected(t, t->arg, errno_of(err));
	return callback_done(t);
}

int inet_tcp_listen(uint16_t port, const struct inet_tcp_ops *ops, void *arg, struct inet_tcp **out)
{
	struct inet_tcp *l = kzalloc(sizeof *l);
	if (!l)
		return -ENOMEM;
	inet_enter();
	int err = 0;
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb)
		err = -ENOMEM;
	else if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK)
		err = -EADDRINUSE;
	else if (!(l->pcb = tcp_listen(pcb))) /* frees pcb when it succeeds */
		err = -ENOMEM;
	if (err) {
		if (pcb && !l->pcb)
			tcp_close(pcb);
		kfree(l);
	} else {
		l->ops = ops;
		l->arg = arg;
		tcp_arg(l->pcb, l);
		tcp_accept(l->pcb, on_accept);
		*out = l;
	}
	inet_leave();
	return err;
}

int inet_tcp_connect(uint32_t addr, uint16_t port, const struct inet_tcp_ops *ops, void *arg,
		     struct inet_tcp **out)
{
	struct inet_tcp *t = kzalloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	inet_enter();
	int err = 0;
	t->pcb = tcp_new();
	t->ops = ops;
	t->arg = arg;
	if (!t->pcb) {
		err = -ENOMEM;
	} else {
		hook(t);
		ip_addr_t to = IPADDR4_INIT(addr);
		err = errno_of(tcp_connect(t->pcb, &to, port, on_connected));
		if (err) {
			tcp_arg(t->pcb, NULL);
			tcp_abort(t->pcb);
		}
	}
	if (err)
		kfree(t);
	else
		*out = t;
	inet_leave();
	return err;
}

void inet_tcp_set(struct inet_tcp *t, const struct inet_tcp_ops *ops, void *arg)
{
	t->ops = ops;
	t->arg = arg;
}

size_t inet_tcp_sendable(const struct inet_tcp *t)
{
	return t->pcb ? tcp_sndbuf(t->pcb) : 0;
}

void inet_tcp_peer(const struct inet_tcp *t, uint32_t *addr, uint16_t *port)
{
	*addr = t->pcb ? ip4_addr_get_u32(ip_2_ip4(&t->pcb->remote_ip)) : 0;
	*port = t->pcb ? t->pcb->remote_port : 0;
}

long inet_tcp_write(struct inet_tcp *t, const void *data, size_t len)
{
	if (!t->pcb)
		return -ENOTCONN;
	inet_enter();
	size_t n = tcp_sndbuf(t->pcb);
	n = len < n ? len : n;
	long r = (long)n;
	if (n) {
		err_t e = tcp_write(t->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM)
			r = 0; /* the queue is full: try again after a `sent` */
		else if (e != ERR_OK)
			r = errno_of(e);
		else
			tcp_output(t->pcb);
	}
	inet_leave();
	return r;
}

void inet_tcp_consumed(struct inet_tcp *t, size_t n)
{
	if (!t->pcb)
		return;
	inet_enter();
	while (n) {
		u16_t k = (u16_t)(n < 0xffff ? n : 0xffff);
		tcp_recved(t->pcb, k);
		n -= k;
	}
	inet_leave();
}

/* Closes or aborts t's pcb and frees t; whether the pcb was aborted (a
 * close lwIP could not queue becomes a reset). */
static bool end_now(struct inet_tcp *t, bool abort)
{
	if (t->pcb) {
		tcp_arg(t->pcb, NULL);
		if (!abort && t->pcb->state != LISTEN)
			tcp_sent(t->pcb, NULL);
		if (!abort && tcp_close(t->pcb) != ERR_OK)
			abort = true;
		if (abort)
			tcp_abort(t->pcb); /* a reset: on_err sees no arg; freed now */
	}
	kfree(t);
	return abort;
}

static void end(struct inet_tcp *t, bool abort)
{
	if (t->in_callback) { /* its wrapper ends it when the callback returns */
		if (t->end != END_ABORT)
			t->end = abort ? END_ABORT : END_CLOSE;
		return;
	}
	inet_enter();
	end_now(t, abort);
	inet_leave();
}

void inet_tcp_abort(struct inet_tcp *t)
{
	end(t, true);
}

void inet_tcp_close(struct inet_tcp *t)
{
	end(t, false);
}
