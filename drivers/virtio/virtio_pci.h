/*
 * virtio_pci.h - the virtio 1.x modern PCI transport (virtio spec 4.1):
 * vendor-specific capabilities point into BARs at the common configuration
 * (features, status, queues), the notification area, the ISR status byte
 * and the device-specific configuration. Legacy (0.9) devices, which put
 * everything in an I/O BAR, are not supported: probe says -ENODEV.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/pci/pci.h"
#include "virtq.h"

#define VIRTIO_VENDOR 0x1AF4

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 32

struct virtio_pci {
	struct pci_dev *pci;
	volatile uint8_t *common, *isr, *device_cfg, *notify_base;
	uint32_t notify_mult, notify_len, device_cfg_len;
	bool msix;
};

/* Finds and maps the four structures and resets the device, then says
 * ACKNOWLEDGE and DRIVER. 0, -ENODEV (not a modern virtio device), -EIO. */
int virtio_pci_open(struct virtio_pci *vp, struct pci_dev *dev);
/* Offers the device's features masked by wanted (must include VERSION_1),
 * sets FEATURES_OK and checks the device kept it. 0 with *got, or -EIO. */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted, uint64_t *got);
/* Sets up queue index with q (size chosen: the device's maximum, at most
 * max_size), its memory allocated here; MSI-X vector 0 if vp->msix. 0 or -E. */
int virtio_pci_queue_setup(struct virtio_pci *vp, unsigned index, struct virtq *q, uint16_t max_size,
			   volatile uint16_t **notify);
/* DRIVER_OK: the device is live. */
void virtio_pci_ready(struct virtio_pci *vp);
/* Resets the device (it forgets its queues; used after a timeout). */
void virtio_pci_reset(struct virtio_pci *vp);
/* Reads the ISR byte (which clears it): bit 0 queue interrupt. */
uint8_t virtio_pci_isr(struct virtio_pci *vp);
uint8_t virtio_pci_status(struct virtio_pci *vp);

#endif
