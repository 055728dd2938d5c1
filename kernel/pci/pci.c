/*
 * pci.c - finding the PCI devices, handing them to drivers, and the
 * machine-dependent half of the interface: configuration space by port I/O,
 * BAR mappings, interrupts (pci.h; decoding in pci_core.c).
 *
 * Enumeration is recursive from each root bus: a segment's first bus in the
 * MCFG (ECAM), else bus 0 (port I/O, one segment). A bridge (header type 1)
 * leads to its secondary bus. The firmware (SeaBIOS, OVMF) has numbered the
 * buses and assigned every BAR by the time the kernel runs; OptiOS reads
 * that assignment and changes none of it: a BAR left at 0 is unusable. A
 * brute-force scan of all 256 buses would find nothing more on such a
 * machine and costs 8192 probes per segment; the walk costs 32 per bus
 * present. A bitmap of buses seen stops a hostile bridge loop, PCI_MAX_DEPTH
 * bounds the recursion (the stack), and the list holds at most
 * PCI_MAX_DEVICES functions.
 *
 * Interrupts: MSI-X entry 0 (others stay masked), else MSI with one
 * message, both aimed at the boot CPU's local APIC; else INTx through the
 * I/O APIC. INTx lines are shared: one vector per line, whose handler calls
 * every device handler registered on it (each checks its own device).
 *
 * State: the device list and the INTx table are written during pci_init
 * and by drivers' probes (boot, one CPU), read afterwards.
 */
#include "pci_internal.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"

#define PCI_MAX_DEVICES 256
#define PCI_MAX_DEPTH 16 /* nested bridges (the walk recurses: bounded stack) */
#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC
#define INTX_LINES 8
#define INTX_SHARERS 4

static struct pci_dev *devices, **devices_tail = &devices;
static size_t device_count;
static enum pci_irq_kind irq_max = PCI_IRQ_MSIX; /* optios.pci_irq caps it */

/* ---- port I/O configuration access ---- */

static uint32_t pio_address(const struct pci_dev *dev, unsigned off)
{
	return 0x80000000u | (uint32_t)dev->bus << 16 | (uint32_t)(dev->dev & 31) << 11 |
	       (uint32_t)(dev->fn & 7) << 8 | (off & 0xFC);
}

uint32_t pci_pio_read32(const struct pci_dev *dev, unsigned off)
{
	uint64_t f = irq_save();
	outl(CONFIG_ADDRESS, pio_address(dev, off));
	uint32_t v = inl(CONFIG_DATA);
	irq_restore(f);
	return v;
}

void pci_pio_write32(const struct pci_dev *dev, unsigned off, uint32_t val)
{
	uint64_t f = irq_save();
	outl(CONFIG_ADDRESS, pio_address(dev, off));
	outl(CONFIG_DATA, val);
	irq_restore(f);
}

/* ---- enumeration ---- */

struct segment {
	uint16_t seg;
	uint64_t ecam_base; /* 0: port I/O */
	uint8_t bus_start, bus_end;
	uint64_t seen[4]; /* buses already walked */
	unsigned depth; /* bridges crossed to reach the bus being walked */
};

static void scan_bus(struct segment *s, unsigned bus);

/* The bus's 1 MiB of ECAM (32 devices x 8 functions x 4 KiB), mapped once
 * per bus walked; NULL for port I/O, or a bus outside the window or
 * unmappable (skipped). */
static volatile uint8_t *map_bus(const struct segment *s, unsigned bus, bool *ok)
{
	*ok = !s->ecam_base;
	if (!s->ecam_base || bus < s->bus_start || bus > s->bus_end)
		return NULL;
	volatile uint8_t *p =
		vm_map_mmio(s->ecam_base + pci_ecam_offset(s->bus_start, (uint8_t)bus, 0, 0), 1u << 20);
	*ok = p != NULL;
	return p;
}

static void add_function(struct segment *s, volatile uint8_t *busmap, unsigned bus, unsigned dev, unsigned fn,
			 bool *multi)
{
	struct pci_dev probe = {.seg = s->seg, .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn};
	if (busmap)
		probe.ecam = busmap + pci_ecam_offset(0, 0, (uint8_t)dev, (uint8_t)fn);
	if (pci_read16(&probe, PCI_VENDOR_ID) == 0xFFFF)
		return;
	if (fn == 0)
		*multi = pci_read8(&probe, PCI_HEADER_TYPE) & 0x80;
	if (device_count == PCI_MAX_DEVICES) {
		klog(KLOG_WARN, "pci: more than %u functions: %02x:%02x.%u ignored", PCI_MAX_DEVICES, bus,
		     dev, fn);
		return;
	}
	struct pci_dev *d = kzalloc(sizeof *d);
	if (!d)
		return;
	*d = probe;
	pci_read_header(d);
	pci_read_bars(d);
	*devices_tail = d;
	devices_tail = &d->next;
	device_count++;
	if (d->header_type == 1) {
		unsigned secondary = pci_read8(d, PCI_SECONDARY_BUS);
		if (secondary <= bus) /* buses are numbered depth first: lower is a loop */
			return;
		if (s->depth == PCI_MAX_DEPTH) {
			klog(KLOG_WARN, "pci: bridges nested deeper than %u: bus %u not walked",
			     PCI_MAX_DEPTH, secondary);
			return;
		}
		s->depth++;
		scan_bus(s, secondary);
		s->depth--;
	}
}

static void scan_bus(struct segment *s, unsigned bus)
{
	if (bus > 255 || (s->seen[bus / 64] >> (bus % 64) & 1))
		return;
	s->seen[bus / 64] |= 1ull << (bus % 64);
	bool ok;
	volatile uint8_t *busmap = map_bus(s, bus, &ok);
	for (unsigned dev = 0; ok && dev < 32; dev++) {
		bool multi = false;
		add_function(s, busmap, bus, dev, 0, &multi);
		for (unsigned fn = 1; multi && fn < 8; fn++)
			add_function(s, busmap, bus, dev, fn, &multi);
	}
}

static void enumerate(void)
{
	const struct acpi_info *acpi = acpi_get();
	if (acpi->ecam_count == 0) {
		struct segment s = {0};
		scan_bus(&s, 0);
		klog(KLOG_INFO, "pci: configuration by port I/O (no MCFG): %zu functions", device_count);
		return;
	}
	for (size_t i = 0; i < acpi->ecam_count; i++) {
		const struct acpi_ecam *e = &acpi->ecam[i];
		struct segment s = {.seg = e->segment,
				    .ecam_base = e->base,
				    .bus_start = e->bus_start,
				    .bus_end = e->bus_end};
		scan_bus(&s, e->bus_start);
	}
	klog(KLOG_INFO, "pci: configuration by ECAM (%zu segments): %zu functions", acpi->ecam_count,
	     device_count);
}

/* ---- what drivers call ---- */

void *pci_map_bar(struct pci_dev *dev, unsigned bar)
{
	if (bar >= 6 || dev->bar[bar].io || dev->bar[bar].size == 0 || dev->bar[bar].base == 0)
		return NULL;
	if (!dev->bar_map[bar])
		dev->bar_map[bar] = vm_map_mmio(dev->bar[bar].base, dev->bar[bar].size);
	return dev->bar_map[bar];
}

void pci_enable(struct pci_dev *dev, bool bus_master)
{
	uint16_t cmd = pci_read16(dev, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
	if (bus_master)
		cmd |= PCI_COMMAND_MASTER;
	pci_write16(dev, PCI_COMMAND, cmd);
}

struct pci_dev *pci_first(void)
{
	return devices;
}

/* ---- interrupts ---- */

static int setup_msix(struct pci_dev *dev, unsigned vector)
{
	struct pci_msix_info m;
	if (pci_msix_info(dev, &m) != 0)
		return -ENODEV;
	uint8_t *bar = pci_map_bar(dev, m.bar);
	if (!bar)
		return -ENODEV;
	pci_msix_program(dev, &m, (volatile uint32_t *)(bar + m.table_offset),
			 pci_msi_address(arch_lapic_id()), pci_msi_data(vector));
	return 0;
}

static int setup_msi(struct pci_dev *dev, unsigned vector)
{
	return pci_msi_program(dev, pci_msi_address(arch_lapic_id()), pci_msi_data(vector));
}

struct intx_line {
	unsigned line;
	int vector;
	size_t n;
	struct {
		irq_handler_fn fn;
		void *arg;
	} sharers[INTX_SHARERS];
};
static struct intx_line intx_lines[INTX_LINES];

static void intx_dispatch(void *arg)
{
	struct intx_line *l = arg;
	for (size_t i = 0; i < l->n; i++)
		l->sharers[i].fn(l->sharers[i].arg);
}

/* Adds fn to the handlers of dev's line, routing the line on first use. */
static int setup_intx(struct pci_dev *dev, irq_handler_fn fn, void *arg, const char *name)
{
	if (dev->irq_pin == 0 || dev->irq_line == 0 || dev->irq_line == 0xFF)
		return -ENODEV; /* no pin, or the firmware routed none */
	struct intx_line *l = NULL;
	for (size_t i = 0; i < INTX_LINES && !l; i++)
		if (intx_lines[i].n && intx_lines[i].line == dev->irq_line)
			l = &intx_lines[i];
	for (size_t i = 0; i < INTX_LINES && !l; i++)
		if (intx_lines[i].n == 0)
			l = &intx_lines[i];
	if (!l || l->n == INTX_SHARERS)
		return -ENOSPC;
	if (l->n == 0) {
		int v = irq_alloc_vector(name, intx_dispatch, l);
		if (v < 0)
			return v;
		int err = arch_irq_route_pci(dev->irq_line, (unsigned)v);
		if (err)
			return err; /* the vector stays allocated, unrouted: vectors are never freed */
		l->line = dev->irq_line;
		l->vector = v;
	}
	uint64_t f = irq_save();
	l->sharers[l->n].fn = fn;
	l->sharers[l->n].arg = arg;
	l->n++;
	irq_restore(f);
	pci_write16(dev, PCI_COMMAND, pci_read16(dev, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
	return l->vector;
}

int pci_irq_setup(struct pci_dev *dev, irq_handler_fn fn, void *arg, const char *name)
{
	if (irq_max >= PCI_IRQ_MSI && (pci_find_cap(dev, PCI_CAP_MSIX) || pci_find_cap(dev, PCI_CAP_MSI))) {
		int v = irq_alloc_vector(name, fn, arg);
		if (v < 0)
			return v;
		if (irq_max >= PCI_IRQ_MSIX && setup_msix(dev, (unsigned)v) == 0)
			dev->irq_kind = PCI_IRQ_MSIX;
		else if (setup_msi(dev, (unsigned)v) == 0)
			dev->irq_kind = PCI_IRQ_MSI;
		if (dev->irq_kind != PCI_IRQ_NONE) {
			pci_write16(dev, PCI_COMMAND,
				    pci_read16(dev, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
			return dev->irq_vector = v;
		}
		/* Neither took: the vector stays allocated with its handler, never raised. */
	}
	int v = setup_intx(dev, fn, arg, name);
	if (v < 0)
		return v;
	dev->irq_kind = PCI_IRQ_INTX;
	return dev->irq_vector = v;
}

/* ---- matching drivers ---- */

static bool matches(const struct pci_driver *drv, const struct pci_dev *d)
{
	return (drv->vendor == PCI_ANY || drv->vendor == d->vendor) &&
	       (drv->device == PCI_ANY || drv->device == d->device) &&
	       (drv->class_code < 0 || drv->class_code == d->class_code) &&
	       (drv->subclass < 0 || drv->subclass == d->subclass) &&
	       (drv->prog_if < 0 || drv->prog_if == d->prog_if);
}

static void probe(struct pci_dev *d)
{
	for (size_t i = 0; i < pci_driver_count && !d->driver; i++) {
		const struct pci_driver *drv = pci_driver_table[i];
		if (!matches(drv, d))
			continue;
		int err = drv->probe(d);
		if (err == 0) {
			d->driver = drv;
			klog(KLOG_INFO, "pci: %02x:%02x.%u %04x:%04x %s: driver %s (%s)", d->bus, d->dev,
			     d->fn, d->vendor, d->device, pci_class_name(d->class_code, d->subclass),
			     drv->name, pci_irq_kind_name(d->irq_kind));
		} else if (err != -ENODEV) {
			klog(KLOG_ERROR, "pci: %02x:%02x.%u %04x:%04x: driver %s failed (%d)", d->bus, d->dev,
			     d->fn, d->vendor, d->device, drv->name, err);
		}
	}
}

static void read_irq_option(const struct bootinfo *bi)
{
	char val[8];
	if (!bootinfo_arg(bi, "optios.pci_irq", val, sizeof val))
		return;
	if (strcmp(val, "intx") == 0)
		irq_max = PCI_IRQ_INTX;
	else if (strcmp(val, "msi") == 0)
		irq_max = PCI_IRQ_MSI;
	else
		klog(KLOG_WARN, "optios.pci_irq=%s: unknown (intx, msi)", val);
}

void pci_init(const struct bootinfo *bi)
{
	read_irq_option(bi);
	enumerate();
	for (struct pci_dev *d = devices; d; d = d->next)
		probe(d);
}
