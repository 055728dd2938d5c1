/*
 * timers.c - lwIP's timers on real deadlines (LWIP_TIMERS_CUSTOM: this
 * file is sys_timeouts_init, sys_check_timeouts and sys_timeouts_sleeptime).
 *
 * lwIP's own timeouts.c runs every module's timer periodically for ever
 * (ARP and DNS every second, DHCP every 500 ms): an idle machine would
 * wake twice a second. Here each module's timer runs only while it has
 * something to time, and the kernel timer (inet.c) is armed for the
 * earliest such deadline, or not at all:
 *
 *   timer            period   runs while                          when idle
 *   tcp_tmr          250 ms   a TCP connection is active or in    stops (no catch-up:
 *                             TIME_WAIT (not for listeners)        nothing to time)
 *   dhcp_fine_tmr    500 ms   a DHCP request awaits its answer    stops
 *   dhcp_coarse_tmr  60 s     a lease is held: armed for the      counted (one call
 *                             next of T1, T2, expiry               per period)
 *   etharp_tmr       1 s      an ARP request went out in the last  caught up
 *                             ARP_PENDING_MS (lwIP resends it
 *                             each second while it is pending)
 *   ip_reass_tmr     1 s      a fragment came in the last          caught up
 *                             REASS_MS (its reassembly expires)
 *   dns_tmr          1 s      a query awaits its answer            caught up
 *
 * "Caught up": a timer that only ages entries (ARP and DNS cache lifetimes,
 * fragment expiry, the lease's counters) is not run while nothing happens;
 * the next time the stack runs it is called once for every period missed
 * (at most CATCHUP_MAX times), which ages everything exactly as if it had
 * run on time - no one could have looked in between.
 *
 * Data: timers[] below, each with the time (sys_now, ms) its period last
 * started; inet_timers_frame() records when the last ARP request went out
 * and the last IPv4 fragment came in.
 * Invariant: for every timer, last <= now; a timer whose need is 0 and
 * whose entries do not age while idle keeps last == now (so it starts a
 * full period after it becomes needed). The stack catches up before it
 * handles anything (inet.c: enter), so a fresh ARP entry is never aged
 * by the idle time before it.
 */
#include "lwip/opt.h"

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/dhcp.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include "kernel/inet/inet_internal.h"

#define ARP_PENDING_MS 6000u /* etharp.c: a request pends ARP_MAXPENDING (5) ticks */
#define REASS_MS ((IP_REASS_MAXAGE + 1) * 1000u)
#define CATCHUP_MAX (1u << 20)

static uint64_t arp_request_ms, fragment_ms;
static bool arp_requested, fragmented;

/* How many periods from the last start the timer must run after: 0 for
 * "not needed now". */
static uint32_t need_tcp(void)
{
	return tcp_active_pcbs || tcp_tw_pcbs ? 1 : 0;
}

static uint32_t need_dhcp_fine(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		struct dhcp *d = netif_dhcp_data(n);
		if (d && d->request_timeout)
			return 1;
	}
	return 0;
}

/* The fewest coarse ticks until a lease counter fires (dhcp_coarse_tmr
 * fires t0 when ++lease_used reaches it, T2 and T1 when they count from 1
 * to 0). */
static uint32_t need_dhcp_coarse(void)
{
	uint32_t best = 0;
	struct netif *n;
	NETIF_FOREACH(n)
	{
		struct dhcp *d = netif_dhcp_data(n);
		if (!d || d->state == DHCP_STATE_OFF)
			continue;
		uint32_t c[3] = {d->t0_timeout > d->lease_used ? (uint32_t)(d->t0_timeout - d->lease_used)
							       : 0,
				 d->t2_rebind_time, d->t1_renew_time};
		for (int i = 0; i < 3; i++)
			if (c[i] && (!best || c[i] < best))
				best = c[i];
	}
	return best;
}

static uint64_t now_ms(void);

static uint32_t need_arp(void)
{
	return arp_requested && now_ms() - arp_request_ms < ARP_PENDING_MS ? 1 : 0;
}

static uint32_t need_reass(void)
{
	return fragmented && now_ms() - fragment_ms < REASS_MS ? 1 : 0;
}

static uint32_t need_dns(void)
{
	return inet_dns_waiting() ? 1 : 0;
}

static struct inet_timer {
	uint32_t period_ms;
	void (*fn)(void);
	uint32_t (*need)(void);
	bool per_period; /* late: called once per period missed (else once) */
	bool ages_idle; /* not needed: its entries still age (caught up later) */
	uint64_t last;
} timers[] = {
	{TCP_TMR_INTERVAL, tcp_tmr, need_tcp, false, false, 0},
	{DHCP_FINE_TIMER_MSECS, dhcp_fine_tmr, need_dhcp_fine, false, false, 0},
	{DHCP_COARSE_TIMER_MSECS, dhcp_coarse_tmr, need_dhcp_coarse, true, false, 0},
	{ARP_TMR_INTERVAL, etharp_tmr, need_arp, true, true, 0},
	{IP_TMR_INTERVAL, ip_reass_tmr, need_reass, true, true, 0},
	{DNS_TMR_INTERVAL, dns_tmr, need_dns, true, true, 0},
};
#define NTIMERS (sizeof timers / sizeof timers[0])

/* 64-bit milliseconds: sys_now's 32 bits wrap after 49 days. */
static uint64_t now_ms(void)
{
	return inet_now_ms();
}

void inet_timers_frame(const uint8_t *frame, size_t len, bool out)
{
	if (len < 22)
		return;
	unsigned type = (unsigned)frame[12] << 8 | frame[13];
	if (out && type == 0x0806 && frame[20] == 0 && frame[21] == 1) { /* ARP request */
		arp_request_ms = now_ms();
		arp_requested = true;
	} else if (!out && type == 0x0800 && ((frame[20] & 0x3f) | frame[21])) { /* MF or an offset */
		fragment_ms = now_ms();
		fragmented = true;
	}
}

void sys_timeouts_init(void)
{
	uint64_t now = now_ms();
	for (size_t i = 0; i < NTIMERS; i++)
		timers[i].last = now;
}

void sys_check_timeouts(void)
{
	uint64_t now = now_ms();
	for (size_t i = 0; i < NTIMERS; i++) {
		struct inet_timer *t = &timers[i];
		if (!t->ages_idle && !t->need()) {
			t->last = now; /* nothing to time: a full period once it is needed */
			continue;
		}
		uint64_t missed = (now - t->last) / t->period_ms;
		if (missed == 0)
			continue;
		t->last += missed * t->period_ms;
		if (!t->per_period)
			missed = 1; /* TCP and DHCP retransmissions: one late tick, not a burst */
		for (uint64_t k = 0; k < missed && k < CATCHUP_MAX; k++)
			t->fn();
	}
}

uint64_t inet_timers_next_ms(void)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < NTIMERS; i++) {
		uint32_t n = timers[i].need();
		if (n && timers[i].last + (uint64_t)n * timers[i].period_ms < next)
			next = timers[i].last + (uint64_t)n * timers[i].period_ms;
	}
	return next;
}

u32_t sys_timeouts_sleeptime(void)
{
	uint64_t next = inet_timers_next_ms(), now = now_ms();
	if (next == UINT64_MAX)
		return SYS_TIMEOUTS_SLEEPTIME_INFINITE;
	return next <= now ? 0 : (u32_t)(next - now < 0xfffffffeu ? next - now : 0xfffffffeu);
}
