/*
 * <optios/handler.h> - writing a handler with the OptiOS SDK.
 *
 * A handler is a program that runs only when an event arrives. Write:
 *
 *     #include <optios/handler.h>
 *     static int count;                       // globals persist run to run
 *     void on_init(void) { ... }              // optional: runs once, before
 *                                             // the base snapshot is taken
 *     void on_event(const struct optios_event *ev) { count++; printf(...); }
 *
 * and a manifest beside it (NAME.manifest; format in <optios/abi/manifest.h>
 * and docs/ABI.md). The SDK supplies main() (sdk/lib/handler_main.c): it calls
 * on_init, then loops forever: wait for the next event, call on_event. Each
 * call of on_event is one run: if it returns, the memory it changed and its
 * effects (files written, events emitted, lines printed) are kept; if it
 * faults, exceeds its CPU budget or calls exit, all of it is undone.
 *
 * Inside a run: time() and clock_gettime() return the event's time; calls
 * that would block or sleep fail (EAGAIN); stdout and stderr go to the event
 * log (read it with `log`); files opened in a run are closed when it ends.
 */
#ifndef OPTIOS_SDK_HANDLER_H
#define OPTIOS_SDK_HANDLER_H

#include <errno.h>
#include <optios.h>
#include <optios/abi/event.h>
#include <optios/abi/handler.h>

/* The author's functions. on_init may be left out. */
void on_event(const struct optios_event *ev);
void on_init(void) __attribute__((weak));

/*
 * Network events (include/optios/abi/net.h, docs/NETWORK.md "Handlers on
 * the network"). A net:udp:PORT or net:tcp:PORT event's payload is a struct
 * optios_net_event; answers are effects of the run, sent when it commits:
 *
 *     void on_event(const struct optios_event *ev)
 *     {
 *             const struct optios_net_event *ne = optios_net_event(ev);
 *             char buf[2048];
 *             long n = ne ? optios_net_data(ev, buf, sizeof buf) : -1;
 *             if (n >= 0 && (ne->kind == OPTIOS_NET_DATAGRAM || ne->kind == OPTIOS_NET_DATA))
 *                     optios_net_reply(ev, buf, (unsigned long)n);
 *     }
 */

/* ev's network record, or NULL when ev is not a net: event. */
static inline const struct optios_net_event *optios_net_event(const struct optios_event *ev)
{
	if (ev->payload_len < OPTIOS_NET_HEADER || __builtin_strncmp(ev->topic, "net:", 4) != 0)
		return 0;
	return (const struct optios_net_event *)(const void *)ev->payload;
}

/* Copies ev's data (from its inline bytes when they are all of it, else
 * through optios_net_recv) into buf, at most cap bytes: how many, or -1
 * with errno. Data longer than cap: the first cap bytes (read the rest with
 * optios_net_recv at an offset). */
static inline long optios_net_data(const struct optios_event *ev, void *buf, unsigned long cap)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne) {
		errno = EINVAL;
		return -1;
	}
	if (ne->inline_len == ne->len) {
		unsigned long n = ne->len < cap ? ne->len : cap;
		__builtin_memcpy(buf, ne->data, n);
		return (long)n;
	}
	return optios_net_recv(buf, cap, 0);
}

/* Answers the event being handled: a datagram back to the peer of a
 * net:udp event (from its port: needs net.reply:udp:PORT), or bytes on the
 * connection of a net:tcp event (net.reply:tcp:PORT). len or -1. */
static inline long optios_net_reply(const struct optios_event *ev, const void *data, unsigned long len)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne) {
		errno = EINVAL;
		return -1;
	}
	struct optios_net_send s = {.proto = ne->conn ? OPTIOS_NET_TCP : OPTIOS_NET_UDP,
				    .conn = ne->conn,
				    .addr = ne->peer_addr,
				    .port = ne->peer_port};
	return optios_net_send(&s, data, len);
}

/* A datagram to addr:port (addr in network byte order) from a port of the
 * kernel's choosing, or from the net:udp event's port when handling one:
 * needs net.send:udp:HOST:PORT. */
static inline long optios_net_sendto(uint32_t addr, uint16_t port, const void *data, unsigned long len)
{
	struct optios_net_send s = {.proto = OPTIOS_NET_UDP, .addr = addr, .port = port};
	return optios_net_send(&s, data, len);
}

/* Bytes on a connection, then (close) its close; or a reset (abort). */
static inline long optios_net_write(uint64_t conn, const void *data, unsigned long len)
{
	struct optios_net_send s = {.proto = OPTIOS_NET_TCP, .conn = conn};
	return optios_net_send(&s, data, len);
}

static inline long optios_net_close(uint64_t conn)
{
	struct optios_net_send s = {.proto = OPTIOS_NET_TCP, .flags = OPTIOS_NET_CLOSE_AFTER, .conn = conn};
	return optios_net_send(&s, 0, 0);
}

static inline long optios_net_abort(uint64_t conn)
{
	struct optios_net_send s = {.proto = OPTIOS_NET_TCP, .flags = OPTIOS_NET_ABORT, .conn = conn};
	return optios_net_send(&s, 0, 0);
}

#endif
