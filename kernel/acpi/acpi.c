/*
 * acpi.c - finding the tables on this machine and keeping what they say.
 *
 * Theory of operation. ACPI is read once, early (before the interrupt
 * controllers come up), and reduced to one struct acpi_info that the rest of
 * the kernel reads through acpi_get(). The parsing itself is tables.c and
 * aml.c, plain C that never trusts a length or checksum; this file only
 * supplies physical memory to it and reports the result.
 *
 * The RSDP comes from the loader's copy (multiboot2 tags 14/15) when there
 * is one, else from the BIOS areas (EBDA, 0xE0000-0xFFFFF), which is how a
 * multiboot1 boot by QEMU -kernel finds it. UEFI machines with no RSDP tag
 * have no BIOS areas to scan: they come up without ACPI, and the interrupt
 * and timer code fall back to the architectural defaults.
 *
 * Physical memory is reached through vm_map_mmio. Tables cluster in one or
 * two firmware regions, so mappings are made in 2 MiB windows and reused:
 * a whole walk costs a handful of mappings, which are never unmapped (the
 * power-off path reads the parsed copy, not the tables).
 *
 * The interrupt wiring goes to arch_irq_init as an argument
 * (acpi_irq_wiring): arch reads no ACPI structure itself.
 *
 * Data: `info` is written only by acpi_init, read-only afterwards.
 */
#include "acpi.h"

#include <optios/abi/errno.h>

#include "acpi_internal.h"
#include "arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"

#define WINDOW (2ull << 20)
#define MAX_WINDOWS 8

static struct acpi_info info;

static struct window {
	uint64_t base, size;
	const uint8_t *virt;
} windows[MAX_WINDOWS];
static size_t window_count;

/* acpi_mem.map for the kernel: the smallest set of 2 MiB-aligned windows. */
static const void *map_phys(void *ctx, uint64_t pa, size_t len)
{
	(void)ctx;
	if (len == 0 || pa + len < pa)
		return NULL;
	for (size_t i = 0; i < window_count; i++)
		if (pa >= windows[i].base && pa + len <= windows[i].base + windows[i].size)
			return windows[i].virt + (pa - windows[i].base);
	if (window_count == MAX_WINDOWS)
		return NULL;
	uint64_t base = ALIGN_DOWN(pa, WINDOW);
	uint64_t size = ALIGN_UP(pa + len, WINDOW) - base;
	const uint8_t *virt = vm_map_mmio(base, size);
	if (!virt)
		return NULL;
	windows[window_count++] = (struct window){base, size, virt};
	return virt + (pa - base);
}

static const struct acpi_mem kernel_mem = {.map = map_phys};

static int parse_from(const struct bootinfo *bi)
{
	if (bi && bi->rsdp_present) {
		int err = acpi_parse(&kernel_mem, bi->rsdp, sizeof bi->rsdp, &info);
		if (err == 0)
			return 0;
		klog(KLOG_WARN, "acpi: the loader's RSDP copy is unusable (%d); scanning the BIOS areas",
		     err);
	}
	uint64_t pa;
	if (acpi_rsdp_find(&kernel_mem, &pa) != 0)
		return -ENODEV;
	const void *rsdp = map_phys(NULL, pa, 36);
	return rsdp ? acpi_parse(&kernel_mem, rsdp, 36, &info) : -ENODEV;
}

static void report(void)
{
	const struct acpi_madt *m = &info.madt;
	klog(KLOG_INFO, "acpi: revision %u, %s with %zu tables (%zu invalid)", info.revision,
	     info.xsdt ? "XSDT" : "RSDT", info.table_count, info.bad_tables);
	if (info.has_madt)
		klog(KLOG_INFO,
		     "acpi: MADT: %zu CPUs, local APIC %#lx, %zu I/O APICs, %zu overrides, %zu NMIs%s",
		     m->cpu_count, (unsigned long)m->lapic_addr, m->ioapic_count, m->override_count,
		     m->nmi_count, m->pcat_compat ? ", 8259 PICs" : "");
	else
		klog(KLOG_ERROR, "acpi: no valid MADT: interrupt controllers at default addresses");
	if (info.has_fadt)
		klog(KLOG_INFO, "acpi: FADT: PM1a_CNT %#lx, reset reg %#lx (space %u, value %#x)",
		     (unsigned long)info.fadt.pm1a_cnt.addr, (unsigned long)info.fadt.reset_reg.addr,
		     info.fadt.reset_reg.space, info.fadt.reset_value);
	if (info.has_s5)
		klog(KLOG_INFO, "acpi: \\_S5 sleep type a=%u b=%u", info.slp_typa, info.slp_typb);
	else
		klog(KLOG_WARN, "acpi: no \\_S5 package found: power off will halt instead");
	if (info.has_hpet)
		klog(KLOG_INFO, "acpi: HPET at %#lx", (unsigned long)info.hpet.addr);
	for (size_t i = 0; i < info.ecam_count; i++)
		klog(KLOG_INFO, "acpi: MCFG: PCI segment %u buses %u-%u at %#lx", info.ecam[i].segment,
		     info.ecam[i].bus_start, info.ecam[i].bus_end, (unsigned long)info.ecam[i].base);
}

int acpi_init(const struct bootinfo *bi)
{
	int err = parse_from(bi);
	if (err) {
		memset(&info, 0, sizeof info);
		klog(KLOG_ERROR, "acpi: no usable ACPI tables (%d): using legacy defaults", err);
		return -ENODEV;
	}
	report();
	return 0;
}

const struct acpi_info *acpi_get(void)
{
	return &info;
}

_Static_assert(ACPI_MAX_IOAPICS <= ARCH_IRQ_MAX_IOAPICS && ACPI_MAX_OVERRIDES <= ARCH_IRQ_MAX_ROUTES &&
		       ACPI_MAX_NMIS <= ARCH_IRQ_MAX_NMIS,
	       "arch_irq_wiring holds every MADT entry kept");

static bool active_low(uint16_t flags)
{
	return (flags & ACPI_INT_POLARITY_MASK) == ACPI_INT_ACTIVE_LOW;
}

static bool level(uint16_t flags)
{
	return (flags & ACPI_INT_TRIGGER_MASK) == ACPI_INT_LEVEL;
}

const struct arch_irq_wiring *acpi_irq_wiring(void)
{
	static struct arch_irq_wiring w;
	const struct acpi_madt *m = &info.madt;
	memset(&w, 0, sizeof w);
	w.has_madt = info.has_madt;
	w.lapic_addr = m->lapic_addr;
	for (size_t i = 0; i < m->ioapic_count; i++, w.ioapic_count++) {
		w.ioapics[i].id = m->ioapics[i].id;
		w.ioapics[i].addr = m->ioapics[i].addr;
		w.ioapics[i].gsi_base = m->ioapics[i].gsi_base;
	}
	for (size_t i = 0; i < m->override_count; i++) {
		const struct acpi_override *o = &m->overrides[i];
		if (o->bus != 0)
			continue; /* only ISA lines are routed */
		w.routes[w.route_count].isa_irq = o->source;
		w.routes[w.route_count].gsi = o->gsi;
		w.routes[w.route_count].active_low = active_low(o->flags);
		w.routes[w.route_count++].level = level(o->flags);
	}
	for (size_t i = 0; i < m->nmi_count; i++, w.nmi_count++) {
		const struct acpi_nmi *n = &m->nmis[i];
		w.nmis[i].lapic = n->lapic;
		w.nmis[i].lint = n->lint;
		w.nmis[i].gsi = n->gsi;
		w.nmis[i].active_low = active_low(n->flags);
		w.nmis[i].level = level(n->flags);
	}
	return &w;
}
