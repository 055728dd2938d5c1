/*
 * pci.h - the PCI bus: enumeration, configuration space, BARs, interrupts,
 * and the table of PCI drivers matched against the devices found.
 *
 * Theory of operation. pci_init (kernel/main.c, after ACPI, interrupts and
 * the drivers' init) walks every bus of every segment - through ECAM when
 * ACPI's MCFG names one (QEMU q35, real PCs), through port I/O 0xCF8/0xCFC
 * otherwise (QEMU pc) - and records each function in a struct pci_dev: its
 * identity, its sized BARs and its interrupt pin. It then offers every
 * device to pci_driver_table (drivers/drivers.c) in order; the first driver
 * whose ids match and whose probe returns 0 owns it, and the kernel log
 * names the pairing. A probe returns -ENODEV for "not mine" (the next driver
 * is tried) and any other -E for a device it recognised but could not bring
 * up (logged; the device stays unowned).
 *
 * A driver then enables the device (pci_enable), maps its registers
 * (pci_map_bar) and asks for an interrupt (pci_irq_setup): MSI-X when the
 * device has it, else MSI, else its legacy INTx pin through the I/O APIC.
 *
 * Configuration space is input from hardware: every offset is bounded (256
 * bytes through port I/O, 4096 through ECAM), capability lists are walked
 * with a step limit, BAR sizes are checked to be powers of two.
 *
 * Host-buildable: pci_core.c (BAR decoding, capability walk, MCFG-derived
 * ECAM addressing) runs in tests/host against a fake configuration space.
 */
#ifndef KERNEL_PCI_PCI_H
#define KERNEL_PCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/irq/irq.h"

#define PCI_ANY 0xffff

/* Configuration space registers (type 0 header unless noted). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) */
#define PCI_SUBORDINATE_BUS 0x1a /* type 1 (bridge) */
#define PCI_CAP_PTR 0x34
#define PCI_IRQ_LINE 0x3c
#define PCI_IRQ_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST 0x0010

/* Capability ids. */
#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11

enum pci_irq_kind { PCI_IRQ_NONE, PCI_IRQ_INTX, PCI_IRQ_MSI, PCI_IRQ_MSIX };

struct pci_bar {
	uint64_t base, size; /* size 0: the BAR is not implemented */
	bool io, is64, prefetch;
};

struct pci_driver;

struct pci_dev {
	uint16_t seg;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type; /* bit 7 masked off: 0 device, 1 bridge */
	uint8_t irq_pin, irq_line; /* pin 1..4 = INTA..INTD, 0 none */
	struct pci_bar bar[6];
	const struct pci_driver *driver; /* the owner, or NULL */
	void *driver_data;
	/* Interrupt chosen by pci_irq_setup. */
	enum pci_irq_kind irq_kind;
	int irq_vector; /* 0 until set up */
	/* Configuration access, filled by enumeration. */
	volatile uint8_t *ecam; /* this function's 4 KiB, or NULL: port I/O */
	void *bar_map[6]; /* pci_map_bar's mappings, once made */
	struct pci_dev *next; /* the list, in enumeration order */
};

struct pci_driver {
	const char *name;
	uint16_t vendor, device; /* PCI_ANY matches any */
	int16_t class_code, subclass, prog_if; /* -1 matches any */
	int (*probe)(struct pci_dev *dev); /* 0, -ENODEV (not mine), or -E */
};

/* The PCI drivers, tried in order (drivers/drivers.c). */
extern const struct pci_driver *const pci_driver_table[];
extern const size_t pci_driver_count;

/* Configuration space access; offsets beyond the space read as all ones and
 * writes there are dropped. */
uint8_t pci_read8(const struct pci_dev *dev, unsigned off);
uint16_t pci_read16(const struct pci_dev *dev, unsigned off);
uint32_t pci_read32(const struct pci_dev *dev, unsigned off);
void pci_write8(const struct pci_dev *dev, unsigned off, uint8_t val);
void pci_write16(const struct pci_dev *dev, unsigned off, uint16_t val);
void pci_write32(const struct pci_dev *dev, unsigned off, uint32_t val);

/* Maps a memory BAR uncached into the kernel; NULL for an I/O or absent BAR
 * or when mapping fails. Mapping the same BAR twice returns the same address. */
void *pci_map_bar(struct pci_dev *dev, unsigned bar);
/* The configuration offset of the first capability cap_id, 0 if absent. */
unsigned pci_find_cap(const struct pci_dev *dev, uint8_t cap_id);
/* The offset of the next capability cap_id after the one at `after` (to
 * walk repeated capabilities, e.g. virtio's vendor ones); 0 when none. */
unsigned pci_find_next_cap(const struct pci_dev *dev, unsigned after, uint8_t cap_id);
/* Turns on memory and I/O decoding, and bus mastering when asked. */
void pci_enable(struct pci_dev *dev, bool bus_master);

/* Interrupts: MSI-X if present (vector 0 of its table, the rest masked),
 * else MSI, else legacy INTx through the I/O APIC (level, active low).
 * Returns the vector (>= 32) or -E; dev->irq_kind names what was chosen. */
int pci_irq_setup(struct pci_dev *dev, irq_handler_fn fn, void *arg, const char *name);
/* "MSI-X", "MSI", "INTx" or "none". */
const char *pci_irq_kind_name(enum pci_irq_kind kind);

/* Enumeration and driver matching (kernel/main.c, after drivers_init).
 * The command line's optios.pci_irq=intx|msi caps what pci_irq_setup
 * offers (to exercise the fallbacks on a machine that has MSI-X). */
struct bootinfo;
void pci_init(const struct bootinfo *bi);
/* The devices in the order found (depth first: a bridge's buses follow
 * it); NULL when there are none. */
struct pci_dev *pci_first(void);
/* A readable class name ("mass storage", "bridge", ...). */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);

#endif
