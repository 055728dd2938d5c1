/*
 * net.h (ABI) - network events for handlers and the staged sends that answer
 * them: the record a net:udp:PORT / net:tcp:PORT event carries in its
 * payload, and the calls optios_net_recv and optios_net_send (numbers in
 * syscalls.def, 1050-1051). docs/ABI.md "Network events", docs/NETWORK.md
 * "Handlers on the network".
 *
 * A handler whose manifest says `event net:udp:7` (granted event:net:udp:7
 * and net.listen:udp:7) gets one event per datagram arriving at UDP port 7;
 * `event net:tcp:7` (event:net:tcp:7, net.listen:tcp:7) gets an OPEN event
 * per connection accepted on TCP port 7, DATA events with the bytes in
 * order, and a CLOSE event when the peer closed or reset it. The payload of
 * such an event is a struct optios_net_event: a 32-byte header, then the
 * first bytes of the data (all of it when it fits: len == inline_len).
 *
 * long optios_net_recv(void *buf, unsigned long len, unsigned long offset)
 * Copies bytes [offset, offset + len) of the data of the event being
 * handled (a datagram, or a DATA event's chunk; clipped to its end) into
 * buf: how many (0 at or past the end). Handlers only, during a run of a
 * net event. -EINVAL (not handling a net event with data), -ENOENT (the
 * data is no longer held: an event restored after a reboot, or a
 * re-injected dead letter, keeps only its inline bytes), -EFAULT.
 *
 * long optios_net_send(const struct optios_net_send *s, const void *data, unsigned long len)
 * Stages one send as an effect of the current run: it goes out only after
 * the run commits, and, with a disk, after that commit is durable (the
 * output gate); a run that rolls back sends nothing. Every send is an
 * `effect` record in the event log. Returns len (all staged), or:
 *   -EINVAL   not in a handler's run; bad proto or flags; UDP port 0;
 *   -EMSGSIZE a datagram over OPTIOS_NET_UDP_MAX;
 *   -EACCES   not granted (logged as a deny record, see below);
 *   -ENOTCONN TCP: no such connection of this handler (or it is gone);
 *   -EAGAIN   more than OPTIOS_NET_RUN_BYTES staged by this run, or the
 *             connection's unsent bytes over OPTIOS_NET_BACKLOG: let the
 *             run end, its bytes go out, and write the rest in a later run;
 *   -EFAULT, -ENOMEM.
 * UDP (proto OPTIOS_NET_UDP): a datagram to addr:port, from local_port.
 *   local_port 0: the port of the net:udp event being handled, if any,
 *   else a port of the kernel's choosing. Needs net.send:udp:HOST:PORT for
 *   the destination, or - a reply: to the peer of the net:udp:P event being
 *   handled, from P - net.reply:udp:P. A local_port other than 0 must be a
 *   port of one of the handler's net:udp subscriptions.
 * TCP (proto OPTIOS_NET_TCP): len bytes on connection conn (an id from one
 *   of the handler's net:tcp:P events), then with flags OPTIOS_NET_CLOSE a
 *   close (FIN after the bytes), or OPTIOS_NET_ABORT a reset (the bytes are
 *   dropped). Needs net.reply:tcp:P. Bytes of one connection go out in the
 *   order staged, across runs.
 */
#ifndef OPTIOS_ABI_NET_H
#define OPTIOS_ABI_NET_H

#include <stdint.h>

#include <optios/abi/event.h>

/* struct optios_net_event.kind */
#define OPTIOS_NET_DATAGRAM 1 /* net:udp: one datagram */
#define OPTIOS_NET_OPEN 2 /* net:tcp: a connection was accepted */
#define OPTIOS_NET_DATA 3 /* net:tcp: bytes arrived, the next ones of the stream */
#define OPTIOS_NET_CLOSE 4 /* net:tcp: the peer closed (or reset: flags) */

/* struct optios_net_event.flags */
#define OPTIOS_NET_RESET 1 /* CLOSE: the connection was reset or lost, not closed */

#define OPTIOS_NET_HEADER 32
#define OPTIOS_NET_INLINE_MAX (OPTIOS_EVENT_PAYLOAD_MAX - OPTIOS_NET_HEADER) /* 224 */

/* The payload of a net: event (payload_len = OPTIOS_NET_HEADER + inline_len). */
struct optios_net_event {
	uint8_t kind; /* OPTIOS_NET_* above */
	uint8_t flags; /* OPTIOS_NET_RESET */
	uint16_t port; /* the local port: the topic's */
	uint32_t peer_addr; /* IPv4, network byte order (a.b.c.d is a | b<<8 | ...) */
	uint16_t peer_port; /* host byte order */
	uint16_t inline_len; /* bytes of data in data[] */
	uint32_t len; /* bytes of data in all: the datagram, or the DATA chunk */
	uint64_t conn; /* TCP: the connection's id, unique across boots; UDP: 0 */
	uint64_t offset; /* DATA: bytes of the stream received before this chunk */
	uint8_t data[OPTIOS_NET_INLINE_MAX]; /* the first inline_len bytes of the data */
};
_Static_assert(sizeof(struct optios_net_event) == OPTIOS_EVENT_PAYLOAD_MAX, "net event record size is ABI");

/* optios_net_send */
#define OPTIOS_NET_UDP 17
#define OPTIOS_NET_TCP 6
#define OPTIOS_NET_CLOSE_AFTER 1 /* flags: TCP: close after the bytes */
#define OPTIOS_NET_ABORT 2 /* flags: TCP: reset the connection (the bytes are dropped) */

struct optios_net_send {
	uint32_t proto; /* OPTIOS_NET_UDP or OPTIOS_NET_TCP */
	uint32_t flags; /* TCP: OPTIOS_NET_CLOSE_AFTER, OPTIOS_NET_ABORT; UDP: 0 */
	uint64_t conn; /* TCP: the connection */
	uint32_t addr; /* UDP: destination, network byte order */
	uint16_t port; /* UDP: destination port, host byte order */
	uint16_t local_port; /* UDP: source port (0: see above) */
};
_Static_assert(sizeof(struct optios_net_send) == 24, "net send record size is ABI");

#define OPTIOS_NET_UDP_MAX 65507 /* bytes of one datagram */
#define OPTIOS_NET_RUN_BYTES 262144 /* bytes one run may stage in all */
#define OPTIOS_NET_BACKLOG 262144 /* a connection's bytes staged and not yet taken by the stack */

#endif
