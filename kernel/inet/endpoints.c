/*
 * endpoints.c - what the kernel asks of the stack above the interfaces
 * (inet.h): ICMP echo, name resolution, UDP endpoints.
 *
 * ICMP echo: one raw ICMP pcb for the whole kernel; every request carries
 * the identifier PING_ID and its own sequence number, and waits on the
 * list `pings` (the caller's structure) until its reply comes or the
 * caller cancels. A reply that matches no waiting request is left to
 * lwIP's ICMP (which drops it).
 *
 * DNS: lwIP's resolver calls back with an argument it keeps until the
 * answer or its timeout, and offers no cancel; so it is given a slot of
 * `resolves`, not the caller's structure. Cancelling empties the slot; an
 * answer for an empty slot is ignored. A slot is free again only once
 * lwIP has called back (busy), so an answer never lands in a reused slot.
 *
 * UDP: an endpoint is a udp_pcb plus the owner's callback; a datagram is
 * handed over as one contiguous copy (a stack buffer for one frame's
 * worth, the heap for a reassembled larger one).
 */
#include "lwip/opt.h"

#include "lwip/dns.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/prot/udp.h"
#include "lwip/udp.h"

#include <optios/abi/errno.h>

#include "kernel/inet/inet.h"
#include "kernel/inet/inet_internal.h"
#include "kernel/mm/mm.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define PING_ID 0x4f53 /* "OS" */
#define RESOLVE_SLOTS 8

static struct raw_pcb *icmp_pcb;
static uint64_t udp_malformed; /* datagrams dropped: their UDP length lied */
static struct inet_ping *pings;
static struct {
	struct inet_resolve *r; /* NULL: cancelled or free */
	bool busy; /* lwIP holds the slot until it calls back */
} resolves[RESOLVE_SLOTS];

static bool any_interface_up(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (netif_is_up(n) && netif_is_link_up(n) && !ip4_addr_isany_val(*netif_ip4_addr(n)))
			return true;
	}
	return false;
}

/* ---- ICMP echo ---- */

static u8_t icmp_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *from)
{
	(void)arg;
	(void)pcb;
	struct ip_hdr iph;
	struct icmp_echo_hdr e;
	if (pbuf_copy_partial(p, &iph, sizeof iph, 0) != sizeof iph)
		return 0;
	u16_t hlen = (u16_t)(IPH_HL(&iph) * 4);
	if (hlen < sizeof iph || pbuf_copy_partial(p, &e, sizeof e, hlen) != sizeof e)
		return 0;
	if (e.type != ICMP_ER || e.id != lwip_htons(PING_ID))
		return 0;
	for (struct inet_ping **pp = &pings; *pp; pp = &(*pp)->next) {
		struct inet_ping *q = *pp;
		if (q->seq != lwip_ntohs(e.seqno) || q->addr != ip4_addr_get_u32(ip_2_ip4(from)))
			continue;
		*pp = q->next;
		q->rtt_ns = clock_now_ns() - q->sent_ns;
		q->ttl = IPH_TTL(&iph);
		q->reply_size = (uint16_t)(p->tot_len - hlen - sizeof e);
		q->state = INET_REQ_DONE;
		if (q->done)
			q->done(q);
		pbuf_free(p);
		return 1;
	}
	return 0;
}

void inet_ping_init(void)
{
	icmp_pcb = raw_new(IP_PROTO_ICMP);
	if (icmp_pcb) {
		raw_recv(icmp_pcb, icmp_recv, NULL);
		raw_bind(icmp_pcb, IP_ADDR_ANY);
	}
}

int inet_ping_send(struct inet_ping *p)
{
	if (p->size > INET_PING_MAX)
		return -EINVAL;
	if (!icmp_pcb)
		return -ENOMEM;
	inet_enter();
	int err = 0;
	struct pbuf *b = NULL;
	if (!any_interface_up()) {
		err = -ENETUNREACH;
		goto out;
	}
	b = pbuf_alloc(PBUF_IP, (u16_t)(sizeof(struct icmp_echo_hdr) + p->size), PBUF_RAM);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	struct icmp_echo_hdr *e = b->payload;
	e->type = ICMP_ECHO;
	e->code = 0;
	e->chksum = 0;
	e->id = lwip_htons(PING_ID);
	e->seqno = lwip_htons(p->seq);
	uint8_t *data = (uint8_t *)(e + 1);
	for (uint16_t i = 0; i < p->size; i++)
		data[i] = (uint8_t)i;
	e->chksum = inet_chksum(e, b->len);
	p->state = INET_REQ_WAITING;
	p->sent_ns = clock_now_ns();
	p->next = pings;
	pings = p;
	ip_addr_t to = IPADDR4_INIT(p->addr);
	err_t r = raw_sendto(icmp_pcb, b, &to);
	if (r != ERR_OK) {
		pings = p->next;
		err = r == ERR_RTE ? -ENETUNREACH : -ENOMEM;
	}
out:
	if (b)
		pbuf_free(b);
	inet_leave();
	return err;
}

void inet_ping_cancel(struct inet_ping *p)
{
	for (struct inet_ping **pp = &pings; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
}

/* ---- DNS ---- */

static void dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
	(void)name;
	size_t slot = (size_t)(uintptr_t)arg;
	struct inet_resolve *r = resolves[slot].r;
	resolves[slot].busy = false;
	resolves[slot].r = NULL;
	if (!r)
		return; /* cancelled */
	r->active = false;
	if (addr && IP_IS_V4(addr)) {
		r->addr = ip4_addr_get_u32(ip_2_ip4(addr));
		r->state = INET_REQ_DONE;
	} else {
		r->state = INET_REQ_FAILED;
	}
	if (r->done)
		r->done(r);
}

bool inet_dns_waiting(void)
{
	for (size_t i = 0; i < RESOLVE_SLOTS; i++)
		if (resolves[i].busy)
			return true;
	return false;
}

int inet_resolve_start(struct inet_resolve *r)
{
	r->active = false;
	size_t len = strnlen(r->name, sizeof r->name);
	if (len == 0 || len >= sizeof r->name)
		return -EINVAL;
	if (inet_parse_addr(r->name, &r->addr) == 0) {
		r->state = INET_REQ_DONE;
		return 0;
	}
	size_t slot = 0;
	while (slot < RESOLVE_SLOTS && resolves[slot].busy)
		slot++;
	if (slot == RESOLVE_SLOTS)
		return -ENOMEM;
	uint32_t servers[2];
	inet_dns_servers(servers);
	if (!servers[0] && !servers[1])
		return -ENETUNREACH;
	inet_enter();
	ip_addr_t addr;
	r->state = INET_REQ_WAITING;
	err_t e = dns_gethostbyname(r->name, &addr, dns_found, (void *)(uintptr_t)slot);
	int err = 0;
	if (e == ERR_OK) {
		r->addr = ip4_addr_get_u32(ip_2_ip4(&addr));
		r->state = INET_REQ_DONE;
	} else if (e == ERR_INPROGRESS) {
		resolves[slot].r = r;
		resolves[slot].busy = true;
		r->active = true;
	} else {
		err = e == ERR_ARG ? -EINVAL : -ENOMEM;
	}
	inet_leave();
	return err;
}

void inet_resolve_cancel(struct inet_resolve *r)
{
	for (size_t i = 0; i < RESOLVE_SLOTS; i++)
		if (resolves[i].r == r)
			resolves[i].r = NULL;
	r->active = false;
}

/* ---- UDP endpoints ---- */

struct inet_udp {
	struct udp_pcb *pcb;
	inet_udp_recv_fn recv;
	void *arg;
};

/* Does the UDP header's length (just before p's data: lwIP only moved the
 * payload pointer past it, in the first pbuf) agree with the IP datagram's?
 * lwIP checks the checksum over the IP length and ignores this field; a
 * datagram whose fields disagree is malformed and reaches no owner. */
static bool udp_length_agrees(const struct pbuf *p)
{
	const struct udp_hdr *h = (const struct udp_hdr *)(const void *)((const u8_t *)p->payload - UDP_HLEN);
	return lwip_ntohs(h->len) == p->tot_len + UDP_HLEN;
}

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	(void)pcb;
	struct inet_udp *u = arg;
	uint8_t small[ETH_FRAME_MAX];
	if (!udp_length_agrees(p)) {
		udp_malformed++;
		pbuf_free(p);
		return;
	}
	uint8_t *buf = p->tot_len <= sizeof small ? small : kmalloc(p->tot_len);
	if (buf) {
		pbuf_copy_partial(p, buf, p->tot_len, 0);
		u->recv(u, u->arg, buf, p->tot_len, ip4_addr_get_u32(ip_2_ip4(addr)), port);
		if (buf != small)
			kfree(buf);
	}
	pbuf_free(p);
}

int inet_udp_open(uint16_t port, inet_udp_recv_fn recv, void *arg, struct inet_udp **out)
{
	struct inet_udp *u = kzalloc(sizeof *u);
	if (!u)
		return -ENOMEM;
	inet_enter();
	int err = 0;
	u->pcb = udp_new();
	if (!u->pcb)
		err = -ENOMEM;
	else if (udp_bind(u->pcb, IP4_ADDR_ANY, port) != ERR_OK)
		err = -EADDRINUSE;
	if (err) {
		if (u->pcb)
			udp_remove(u->pcb);
		kfree(u);
	} else {
		u->recv = recv;
		u->arg = arg;
		udp_recv(u->pcb, udp_in, u);
		*out = u;
	}
	inet_leave();
	return err;
}

uint16_t inet_udp_port(const struct inet_udp *u)
{
	return u->pcb->local_port;
}

int inet_udp_sendto(struct inet_udp *u, const void *data, size_t len, uint32_t addr, uint16_t port)
{
	if (len > INET_UDP_MAX)
		return -EMSGSIZE;
	inet_enter();
	int err = 0;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p) {
		err = -ENOMEM;
	} else {
		pbuf_take(p, data, (u16_t)len);
		ip_addr_t to = IPADDR4_INIT(addr);
		err_t e = udp_sendto(u->pcb, p, &to, port);
		err = e == ERR_OK ? 0 : e == ERR_RTE ? -EHOSTUNREACH : e == ERR_MEM ? -ENOMEM : -EIO;
		pbuf_free(p);
	}
	inet_leave();
	return err;
}

void inet_udp_close(struct inet_udp *u)
{
	inet_enter();
	udp_remove(u->pcb);
	inet_leave();
	kfree(u);
}
