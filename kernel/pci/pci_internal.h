/*
 * pci_internal.h - what pci.c and pci_core.c share, and what the host tests
 * drive: configuration-space decoding over an accessor, with no hardware.
 */
#ifndef KERNEL_PCI_PCI_INTERNAL_H
#define KERNEL_PCI_PCI_INTERNAL_H

#include "pci.h"

#define PCI_CFG_PORT_SIZE 256 /* configuration space through 0xCF8/0xCFC */
#define PCI_CFG_ECAM_SIZE 4096 /* through ECAM (PCI Express) */
#define PCI_CAP_MAX_STEPS 48 /* (256 - 64) / 4: longer is a loop */

/* Port I/O configuration access (pci.c on the machine, the tests' fake on
 * the host): one aligned dword of dev's space; off < 256, off % 4 == 0. */
uint32_t pci_pio_read32(const struct pci_dev *dev, unsigned off);
void pci_pio_write32(const struct pci_dev *dev, unsigned off, uint32_t val);

/* Reads the identity and header fields of dev (its address and access
 * already set) from configuration space. */
void pci_read_header(struct pci_dev *dev);
/* Sizes the six BARs (a bridge's two) with decoding turned off meanwhile,
 * then restores the command register. */
void pci_read_bars(struct pci_dev *dev);

/* MSI-X: where its table is (BAR index and offset) and how many entries. */
struct pci_msix_info {
	unsigned cap, bar, entries;
	uint32_t table_offset;
};
/* 0 and *out, or -ENODEV (no MSI-X) / -EINVAL (a table that is not inside
 * an implemented memory BAR). */
int pci_msix_info(const struct pci_dev *dev, struct pci_msix_info *out);

/* Programs MSI-X: entry 0 of the table (mapped at table) gets the message
 * and is unmasked, every other entry masked, then MSI-X is enabled with the
 * function unmasked. */
void pci_msix_program(const struct pci_dev *dev, const struct pci_msix_info *m, volatile uint32_t *table,
		      uint64_t addr, uint32_t data);
/* Programs MSI with one message (the 32- or 64-bit layout, per-vector mask
 * of vector 0 cleared if the device has one) and enables it; -ENODEV if the
 * device has no MSI capability. */
int pci_msi_program(const struct pci_dev *dev, uint64_t addr, uint32_t data);

/* The x86 MSI message for a fixed, edge-triggered interrupt to vector on
 * the local APIC lapic_id (xAPIC physical destination mode). */
uint64_t pci_msi_address(uint32_t lapic_id);
uint32_t pci_msi_data(unsigned vector);

/* The offset of bus/dev/fn inside an ECAM window starting at bus_start. */
static inline uint64_t pci_ecam_offset(uint8_t bus_start, uint8_t bus, uint8_t dev, uint8_t fn)
{
	return ((uint64_t)(bus - bus_start) << 20) | ((uint64_t)(dev & 31) << 15) |
	       ((uint64_t)(fn & 7) << 12);
}

#endif
