/* test_pci.c - PCI configuration decoding (kernel/pci/pci_core.c) over a
 * fake function: port I/O configuration space that answers BAR sizing, and
 * an ECAM window in plain memory. */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/pci/pci_internal.h"
#include "unit.h"

/* The fake function behind port I/O: 256 bytes, BAR size masks, and what
 * the command register held when a BAR was written (decode must be off). */
static uint8_t cfg[256];
static uint64_t bar_size[6];
static uint16_t cmd_at_bar_write;
static unsigned pio_writes;

static uint32_t get32(unsigned off)
{
	uint32_t v;
	memcpy(&v, cfg + off, 4);
	return v;
}
static void put32(unsigned off, uint32_t v)
{
	memcpy(cfg + off, &v, 4);
}
static void put16(unsigned off, uint16_t v)
{
	memcpy(cfg + off, &v, 2);
}

uint32_t pci_pio_read32(const struct pci_dev *dev, unsigned off)
{
	(void)dev;
	CHECK(off < 256 && off % 4 == 0);
	return get32(off);
}

/* A BAR dword keeps its type bits and only the address bits its size
 * allows (a 64-bit BAR's high dword: the high half of the mask). */
void pci_pio_write32(const struct pci_dev *dev, unsigned off, uint32_t val)
{
	(void)dev;
	CHECK(off < 256 && off % 4 == 0);
	pio_writes++;
	if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
		unsigned i = (off - PCI_BAR0) / 4;
		uint32_t old = get32(off);
		cmd_at_bar_write |= get32(PCI_COMMAND) & 3;
		if (i > 0 && ((get32(off - 4) >> 1) & 3) == 2 && !(get32(off - 4) & 1) &&
		    bar_size[i - 1] > 0xFFFFFFFFull) {
			put32(off, val & (uint32_t)(~(bar_size[i - 1] - 1) >> 32));
			return;
		}
		if (i > 0 && ((get32(off - 4) >> 1) & 3) == 2 && !(get32(off - 4) & 1)) {
			put32(off, val); /* a 64-bit BAR's high dword, size < 4 GiB: all bits writable */
			return;
		}
		uint32_t type = old & ((old & 1) ? 3u : 0xFu);
		uint32_t mask = bar_size[i] ? (uint32_t) ~(bar_size[i] - 1) : 0;
		put32(off, (val & mask & ((old & 1) ? ~3u : ~0xFu)) | (bar_size[i] ? type : 0));
		return;
	}
	if (off == PCI_COMMAND)
		val &= 0xFFFF; /* status bits are write-1-to-clear: the fake keeps them */
	put32(off, off == PCI_COMMAND ? (get32(off) & 0xFFFF0000) | val : val);
}

static struct pci_dev fake_dev(void)
{
	memset(cfg, 0, sizeof cfg);
	memset(bar_size, 0, sizeof bar_size);
	cmd_at_bar_write = 0;
	put16(PCI_VENDOR_ID, 0x1AF4);
	put16(PCI_DEVICE_ID, 0x1042);
	cfg[PCI_CLASS] = 0x01;
	cfg[PCI_SUBCLASS] = 0x80;
	cfg[PCI_IRQ_PIN] = 1;
	cfg[PCI_IRQ_LINE] = 11;
	put16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	return (struct pci_dev){.bus = 0, .dev = 4};
}

TEST(pci_header_reads_identity)
{
	struct pci_dev d = fake_dev();
	cfg[PCI_HEADER_TYPE] = 0x80; /* multi-function bit */
	cfg[PCI_IRQ_PIN] = 9; /* not a pin */
	pci_read_header(&d);
	CHECK_EQ(d.vendor, 0x1AF4);
	CHECK_EQ(d.device, 0x1042);
	CHECK_EQ(d.class_code, 1);
	CHECK_EQ(d.subclass, 0x80);
	CHECK_EQ(d.header_type, 0);
	CHECK_EQ(d.irq_pin, 0);
	CHECK_EQ(d.irq_line, 11);
	CHECK_STR(pci_class_name(0x01, 0x08), "Non-Volatile memory controller");
	CHECK_STR(pci_class_name(0x01, 0x80), "Mass storage controller");
	CHECK_STR(pci_class_name(0x42, 0), "Unclassified device");
}

TEST(pci_bars_sized_32_64_io_prefetch)
{
	struct pci_dev d = fake_dev();
	put32(PCI_BAR0, 0xFEB00000); /* 32-bit memory, 4 KiB */
	bar_size[0] = 0x1000;
	put32(PCI_BAR0 + 4, 0xC001); /* I/O, 32 ports */
	bar_size[1] = 0x20;
	put32(PCI_BAR0 + 8, 0x0000000C); /* 64-bit prefetchable, 16 KiB at 8 GiB */
	put32(PCI_BAR0 + 12, 0x2);
	bar_size[2] = 0x4000;
	put32(PCI_BAR0 + 20, 0xFE000000); /* BAR5: a size that is not a power of two */
	bar_size[5] = 0x3000;
	pci_read_bars(&d);
	CHECK_EQ(d.bar[0].base, 0xFEB00000);
	CHECK_EQ(d.bar[0].size, 0x1000);
	CHECK(!d.bar[0].io && !d.bar[0].is64 && !d.bar[0].prefetch);
	CHECK(d.bar[1].io);
	CHECK_EQ(d.bar[1].base, 0xC000);
	CHECK_EQ(d.bar[1].size, 0x20);
	CHECK(d.bar[2].is64 && d.bar[2].prefetch);
	CHECK_EQ(d.bar[2].base, 0x200000000ull);
	CHECK_EQ(d.bar[2].size, 0x4000);
	CHECK_EQ(d.bar[3].size, 0); /* the high half of BAR2 */
	CHECK_EQ(d.bar[4].size, 0); /* not implemented */
	CHECK_EQ(d.bar[5].size, 0); /* lying: refused */
	CHECK_EQ(d.bar[5].base, 0);
	/* decoding was off while the BARs were probed, and is back on */
	CHECK_EQ(cmd_at_bar_write, 0);
	CHECK_EQ(get32(PCI_COMMAND) & 3, 3);
	/* every BAR holds its address again */
	CHECK_EQ(get32(PCI_BAR0), 0xFEB00000);
	CHECK_EQ(get32(PCI_BAR0 + 12), 2);
}

TEST(pci_bar_64_bit_in_last_slot_is_not_read_past_the_header)
{
	struct pci_dev d = fake_dev();
	put32(PCI_BAR0 + 20, 0xFE00000C);
	bar_size[5] = 0x1000;
	pci_read_bars(&d);
	CHECK(!d.bar[5].is64);
	CHECK_EQ(get32(PCI_BAR0 + 24), 0); /* the dword after the BARs never written */
}

TEST(pci_bridge_has_two_bars_and_other_headers_none)
{
	struct pci_dev d = fake_dev();
	put32(PCI_BAR0 + 8, 0xFEB00000);
	bar_size[2] = 0x1000;
	d.header_type = 1;
	pci_read_bars(&d);
	CHECK_EQ(d.bar[2].size, 0); /* a bridge's dword 0x18 holds bus numbers */
	d.header_type = 2;
	pio_writes = 0;
	pci_read_bars(&d);
	CHECK_EQ(pio_writes, 0);
}

/* Capability list: 0x40 (PM) -> 0x50 (MSI-X) -> 0x60 (vendor) -> 0x70 (vendor) -> end. */
static void caps(void)
{
	put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg[PCI_CAP_PTR] = 0x40;
	cfg[0x40] = 0x01, cfg[0x41] = 0x50;
	cfg[0x50] = PCI_CAP_MSIX, cfg[0x51] = 0x60;
	cfg[0x60] = PCI_CAP_VENDOR, cfg[0x61] = 0x70;
	cfg[0x70] = PCI_CAP_VENDOR, cfg[0x71] = 0x00;
}

TEST(pci_capabilities_walked)
{
	struct pci_dev d = fake_dev();
	caps();
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSIX), 0x50);
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_VENDOR), 0x60);
	CHECK_EQ(pci_find_next_cap(&d, 0x60, PCI_CAP_VENDOR), 0x70);
	CHECK_EQ(pci_find_next_cap(&d, 0x70, PCI_CAP_VENDOR), 0);
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSI), 0);
	put16(PCI_STATUS, 0); /* no list */
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSIX), 0);
}

TEST(pci_capability_loop_and_header_pointer_end_the_walk)
{
	struct pci_dev d = fake_dev();
	caps();
	cfg[0x71] = 0x40; /* back to the start: a loop */
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSI), 0);
	cfg[0x71] = 0x13; /* into the header (and unaligned) */
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSI), 0);
	cfg[0x71] = 0xFF; /* the last dword: its next pointer is out of space */
	cfg[0xFC] = 0x07;
	cfg[0xFD] = 0xFC; /* points at itself */
	CHECK_EQ(pci_find_cap(&d, PCI_CAP_MSI), 0);
}

TEST(pci_msix_table_must_lie_inside_its_bar)
{
	struct pci_dev d = fake_dev();
	caps();
	put16(0x52, 3); /* 4 entries */
	put32(0x54, 0x1000 | 1); /* BAR1, offset 0x1000 */
	d.bar[1] = (struct pci_bar){.base = 0xFEB00000, .size = 0x2000};
	struct pci_msix_info m;
	CHECK_EQ(pci_msix_info(&d, &m), 0);
	CHECK_EQ(m.bar, 1);
	CHECK_EQ(m.entries, 4);
	CHECK_EQ(m.table_offset, 0x1000);
	put16(0x52, 0x7FF); /* 2048 entries: 32 KiB, beyond the BAR */
	CHECK_EQ(pci_msix_info(&d, &m), -EINVAL);
	put16(0x52, 3);
	put32(0x54, 0x1000 | 6); /* BAR index 6 does not exist */
	CHECK_EQ(pci_msix_info(&d, &m), -EINVAL);
	put32(0x54, 0x1000 | 2); /* an absent BAR */
	CHECK_EQ(pci_msix_info(&d, &m), -EINVAL);
	cfg[0x50] = 0x01;
	CHECK_EQ(pci_msix_info(&d, &m), -ENODEV);
}

TEST(pci_msi_message_targets_the_local_apic)
{
	CHECK_EQ(pci_msi_address(0), 0xFEE00000);
	CHECK_EQ(pci_msi_address(3), 0xFEE03000);
	CHECK_EQ(pci_msi_data(48), 48);
}

TEST(pci_port_access_bounded_and_narrow_writes_merge)
{
	struct pci_dev d = fake_dev();
	put16(PCI_STATUS, 0x8000); /* a write-1-to-clear error bit is set */
	CHECK_EQ(pci_read32(&d, 256), 0xFFFFFFFF);
	CHECK_EQ(pci_read32(&d, 2), 0xFFFFFFFF); /* misaligned */
	CHECK_EQ(pci_read16(&d, 255), 0xFFFF);
	CHECK_EQ(pci_read8(&d, 300), 0xFF);
	CHECK_EQ(pci_read16(&d, PCI_DEVICE_ID), 0x1042);
	CHECK_EQ(pci_read8(&d, PCI_CLASS), 1);
	pio_writes = 0;
	pci_write32(&d, 256, 0);
	pci_write16(&d, 4096, 0);
	CHECK_EQ(pio_writes, 0);
	pci_write16(&d, PCI_COMMAND, 0x0406);
	CHECK_EQ(pci_read16(&d, PCI_COMMAND), 0x0406);
	CHECK_EQ(pci_read16(&d, PCI_STATUS), 0x8000); /* not cleared by the merge */
	pci_write8(&d, PCI_IRQ_LINE, 10);
	CHECK_EQ(cfg[PCI_IRQ_LINE], 10);
	CHECK_EQ(cfg[PCI_IRQ_PIN], 1);
}

TEST(pci_ecam_access_reaches_4k_and_no_further)
{
	uint8_t *space = calloc(1, 8192);
	memset(space + 4096, 0xAB, 4096); /* the next function's space */
	struct pci_dev d = {.ecam = space};
	space[0x100] = 0x5A;
	CHECK_EQ(pci_read8(&d, 0x100), 0x5A);
	pci_write32(&d, 0xFFC, 0x12345678);
	CHECK_EQ(pci_read32(&d, 0xFFC), 0x12345678);
	CHECK_EQ(pci_read32(&d, 4096), 0xFFFFFFFF);
	pci_write32(&d, 4096, 0);
	CHECK_EQ(space[4096], 0xAB);
	CHECK_EQ(pci_ecam_offset(0, 1, 2, 3), (1u << 20) | (2u << 15) | (3u << 12));
	CHECK_EQ(pci_ecam_offset(16, 17, 0, 0), 1u << 20);
	free(space);
}

TEST(pci_msix_programs_entry_zero_and_masks_the_rest)
{
	struct pci_dev d = fake_dev();
	caps();
	put16(0x52, 3 | 0x4000); /* 4 entries; left function-masked by someone */
	put32(0x54, 0x1000 | 1);
	d.bar[1] = (struct pci_bar){.base = 0xFEB00000, .size = 0x2000};
	struct pci_msix_info m;
	CHECK_EQ(pci_msix_info(&d, &m), 0);
	uint32_t table[16] = {0};
	pci_msix_program(&d, &m, table, 0xFEE00000, 49);
	CHECK_EQ(table[0], 0xFEE00000);
	CHECK_EQ(table[1], 0);
	CHECK_EQ(table[2], 49);
	CHECK_EQ(table[3] & 1, 0); /* entry 0 live */
	for (int i = 1; i < 4; i++)
		CHECK_EQ(table[4 * i + 3] & 1, 1); /* the others masked */
	CHECK_EQ(get32(0x50) >> 16, 0x8000 | 3); /* enabled, function unmasked */
}

TEST(pci_msi_programs_32_and_64_bit_layouts)
{
	struct pci_dev d = fake_dev();
	put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg[PCI_CAP_PTR] = 0x40;
	cfg[0x40] = PCI_CAP_MSI;
	put16(0x42, 0x0080 | 0x0100 | 0x000E); /* 64-bit, maskable, asks for 128 messages */
	put32(0x50, 0xFFFFFFFF); /* vector mask bits */
	CHECK_EQ(pci_msi_program(&d, 0xFEE01000, 50), 0);
	CHECK_EQ(get32(0x44), 0xFEE01000);
	CHECK_EQ(get32(0x48), 0);
	CHECK_EQ(get32(0x4C) & 0xFFFF, 50);
	CHECK_EQ(get32(0x50), 0); /* unmasked */
	CHECK_EQ(get32(0x40) >> 16, 0x0080 | 0x0100 | 0x000E | 1); /* one message (MME 0), enabled */
	put16(0x42, 0); /* 32-bit, no masking */
	put32(0x48, 0xAAAA0000);
	put32(0x4C, 0x12345678);
	CHECK_EQ(pci_msi_program(&d, 0xFEE00000, 51), 0);
	CHECK_EQ(get32(0x48), 0xAAAA0000 | 51); /* data at +8, the upper half untouched */
	CHECK_EQ(get32(0x4C), 0x12345678); /* nothing written past it */
	cfg[0x40] = 0x01;
	CHECK_EQ(pci_msi_program(&d, 0xFEE00000, 51), -ENODEV);
}

TEST(pci_unimplemented_32bit_bar_was_sized_4gib)
{
	/* Regression: a 32-bit memory BAR reading back 0 after all ones got the
	 * high half of the mask forced to ones, hence a size of 4 GiB. */
	struct pci_dev d = fake_dev();
	pci_read_bars(&d);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(d.bar[i].size, 0);
}
