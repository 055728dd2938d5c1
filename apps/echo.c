/*
 * echo - the echo protocol (RFC 862) on UDP and TCP port 7, as a handler.
 *
 * Each datagram goes back to its sender; each connection's bytes go back on
 * it, and it is closed when the peer closes. Every answer is an effect of
 * the run: it leaves when the run commits, and a run that rolls back sends
 * nothing (its event is retried). A datagram that fits in the event is
 * answered from the event itself (no copy, no page of ours dirtied); longer
 * data is read into buf with optios_net_recv.
 */
#include <stdio.h>

#include <optios/handler.h>

static char buf[64 * 1024]; /* a DATA event's most (kernel/handler/netev.c) */

/* The event's data, whole: from the event, or read into buf; NULL on error. */
static const void *data_of(const struct optios_net_event *ne)
{
	if (ne->inline_len == ne->len)
		return ne->data;
	if (ne->len > sizeof buf || optios_net_recv(buf, ne->len, 0) != (long)ne->len)
		return NULL;
	return buf;
}

void on_event(const struct optios_event *ev)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne)
		return;
	if (ne->kind == OPTIOS_NET_CLOSE) {
		if (!(ne->flags & OPTIOS_NET_RESET))
			optios_net_close(ne->conn);
		return;
	}
	if (ne->kind != OPTIOS_NET_DATAGRAM && ne->kind != OPTIOS_NET_DATA)
		return; /* OPEN: nothing to say yet */
	const void *data = data_of(ne);
	if (!data || optios_net_reply(ev, data, ne->len) < 0)
		perror("echo");
}
