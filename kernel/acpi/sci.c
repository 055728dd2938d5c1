/*
 * sci.c - ACPI fixed events through the SCI: the power button.
 *
 * Theory of operation. An ACPI chipset signals its events on one shared,
 * level-triggered interrupt, the SCI (FADT SCI_INT). Its sources are the
 * fixed events of the PM1 event blocks (a status bit the hardware latches,
 * an enable bit beside it) and the general-purpose events of the GPE blocks
 * (the same, but what each means is written in the firmware's AML, which
 * OptiOS does not interpret: lid, battery and thermal notifications come
 * that way). acpi_events_init, once:
 *   1. ACPI mode: SCI_EN in PM1 control, asked of the firmware through
 *      SMI_CMD <- ACPI_ENABLE when clear (QEMU's pc, PIIX4, boots in legacy
 *      mode; q35, ICH9, too: both answer the request at once);
 *   2. quiet: every enable bit cleared (PM1 and GPE), every status bit
 *      cleared by writing it back (1 clears), so no periodic source (the PM
 *      timer's overflow, TMR_EN, every 4.7 s; the RTC) can raise the SCI;
 *   3. PWRBTN_EN alone set, in PM1a and PM1b (the blocks are one register
 *      split in two);
 *   4. the SCI's GSI routed (acpi_sci_route: the MADT override, else level,
 *      active low) to a vector of its own.
 * The interrupt reads status AND enable of both blocks, writes the bits it
 * found back (clearing them: the level line drops), and calls the kernel's
 * callback once per event found, in the interrupt, so the callback's time
 * is the interrupt's.
 *
 * Storms. An SCI that finds no enabled event set is unclaimed (a device
 * sharing the line, a GPE some firmware left enabled: those are switched
 * off and cleared, nothing here could handle them, and the SCI counts as
 * claimed). More than ACPI_SCI_STORM_MAX (acpi_internal.h) unclaimed SCIs within STORM_WINDOW_TSC TSC
 * ticks is a stuck line: the SCI is masked at the I/O APIC, the log says
 * so once, and the power button no longer reaches the kernel (the chipset's
 * own four-second override still switches the machine off). An idle system
 * takes no SCI at all.
 *
 * Data: `sci` is written by acpi_events_init, then only in the interrupt
 * (or with interrupts off: acpi_sci_unmask), on one CPU.
 */
#include <optios/abi/errno.h>

#include "acpi.h"
#include "acpi_internal.h"
#include "arch.h"
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"

#define PM1_TMR (1u << 0)
#define PM1_GBL (1u << 5)
#define PM1_PWRBTN (1u << 8)
#define PM1_SLPBTN (1u << 9)
#define PM1_RTC (1u << 10)
#define PM1_ALL_STATUS 0xFFFFu

#define STORM_WINDOW_TSC (1ull << 30) /* ~0.3-1 s on today's CPUs */

/* One PM1 event block as two registers, or absent (sts.addr 0). */
struct pm1 {
	struct acpi_gas sts, en;
};

static struct {
	acpi_event_fn fn;
	struct pm1 a, b;
	struct acpi_gas gpe[2]; /* blocks; gpe_half[i] status bytes, then as many enable bytes */
	uint8_t gpe_half[2];
	struct acpi_sci_route route;
	unsigned vector;
	uint64_t window_start, window_unclaimed;
	struct acpi_sci_stats stats;
} sci;

/* The register at byte off of block g, width bytes wide (1, 2 or 4). */
static struct acpi_gas reg_at(const struct acpi_gas *g, unsigned off, unsigned width)
{
	return (struct acpi_gas){.space = g->space, .bit_width = (uint8_t)(width * 8), .addr = g->addr + off};
}

static struct pm1 pm1_split(const struct acpi_gas *g, uint8_t len)
{
	if (!g->addr)
		return (struct pm1){0};
	unsigned half = len / 2 > 4 ? 4 : len / 2;
	return (struct pm1){reg_at(g, 0, half), reg_at(g, len / 2, half)};
}

static void pm1_write_both(bool en, uint32_t v)
{
	acpi_gas_write(en ? &sci.a.en : &sci.a.sts, v);
	if (sci.b.sts.addr)
		acpi_gas_write(en ? &sci.b.en : &sci.b.sts, v);
}

/* Enabled status bits set in either block. */
static uint32_t pm1_pending(void)
{
	uint32_t v = acpi_gas_read(&sci.a.sts) & acpi_gas_read(&sci.a.en);
	if (sci.b.sts.addr)
		v |= acpi_gas_read(&sci.b.sts) & acpi_gas_read(&sci.b.en);
	return v;
}

/* GPE byte i of block n: its status and enable registers. */
static void gpe_regs(int n, unsigned i, struct acpi_gas *sts, struct acpi_gas *en)
{
	*sts = reg_at(&sci.gpe[n], i, 1);
	*en = reg_at(&sci.gpe[n], sci.gpe_half[n] + i, 1);
}

/* Switches off every GPE that is enabled (all: true) or enabled and firing,
 * clearing its status; returns how many were firing. */
static unsigned gpes_quench(bool all)
{
	unsigned firing = 0;
	for (int n = 0; n < 2; n++) {
		for (unsigned i = 0; sci.gpe[n].addr && i < sci.gpe_half[n]; i++) {
			struct acpi_gas sts, en;
			gpe_regs(n, i, &sts, &en);
			uint8_t on = (uint8_t)acpi_gas_read(&en), set = (uint8_t)acpi_gas_read(&sts) & on;
			for (uint8_t b = set; b; b &= (uint8_t)(b - 1))
				firing++;
			if (all || set) {
				acpi_gas_write(&en, all ? 0 : on & ~set);
				acpi_gas_write(&sts, all ? 0xFF : set);
			}
		}
	}
	return firing;
}

static void storm_check(void)
{
	uint64_t now = rdtsc();
	if (now - sci.window_start > STORM_WINDOW_TSC) {
		sci.window_start = now;
		sci.window_unclaimed = 0;
	}
	if (++sci.window_unclaimed <= ACPI_SCI_STORM_MAX || sci.stats.masked)
		return;
	arch_irq_unroute_gsi(sci.route.gsi);
	sci.stats.masked = true;
	klog(KLOG_ERROR,
	     "acpi: SCI storm: %d interrupts with no enabled event (%lu in all): the SCI is masked; the "
	     "power "
	     "button no longer reaches the kernel",
	     ACPI_SCI_STORM_MAX + 1, (unsigned long)sci.stats.unclaimed);
}

void acpi_sci_interrupt(void *arg)
{
	(void)arg;
	sci.stats.interrupts++;
	uint32_t pending = pm1_pending();
	unsigned gpes = gpes_quench(false);
	if (pending)
		pm1_write_both(false, pending); /* 1 clears: the line drops */
	if (pending & ~PM1_PWRBTN) /* enabled by someone else: off again */
		pm1_write_both(true, PM1_PWRBTN);
	if (gpes) {
		if (sci.stats.gpes_disabled == 0)
			klog(KLOG_WARN,
			     "acpi: a general-purpose event fired: switched off (no AML interpreter)");
		sci.stats.gpes_disabled += gpes;
	}
	if (!pending && !gpes) {
		sci.stats.unclaimed++;
		storm_check();
		return;
	}
	if (pending & PM1_PWRBTN) {
		sci.stats.events[ACPI_EVENT_POWER_BUTTON]++;
		if (sci.fn)
			sci.fn(ACPI_EVENT_POWER_BUTTON);
	}
}

int acpi_sci_unmask(void)
{
	uint64_t f = irq_save();
	sci.window_start = rdtsc();
	sci.window_unclaimed = 0;
	sci.stats.masked = false;
	int err = arch_irq_route_gsi(sci.route.gsi, sci.vector, sci.route.level, sci.route.active_low);
	irq_restore(f);
	return err;
}

static int events_check(const struct acpi_info *a)
{
	const struct acpi_fadt *f = &a->fadt;
	if (!a->has_fadt || !f->pm1a_evt.addr || !f->sci_irq || (f->flags & ACPI_FADT_HW_REDUCED))
		return -ENODEV;
	if (f->pm1a_evt.space != ACPI_SPACE_IO || (f->pm1b_evt.addr && f->pm1b_evt.space != ACPI_SPACE_IO) ||
	    (f->gpe0.addr && f->gpe0.space != ACPI_SPACE_IO) ||
	    (f->gpe1.addr && f->gpe1.space != ACPI_SPACE_IO))
		return -EINVAL;
	return 0;
}

int acpi_events_init(acpi_event_fn fn)
{
	const struct acpi_info *a = acpi_get();
	const struct acpi_fadt *f = &a->fadt;
	int err = events_check(a);
	if (err)
		return err;
	bool was_on = (acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN) != 0;
	if (!acpi_enter_acpi_mode(f)) {
		klog(KLOG_ERROR, "acpi: the chipset stays in legacy mode (SCI_EN clear): no power button");
		return -ENODEV;
	}
	sci.fn = fn;
	sci.a = pm1_split(&f->pm1a_evt, f->pm1_evt_len);
	sci.b = pm1_split(&f->pm1b_evt, f->pm1_evt_len);
	sci.gpe[0] = f->gpe0, sci.gpe_half[0] = f->gpe0_len / 2;
	sci.gpe[1] = f->gpe1, sci.gpe_half[1] = f->gpe1_len / 2;
	pm1_write_both(true, 0);
	pm1_write_both(false, PM1_ALL_STATUS);
	gpes_quench(true);
	int v = irq_alloc_vector("acpi-sci", acpi_sci_interrupt, NULL);
	if (v < 0)
		return v;
	sci.vector = (unsigned)v;
	acpi_sci_route(a, &sci.route);
	err = acpi_sci_unmask();
	if (err) {
		klog(KLOG_ERROR, "acpi: the SCI's GSI %u has no I/O APIC input (%d): no power button",
		     sci.route.gsi, err);
		return err;
	}
	pm1_write_both(true, PM1_PWRBTN);
	sci.stats.enabled = true;
	sci.stats.gsi = sci.route.gsi;
	sci.stats.irq = f->sci_irq;
	sci.stats.vector = sci.vector;
	klog(KLOG_INFO,
	     "acpi: SCI on IRQ %u -> GSI %u (%s, active %s), vector %u: power button enabled (ACPI mode %s)",
	     f->sci_irq, sci.route.gsi, sci.route.level ? "level" : "edge",
	     sci.route.active_low ? "low" : "high", sci.vector,
	     was_on ? "was on" : "asked for through SMI_CMD");
	return 0;
}

void acpi_sci_stats(struct acpi_sci_stats *out)
{
	uint64_t f = irq_save();
	*out = sci.stats;
	out->pm1_enable = sci.stats.enabled ? (uint16_t)acpi_gas_read(&sci.a.en) : 0;
	irq_restore(f);
}
