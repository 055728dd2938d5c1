/*
 * acpi.h - what the firmware's ACPI tables say about this machine, and
 * power off / reboot through them.
 *
 * acpi_init() finds the RSDP (the loader's copy, else the BIOS areas), walks
 * the RSDT/XSDT and keeps the few facts the kernel needs in one struct
 * acpi_info: interrupt controllers (MADT), power management ports and the
 * reset register (FADT), the \_S5 sleep type (DSDT/SSDT AML), the HPET
 * and where PCI configuration space is memory-mapped (MCFG).
 * Any table that is missing or fails validation is simply absent from the
 * result; nothing here trusts the firmware's lengths or checksums.
 */
#ifndef KERNEL_ACPI_ACPI_H
#define KERNEL_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

struct bootinfo;

#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 24
#define ACPI_MAX_NMIS 8
#define ACPI_MAX_CPUS 64

/* Generic Address Structure: where a register lives. */
enum acpi_space { ACPI_SPACE_MEMORY = 0, ACPI_SPACE_IO = 1, ACPI_SPACE_PCI_CONFIG = 2 };
struct acpi_gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t addr; /* 0: register absent */
};

/* MADT interrupt flags (overrides and NMI entries). */
#define ACPI_INT_POLARITY_MASK 0x3
#define ACPI_INT_ACTIVE_HIGH 0x1
#define ACPI_INT_ACTIVE_LOW 0x3
#define ACPI_INT_TRIGGER_MASK 0xC
#define ACPI_INT_EDGE 0x4
#define ACPI_INT_LEVEL 0xC

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr; /* physical */
	uint32_t gsi_base;
};

/* ISA interrupt `source` arrives at global system interrupt `gsi`. */
struct acpi_override {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags; /* ACPI_INT_* */
};

/* An NMI wired to a local APIC LINT pin (lapic) or to an I/O APIC GSI. */
struct acpi_nmi {
	bool lapic;
	uint32_t cpu_uid; /* lapic only; 0xFF / 0xFFFFFFFF = all CPUs */
	uint8_t lint; /* lapic only: 0 or 1 */
	uint32_t gsi; /* I/O APIC only */
	uint16_t flags;
};

struct acpi_madt {
	uint64_t lapic_addr;
	bool pcat_compat; /* legacy 8259 PICs present */
	uint32_t cpu_apic_ids[ACPI_MAX_CPUS];
	size_t cpu_count; /* enabled processors (the ids above hold the first 64) */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	size_t ioapic_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	size_t override_count;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
	size_t nmi_count;
};

#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)
#define ACPI_BOOT_8042 (1u << 1)

struct acpi_fadt {
	uint8_t revision;
	uint32_t flags;
	uint16_t iapc_boot_arch;
	uint16_t sci_irq;
	uint32_t smi_cmd; /* I/O port; 0: ACPI mode is always on */
	uint8_t acpi_enable, acpi_disable;
	struct acpi_gas pm1a_cnt, pm1b_cnt;
	/* PM1 event blocks: status in the first pm1_evt_len / 2 bytes, enable
	 * in the rest; GPE blocks likewise (status half, enable half). */
	struct acpi_gas pm1a_evt, pm1b_evt;
	uint8_t pm1_evt_len;
	struct acpi_gas gpe0, gpe1;
	uint8_t gpe0_len, gpe1_len;
	struct acpi_gas sleep_control; /* hardware-reduced platforms */
	struct acpi_gas reset_reg; /* addr 0 unless RESET_REG_SUP */
	uint8_t reset_value;
	uint64_t dsdt; /* physical */
	uint8_t century; /* CMOS index of the century, 0 if none */
};

struct acpi_hpet {
	uint64_t addr; /* physical, memory space */
	uint8_t number;
	uint16_t min_tick;
};

/* MCFG: where each PCI segment's enhanced configuration space (ECAM) is:
 * bus b, device d, function f at base + (b - bus_start) << 20 | d << 15 | f << 12. */
#define ACPI_MAX_ECAM 8
struct acpi_ecam {
	uint64_t base; /* physical */
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	bool present; /* a valid RSDP and root table were found */
	uint8_t revision; /* RSDP revision: 0 = ACPI 1.0, 2 = ACPI 2.0+ */
	bool xsdt; /* the root table used was the XSDT */
	bool has_madt, has_fadt, has_hpet, has_s5;
	struct acpi_ecam ecam[ACPI_MAX_ECAM]; /* from the MCFG; none: port I/O only */
	size_t ecam_count;
	struct acpi_madt madt;
	struct acpi_fadt fadt;
	struct acpi_hpet hpet;
	uint8_t slp_typa, slp_typb; /* \_S5 values, if has_s5 */
	size_t table_count; /* tables listed in the root table */
	size_t bad_tables; /* listed tables that failed validation */
};

/*
 * Finds and parses the tables; call once, before arch_irq_init. Returns 0, or
 * -ENODEV when the machine has no (valid) ACPI; acpi_get() then says
 * present == false and callers use their fallbacks.
 */
int acpi_init(const struct bootinfo *bi);
/* The parsed facts (all-absent until acpi_init found tables). */
const struct acpi_info *acpi_get(void);
/* The interrupt wiring the MADT describes, for arch_irq_init (no MADT:
 * has_madt false, a PC's defaults). */
struct arch_irq_wiring;
const struct arch_irq_wiring *acpi_irq_wiring(void);

/* ---- fixed events through the SCI (sci.c) ----
 *
 * The hardware events ACPI signals on its own interrupt (the SCI) that the
 * kernel handles. Only fixed events of the PM1 block so far; the list grows
 * (the sleep button, the RTC alarm), and general-purpose events (lid,
 * battery, thermal: GPEs, which need an AML interpreter) would arrive the
 * same way, through the same callback.
 */
enum acpi_event {
	ACPI_EVENT_POWER_BUTTON,
	ACPI_EVENT_COUNT
};
/* Called in the interrupt (interrupts off, nothing may sleep) once per
 * event the hardware latched since the last SCI. */
typedef void (*acpi_event_fn)(enum acpi_event ev);

/*
 * Takes the SCI: ACPI mode on, every event source disabled and cleared but
 * the power button, the SCI routed (MADT override, else level, active low).
 * Returns 0, -ENODEV (no ACPI, no PM1 event block or SCI, a hardware-reduced
 * machine, or the chipset refused ACPI mode) or -EINVAL (event registers
 * outside I/O space). Call once, after the interrupt controllers.
 */
int acpi_events_init(acpi_event_fn fn);

/* What the SCI did since boot (the selftests read it; the monitor's `irqs`
 * shows its vector, "acpi-sci"). */
struct acpi_sci_stats {
	bool enabled; /* acpi_events_init succeeded */
	bool masked; /* stopped as a storm: the I/O APIC entry is masked */
	uint32_t gsi, irq, vector;
	uint64_t interrupts; /* SCIs taken */
	uint64_t events[ACPI_EVENT_COUNT];
	uint64_t unclaimed; /* SCIs that found no enabled event set */
	uint64_t gpes_disabled; /* GPEs found enabled and firing, switched off */
	uint16_t pm1_enable; /* what PM1a's enable register reads now */
};
void acpi_sci_stats(struct acpi_sci_stats *out);

/* Enters S5 (soft off). If that fails or \_S5 is unknown: says why and halts. */
NORETURN void acpi_poweroff(void);
/* Resets through the FADT reset register, else the 8042, else a triple fault. */
NORETURN void acpi_reboot(void);

#endif
