/*
 * net.h - network devices: the one interface between NIC drivers and the
 * network stack, and the work loop that drives both.
 *
 * Theory of operation. A driver (drivers/virtio, drivers/e1000) fills a
 * struct netdev at probe and registers it (eth0, eth1, ... in order). Its
 * interrupt handler does no network work: it acknowledges the device and
 * calls netdev_kick, which marks the device and the loop as having work.
 * Frames wait meanwhile in the device's own receive ring.
 *
 * The work loop, net_run, runs in kernel context outside interrupts: the
 * scheduler calls it whenever net_pending() says there is work (from its
 * idle loop, and by making the running process yield on its way back to
 * user mode), self-tests call it directly. It polls each kicked device
 * (ops->poll hands received frames to netdev_receive, which passes each to
 * the stack, and takes back finished transmissions), then lets the stack
 * run its due timers. The stack (kernel/inet) registers with net_stack_set
 * and arms its own deadline timer, whose callback calls net_timer_kick.
 *
 * Who may call what:
 *   netdev_kick, net_timer_kick, net_pending: any context (interrupts too);
 *   everything else: kernel context that is not an interrupt handler. The
 *   kernel is not preemptible and net_run is never nested, so the stack
 *   and the drivers' poll and transmit never run concurrently.
 *
 * Invariants: a registered netdev is never freed nor unregistered (no
 * hot-plug); its counters only grow; `pending` is set by kicks and cleared
 * only by net_run just before it polls that device, so a kick during a poll
 * makes the loop come back.
 */
#ifndef KERNEL_NET_NET_H
#define KERNEL_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_NAME_MAX 8
#define NETDEV_MAX 8
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_MTU 1500
#define ETH_FRAME_MAX (ETH_HLEN + ETH_MTU) /* without the FCS, which devices add and strip */
#define ETH_FRAME_MIN ETH_HLEN

/* Counters a device's driver and net.c keep; they only grow. */
struct netdev_stats {
	uint64_t rx_frames, rx_bytes; /* handed to the stack */
	uint64_t tx_frames, tx_bytes; /* given to the device */
	uint64_t rx_dropped; /* no stack, too short or too long, or the stack out of memory */
	uint64_t tx_dropped; /* the transmit ring full, or too long */
	uint64_t rx_errors, tx_errors; /* the device said so, or broke its ring's rules */
	uint64_t irqs; /* interrupts that were this device's */
};

struct netdev;

struct netdev_ops {
	/* Queues one frame (len in ETH_FRAME_MIN..ETH_FRAME_MAX, copied before
	 * it returns). 0, -EAGAIN (ring full: dropped), -EIO (device dead). */
	int (*transmit)(struct netdev *dev, const void *frame, size_t len);
	/* Takes received frames out of the ring (at most NETDEV_POLL_BUDGET,
	 * each through netdev_receive; more left: netdev_kick), refills it, and
	 * reclaims finished transmissions; updates link_up. */
	void (*poll)(struct netdev *dev);
};
#define NETDEV_POLL_BUDGET 64

struct netdev {
	/* Set by the driver before netdev_register, constant afterwards. */
	const char *driver; /* "virtio-net", "e1000" */
	const struct netdev_ops *ops;
	void *priv;
	uint8_t mac[ETH_ALEN];
	uint16_t mtu;
	/* Written by the driver's poll (and its probe). */
	bool link_up;
	struct netdev_stats stats; /* irqs: its interrupt handler; the rest: poll context */
	/* Set by netdev_register. */
	char name[NETDEV_NAME_MAX];
	unsigned index;
	/* The stack's own per-device state (kernel/inet). */
	void *stack_data;
	/* Work flag: set by netdev_kick (any context), cleared by net_run. */
	volatile bool pending;
};

/* The stack above the devices (kernel/inet): told of each device, handed
 * each received frame, and asked to run its timers. Poll context. */
struct net_stack {
	void (*attach)(struct netdev *dev); /* a device registered (or already there) */
	void (*input)(struct netdev *dev, const void *frame, size_t len);
	void (*run)(void); /* after the devices' polls: due timers, link changes */
};

/* Names and records dev (eth0, eth1, ...); tells the stack if one is set.
 * 0, or -ENOSPC past NETDEV_MAX. */
int netdev_register(struct netdev *dev);
/* The devices in registration order. */
struct netdev *netdev_get(unsigned index);
unsigned netdev_count(void);
/* Interrupt context allowed: dev has work for net_run. */
void netdev_kick(struct netdev *dev);
/* Poll context (the driver's poll): one received frame, len bytes without
 * the FCS. Counted, checked for length, handed to the stack (copied). */
void netdev_receive(struct netdev *dev, const void *frame, size_t len);
/* The TSC when netdev_receive took the frame being handled (or the last
 * one): what a measurement of a frame's way through the system starts at. */
uint64_t net_rx_tsc(void);
/* Poll context: one frame to the device, counted (dropped frames too). */
int netdev_transmit(struct netdev *dev, const void *frame, size_t len);

/* The stack registers once; attach runs for every device already there. */
void net_stack_set(const struct net_stack *stack);
/* Any context: the stack's timers want to run. */
void net_timer_kick(void);
/* Any context: whether net_run has work. */
bool net_pending(void);
/* Kernel context, not an interrupt handler: polls kicked devices, then the
 * stack's timers. Returns whether it did anything. */
bool net_run(void);

#endif
