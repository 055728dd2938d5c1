/*
 * acpi_internal.h - the table parsers, shared by acpi.c and the host tests.
 *
 * Everything here is plain C over byte arrays: no hardware, no logging. The
 * caller says how to reach physical memory (struct acpi_mem), so the host
 * tests run the same code over hand-built tables.
 */
#ifndef KERNEL_ACPI_ACPI_INTERNAL_H
#define KERNEL_ACPI_ACPI_INTERNAL_H

#include "acpi.h"

/* Tables longer than this are treated as corrupt (real DSDTs are < 1 MiB). */
#define ACPI_TABLE_MAX (16u << 20)
#define ACPI_HEADER_LEN 36
#define ACPI_MAX_SSDTS 16

/*
 * How the parsers read physical memory: map returns a pointer through which
 * len bytes at pa can be read, or NULL if that range is unreachable. Pointers
 * handed out must stay valid until the parse returns.
 */
struct acpi_mem {
	const void *(*map)(void *ctx, uint64_t pa, size_t len);
	void *ctx;
};

/* What a valid RSDP points at. */
struct acpi_rsdp {
	uint8_t revision;
	uint64_t rsdt; /* 0 if none */
	uint64_t xsdt; /* 0 unless revision >= 2 and the extended checksum holds */
};

/* Sum of len bytes modulo 256 (a valid table sums to 0). */
uint8_t acpi_checksum(const void *p, size_t len);

/* Validates an RSDP of avail readable bytes; 0 or -EINVAL. */
int acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out);
/* Searches the EBDA's first KiB, then 0xE0000-0xFFFFF; 0 and *pa, or -ENOENT. */
int acpi_rsdp_find(const struct acpi_mem *m, uint64_t *pa);

/*
 * Maps the table at pa and checks its length (36 bytes .. ACPI_TABLE_MAX, and
 * readable), its checksum and, unless sig is NULL, its signature. Returns 0
 * with *table and *len set, -EINVAL for a bad table, -EFAULT if unreadable.
 */
int acpi_table_get(const struct acpi_mem *m, uint64_t pa, const char *sig, const uint8_t **table,
		   uint32_t *len);

/*
 * Whole walk: validates the RSDP (rsdp_len readable bytes), the XSDT (else
 * the RSDT), and parses every table it knows. Fills *out (present == true)
 * and returns 0, or -EINVAL / -ENODEV when no usable root table exists.
 * Individual bad tables only count in out->bad_tables.
 */
int acpi_parse(const struct acpi_mem *m, const void *rsdp, size_t rsdp_len, struct acpi_info *out);

/* Single tables (whole table including the 36-byte header): 0 or -EINVAL. */
int acpi_madt_parse(const uint8_t *t, size_t len, struct acpi_madt *out);
int acpi_fadt_parse(const uint8_t *t, size_t len, struct acpi_fadt *out);
int acpi_hpet_parse(const uint8_t *t, size_t len, struct acpi_hpet *out);
/* The MCFG's allocations into out[max]: entries with base 0, base not 1 MiB
 * aligned or bus_end < bus_start are skipped, beyond max dropped. Returns
 * how many were kept, or -EINVAL for a table too short for its header. */
int acpi_mcfg_parse(const uint8_t *t, size_t len, struct acpi_ecam *out, size_t max);

/*
 * Where the SCI arrives (FADT SCI_INT): an MADT override of that ISA line
 * gives its GSI and flags; without one the GSI is the line itself. A
 * polarity or trigger that "conforms to the bus" (or no override) is the
 * SCI's own default: level-triggered, active low (ACPI 6.5 section 5.2.9).
 */
struct acpi_sci_route {
	uint32_t gsi;
	bool level, active_low;
};
void acpi_sci_route(const struct acpi_info *a, struct acpi_sci_route *out);

/*
 * Looks for Name(_S5_, Package(){a, b, ...}) in an AML byte stream (a table
 * body, header excluded). Returns 0 with the two SLP_TYP values, -ENOENT if
 * there is no such constant package, -EINVAL if one is found but malformed.
 */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb);

/* ---- the hardware (kernel only: power.c, sci.c) ---- */

#define PM1_SCI_EN (1u << 0) /* PM1 control: the chipset is in ACPI mode */

/* A register as its GAS says (I/O or memory; 8, 16 or 32 bits; PCI
 * configuration space: writes only). */
uint32_t acpi_gas_read(const struct acpi_gas *g);
void acpi_gas_write(const struct acpi_gas *g, uint32_t v);
/* SCI_EN set, asking the firmware through SMI_CMD if it is not (waits up to
 * ~1 s); false when the chipset stays in legacy mode. */
bool acpi_enter_acpi_mode(const struct acpi_fadt *f);
/* Unclaimed SCIs within about a second (sci.c) before the SCI is masked. */
#define ACPI_SCI_STORM_MAX 64
/* The SCI's interrupt handler (the selftests call it with interrupts off). */
void acpi_sci_interrupt(void *arg);
/* Routes the SCI again and forgets a storm: 0 or -ENODEV (no I/O APIC input). */
int acpi_sci_unmask(void);

#endif
