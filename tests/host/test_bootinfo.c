/*
 * test_bootinfo.c - multiboot1 and multiboot2 parsing on hand-built
 * structures, including malformed ones that must be refused, not followed.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/boot/bootinfo.h"
#include "unit.h"

/* Simulated physical memory: 64 KiB starting at physical 0. */
static uint8_t ram[65536];

static const void *phys(uint64_t pa, size_t len)
{
	if (pa > sizeof ram || len > sizeof ram - pa)
		return NULL;
	return ram + pa;
}

static void put32(uint64_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { memcpy(ram + pa, &v, 8); }

/* Appends a multiboot2 tag at *off; returns the body's address. */
static uint64_t tag(uint32_t *off, uint32_t type, uint32_t body_len)
{
	uint64_t at = 0x1000 + *off;
	put32(at, type);
	put32(at + 4, 8 + body_len);
	*off += (8 + body_len + 7) & ~7u;
	return at + 8;
}

static uint32_t build_mb2(void)
{
	memset(ram, 0, sizeof ram);
	uint32_t off = 8;
	uint64_t b = tag(&off, 1, 20);
	strcpy((char *)ram + b, "optios.test=all x");
	b = tag(&off, 2, 8);
	strcpy((char *)ram + b, "GRUB");
	b = tag(&off, 6, 8 + 3 * 24);
	put32(b, 24);
	put32(b + 4, 0);
	put64(b + 8, 0), put64(b + 16, 0x9fc00), put32(b + 24, 1);
	put64(b + 32, 0x100000), put64(b + 40, 0x7ee0000), put32(b + 48, 1);
	put64(b + 56, 0xfffc0000), put64(b + 64, 0x40000), put32(b + 72, 2);
	b = tag(&off, 3, 8 + 8);
	put32(b, 0x200000), put32(b + 4, 0x280000);
	strcpy((char *)ram + b + 8, "rootfs");
	b = tag(&off, 8, 24 + 8);
	put64(b, 0xfd000000), put32(b + 8, 4096), put32(b + 12, 1024), put32(b + 16, 768);
	ram[b + 20] = 32, ram[b + 21] = 1;
	ram[b + 24] = 16, ram[b + 25] = 8, ram[b + 26] = 8, ram[b + 27] = 8, ram[b + 28] = 0, ram[b + 29] = 8;
	b = tag(&off, 14, 20);
	memcpy(ram + b, "RSD PTR ", 8);
	tag(&off, 0, 0);
	put32(0x1000, off);
	return off;
}

TEST(mb2_parses_all_tags)
{
	build_mb2();
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0x1000, phys, &bi), 0);
	CHECK_EQ(bi.protocol, 2);
	CHECK_STR(bi.cmdline, "optios.test=all x");
	CHECK_STR(bi.loader, "GRUB");
	CHECK_EQ(bi.region_count, 3);
	CHECK_EQ(bi.regions[1].base, 0x100000);
	CHECK_EQ(bi.regions[2].type, BOOT_MEM_RESERVED);
	CHECK_EQ(bootinfo_usable_bytes(&bi), 0x9fc00 + 0x7ee0000);
	CHECK_EQ(bi.module_count, 1);
	CHECK_EQ(bi.modules[0].end, 0x280000);
	CHECK_STR(bi.modules[0].cmdline, "rootfs");
	CHECK(bi.fb.present);
	CHECK_EQ(bi.fb.width, 1024);
	CHECK_EQ(bi.fb.red_pos, 16);
	CHECK(bi.rsdp_present);
	CHECK(memcmp(bi.rsdp, "RSD PTR ", 8) == 0);
}

TEST(mb2_rejects_tag_running_past_end)
{
	build_mb2();
	put32(0x1000 + 8 + 4, 5000); /* first tag claims more than the total */
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0x1000, phys, &bi), -22);
}

TEST(mb2_rejects_missing_end_and_tiny_sizes)
{
	uint32_t total = build_mb2();
	put32(0x1000, total - 8); /* cut the end tag off */
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0x1000, phys, &bi), -22);
	build_mb2();
	put32(0x1000 + 8 + 4, 4); /* a tag smaller than its own header */
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0x1000, phys, &bi), -22);
	build_mb2();
	put32(0x1000, 0x7fffffff); /* total larger than reachable memory */
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0x1000, phys, &bi), -22);
}

TEST(unknown_magic_is_refused)
{
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(0x12345678, 0x1000, phys, &bi), -22);
}

static void build_mb1(void)
{
	memset(ram, 0, sizeof ram);
	uint64_t mbi = 0x2000;
	put32(mbi, (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9));
	put32(mbi + 16, 0x3000);
	strcpy((char *)ram + 0x3000, "kernel.elf optios.log=debug");
	put32(mbi + 64, 0x3100);
	strcpy((char *)ram + 0x3100, "qemu");
	put32(mbi + 20, 1);
	put32(mbi + 24, 0x3200);
	put32(0x3200, 0x400000), put32(0x3204, 0x401000), put32(0x3208, 0x3300);
	strcpy((char *)ram + 0x3300, "initrd");
	put32(mbi + 44, 2 * 24);
	put32(mbi + 48, 0x3400);
	put32(0x3400, 20), put64(0x3404, 0), put64(0x340c, 0x9fc00), put32(0x3414, 1);
	put32(0x3418, 20), put64(0x341c, 0x100000), put64(0x3424, 0xfee0000), put32(0x342c, 1);
}

TEST(mb1_parses_map_modules_cmdline)
{
	build_mb1();
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(MB1_BOOT_MAGIC, 0x2000, phys, &bi), 0);
	CHECK_EQ(bi.protocol, 1);
	CHECK_STR(bi.cmdline, "kernel.elf optios.log=debug");
	CHECK_STR(bi.loader, "qemu");
	CHECK_EQ(bi.module_count, 1);
	CHECK_STR(bi.modules[0].cmdline, "initrd");
	CHECK_EQ(bi.region_count, 2);
	CHECK_EQ(bi.regions[1].len, 0xfee0000);
	CHECK(!bi.fb.present);
}

TEST(mb1_rejects_map_outside_memory)
{
	build_mb1();
	put32(0x2000 + 48, 0xfffff000); /* map pointer into nowhere */
	struct bootinfo bi;
	CHECK_EQ(bootinfo_parse(MB1_BOOT_MAGIC, 0x2000, phys, &bi), -22);
}

TEST(cmdline_args)
{
	struct bootinfo bi;
	memset(&bi, 0, sizeof bi);
	strcpy(bi.cmdline, "kernel.elf optios.test=a,b  optios.log=debug quiet optios.testx=no");
	char v[32];
	CHECK(bootinfo_arg(&bi, "optios.test", v, sizeof v));
	CHECK_STR(v, "a,b");
	CHECK(bootinfo_arg(&bi, "optios.log", v, sizeof v));
	CHECK_STR(v, "debug");
	CHECK(bootinfo_arg(&bi, "quiet", v, sizeof v));
	CHECK_STR(v, "");
	CHECK(!bootinfo_arg(&bi, "optios", v, sizeof v));
	CHECK(!bootinfo_arg(&bi, "missing", v, sizeof v));
	char small[3];
	CHECK(bootinfo_arg(&bi, "optios.log", small, sizeof small));
	CHECK_STR(small, "de");
}
