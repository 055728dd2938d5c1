/*
 * acpi_selftest.c - what the tables say agrees with the machine.
 */
#include "acpi.h"

#include "acpi_internal.h"

#include "arch.h"
#include "kernel/irq/irq.h"
#include "kernel/test/selftest.h"

SELFTEST(acpi_madt_matches_cpu)
{
	const struct acpi_info *a = acpi_get();
	if (!a->has_madt) {
		kprintf("selftest:   no MADT on this machine: skipped\n");
		return 0;
	}
	const struct acpi_madt *m = &a->madt;
	ST_CHECK(m->cpu_count >= 1);
	ST_CHECK(m->ioapic_count >= 1);
	bool found = false;
	for (size_t i = 0; i < m->cpu_count && i < ACPI_MAX_CPUS; i++)
		found |= m->cpu_apic_ids[i] == arch_lapic_id();
	ST_CHECK(found);
	ST_CHECK((rdmsr(MSR_APIC_BASE) & ~0xFFFull) == m->lapic_addr);
	return 0;
}

SELFTEST(acpi_fadt_power)
{
	const struct acpi_info *a = acpi_get();
	if (!a->has_fadt) {
		kprintf("selftest:   no FADT on this machine: skipped\n");
		return 0;
	}
	/* Power off needs a PM1a control block (or a sleep control register). */
	ST_CHECK(a->fadt.pm1a_cnt.addr != 0 || a->fadt.sleep_control.addr != 0);
	ST_CHECK(a->fadt.dsdt != 0);
	kprintf("selftest:   \\_S5 %s (a=%u b=%u), reset register %s\n", a->has_s5 ? "found" : "missing",
		a->slp_typa, a->slp_typb, a->fadt.reset_reg.addr ? "present" : "absent");
	return 0;
}

/* After power_init: ACPI mode on, the power button the only event enabled
 * (no PM timer overflow, RTC or GPE can raise the SCI: an idle machine takes
 * none), and no SCI taken since boot. */
SELFTEST(acpi_sci_power_button_only)
{
	struct acpi_sci_stats st;
	acpi_sci_stats(&st);
	if (!st.enabled) {
		kprintf("selftest:   no ACPI events on this machine: skipped\n");
		return 0;
	}
	const struct acpi_fadt *f = &acpi_get()->fadt;
	ST_CHECK(acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN);
	ST_CHECK(st.pm1_enable == (1u << 8));
	for (unsigned i = 0; f->gpe0.addr && i < f->gpe0_len / 2u; i++)
		ST_CHECK(inb((uint16_t)(f->gpe0.addr + f->gpe0_len / 2u + i)) == 0);
	ST_CHECK(irq_count_by_name("acpi-sci") == 0); /* taken through its vector (the storm test calls it) */
	kprintf("selftest:   SCI IRQ %u -> GSI %u vector %u, PM1 enable %#x\n", st.irq, st.gsi, st.vector,
		st.pm1_enable);
	return 0;
}

/* A stuck SCI (nothing enabled is set, yet the line fires) is masked after
 * ACPI_SCI_STORM_MAX unclaimed interrupts, not before; unmasking forgets it. */
SELFTEST(acpi_sci_storm_is_masked)
{
	struct acpi_sci_stats before, st;
	acpi_sci_stats(&before);
	if (!before.enabled) {
		kprintf("selftest:   no ACPI events on this machine: skipped\n");
		return 0;
	}
	uint64_t f = irq_save();
	int first = acpi_sci_unmask();
	for (int i = 0; i < ACPI_SCI_STORM_MAX; i++)
		acpi_sci_interrupt(NULL);
	acpi_sci_stats(&st);
	bool early = st.masked;
	acpi_sci_interrupt(NULL);
	acpi_sci_stats(&st);
	bool masked = st.masked;
	int err = acpi_sci_unmask();
	irq_restore(f);
	ST_CHECK(first == 0);
	ST_CHECK(!early);
	ST_CHECK(masked);
	ST_CHECK(err == 0);
	ST_CHECK(st.unclaimed == before.unclaimed + ACPI_SCI_STORM_MAX + 1);
	ST_CHECK(st.events[ACPI_EVENT_POWER_BUTTON] == before.events[ACPI_EVENT_POWER_BUTTON]);
	acpi_sci_stats(&st);
	ST_CHECK(!st.masked && st.pm1_enable == (1u << 8));
	return 0;
}

/* The two ways out. Each ends the machine when it works, so they run only
 * when named; the harness judges by how QEMU ends (QMP SHUTDOWN with reason
 * guest-shutdown, or guest-reset). Returning is the failure. */
SELFTEST_FLAGS(acpi_poweroff, SELFTEST_SLOW)
{
	acpi_poweroff();
}

SELFTEST_FLAGS(acpi_reboot, SELFTEST_SLOW)
{
	acpi_reboot();
}
