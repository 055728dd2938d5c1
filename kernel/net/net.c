/*
 * net.c - the network-device registry and the work loop (interface, who
 * may call what and the invariants: net.h).
 *
 * Data: devs[] holds the registered devices in order (never removed);
 * work is the loop's one flag, set by any kick (devices' interrupts, the
 * stack's deadline timer) and cleared by net_run before it looks at
 * anything, so a kick that lands while it runs is never lost: the loop
 * runs again. A frame reaches the stack only through netdev_receive,
 * which bounds its length first.
 */
#include "kernel/net/net.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/log/klog.h"
#include "lib/lib.h"

static struct netdev *devs[NETDEV_MAX];
static unsigned ndevs;
static const struct net_stack *stack;
static volatile bool work;
static uint64_t rx_tsc;

uint64_t net_rx_tsc(void)
{
	return rx_tsc;
}

int netdev_register(struct netdev *dev)
{
	if (ndevs >= NETDEV_MAX)
		return -ENOSPC;
	dev->index = ndevs;
	ksnprintf(dev->name, sizeof dev->name, "eth%u", ndevs);
	devs[ndevs++] = dev;
	klog(KLOG_INFO, "%s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s", dev->name, dev->driver,
	     dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4], dev->mac[5],
	     dev->link_up ? "up" : "down");
	if (stack)
		stack->attach(dev);
	netdev_kick(dev); /* frames may be waiting already */
	return 0;
}

struct netdev *netdev_get(unsigned index)
{
	return index < ndevs ? devs[index] : NULL;
}

unsigned netdev_count(void)
{
	return ndevs;
}

void netdev_kick(struct netdev *dev)
{
	dev->pending = true;
	work = true;
}

void net_timer_kick(void)
{
	work = true;
}

bool net_pending(void)
{
	return work;
}

void netdev_receive(struct netdev *dev, const void *frame, size_t len)
{
	if (len < ETH_FRAME_MIN || len > ETH_FRAME_MAX || !stack) {
		dev->stats.rx_dropped++;
		return;
	}
	rx_tsc = rdtsc();
	dev->stats.rx_frames++;
	dev->stats.rx_bytes += len;
	stack->input(dev, frame, len);
}

int netdev_transmit(struct netdev *dev, const void *frame, size_t len)
{
	if (len < ETH_FRAME_MIN || len > ETH_FRAME_MAX) {
		dev->stats.tx_dropped++;
		return -EINVAL;
	}
	int err = dev->ops->transmit(dev, frame, len);
	if (err) {
		dev->stats.tx_dropped++;
		return err;
	}
	dev->stats.tx_frames++;
	dev->stats.tx_bytes += len;
	return 0;
}

void net_stack_set(const struct net_stack *s)
{
	stack = s;
	for (unsigned i = 0; i < ndevs; i++)
		stack->attach(devs[i]);
	work = true;
}

bool net_run(void)
{
	if (!__atomic_exchange_n(&work, false, __ATOMIC_SEQ_CST))
		return false;
	for (unsigned i = 0; i < ndevs; i++)
		if (__atomic_exchange_n(&devs[i]->pending, false, __ATOMIC_SEQ_CST))
			devs[i]->ops->poll(devs[i]);
	if (stack)
		stack->run();
	return true;
}
