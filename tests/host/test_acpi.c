/* test_acpi.c - ACPI table parsing on hand-built tables in a fake physical memory. */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/acpi/acpi_internal.h"
#include "unit.h"

#define MEM_SIZE 0x200000
static uint8_t *mem;

static const void *fake_map(void *ctx, uint64_t pa, size_t len)
{
	(void)ctx;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return NULL;
	return mem + pa;
}

static const struct acpi_mem fake = {.map = fake_map};

/* Physical layout of the machine the tests build. */
#define RSDP_PA 0xE1230
#define EBDA_PA 0x9FC00
#define RSDT_PA 0x10000
#define XSDT_PA 0x10400
#define FADT_PA 0x11000
#define MADT_PA 0x12000
#define HPET_PA 0x13000
#define DSDT_PA 0x14000
#define SSDT_PA 0x15000

static void w16(uint64_t pa, uint16_t v)
{
	memcpy(mem + pa, &v, 2);
}
static void w32(uint64_t pa, uint32_t v)
{
	memcpy(mem + pa, &v, 4);
}
static void w64(uint64_t pa, uint64_t v)
{
	memcpy(mem + pa, &v, 8);
}

static void fix_checksum(uint64_t pa, size_t len, size_t sum_off)
{
	mem[pa + sum_off] = 0;
	mem[pa + sum_off] = (uint8_t)(0x100 - acpi_checksum(mem + pa, len));
}

static void header(uint64_t pa, const char *sig, uint32_t len, uint8_t rev)
{
	memset(mem + pa, 0, len);
	memcpy(mem + pa, sig, 4);
	w32(pa + 4, len);
	mem[pa + 8] = rev;
	memcpy(mem + pa + 10, "OPTIOS", 6);
}

/* Sets the checksum over the table's stated length (clamped to memory). */
static void seal(uint64_t pa)
{
	uint32_t len;
	memcpy(&len, mem + pa + 4, 4);
	if (len < 10 || len > MEM_SIZE - pa)
		return;
	fix_checksum(pa, len, 9);
}

static void build_rsdp(uint64_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(mem + pa, 0, 36);
	memcpy(mem + pa, "RSD PTR ", 8);
	memcpy(mem + pa + 9, "OPTIOS", 6);
	mem[pa + 15] = rev;
	w32(pa + 16, rsdt);
	if (rev >= 2) {
		w32(pa + 20, 36);
		w64(pa + 24, xsdt);
		fix_checksum(pa, 36, 32);
	}
	fix_checksum(pa, 20, 8);
}

static const uint8_t s5_aml[] = {
	0x10, 0x05, '\\', 0x00, /* some unrelated Scope bytes */
	0x08, '_',  'S',  '5',	'_',  0x12, 0x08, 0x04, /* Name(_S5_, Package(4) { */
	0x0A, 0x05, 0x0A, 0x07, 0x00, 0x00, /*   5, 7, 0, 0 }) */
};

static void build_madt(void)
{
	header(MADT_PA, "APIC", 44 + 8 + 8 + 12 + 10 + 10 + 6 + 16, 3);
	w32(MADT_PA + 36, 0xFEE00000);
	w32(MADT_PA + 40, 1);
	uint64_t e = MADT_PA + 44;
	uint8_t cpu0[8] = {0, 8, 0, 0, 1, 0, 0, 0}, cpu1[8] = {0, 8, 1, 1, 0, 0, 0, 0}; /* cpu1 disabled */
	memcpy(mem + e, cpu0, 8), e += 8;
	memcpy(mem + e, cpu1, 8), e += 8;
	uint8_t io[12] = {1, 12, 2, 0};
	memcpy(mem + e, io, 12), w32(e + 4, 0xFEC00000), w32(e + 8, 0), e += 12;
	uint8_t iso0[10] = {2, 10, 0, 0}; /* IRQ 0 -> GSI 2 */
	memcpy(mem + e, iso0, 10), w32(e + 4, 2), w16(e + 8, 0), e += 10;
	uint8_t iso9[10] = {2, 10, 0, 9}; /* IRQ 9 -> GSI 9, level, active low */
	memcpy(mem + e, iso9, 10), w32(e + 4, 9), w16(e + 8, ACPI_INT_LEVEL | ACPI_INT_ACTIVE_LOW), e += 10;
	uint8_t nmi[6] = {4, 6, 0xFF, 5, 0, 1}; /* all CPUs, LINT1, edge high */
	memcpy(mem + e, nmi, 6), e += 6;
	uint8_t x2[16] = {9, 16, 0, 0};
	memcpy(mem + e, x2, 16), w32(e + 4, 300), w32(e + 8, 1), e += 16;
	seal(MADT_PA);
}

static void build_fadt(uint32_t len, uint8_t rev)
{
	header(FADT_PA, "FACP", len, rev);
	w32(FADT_PA + 40, DSDT_PA);
	w16(FADT_PA + 46, 9);
	w32(FADT_PA + 48, 0xB2);
	mem[FADT_PA + 52] = 0xF1;
	w32(FADT_PA + 64, 0x604);
	if (len >= 129) {
		w32(FADT_PA + 112, ACPI_FADT_RESET_REG_SUP);
		mem[FADT_PA + 116] = ACPI_SPACE_IO;
		mem[FADT_PA + 117] = 8;
		w64(FADT_PA + 120, 0xCF9);
		mem[FADT_PA + 128] = 0x06;
	}
	seal(FADT_PA);
}

static void build_hpet(void)
{
	header(HPET_PA, "HPET", 56, 1);
	mem[HPET_PA + 40] = ACPI_SPACE_MEMORY;
	w64(HPET_PA + 44, 0xFED00000);
	seal(HPET_PA);
}

static void build_dsdt(const uint8_t *aml, size_t n)
{
	header(DSDT_PA, "DSDT", (uint32_t)(36 + n), 2);
	memcpy(mem + DSDT_PA + 36, aml, n);
	seal(DSDT_PA);
}

static void build_root(uint64_t pa, const char *sig, size_t esize, const uint64_t *tables, size_t n)
{
	header(pa, sig, (uint32_t)(36 + esize * n), 1);
	for (size_t i = 0; i < n; i++) {
		if (esize == 8)
			w64(pa + 36 + 8 * i, tables[i]);
		else
			w32(pa + 36 + 4 * i, (uint32_t)tables[i]);
	}
	seal(pa);
}

/* A complete ACPI 1.0 machine: RSDP in the BIOS area, RSDT, FADT, MADT, HPET, DSDT. */
static void build_machine(void)
{
	if (!mem)
		mem = malloc(MEM_SIZE);
	memset(mem, 0, MEM_SIZE);
	build_madt();
	build_fadt(129, 3);
	build_hpet();
	build_dsdt(s5_aml, sizeof s5_aml);
	static const uint64_t tables[] = {FADT_PA, MADT_PA, HPET_PA};
	build_root(RSDT_PA, "RSDT", 4, tables, 3);
	build_rsdp(RSDP_PA, 0, RSDT_PA, 0);
}

static int parse_at(uint64_t rsdp_pa, struct acpi_info *info)
{
	return acpi_parse(&fake, mem + rsdp_pa, 36, info);
}

TEST(acpi_full_machine_parses)
{
	build_machine();
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(info.present && !info.xsdt);
	CHECK_EQ(info.table_count, 3);
	CHECK_EQ(info.bad_tables, 0);
	CHECK(info.has_madt && info.has_fadt && info.has_hpet && info.has_s5);
	CHECK_EQ(info.madt.lapic_addr, 0xFEE00000);
	CHECK(info.madt.pcat_compat);
	CHECK_EQ(info.madt.cpu_count, 2); /* cpu0 and the x2APIC entry; cpu1 is disabled */
	CHECK_EQ(info.madt.cpu_apic_ids[1], 300);
	CHECK_EQ(info.madt.ioapic_count, 1);
	CHECK_EQ(info.madt.ioapics[0].addr, 0xFEC00000);
	CHECK_EQ(info.madt.override_count, 2);
	CHECK_EQ(info.madt.overrides[0].source, 0);
	CHECK_EQ(info.madt.overrides[0].gsi, 2);
	CHECK_EQ(info.madt.overrides[1].flags, ACPI_INT_LEVEL | ACPI_INT_ACTIVE_LOW);
	CHECK_EQ(info.madt.nmi_count, 1);
	CHECK(info.madt.nmis[0].lapic);
	CHECK_EQ(info.madt.nmis[0].lint, 1);
	CHECK_EQ(info.madt.nmis[0].flags, 5);
	CHECK_EQ(info.fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	CHECK_EQ(info.fadt.pm1a_cnt.addr, 0x604);
	CHECK_EQ(info.fadt.pm1b_cnt.addr, 0);
	CHECK_EQ(info.fadt.reset_reg.addr, 0xCF9);
	CHECK_EQ(info.fadt.reset_value, 6);
	CHECK_EQ(info.fadt.smi_cmd, 0xB2);
	CHECK_EQ(info.fadt.dsdt, DSDT_PA);
	CHECK_EQ(info.hpet.addr, 0xFED00000);
	CHECK_EQ(info.slp_typa, 5);
	CHECK_EQ(info.slp_typb, 7);
}

TEST(acpi_rsdp_found_in_bios_area_and_ebda)
{
	build_machine();
	uint64_t pa = 0;
	CHECK_EQ(acpi_rsdp_find(&fake, &pa), 0);
	CHECK_EQ(pa, RSDP_PA);
	/* The EBDA is searched first. */
	w16(0x40E, EBDA_PA >> 4);
	build_rsdp(EBDA_PA + 0x20, 0, RSDT_PA, 0);
	CHECK_EQ(acpi_rsdp_find(&fake, &pa), 0);
	CHECK_EQ(pa, EBDA_PA + 0x20);
}

TEST(acpi_rsdp_bad_checksum_is_skipped)
{
	build_machine();
	build_rsdp(0xE0100, 0, RSDT_PA, 0);
	mem[0xE0100 + 16] ^= 1; /* corrupt the first one */
	uint64_t pa = 0;
	CHECK_EQ(acpi_rsdp_find(&fake, &pa), 0);
	CHECK_EQ(pa, RSDP_PA);
	struct acpi_info info;
	CHECK_EQ(parse_at(0xE0100, &info), -EINVAL);
	CHECK(!info.present);
	mem[RSDP_PA + 16] ^= 1;
	CHECK_EQ(acpi_rsdp_find(&fake, &pa), -ENOENT);
}

TEST(acpi_rsdp_signature_not_on_16_byte_boundary_is_ignored)
{
	build_machine();
	memset(mem + RSDP_PA, 0, 36);
	build_rsdp(0xE2008, 0, RSDT_PA, 0);
	uint64_t pa;
	CHECK_EQ(acpi_rsdp_find(&fake, &pa), -ENOENT);
}

TEST(acpi_xsdt_preferred_and_rsdt_fallback)
{
	build_machine();
	static const uint64_t tables[] = {MADT_PA, FADT_PA};
	build_root(XSDT_PA, "XSDT", 8, tables, 2);
	build_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(info.xsdt);
	CHECK_EQ(info.table_count, 2);
	CHECK(!info.has_hpet);
	/* A corrupt XSDT: back to the RSDT. */
	mem[XSDT_PA + 40] ^= 0xFF;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(!info.xsdt);
	CHECK(info.has_hpet);
	/* A bad extended checksum: the XSDT address is not trusted at all. */
	build_root(XSDT_PA, "XSDT", 8, tables, 2);
	mem[RSDP_PA + 33] ^= 1;
	struct acpi_rsdp r;
	CHECK_EQ(acpi_rsdp_check(mem + RSDP_PA, 36, &r), 0);
	CHECK_EQ(r.xsdt, 0);
	CHECK_EQ(r.rsdt, RSDT_PA);
}

TEST(acpi_bad_table_checksum_is_counted_not_used)
{
	build_machine();
	mem[MADT_PA + 50] ^= 0x40;
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(!info.has_madt);
	CHECK(info.has_fadt);
	CHECK_EQ(info.bad_tables, 1);
}

TEST(acpi_lying_lengths_are_rejected)
{
	build_machine();
	const uint8_t *t;
	uint32_t len;
	/* Longer than reachable memory. */
	w32(HPET_PA + 4, MEM_SIZE);
	CHECK_EQ(acpi_table_get(&fake, HPET_PA, "HPET", &t, &len), -EFAULT);
	/* Longer than any real table. */
	w32(HPET_PA + 4, 0xFFFFFFF0);
	CHECK_EQ(acpi_table_get(&fake, HPET_PA, "HPET", &t, &len), -EINVAL);
	/* Shorter than its own header. */
	w32(HPET_PA + 4, 20);
	CHECK_EQ(acpi_table_get(&fake, HPET_PA, "HPET", &t, &len), -EINVAL);
	/* A table at the very end of memory whose header does not fit. */
	CHECK_EQ(acpi_table_get(&fake, MEM_SIZE - 10, NULL, &t, &len), -EFAULT);
	CHECK_EQ(acpi_table_get(&fake, 0, NULL, &t, &len), -EINVAL);
	/* Wrong signature. */
	build_hpet();
	CHECK_EQ(acpi_table_get(&fake, HPET_PA, "APIC", &t, &len), -EINVAL);
	CHECK_EQ(acpi_table_get(&fake, HPET_PA, "HPET", &t, &len), 0);
	/* The root table lies: the walk fails cleanly. */
	w32(RSDT_PA + 4, 0x7FFFFFFF);
	struct acpi_info info;
	CHECK(parse_at(RSDP_PA, &info) < 0);
	CHECK(!info.present);
}

TEST(acpi_madt_malformed_entries)
{
	build_machine();
	struct acpi_madt m;
	uint8_t t[64];
	memcpy(t, mem + MADT_PA, 44);
	/* Entry length 0 would loop forever. */
	uint8_t zero[2] = {0, 0};
	memcpy(t + 44, zero, 2);
	CHECK_EQ(acpi_madt_parse(t, 46, &m), -EINVAL);
	/* Entry running past the table. */
	uint8_t io[12] = {1, 12, 0, 0};
	memcpy(t + 44, io, 12);
	CHECK_EQ(acpi_madt_parse(t, 50, &m), -EINVAL);
	CHECK_EQ(acpi_madt_parse(t, 56, &m), 0);
	CHECK_EQ(m.ioapic_count, 1);
	/* A known entry shorter than its type needs. */
	t[45] = 8;
	CHECK_EQ(acpi_madt_parse(t, 52, &m), -EINVAL);
	/* A lone trailing byte. */
	t[45] = 12;
	CHECK_EQ(acpi_madt_parse(t, 57, &m), -EINVAL);
	/* Too short for the fixed part. */
	CHECK_EQ(acpi_madt_parse(t, 40, &m), -EINVAL);
	/* Unknown entry types are skipped by their length. */
	uint8_t unknown[4] = {0x7F, 4, 0xAA, 0xBB};
	memcpy(t + 44, unknown, 4);
	CHECK_EQ(acpi_madt_parse(t, 48, &m), 0);
}

TEST(acpi_madt_address_override_and_capacity)
{
	uint8_t t[44 + 12 + 12 * (ACPI_MAX_IOAPICS + 2)];
	memset(t, 0, sizeof t);
	memcpy(t, "APIC", 4);
	uint8_t ovr[12] = {5, 12, 0, 0};
	uint64_t addr = 0x1FEE00000ull;
	memcpy(ovr + 4, &addr, 8);
	memcpy(t + 44, ovr, 12);
	for (int i = 0; i < ACPI_MAX_IOAPICS + 2; i++) {
		uint8_t io[12] = {1, 12, (uint8_t)i, 0};
		memcpy(t + 56 + 12 * i, io, 12);
	}
	struct acpi_madt m;
	CHECK_EQ(acpi_madt_parse(t, sizeof t, &m), 0);
	CHECK_EQ(m.lapic_addr, 0x1FEE00000ull);
	CHECK_EQ(m.ioapic_count, ACPI_MAX_IOAPICS); /* extra ones dropped, not overflowed */
}

TEST(acpi_fadt_versions)
{
	build_machine();
	struct acpi_fadt f;
	/* ACPI 1.0: 116 bytes, no reset register. */
	build_fadt(116, 1);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 116, &f), 0);
	CHECK_EQ(f.pm1a_cnt.addr, 0x604);
	CHECK_EQ(f.reset_reg.addr, 0);
	/* Reset register present but RESET_REG_SUP clear: not used. */
	build_fadt(129, 3);
	w32(FADT_PA + 112, 0);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 129, &f), 0);
	CHECK_EQ(f.reset_reg.addr, 0);
	/* ACPI 5+: X_DSDT and X_PM1a_CNT win over the 32-bit fields. */
	build_fadt(276, 5);
	w64(FADT_PA + 140, 0x123456789ull);
	mem[FADT_PA + 172] = ACPI_SPACE_IO;
	mem[FADT_PA + 173] = 16;
	w64(FADT_PA + 176, 0x1004);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 276, &f), 0);
	CHECK_EQ(f.dsdt, 0x123456789ull);
	CHECK_EQ(f.pm1a_cnt.addr, 0x1004);
	CHECK_EQ(f.reset_reg.addr, 0xCF9);
	/* Truncated before the DSDT pointer. */
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 40, &f), -EINVAL);
}

TEST(acpi_hpet_table_checks)
{
	build_machine();
	struct acpi_hpet h;
	CHECK_EQ(acpi_hpet_parse(mem + HPET_PA, 56, &h), 0);
	CHECK_EQ(h.addr, 0xFED00000);
	CHECK_EQ(acpi_hpet_parse(mem + HPET_PA, 50, &h), -EINVAL);
	mem[HPET_PA + 40] = ACPI_SPACE_IO;
	CHECK_EQ(acpi_hpet_parse(mem + HPET_PA, 56, &h), -EINVAL);
}

static int s5(const uint8_t *aml, size_t n, uint8_t *a, uint8_t *b)
{
	/* Copy to an exact-size heap block so ASan sees any over-read. */
	uint8_t *copy = malloc(n);
	memcpy(copy, aml, n);
	int r = acpi_aml_find_s5(copy, n, a, b);
	free(copy);
	return r;
}

TEST(acpi_aml_s5_encodings)
{
	uint8_t a = 99, b = 99;
	/* QEMU style: Zero/One ops, root prefix. */
	const uint8_t qemu[] = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00};
	CHECK_EQ(s5(qemu, sizeof qemu, &a, &b), 0);
	CHECK_EQ(a, 0);
	CHECK_EQ(b, 0);
	const uint8_t ones[] = {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x01, 0x0A, 0x03};
	CHECK_EQ(s5(ones, sizeof ones, &a, &b), 0);
	CHECK_EQ(a, 1);
	CHECK_EQ(b, 3);
	/* Word and dword prefixes, two-byte PkgLength. */
	const uint8_t wide[] = {0x08, '_',  'S',  '5',	'_',  0x12, 0x4B, 0x00, 0x02,
				0x0B, 0x07, 0x00, 0x0C, 0x06, 0,    0,	  0};
	CHECK_EQ(s5(wide, sizeof wide, &a, &b), 0);
	CHECK_EQ(a, 7);
	CHECK_EQ(b, 6);
	/* Old firmware: one element holding both. */
	const uint8_t one[] = {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0B, 0x05, 0x07};
	CHECK_EQ(s5(one, sizeof one, &a, &b), 0);
	CHECK_EQ(a, 5);
	CHECK_EQ(b, 7);
}

TEST(acpi_aml_s5_absent_or_malformed)
{
	uint8_t a, b;
	/* "_S5_" not introduced by NameOp (a string, a method name). */
	const uint8_t str[] = {0x0D, '_', 'S', '5', '_', 0x00, 0x14, 0x08, '_', 'S', '5', '_', 0x00};
	CHECK_EQ(s5(str, sizeof str, &a, &b), -ENOENT);
	CHECK_EQ(s5(str, 0, &a, &b), -ENOENT);
	/* The stream ends inside the package. */
	const uint8_t cut[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A};
	CHECK_EQ(s5(cut, sizeof cut, &a, &b), -EINVAL);
	/* PkgLength larger than the stream. */
	const uint8_t lie[] = {0x08, '_', 'S', '5', '_', 0x12, 0x3F, 0x02, 0x00, 0x00};
	CHECK_EQ(s5(lie, sizeof lie, &a, &b), -EINVAL);
	/* PkgLength bytes promised but missing. */
	const uint8_t lead[] = {0x08, '_', 'S', '5', '_', 0x12, 0xC0};
	CHECK_EQ(s5(lead, sizeof lead, &a, &b), -EINVAL);
	/* Elements that are not constants (a name reference). */
	const uint8_t named[] = {0x08, '_', 'S', '5', '_', 0x12, 0x0A, 0x02,
				 'S',  '5', 'A', '_', 'S', '5',	 'B',  '_'};
	CHECK_EQ(s5(named, sizeof named, &a, &b), -EINVAL);
	/* Zero elements. */
	const uint8_t empty[] = {0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00};
	CHECK_EQ(s5(empty, sizeof empty, &a, &b), -EINVAL);
	/* A bad candidate followed by a good one: the good one is used. */
	const uint8_t both[] = {0x08, '_', 'S', '5',  '_',  0x12, 0x3F, 0x02, 0x08, '_',
				'S',  '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x05};
	CHECK_EQ(s5(both, sizeof both, &a, &b), 0);
	CHECK_EQ(a, 5);
}

TEST(acpi_s5_found_in_ssdt_when_dsdt_lacks_it)
{
	build_machine();
	const uint8_t none[] = {0x10, 0x05, '\\', 0x00};
	build_dsdt(none, sizeof none);
	header(SSDT_PA, "SSDT", (uint32_t)(36 + sizeof s5_aml), 2);
	memcpy(mem + SSDT_PA + 36, s5_aml, sizeof s5_aml);
	seal(SSDT_PA);
	static const uint64_t tables[] = {FADT_PA, MADT_PA, SSDT_PA};
	build_root(RSDT_PA, "RSDT", 4, tables, 3);
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(info.has_s5);
	CHECK_EQ(info.slp_typa, 5);
	/* Neither has it: reported absent, the rest still parsed. */
	build_root(RSDT_PA, "RSDT", 4, tables, 2);
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK(!info.has_s5);
	CHECK(info.has_madt);
}

/* Random corruption of a valid machine: every outcome is allowed except a
 * crash or an out-of-bounds read (ASan is watching). */
TEST(acpi_random_corruption_never_crashes)
{
	srand(12345);
	int parsed = 0;
	for (int round = 0; round < 3000; round++) {
		build_machine();
		static const uint64_t regions[] = {RSDT_PA, FADT_PA, MADT_PA, HPET_PA, DSDT_PA, RSDP_PA};
		int flips = 1 + rand() % 8;
		for (int i = 0; i < flips; i++) {
			uint64_t base = regions[rand() % 6];
			mem[base + (uint64_t)(rand() % 140)] = (uint8_t)rand();
		}
		/* Re-seal sometimes, so corrupt contents pass the checksum. */
		if (rand() % 2) {
			seal(MADT_PA);
			seal(FADT_PA);
			seal(DSDT_PA);
			seal(RSDT_PA);
		}
		struct acpi_info info;
		if (parse_at(RSDP_PA, &info) == 0)
			parsed++;
		CHECK(info.madt.ioapic_count <= ACPI_MAX_IOAPICS);
		CHECK(info.madt.override_count <= ACPI_MAX_OVERRIDES);
		CHECK(info.madt.nmi_count <= ACPI_MAX_NMIS);
	}
	CHECK(parsed > 0);
}

/* ---- MCFG ---- */

#define MCFG_PA 0x16000

static void build_mcfg(const uint64_t *bases, const uint8_t (*buses)[2], size_t n)
{
	uint32_t len = 44 + 16 * (uint32_t)n;
	header(MCFG_PA, "MCFG", len, 1);
	for (size_t i = 0; i < n; i++) {
		w64(MCFG_PA + 44 + 16 * i, bases[i]);
		w16(MCFG_PA + 44 + 16 * i + 8, (uint16_t)i);
		mem[MCFG_PA + 44 + 16 * i + 10] = buses[i][0];
		mem[MCFG_PA + 44 + 16 * i + 11] = buses[i][1];
	}
	seal(MCFG_PA);
}

TEST(acpi_mcfg_found_by_the_walk)
{
	build_machine();
	static const uint64_t bases[] = {0xB0000000};
	static const uint8_t buses[][2] = {{0, 255}};
	build_mcfg(bases, buses, 1);
	static const uint64_t tables[] = {FADT_PA, MADT_PA, HPET_PA, MCFG_PA};
	build_root(RSDT_PA, "RSDT", 4, tables, 4);
	build_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK_EQ(info.bad_tables, 0);
	CHECK_EQ(info.ecam_count, 1);
	CHECK_EQ(info.ecam[0].base, 0xB0000000);
	CHECK_EQ(info.ecam[0].segment, 0);
	CHECK_EQ(info.ecam[0].bus_start, 0);
	CHECK_EQ(info.ecam[0].bus_end, 255);
}

TEST(acpi_mcfg_without_table_means_no_ecam)
{
	build_machine();
	struct acpi_info info;
	CHECK_EQ(parse_at(RSDP_PA, &info), 0);
	CHECK_EQ(info.ecam_count, 0);
}

TEST(acpi_mcfg_bad_entries_are_skipped_and_count_bounded)
{
	static const uint64_t bases[] = {0, 0xB0000100, 0xC0000000, 0xD0000000, 0xE0000000};
	static const uint8_t buses[][2] = {{0, 255}, {0, 255}, {9, 3}, {16, 31}, {0, 0}};
	build_mcfg(bases, buses, 5);
	struct acpi_ecam out[ACPI_MAX_ECAM];
	/* zero base, unaligned base and reversed bus range are refused */
	CHECK_EQ(acpi_mcfg_parse(mem + MCFG_PA, 44 + 16 * 5, out, ACPI_MAX_ECAM), 2);
	CHECK_EQ(out[0].base, 0xD0000000);
	CHECK_EQ(out[0].segment, 3);
	CHECK_EQ(out[0].bus_start, 16);
	CHECK_EQ(out[1].base, 0xE0000000);
	CHECK_EQ(acpi_mcfg_parse(mem + MCFG_PA, 44 + 16 * 5, out, 1), 1); /* the bound holds */
	/* a length cut inside an entry keeps only the whole entries before it */
	CHECK_EQ(acpi_mcfg_parse(mem + MCFG_PA, 44 + 16 * 4 + 8, out, ACPI_MAX_ECAM), 1);
	CHECK_EQ(acpi_mcfg_parse(mem + MCFG_PA, 40, out, ACPI_MAX_ECAM), -EINVAL);
}

/* The FADT's PM1 event and GPE blocks (ACPI 1.0 ports, then X_ forms), and
 * where the SCI arrives: the MADT's override decides, "conforms" or no
 * override means level, active low. */
TEST(acpi_fadt_event_blocks_and_sci_route)
{
	build_machine();
	struct acpi_info info;
	memset(&info, 0, sizeof info);
	build_fadt(129, 3);
	w32(FADT_PA + 56, 0x600); /* PM1a_EVT_BLK */
	w32(FADT_PA + 80, 0xAFE0); /* GPE0_BLK */
	mem[FADT_PA + 88] = 4; /* PM1_EVT_LEN */
	mem[FADT_PA + 92] = 16; /* GPE0_BLK_LEN */
	seal(FADT_PA);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 129, &info.fadt), 0);
	CHECK_EQ(info.fadt.pm1a_evt.addr, 0x600);
	CHECK_EQ(info.fadt.pm1a_evt.space, ACPI_SPACE_IO);
	CHECK_EQ(info.fadt.pm1b_evt.addr, 0);
	CHECK_EQ(info.fadt.pm1_evt_len, 4);
	CHECK_EQ(info.fadt.gpe0.addr, 0xAFE0);
	CHECK_EQ(info.fadt.gpe0_len, 16);
	CHECK_EQ(info.fadt.gpe1.addr, 0);
	CHECK_EQ(info.fadt.sci_irq, 9);
	/* An odd PM1 event length is no usable block. */
	mem[FADT_PA + 88] = 3;
	seal(FADT_PA);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 129, &info.fadt), 0);
	CHECK_EQ(info.fadt.pm1a_evt.addr, 0);
	/* X_PM1a_EVT_BLK wins over the port. */
	build_fadt(276, 5);
	w32(FADT_PA + 56, 0x600);
	mem[FADT_PA + 88] = 4;
	mem[FADT_PA + 148] = ACPI_SPACE_IO;
	mem[FADT_PA + 149] = 32;
	w64(FADT_PA + 152, 0x1000);
	seal(FADT_PA);
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 276, &info.fadt), 0);
	CHECK_EQ(info.fadt.pm1a_evt.addr, 0x1000);
	/* Too short for the lengths: no event blocks, no error. */
	CHECK_EQ(acpi_fadt_parse(mem + FADT_PA, 90, &info.fadt), 0);
	CHECK_EQ(info.fadt.pm1a_evt.addr, 0);

	struct acpi_sci_route r;
	info.fadt.sci_irq = 9;
	info.madt.override_count = 0;
	acpi_sci_route(&info, &r); /* no override: the SCI's default */
	CHECK(r.gsi == 9 && r.level && r.active_low);
	info.madt.overrides[0] = (struct acpi_override){.bus = 0, .source = 9, .gsi = 9, .flags = 0xD};
	info.madt.override_count = 1;
	acpi_sci_route(&info, &r); /* QEMU's: level, active high */
	CHECK(r.gsi == 9 && r.level && !r.active_low);
	info.madt.overrides[0] = (struct acpi_override){.bus = 0, .source = 9, .gsi = 20, .flags = 0};
	acpi_sci_route(&info, &r); /* conforms: the SCI's default, on the override's GSI */
	CHECK(r.gsi == 20 && r.level && r.active_low);
	info.madt.overrides[0] = (struct acpi_override){
		.bus = 0, .source = 9, .gsi = 9, .flags = ACPI_INT_EDGE | ACPI_INT_ACTIVE_HIGH};
	acpi_sci_route(&info, &r);
	CHECK(r.gsi == 9 && !r.level && !r.active_low);
	info.madt.overrides[0] = (struct acpi_override){.bus = 0, .source = 5, .gsi = 21, .flags = 0xD};
	acpi_sci_route(&info, &r); /* another line's override changes nothing */
	CHECK(r.gsi == 9 && r.level && r.active_low);
}
