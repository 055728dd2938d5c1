/*
 * virtio_net.c - virtio network devices (virtio spec 5.1) over the modern
 * PCI transport, registered as network devices eth0, eth1, ... (kernel/net).
 *
 * Theory of operation. Probe negotiates VERSION_1, MAC and STATUS (no
 * offloads, no mergeable buffers: every frame fits one buffer), sets up
 * queue 0 (receive) and queue 1 (transmit) with one interrupt for both,
 * fills the receive queue and says DRIVER_OK.
 *
 * Buffers: BUF_SIZE bytes each, two to a page, allocated at probe and
 * never freed. Receive buffer i and transmit buffer i are tied to
 * descriptor i of their queue (every chain is one descriptor, so the head
 * the device returns names the buffer). A buffer is the 12-byte virtio-net
 * header followed by the frame.
 *
 * Interrupt: reads the ISR byte (on INTx, to know the interrupt was ours
 * and to lower the line), counts it and kicks the work loop - nothing
 * else. The loop's poll takes received frames (at most NETDEV_POLL_BUDGET;
 * more left: it kicks itself again), gives each buffer straight back to
 * the device, reclaims sent buffers, and reads the link status.
 *
 * Invariants: every receive descriptor not in the driver's hands is in the
 * device's (the queue is refilled in the same poll that empties it);
 * tx_free counts transmit descriptors not in flight; a length or head the
 * device returns is checked before use (a lying device costs a frame and
 * an rx_errors count, never memory outside a buffer).
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/net/net.h"
#include "virtio_pci.h"

#define VIRTIO_NET_DEVICE 0x1041 /* modern: 0x1040 + device id 1 */
#define VIRTIO_NET_LEGACY 0x1000 /* transitional: modern if it has the capabilities */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define RXQ 0
#define TXQ 1
#define QUEUE_MAX 128
#define BUF_SIZE 2048
#define HDR_LEN 12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */

struct vnet {
	struct netdev dev;
	struct virtio_pci vp;
	struct virtq rx, tx;
	volatile uint16_t *rx_notify, *tx_notify;
	bool has_status;
	uint64_t rx_pa[QUEUE_MAX], tx_pa[QUEUE_MAX]; /* buffer of descriptor i */
};

static uint8_t *buf_of(uint64_t pa)
{
	return phys_to_virt(pa);
}

/* BUF_SIZE-byte buffers for n descriptors, two to a page. */
static int alloc_bufs(uint64_t *pa, unsigned n)
{
	for (unsigned i = 0; i < n; i += 2) {
		uint64_t page = pmm_alloc_zeroed();
		if (!page)
			return -ENOMEM;
		pa[i] = page;
		if (i + 1 < n)
			pa[i + 1] = page + BUF_SIZE;
	}
	return 0;
}

/* Gives receive descriptor d's buffer to the device (the free list hands
 * back the descriptor just freed: chains are one descriptor). */
static void rx_give(struct vnet *v)
{
	uint16_t d = v->rx.free_head;
	struct virtq_buf b = {v->rx_pa[d], BUF_SIZE, true};
	virtq_submit(&v->rx, &b, 1);
}

static void on_irq(void *arg)
{
	struct vnet *v = arg;
	if (v->vp.pci->irq_kind == PCI_IRQ_INTX && !virtio_pci_isr(&v->vp))
		return; /* a device sharing the line */
	v->dev.stats.irqs++;
	netdev_kick(&v->dev);
}

static void poll_rx(struct vnet *v)
{
	unsigned n = 0;
	uint16_t head;
	uint32_t len;
	int r;
	while (n < NETDEV_POLL_BUDGET && (r = virtq_reap(&v->rx, &head, &len)) == 1) {
		n++;
		if (len < HDR_LEN || len > BUF_SIZE)
			v->dev.stats.rx_errors++;
		else
			netdev_receive(&v->dev, buf_of(v->rx_pa[head]) + HDR_LEN, len - HDR_LEN);
		rx_give(v);
	}
	if (r < 0) {
		v->dev.stats.rx_errors++;
		return; /* the device broke the ring's rules: stop taking from it */
	}
	if (n)
		*v->rx_notify = RXQ;
	if (n == NETDEV_POLL_BUDGET)
		netdev_kick(&v->dev); /* more may wait */
}

static void reclaim_tx(struct vnet *v)
{
	uint16_t head;
	uint32_t len;
	int r;
	while ((r = virtq_reap(&v->tx, &head, &len)) == 1)
		;
	if (r < 0)
		v->dev.stats.tx_errors++;
}

static void vnet_poll(struct netdev *dev)
{
	struct vnet *v = dev->priv;
	poll_rx(v);
	reclaim_tx(v);
	if (v->has_status)
		dev->link_up = *(volatile uint16_t *)(v->vp.device_cfg + 6) & VIRTIO_NET_S_LINK_UP;
}

static int vnet_transmit(struct netdev *dev, const void *frame, size_t len)
{
	struct vnet *v = dev->priv;
	if (!v->tx.num_free)
		reclaim_tx(v);
	if (!v->tx.num_free)
		return -EAGAIN;
	uint16_t d = v->tx.free_head;
	uint8_t *b = buf_of(v->tx_pa[d]);
	memset(b, 0, HDR_LEN);
	memcpy(b + HDR_LEN, frame, len);
	struct virtq_buf vb = {v->tx_pa[d], (uint32_t)(HDR_LEN + len), false};
	if (virtq_submit(&v->tx, &vb, 1) < 0)
		return -EAGAIN;
	*v->tx_notify = TXQ;
	return 0;
}

static const struct netdev_ops vnet_ops = {.transmit = vnet_transmit, .poll = vnet_poll};

static int bring_up(struct vnet *v, struct pci_dev *pci)
{
	int err = virtio_pci_open(&v->vp, pci);
	if (err)
		return err;
	uint64_t got;
	uint64_t wanted = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS;
	if ((err = virtio_pci_negotiate(&v->vp, wanted, &got)))
		return err;
	if (!(got & (1ull << VIRTIO_NET_F_MAC)) || !v->vp.device_cfg || v->vp.device_cfg_len < 8)
		return -EIO; /* a MAC of our own choosing is not worth the code */
	for (int i = 0; i < ETH_ALEN; i++)
		v->dev.mac[i] = v->vp.device_cfg[i];
	v->has_status = got & (1ull << VIRTIO_NET_F_STATUS);
	int vec = pci_irq_setup(pci, on_irq, v, "virtio-net");
	if (vec < 0)
		return vec;
	v->vp.msix = pci->irq_kind == PCI_IRQ_MSIX;
	if ((err = virtio_pci_queue_setup(&v->vp, RXQ, &v->rx, QUEUE_MAX, &v->rx_notify)) ||
	    (err = virtio_pci_queue_setup(&v->vp, TXQ, &v->tx, QUEUE_MAX, &v->tx_notify)))
		return err;
	if ((err = alloc_bufs(v->rx_pa, v->rx.size)) || (err = alloc_bufs(v->tx_pa, v->tx.size)))
		return err;
	while (v->rx.num_free)
		rx_give(v);
	virtio_pci_ready(&v->vp);
	*v->rx_notify = RXQ;
	v->dev.link_up =
		!v->has_status || (*(volatile uint16_t *)(v->vp.device_cfg + 6) & VIRTIO_NET_S_LINK_UP);
	return 0;
}

static int vnet_probe(struct pci_dev *pci)
{
	if (pci->device != VIRTIO_NET_DEVICE && !(pci->device == VIRTIO_NET_LEGACY && pci->class_code == 2))
		return -ENODEV;
	struct vnet *v = kzalloc(sizeof *v);
	if (!v)
		return -ENOMEM;
	v->dev.driver = "virtio-net";
	v->dev.ops = &vnet_ops;
	v->dev.priv = v;
	v->dev.mtu = ETH_MTU;
	int err = bring_up(v, pci);
	if (!err)
		err = netdev_register(&v->dev);
	if (err) {
		if (v->vp.common)
			virtio_pci_reset(&v->vp);
		return err; /* what was allocated stays: the device may still point at it */
	}
	pci->driver_data = v;
	return 0;
}

const struct pci_driver virtio_net_driver = {
	.name = "virtio-net",
	.vendor = VIRTIO_VENDOR,
	.device = PCI_ANY,
	.class_code = -1,
	.subclass = -1,
	.prog_if = -1,
	.probe = vnet_probe,
};
