/*
 * e1000.c - Intel 8254x gigabit Ethernet (82540EM: QEMU's `-device e1000`,
 * the `pc` machine's default NIC; also 82545EM, 82574 is e1000e and not
 * this), registered as a network device (kernel/net). Register and
 * descriptor layouts: Intel's "PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual" (8254x), chapters 3 and 13.
 *
 * Theory of operation. Probe maps BAR0 (registers), resets the MAC,
 * reads the address from RAL0/RAH0 (the EEPROM's, loaded at reset; read
 * through EERD if RAH's valid bit is clear), sets up one receive and one
 * transmit ring of legacy descriptors, clears the multicast table and
 * enables receive (broadcast accepted, CRC stripped, 2048-byte buffers),
 * transmit (pad short frames, CRC appended by the MAC) and interrupts for
 * receive, transmit done, link change and receive overrun.
 *
 * Interrupt: reads ICR (which clears it and lowers a level-triggered INTx
 * line; 0 means a device sharing the line), counts it, kicks the work
 * loop. Nothing else. The loop's poll takes received descriptors (DD set)
 * from rx_next, hands good frames up, gives each descriptor straight back
 * (RDT), reclaims sent ones, and reads the link from STATUS.
 *
 * Invariants: the receive ring has RING descriptors, all owned by the
 * device except the one at RDT (head == tail means empty to the MAC, so
 * one slot stays unused); rx_next is the next descriptor the device will
 * complete. Transmit descriptors from tx_clean to TDT are in flight;
 * tx_clean == (TDT + 1) % RING means the ring is full. A descriptor's
 * length is checked against BUF_SIZE before the frame is read; a frame
 * spread over several descriptors (no EOP) cannot happen with 2048-byte
 * buffers and no long-packet mode, and is dropped if it does.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/net/net.h"
#include "kernel/pci/pci.h"
#include "lib/lib.h"

#define INTEL 0x8086
#define RING 64 /* descriptors per ring: 1 KiB of descriptors, a multiple of 128 bytes */
#define BUF_SIZE 2048

/* Registers (byte offsets in BAR0). */
#define CTRL 0x0000
#define STATUS 0x0008
#define EERD 0x0014
#define ICR 0x00C0
#define IMS 0x00D0
#define IMC 0x00D8
#define RCTL 0x0100
#define TCTL 0x0400
#define TIPG 0x0410
#define RDBAL 0x2800
#define RDBAH 0x2804
#define RDLEN 0x2808
#define RDH 0x2810
#define RDT 0x2818
#define TDBAL 0x3800
#define TDBAH 0x3804
#define TDLEN 0x3808
#define TDH 0x3810
#define TDT 0x3818
#define MTA 0x5200
#define RAL0 0x5400
#define RAH0 0x5404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define RAH_AV (1u << 31)
#define EERD_START 1u
#define EERD_DONE (1u << 4)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)
#define RCTL_SECRC (1u << 26) /* BSIZE 00, BSEX 0: 2048-byte buffers */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x10u << 4)
#define TCTL_COLD (0x40u << 12)
#define TIPG_82540 (10u | 8u << 10 | 6u << 20)
#define INT_TXDW (1u << 0)
#define INT_LSC (1u << 2)
#define INT_RXDMT0 (1u << 4)
#define INT_RXO (1u << 6)
#define INT_RXT0 (1u << 7)

#define RX_DD 0x01
#define RX_EOP 0x02
#define TX_CMD_EOP 0x01
#define TX_CMD_IFCS 0x02
#define TX_CMD_RS 0x08
#define TX_DD 0x01

struct rx_desc {
	uint64_t addr;
	uint16_t length, csum;
	uint8_t status, errors;
	uint16_t special;
};

struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};

_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "descriptor layout");

struct e1000 {
	struct netdev dev;
	struct pci_dev *pci;
	volatile uint8_t *regs;
	volatile struct rx_desc *rx;
	volatile struct tx_desc *tx;
	uint64_t rx_pa[RING], tx_pa[RING]; /* buffer of descriptor i */
	unsigned rx_next, tx_clean, tx_tail;
};

static unsigned nics;

static uint32_t rd(struct e1000 *e, unsigned reg)
{
	return *(volatile uint32_t *)(e->regs + reg);
}

static void wr(struct e1000 *e, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(e->regs + reg) = v;
}

static void on_irq(void *arg)
{
	struct e1000 *e = arg;
	if (!rd(e, ICR))
		return; /* not ours: a device sharing the line */
	e->dev.stats.irqs++;
	netdev_kick(&e->dev);
}

static void poll_rx(struct e1000 *e)
{
	unsigned n = 0;
	while (n < NETDEV_POLL_BUDGET) {
		volatile struct rx_desc *d = &e->rx[e->rx_next];
		uint8_t status = d->status;
		if (!(status & RX_DD))
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the status before the rest */
		uint16_t len = d->length;
		if (!(status & RX_EOP) || d->errors || len > BUF_SIZE)
			e->dev.stats.rx_errors++;
		else
			netdev_receive(&e->dev, phys_to_virt(e->rx_pa[e->rx_next]), len);
		d->status = 0;
		__atomic_thread_fence(__ATOMIC_RELEASE);
		wr(e, RDT, e->rx_next); /* back to the device */
		e->rx_next = (e->rx_next + 1) % RING;
		n++;
	}
	if (n == NETDEV_POLL_BUDGET)
		netdev_kick(&e->dev);
}

static void reclaim_tx(struct e1000 *e)
{
	while (e->tx_clean != e->tx_tail && (e->tx[e->tx_clean].status & TX_DD))
		e->tx_clean = (e->tx_clean + 1) % RING;
}

static void e1000_poll(struct netdev *dev)
{
	struct e1000 *e = dev->priv;
	poll_rx(e);
	reclaim_tx(e);
	dev->link_up = rd(e, STATUS) & STATUS_LU;
}

static int e1000_transmit(struct netdev *dev, const void *frame, size_t len)
{
	struct e1000 *e = dev->priv;
	unsigned next = (e->tx_tail + 1) % RING;
	if (next == e->tx_clean)
		reclaim_tx(e);
	if (next == e->tx_clean)
		return -EAGAIN;
	memcpy(phys_to_virt(e->tx_pa[e->tx_tail]), frame, len);
	volatile struct tx_desc *d = &e->tx[e->tx_tail];
	d->addr = e->tx_pa[e->tx_tail];
	d->length = (uint16_t)len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = TX_CMD_EOP | TX_CMD_IFCS | TX_CMD_RS;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the descriptor before the tail that publishes it */
	e->tx_tail = next;
	wr(e, TDT, next);
	return 0;
}

static const struct netdev_ops e1000_ops = {.transmit = e1000_transmit, .poll = e1000_poll};

/* The MAC address: RAL0/RAH0 when valid, else EEPROM words 0-2. */
static int read_mac(struct e1000 *e)
{
	uint32_t ral = rd(e, RAL0), rah = rd(e, RAH0);
	if (rah & RAH_AV) {
		for (int i = 0; i < 4; i++)
			e->dev.mac[i] = (uint8_t)(ral >> (8 * i));
		e->dev.mac[4] = (uint8_t)rah;
		e->dev.mac[5] = (uint8_t)(rah >> 8);
		return 0;
	}
	for (unsigned w = 0; w < 3; w++) {
		wr(e, EERD, EERD_START | w << 8);
		uint32_t v = 0;
		for (unsigned i = 0; i < 100000 && !((v = rd(e, EERD)) & EERD_DONE); i++)
			cpu_relax();
		if (!(v & EERD_DONE))
			return -EIO;
		e->dev.mac[2 * w] = (uint8_t)(v >> 16);
		e->dev.mac[2 * w + 1] = (uint8_t)(v >> 24);
	}
	return 0;
}

static int alloc_rings(struct e1000 *e)
{
	uint64_t rx = pmm_alloc_zeroed(), tx = pmm_alloc_zeroed();
	if (!rx || !tx)
		return -ENOMEM; /* probe failed: pages stay (never freed, as the device's) */
	e->rx = phys_to_virt(rx);
	e->tx = phys_to_virt(tx);
	for (unsigned i = 0; i < RING; i += 2) {
		uint64_t a = pmm_alloc_zeroed(), b = pmm_alloc_zeroed();
		if (!a || !b)
			return -ENOMEM;
		e->rx_pa[i] = a, e->rx_pa[i + 1] = a + BUF_SIZE;
		e->tx_pa[i] = b, e->tx_pa[i + 1] = b + BUF_SIZE;
	}
	for (unsigned i = 0; i < RING; i++)
		e->rx[i].addr = e->rx_pa[i];
	return 0;
}

static void start(struct e1000 *e)
{
	uint64_t rx = virt_to_phys((const void *)e->rx), tx = virt_to_phys((const void *)e->tx);
	for (unsigned i = 0; i < 128; i++)
		wr(e, MTA + 4 * i, 0);
	wr(e, RDBAL, (uint32_t)rx);
	wr(e, RDBAH, (uint32_t)(rx >> 32));
	wr(e, RDLEN, RING * sizeof(struct rx_desc));
	wr(e, RDH, 0);
	wr(e, RDT, RING - 1);
	wr(e, TDBAL, (uint32_t)tx);
	wr(e, TDBAH, (uint32_t)(tx >> 32));
	wr(e, TDLEN, RING * sizeof(struct tx_desc));
	wr(e, TDH, 0);
	wr(e, TDT, 0);
	wr(e, TIPG, TIPG_82540);
	wr(e, TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(e, RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	wr(e, IMS, INT_RXT0 | INT_RXO | INT_RXDMT0 | INT_LSC | INT_TXDW);
}

static int e1000_probe(struct pci_dev *pci)
{
	if (nics >= NETDEV_MAX)
		return -ENOSPC;
	struct e1000 *e = kzalloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	e->pci = pci;
	e->dev.driver = "e1000";
	e->dev.ops = &e1000_ops;
	e->dev.priv = e;
	e->dev.mtu = ETH_MTU;
	pci_enable(pci, true);
	e->regs = pci_map_bar(pci, 0);
	if (!e->regs || pci->bar[0].io || pci->bar[0].size < 0x20000)
		return -EIO;
	wr(e, IMC, 0xffffffff);
	wr(e, CTRL, rd(e, CTRL) | CTRL_RST);
	for (unsigned i = 0; i < 100000 && (rd(e, CTRL) & CTRL_RST); i++)
		cpu_relax();
	wr(e, IMC, 0xffffffff);
	rd(e, ICR);
	wr(e, CTRL, (rd(e, CTRL) | CTRL_SLU | CTRL_ASDE) & ~CTRL_RST);
	int err = read_mac(e);
	if (!err)
		err = alloc_rings(e);
	if (!err) {
		int vec = pci_irq_setup(pci, on_irq, e, "e1000");
		err = vec < 0 ? vec : 0;
	}
	if (err) {
		wr(e, RCTL, 0);
		wr(e, TCTL, 0);
		return err;
	}
	start(e);
	e->dev.link_up = rd(e, STATUS) & STATUS_LU;
	if ((err = netdev_register(&e->dev)))
		return err;
	nics++;
	pci->driver_data = e;
	return 0;
}

/* The 8254x parts QEMU and common hardware have (legacy descriptors alike). */
static int e1000_match(struct pci_dev *pci)
{
	static const uint16_t ids[] = {0x100E /* 82540EM */, 0x100F /* 82545EM */, 0x1004 /* 82543GC */};
	for (unsigned i = 0; i < ARRAY_SIZE(ids); i++)
		if (pci->device == ids[i])
			return e1000_probe(pci);
	return -ENODEV;
}

const struct pci_driver e1000_driver = {
	.name = "e1000",
	.vendor = INTEL,
	.device = PCI_ANY,
	.class_code = 2,
	.subclass = 0,
	.prog_if = -1,
	.probe = e1000_match,
};
