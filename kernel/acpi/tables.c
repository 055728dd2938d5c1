/*
 * tables.c - validating and parsing the ACPI tables (plain C, host-tested).
 *
 * The walk: RSDP -> XSDT (64-bit entries; else the RSDT, 32-bit entries) ->
 * every listed table. Each table is first mapped by its 36-byte header, its
 * length is checked against ACPI_TABLE_MAX and against what the accessor can
 * reach, then the whole table is mapped and checksummed; only then is a
 * byte of its body read. Every read inside a table is bounded by that
 * length: a table that lies about its size or entry lengths gives -EINVAL.
 * Known tables: APIC (MADT), FACP (FADT), HPET, MCFG; the DSDT (found through the
 * FADT) and the SSDTs are searched for \_S5 (aml.c).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "acpi_internal.h"

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

/* ---- RSDP ---- */

int acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out)
{
	const uint8_t *b = p;
	if (avail < 20 || memcmp(b, "RSD PTR ", 8) != 0 || acpi_checksum(b, 20) != 0)
		return -EINVAL;
	*out = (struct acpi_rsdp){.revision = b[15], .rsdt = rd32(b + 16)};
	/* ACPI 2.0+: the XSDT is trusted only if the extended part checks out. */
	if (out->revision >= 2 && avail >= 36) {
		uint32_t len = rd32(b + 20);
		if (len >= 36 && len <= avail && acpi_checksum(b, len) == 0)
			out->xsdt = rd64(b + 24);
	}
	if (out->rsdt == 0 && out->xsdt == 0)
		return -EINVAL;
	return 0;
}

static int scan_area(const struct acpi_mem *m, uint64_t start, size_t len, uint64_t *pa)
{
	const uint8_t *area = m->map(m->ctx, start, len);
	if (!area)
		return -ENOENT;
	struct acpi_rsdp r;
	for (size_t off = 0; off + 20 <= len; off += 16) {
		if (acpi_rsdp_check(area + off, len - off, &r) == 0) {
			*pa = start + off;
			return 0;
		}
	}
	return -ENOENT;
}

int acpi_rsdp_find(const struct acpi_mem *m, uint64_t *pa)
{
	/* The BIOS data area holds the EBDA's real-mode segment at 0x40E. */
	const uint8_t *bda = m->map(m->ctx, 0x40E, 2);
	if (bda) {
		uint64_t ebda = (uint64_t)rd16(bda) << 4;
		if (ebda >= 0x80000 && ebda < 0xA0000 && scan_area(m, ebda, 1024, pa) == 0)
			return 0;
	}
	return scan_area(m, 0xE0000, 0x20000, pa);
}

/* ---- any table ---- */

int acpi_table_get(const struct acpi_mem *m, uint64_t pa, const char *sig, const uint8_t **table,
		   uint32_t *len)
{
	if (pa == 0)
		return -EINVAL;
	const uint8_t *hdr = m->map(m->ctx, pa, ACPI_HEADER_LEN);
	if (!hdr)
		return -EFAULT;
	uint32_t n = rd32(hdr + 4);
	if (n < ACPI_HEADER_LEN || n > ACPI_TABLE_MAX || (sig && memcmp(hdr, sig, 4) != 0))
		return -EINVAL;
	const uint8_t *t = m->map(m->ctx, pa, n);
	if (!t)
		return -EFAULT;
	if (acpi_checksum(t, n) != 0)
		return -EINVAL;
	*table = t;
	*len = n;
	return 0;
}

/* ---- MADT ---- */

/* Minimum entry length for each MADT entry type this code reads. */
static uint8_t madt_min_len(uint8_t type)
{
	switch (type) {
	case 0: return 8; /* processor local APIC */
	case 1: return 12; /* I/O APIC */
	case 2: return 10; /* interrupt source override */
	case 3: return 8; /* NMI source */
	case 4: return 6; /* local APIC NMI */
	case 5: return 12; /* local APIC address override */
	case 9: return 16; /* processor local x2APIC */
	case 10: return 12; /* local x2APIC NMI */
	default: return 2;
	}
}

static void madt_add_cpu(struct acpi_madt *out, uint32_t apic_id, uint32_t flags)
{
	/* bit 0: enabled; bit 1: can be brought online later (not counted) */
	if (!(flags & 1))
		return;
	if (out->cpu_count < ACPI_MAX_CPUS)
		out->cpu_apic_ids[out->cpu_count] = apic_id;
	out->cpu_count++;
}

static void madt_add_nmi(struct acpi_madt *out, struct acpi_nmi nmi)
{
	if (out->nmi_count < ACPI_MAX_NMIS)
		out->nmis[out->nmi_count++] = nmi;
}

static void madt_add_ioapic(struct acpi_madt *out, const uint8_t *e)
{
	if (out->ioapic_count == ACPI_MAX_IOAPICS)
		return;
	struct acpi_ioapic *io = &out->ioapics[out->ioapic_count++];
	io->id = e[2];
	io->addr = rd32(e + 4);
	io->gsi_base = rd32(e + 8);
}

static void madt_add_override(struct acpi_madt *out, const uint8_t *e)
{
	if (out->override_count == ACPI_MAX_OVERRIDES)
		return;
	struct acpi_override *o = &out->overrides[out->override_count++];
	o->bus = e[2];
	o->source = e[3];
	o->gsi = rd32(e + 4);
	o->flags = rd16(e + 8);
}

/* One entry, already checked to be at least madt_min_len(type) long. */
static void madt_entry(const uint8_t *e, struct acpi_madt *out)
{
	struct acpi_nmi nmi = {0};
	switch (e[0]) {
	case 0: madt_add_cpu(out, e[3], rd32(e + 4)); break;
	case 1: madt_add_ioapic(out, e); break;
	case 2: madt_add_override(out, e); break;
	case 3:
		nmi.flags = rd16(e + 2);
		nmi.gsi = rd32(e + 4);
		madt_add_nmi(out, nmi);
		break;
	case 4:
		nmi.lapic = true;
		nmi.cpu_uid = e[2];
		nmi.flags = rd16(e + 3);
		nmi.lint = e[5];
		madt_add_nmi(out, nmi);
		break;
	case 5: out->lapic_addr = rd64(e + 4); break;
	case 9: madt_add_cpu(out, rd32(e + 4), rd32(e + 8)); break;
	case 10:
		nmi.lapic = true;
		nmi.flags = rd16(e + 2);
		nmi.cpu_uid = rd32(e + 4);
		nmi.lint = e[8];
		madt_add_nmi(out, nmi);
		break;
	}
}

int acpi_madt_parse(const uint8_t *t, size_t len, struct acpi_madt *out)
{
	memset(out, 0, sizeof *out);
	if (len < 44)
		return -EINVAL;
	out->lapic_addr = rd32(t + 36);
	out->pcat_compat = rd32(t + 40) & 1;
	for (size_t off = 44; off < len;) {
		if (len - off < 2)
			return -EINVAL;
		uint8_t type = t[off], elen = t[off + 1];
		if (elen < madt_min_len(type) || elen > len - off)
			return -EINVAL;
		madt_entry(t + off, out);
		off += elen;
	}
	return 0;
}

/* ---- FADT ---- */

static struct acpi_gas gas_read(const uint8_t *p)
{
	return (struct acpi_gas){.space = p[0],
				 .bit_width = p[1],
				 .bit_offset = p[2],
				 .access_size = p[3],
				 .addr = rd64(p + 4)};
}

static struct acpi_gas gas_port(uint32_t port, uint8_t bits)
{
	return (struct acpi_gas){.space = ACPI_SPACE_IO, .bit_width = bits, .addr = port};
}

/* A PM1 or GPE block: the 64-bit X_ form when present and non-zero, else
 * the ACPI 1.0 I/O port (bits wide). x_off 0: the block has no X_ form. */
static struct acpi_gas fadt_block(const uint8_t *t, size_t len, size_t port_off, size_t x_off, uint8_t bits)
{
	if (x_off && len >= x_off + 12) {
		struct acpi_gas g = gas_read(t + x_off);
		if (g.addr)
			return g;
	}
	if (len >= port_off + 4 && rd32(t + port_off))
		return gas_port(rd32(t + port_off), bits);
	return (struct acpi_gas){0};
}

static struct acpi_gas fadt_pm1_cnt(const uint8_t *t, size_t len, size_t port_off, size_t x_off)
{
	return fadt_block(t, len, port_off, x_off, 16);
}

/* The PM1 event blocks and GPE blocks with their lengths (FADT offsets 56,
 * 60, 80, 84, 88, 92, 93; X_ forms at 148, 160, 220, 232). An event block
 * whose length is odd or zero is unusable: left absent. */
static void fadt_events(const uint8_t *t, size_t len, struct acpi_fadt *out)
{
	if (len < 94)
		return;
	out->pm1_evt_len = t[88];
	out->gpe0_len = t[92];
	out->gpe1_len = t[93];
	if (out->pm1_evt_len >= 2 && out->pm1_evt_len % 2 == 0) {
		out->pm1a_evt = fadt_block(t, len, 56, 148, 16);
		out->pm1b_evt = fadt_block(t, len, 60, 160, 16);
	}
	if (out->gpe0_len >= 2 && out->gpe0_len % 2 == 0)
		out->gpe0 = fadt_block(t, len, 80, 220, 8);
	if (out->gpe1_len >= 2 && out->gpe1_len % 2 == 0)
		out->gpe1 = fadt_block(t, len, 84, 232, 8);
}

int acpi_fadt_parse(const uint8_t *t, size_t len, struct acpi_fadt *out)
{
	memset(out, 0, sizeof *out);
	if (len < 44) /* must reach the DSDT pointer */
		return -EINVAL;
	out->revision = t[8];
	out->dsdt = rd32(t + 40);
	if (len >= 148 && rd64(t + 140))
		out->dsdt = rd64(t + 140);
	if (len >= 54) {
		out->sci_irq = rd16(t + 46);
		out->smi_cmd = rd32(t + 48);
		out->acpi_enable = t[52];
		out->acpi_disable = t[53];
	}
	out->pm1a_cnt = fadt_pm1_cnt(t, len, 64, 172);
	out->pm1b_cnt = fadt_pm1_cnt(t, len, 68, 184);
	fadt_events(t, len, out);
	if (len >= 109)
		out->century = t[108];
	if (len >= 116) {
		out->iapc_boot_arch = rd16(t + 109);
		out->flags = rd32(t + 112);
	}
	if (len >= 129 && (out->flags & ACPI_FADT_RESET_REG_SUP)) {
		out->reset_reg = gas_read(t + 116);
		out->reset_value = t[128];
	}
	if (len >= 256)
		out->sleep_control = gas_read(t + 244);
	return 0;
}

void acpi_sci_route(const struct acpi_info *a, struct acpi_sci_route *out)
{
	*out = (struct acpi_sci_route){.gsi = a->fadt.sci_irq, .level = true, .active_low = true};
	for (size_t i = 0; i < a->madt.override_count; i++) {
		const struct acpi_override *o = &a->madt.overrides[i];
		if (o->bus != 0 || o->source != a->fadt.sci_irq)
			continue;
		out->gsi = o->gsi;
		if ((o->flags & ACPI_INT_POLARITY_MASK) != 0)
			out->active_low = (o->flags & ACPI_INT_POLARITY_MASK) == ACPI_INT_ACTIVE_LOW;
		if ((o->flags & ACPI_INT_TRIGGER_MASK) != 0)
			out->level = (o->flags & ACPI_INT_TRIGGER_MASK) == ACPI_INT_LEVEL;
	}
}

/* ---- HPET ---- */

int acpi_hpet_parse(const uint8_t *t, size_t len, struct acpi_hpet *out)
{
	memset(out, 0, sizeof *out);
	if (len < 56)
		return -EINVAL;
	struct acpi_gas g = gas_read(t + 40);
	if (g.space != ACPI_SPACE_MEMORY || g.addr == 0)
		return -EINVAL;
	out->addr = g.addr;
	out->number = t[52];
	out->min_tick = rd16(t + 53);
	return 0;
}

/* ---- MCFG ---- */

/* Header (36), 8 reserved bytes, then 16-byte allocations: base address (8),
 * segment group (2), start bus, end bus, 4 reserved. */
#define MCFG_FIRST 44
#define MCFG_ENTRY 16

int acpi_mcfg_parse(const uint8_t *t, size_t len, struct acpi_ecam *out, size_t max)
{
	if (len < MCFG_FIRST)
		return -EINVAL;
	size_t n = 0;
	for (size_t off = MCFG_FIRST; off + MCFG_ENTRY <= len && n < max; off += MCFG_ENTRY) {
		struct acpi_ecam e = {.base = rd64(t + off), .segment = rd16(t + off + 8),
				      .bus_start = t[off + 10], .bus_end = t[off + 11]};
		if (e.base == 0 || (e.base & 0xFFFFF) || e.bus_end < e.bus_start)
			continue;
		out[n++] = e;
	}
	return (int)n;
}

/* ---- the walk ---- */

struct walk {
	const struct acpi_mem *m;
	struct acpi_info *out;
	uint64_t ssdts[ACPI_MAX_SSDTS];
	size_t ssdt_count;
};

static void parse_table(struct walk *w, uint64_t pa)
{
	const uint8_t *t;
	uint32_t len;
	struct acpi_info *out = w->out;
	if (acpi_table_get(w->m, pa, NULL, &t, &len) != 0) {
		out->bad_tables++;
		return;
	}
	int err = 0;
	if (memcmp(t, "APIC", 4) == 0 && !out->has_madt) {
		err = acpi_madt_parse(t, len, &out->madt);
		out->has_madt = err == 0;
	} else if (memcmp(t, "FACP", 4) == 0 && !out->has_fadt) {
		err = acpi_fadt_parse(t, len, &out->fadt);
		out->has_fadt = err == 0;
	} else if (memcmp(t, "HPET", 4) == 0 && !out->has_hpet) {
		err = acpi_hpet_parse(t, len, &out->hpet);
		out->has_hpet = err == 0;
	} else if (memcmp(t, "MCFG", 4) == 0 && out->ecam_count == 0) {
		int n = acpi_mcfg_parse(t, len, out->ecam, ACPI_MAX_ECAM);
		err = n < 0 ? n : 0;
		out->ecam_count = n < 0 ? 0 : (size_t)n;
	} else if (memcmp(t, "SSDT", 4) == 0 && w->ssdt_count < ACPI_MAX_SSDTS) {
		w->ssdts[w->ssdt_count++] = pa;
	}
	if (err)
		out->bad_tables++;
}

static int walk_root(struct walk *w, uint64_t pa, bool xsdt)
{
	const uint8_t *t;
	uint32_t len;
	int err = acpi_table_get(w->m, pa, xsdt ? "XSDT" : "RSDT", &t, &len);
	if (err)
		return err;
	size_t esize = xsdt ? 8 : 4;
	size_t n = (len - ACPI_HEADER_LEN) / esize;
	w->out->xsdt = xsdt;
	w->out->table_count = n;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = t + ACPI_HEADER_LEN + i * esize;
		parse_table(w, xsdt ? rd64(e) : rd32(e));
	}
	return 0;
}

/* Searches one AML table (DSDT or SSDT) for \_S5; 0 when found. */
static int s5_in_table(const struct acpi_mem *m, uint64_t pa, const char *sig, struct acpi_info *out)
{
	const uint8_t *t;
	uint32_t len;
	if (acpi_table_get(m, pa, sig, &t, &len) != 0)
		return -EINVAL;
	int err =
		acpi_aml_find_s5(t + ACPI_HEADER_LEN, len - ACPI_HEADER_LEN, &out->slp_typa, &out->slp_typb);
	out->has_s5 = err == 0;
	return err;
}

static void find_s5(struct walk *w)
{
	if (w->out->has_fadt && s5_in_table(w->m, w->out->fadt.dsdt, "DSDT", w->out) == 0)
		return;
	for (size_t i = 0; i < w->ssdt_count; i++)
		if (s5_in_table(w->m, w->ssdts[i], "SSDT", w->out) == 0)
			return;
}

int acpi_parse(const struct acpi_mem *m, const void *rsdp, size_t rsdp_len, struct acpi_info *out)
{
	memset(out, 0, sizeof *out);
	struct acpi_rsdp r;
	int err = acpi_rsdp_check(rsdp, rsdp_len, &r);
	if (err)
		return err;
	out->revision = r.revision;
	struct walk w = {.m = m, .out = out};
	err = -ENODEV;
	if (r.xsdt)
		err = walk_root(&w, r.xsdt, true);
	if (err && r.rsdt)
		err = walk_root(&w, r.rsdt, false);
	if (err)
		return err;
	out->present = true;
	find_s5(&w);
	return 0;
}
