/*
 * drivers.c - the driver table, in the order they come up (the interface
 * and the bring-up: kernel/driver/driver.h), and the PCI driver table,
 * tried in order against every PCI device (kernel/pci/pci.h).
 */
#include "kernel/driver/driver.h"
#include "kernel/pci/pci.h"
#include "lib/lib.h"

extern const struct driver uart_driver, fbcon_driver, ps2kbd_driver, qemu_driver;

const struct driver *const driver_table[] = {
	&fbcon_driver, /* first: later messages show on screen too */
	&uart_driver, /* early: the first console */
	&ps2kbd_driver, /* key events, reported to kernel/console */
	&qemu_driver, /* early: the test devices, before anything can panic */
};
const size_t driver_count = ARRAY_SIZE(driver_table);

extern const struct pci_driver virtio_blk_driver, virtio_net_driver, nvme_driver, e1000_driver;

const struct pci_driver *const pci_driver_table[] = {
	&virtio_blk_driver, /* vda, vdb, ... */
	&virtio_net_driver, /* network devices eth0, eth1, ... in bus order */
	&nvme_driver, /* nvme0n1, nvme1n1, ... */
	&e1000_driver, /* network devices too */
};
const size_t pci_driver_count = ARRAY_SIZE(pci_driver_table);
