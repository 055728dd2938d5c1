/*
 * sys_net.c - the network seen from programs until sockets come: the
 * interface list (`net`), one ICMP echo (`ping`), a name's address
 * (optios_net_list, optios_net_ping, optios_net_resolve; ABI in
 * include/optios/abi/optios.h).
 *
 * ping and resolve need net.ping and net.resolve (checked by the
 * dispatcher: syscalls.def). Both start a request in the stack
 * (kernel/inet) with a structure on this kernel stack, then sleep until
 * the stack's callback (the network work loop) wakes them, the deadline
 * timer does, or a signal comes; the request is cancelled before the
 * structure goes out of scope whatever ended the wait. No race between
 * the check and the sleep: the work loop runs only while this process is
 * off the CPU (the kernel is not preemptible).
 */
#include <optios/abi/errno.h>
#include <optios/abi/optios.h>

#include "kernel/inet/inet.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define TIMEOUT_MAX_MS 60000

long sys_optios_net_list(long uout, long max, SYS_ARGS_FROM2)
{
	uint32_t dns[2];
	inet_dns_servers(dns);
	long count = 0;
	struct inet_if_info i;
	for (; inet_if_info((unsigned)count, &i) == 0; count++) {
		if ((unsigned long)count >= (unsigned long)max)
			continue; /* counting the rest */
		struct optios_net_info o = {
			.mtu = i.mtu,
			.link_up = i.link_up,
			.up = i.up,
			.config = (uint8_t)i.cfg,
			.bound = i.bound,
			.addr = i.addr,
			.netmask = i.netmask,
			.gateway = i.gateway,
			.dns = {dns[0], dns[1]},
			.rx_frames = i.stats.rx_frames,
			.rx_bytes = i.stats.rx_bytes,
			.tx_frames = i.stats.tx_frames,
			.tx_bytes = i.stats.tx_bytes,
			.rx_dropped = i.stats.rx_dropped,
			.tx_dropped = i.stats.tx_dropped,
			.rx_errors = i.stats.rx_errors,
			.tx_errors = i.stats.tx_errors,
			.irqs = i.stats.irqs,
		};
		memcpy(o.name, i.name, sizeof o.name);
		memcpy(o.driver, i.driver, sizeof o.driver);
		memcpy(o.mac, i.mac, sizeof o.mac);
		if (copy_to_user((uptr)uout + (uptr)count * sizeof o, &o, sizeof o))
			return -EFAULT;
	}
	return count;
}

_Static_assert(INET_CFG_DHCP == OPTIOS_NET_DHCP && INET_CFG_STATIC == OPTIOS_NET_STATIC &&
		       INET_CFG_OFF == OPTIOS_NET_OFF,
	       "the ABI's configurations are the stack's");
_Static_assert(OPTIOS_PING_MAX == INET_PING_MAX && OPTIOS_HOSTNAME_MAX == INET_NAME_MAX, "the ABI's limits");

static void wake_timeout(struct timer *t, void *arg)
{
	(void)t;
	sched_wakeup(arg);
}

/* Sleeps on chan until *state leaves WAITING, the deadline passes or a
 * signal comes. 0 (done or failed: see *state), -ETIMEDOUT, -EINTR, -EAGAIN. */
static int wait_request(const void *chan, volatile enum inet_req_state *state, uint64_t deadline)
{
	struct timer t;
	timer_init(&t, wake_timeout, (void *)chan);
	timer_arm(&t, deadline);
	int r = 0;
	for (;;) {
		uint64_t f = irq_save();
		if (*state != INET_REQ_WAITING) {
			irq_restore(f);
			break;
		}
		if (clock_now_ns() >= deadline) {
			irq_restore(f);
			r = -ETIMEDOUT;
			break;
		}
		r = sched_sleep(chan);
		irq_restore(f);
		if (r)
			break;
	}
	timer_cancel(&t);
	return r;
}

static void ping_done(struct inet_ping *p)
{
	sched_wakeup(p);
}

long sys_optios_net_ping(long addr, long seq, long size, long timeout_ms, long uout, SYS_ARGS_FROM5)
{
	if (size < 0 || size > INET_PING_MAX || timeout_ms < 1 || timeout_ms > TIMEOUT_MAX_MS)
		return -EINVAL;
	struct inet_ping p = {
		.addr = (uint32_t)addr, .seq = (uint16_t)seq, .size = (uint16_t)size, .done = ping_done};
	int err = inet_ping_send(&p);
	if (err)
		return err;
	err = wait_request(&p, &p.state, clock_now_ns() + (uint64_t)timeout_ms * NS_PER_MS);
	inet_ping_cancel(&p);
	if (err)
		return err;
	struct optios_ping_reply out = {.rtt_ns = p.rtt_ns, .size = p.reply_size, .ttl = p.ttl};
	return copy_to_user((uptr)uout, &out, sizeof out) ? -EFAULT : 0;
}

static void resolve_done(struct inet_resolve *r)
{
	sched_wakeup(r);
}

long sys_optios_net_resolve(long uname, long uaddr, long timeout_ms, SYS_ARGS_FROM3)
{
	if (timeout_ms < 1 || timeout_ms > TIMEOUT_MAX_MS)
		return -EINVAL;
	struct inet_resolve r = {.done = resolve_done};
	long len = strncpy_from_user(r.name, (uptr)uname, sizeof r.name);
	if (len < 0)
		return len;
	if ((size_t)len >= sizeof r.name)
		return -ENAMETOOLONG;
	int err = inet_resolve_start(&r);
	if (!err)
		err = wait_request(&r, &r.state, clock_now_ns() + (uint64_t)timeout_ms * NS_PER_MS);
	inet_resolve_cancel(&r);
	if (err)
		return err;
	if (r.state != INET_REQ_DONE)
		return -ENOENT;
	return copy_to_user((uptr)uaddr, &r.addr, sizeof r.addr) ? -EFAULT : 0;
}
