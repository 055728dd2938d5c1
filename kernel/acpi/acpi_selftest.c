/*
 * acpi_selftest.c - what the tables say agrees with the machine.
 */
#include "acpi.h"

#include "arch.h"
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
