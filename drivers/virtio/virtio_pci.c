/*
 * virtio_pci.c - the virtio 1.x modern PCI transport (interface and what
 * is not supported: virtio_pci.h).
 *
 * Every capability's (BAR, offset, length) is checked against the BAR's
 * size before it is used, the common configuration's length against the
 * fields read, and the queue's notify offset against the notify area.
 * Queue memory is one zeroed, physically contiguous block from the page
 * allocator, reached through the direct map; it is never freed (devices
 * are never removed).
 */
#include "virtio_pci.h"

#include <optios/abi/errno.h>

#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"

/* Capability layout (after the generic id and next bytes). */
#define CAP_LEN 2
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16

enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* Common configuration registers. */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0C
#define COMMON_MSIX_CONFIG 0x10
#define COMMON_NUM_QUEUES 0x12
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1A
#define COMMON_Q_ENABLE 0x1C
#define COMMON_Q_NOFF 0x1E
#define COMMON_Q_DESC 0x20
#define COMMON_Q_DRIVER 0x28
#define COMMON_Q_DEVICE 0x30
#define COMMON_LEN 0x38
#define NO_VECTOR 0xFFFF

#define R8(p, off) (*(volatile uint8_t *)((p) + (off)))
#define R16(p, off) (*(volatile uint16_t *)((p) + (off)))
#define R32(p, off) (*(volatile uint32_t *)((p) + (off)))

static void w64(volatile uint8_t *p, unsigned off, uint64_t v)
{
	R32(p, off) = (uint32_t)v;
	R32(p, off + 4) = (uint32_t)(v >> 32);
}

/* Maps the structure a vendor capability describes; NULL if the capability
 * points outside its BAR or the BAR cannot be mapped. */
static volatile uint8_t *map_cap(struct pci_dev *dev, unsigned cap, uint32_t min_len, uint32_t *len)
{
	unsigned bar = pci_read8(dev, cap + CAP_BAR);
	uint32_t off = pci_read32(dev, cap + CAP_OFFSET);
	*len = pci_read32(dev, cap + CAP_LENGTH);
	if (bar >= 6 || *len < min_len || off >= dev->bar[bar].size || *len > dev->bar[bar].size - off)
		return NULL;
	uint8_t *base = pci_map_bar(dev, bar);
	return base ? base + off : NULL;
}

/* Finds each structure's first capability (the spec: the first one of a
 * type the driver can use is the one to use). */
static int find_structures(struct virtio_pci *vp)
{
	struct pci_dev *dev = vp->pci;
	uint32_t len;
	for (unsigned cap = pci_find_cap(dev, PCI_CAP_VENDOR); cap;
	     cap = pci_find_next_cap(dev, cap, PCI_CAP_VENDOR)) {
		uint8_t type = pci_read8(dev, cap + CAP_CFG_TYPE);
		if (pci_read8(dev, cap + CAP_LEN) < 16)
			continue;
		if (type == CFG_COMMON && !vp->common)
			vp->common = map_cap(dev, cap, COMMON_LEN, &len);
		else if (type == CFG_ISR && !vp->isr)
			vp->isr = map_cap(dev, cap, 1, &len);
		else if (type == CFG_DEVICE && !vp->device_cfg)
			vp->device_cfg = map_cap(dev, cap, 1, &vp->device_cfg_len);
		else if (type == CFG_NOTIFY && !vp->notify_base && pci_read8(dev, cap + CAP_LEN) >= 20) {
			vp->notify_base = map_cap(dev, cap, 2, &vp->notify_len);
			vp->notify_mult = pci_read32(dev, cap + CAP_NOTIFY_MULT);
		}
	}
	return vp->common && vp->isr && vp->notify_base ? 0 : -ENODEV;
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	R8(vp->common, COMMON_STATUS) = 0;
	for (unsigned i = 0; i < 1000000 && R8(vp->common, COMMON_STATUS) != 0; i++)
		cpu_relax(); /* the spec: wait until the reset is done */
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
	return R8(vp->common, COMMON_STATUS);
}

static void set_status(struct virtio_pci *vp, uint8_t bits)
{
	R8(vp->common, COMMON_STATUS) = (uint8_t)(R8(vp->common, COMMON_STATUS) | bits);
}

int virtio_pci_open(struct virtio_pci *vp, struct pci_dev *dev)
{
	*vp = (struct virtio_pci){.pci = dev};
	if (dev->vendor != VIRTIO_VENDOR || find_structures(vp) != 0)
		return -ENODEV;
	pci_enable(dev, true);
	virtio_pci_reset(vp);
	if (R8(vp->common, COMMON_STATUS) != 0)
		return -EIO;
	set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(vp, VIRTIO_STATUS_DRIVER);
	return 0;
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted, uint64_t *got)
{
	R32(vp->common, COMMON_DFSELECT) = 0;
	uint64_t offered = R32(vp->common, COMMON_DF);
	R32(vp->common, COMMON_DFSELECT) = 1;
	offered |= (uint64_t)R32(vp->common, COMMON_DF) << 32;
	*got = offered & wanted;
	if (!(*got & (1ull << VIRTIO_F_VERSION_1)))
		return -ENODEV; /* a legacy-only device */
	R32(vp->common, COMMON_GFSELECT) = 0;
	R32(vp->common, COMMON_GF) = (uint32_t)*got;
	R32(vp->common, COMMON_GFSELECT) = 1;
	R32(vp->common, COMMON_GF) = (uint32_t)(*got >> 32);
	set_status(vp, VIRTIO_STATUS_FEATURES_OK);
	if (!(R8(vp->common, COMMON_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		set_status(vp, VIRTIO_STATUS_FAILED);
		return -EIO;
	}
	return 0;
}

int virtio_pci_queue_setup(struct virtio_pci *vp, unsigned index, struct virtq *q, uint16_t max_size,
			   volatile uint16_t **notify)
{
	volatile uint8_t *c = vp->common;
	if (index >= R16(c, COMMON_NUM_QUEUES))
		return -ENODEV;
	R16(c, COMMON_Q_SELECT) = (uint16_t)index;
	uint16_t size = R16(c, COMMON_Q_SIZE);
	if (size == 0 || R16(c, COMMON_Q_ENABLE))
		return -EIO;
	uint16_t want = 1; /* the largest power of two within both limits */
	while ((unsigned)want * 2 <= size && (unsigned)want * 2 <= max_size)
		want = (uint16_t)(want * 2);
	size = want;
	struct virtq_layout l;
	if (virtq_layout(size, &l))
		return -EIO;
	size_t pages = ALIGN_UP(l.total, PAGE_SIZE) / PAGE_SIZE;
	uint64_t pa = pmm_alloc_contig(pages, 1);
	if (!pa)
		return -ENOMEM;
	memset(phys_to_virt(pa), 0, pages * PAGE_SIZE);
	virtq_init(q, size, phys_to_virt(pa));
	uint32_t noff = (uint32_t)R16(c, COMMON_Q_NOFF) * vp->notify_mult;
	if (noff > vp->notify_len - 2) {
		pmm_free_contig(pa, pages);
		return -EIO;
	}
	*notify = (volatile uint16_t *)(vp->notify_base + noff);
	R16(c, COMMON_Q_SIZE) = size;
	w64(c, COMMON_Q_DESC, pa + l.desc_off);
	w64(c, COMMON_Q_DRIVER, pa + l.avail_off);
	w64(c, COMMON_Q_DEVICE, pa + l.used_off);
	R16(c, COMMON_MSIX_CONFIG) = NO_VECTOR; /* no configuration-change interrupts */
	R16(c, COMMON_Q_MSIX) = vp->msix ? 0 : NO_VECTOR;
	if (vp->msix && R16(c, COMMON_Q_MSIX) != 0)
		return -EIO; /* the device could not take the vector */
	R16(c, COMMON_Q_ENABLE) = 1;
	return 0;
}

void virtio_pci_ready(struct virtio_pci *vp)
{
	set_status(vp, VIRTIO_STATUS_DRIVER_OK);
}

uint8_t virtio_pci_isr(struct virtio_pci *vp)
{
	return *vp->isr;
}
