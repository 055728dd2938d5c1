/*
 * pci_core.c - decoding configuration space: bounded register access, the
 * header, BAR sizing, the capability list, MSI-X's table, MSI messages and
 * class names (the interface: pci.h).
 *
 * Everything here reads the device through pci_read* / pci_write*, which go
 * to ECAM memory when dev->ecam is set, else to pci_pio_read32/write32. So
 * the host tests run this code over a fake configuration space (port I/O
 * faked) that answers BAR sizing and lies about capabilities.
 *
 * Invariants: no access leaves the function's space (256 bytes by port
 * I/O, 4096 by ECAM); a capability walk takes at most PCI_CAP_MAX_STEPS
 * steps and only pointers >= 0x40 (a loop or a pointer into the header
 * ends it); a BAR whose size is not a power of two counts as absent.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "pci_internal.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

/* ---- bounded configuration access ---- */

static unsigned cfg_size(const struct pci_dev *dev)
{
	return dev->ecam ? PCI_CFG_ECAM_SIZE : PCI_CFG_PORT_SIZE;
}

/* Whether a width-byte access at off is aligned and inside the space. */
static bool cfg_ok(const struct pci_dev *dev, unsigned off, unsigned width)
{
	return off % width == 0 && off < cfg_size(dev) && width <= cfg_size(dev) - off;
}

uint32_t pci_read32(const struct pci_dev *dev, unsigned off)
{
	if (!cfg_ok(dev, off, 4))
		return 0xFFFFFFFF;
	if (dev->ecam)
		return *(volatile const uint32_t *)(dev->ecam + off);
	return pci_pio_read32(dev, off);
}

uint16_t pci_read16(const struct pci_dev *dev, unsigned off)
{
	if (!cfg_ok(dev, off, 2))
		return 0xFFFF;
	if (dev->ecam)
		return *(volatile const uint16_t *)(dev->ecam + off);
	return (uint16_t)(pci_pio_read32(dev, off & ~3u) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *dev, unsigned off)
{
	if (!cfg_ok(dev, off, 1))
		return 0xFF;
	if (dev->ecam)
		return dev->ecam[off];
	return (uint8_t)(pci_pio_read32(dev, off & ~3u) >> (8 * (off & 3)));
}

void pci_write32(const struct pci_dev *dev, unsigned off, uint32_t val)
{
	if (!cfg_ok(dev, off, 4))
		return;
	if (dev->ecam)
		*(volatile uint32_t *)(dev->ecam + off) = val;
	else
		pci_pio_write32(dev, off, val);
}

/* Port I/O writes whole dwords: a narrower write merges into the dword
 * read back. (Write-1-to-clear status bits sit in the status register,
 * which is never written through a 16-bit merge of the command.) */
static void pio_merge(const struct pci_dev *dev, unsigned off, uint32_t val, uint32_t mask)
{
	unsigned shift = 8 * (off & 3);
	uint32_t old = pci_pio_read32(dev, off & ~3u);
	if ((off & ~3u) == PCI_COMMAND)
		old &= 0x0000FFFF; /* never write back status bits: they clear on 1 */
	pci_pio_write32(dev, off & ~3u, (old & ~(mask << shift)) | ((val & mask) << shift));
}

void pci_write16(const struct pci_dev *dev, unsigned off, uint16_t val)
{
	if (!cfg_ok(dev, off, 2))
		return;
	if (dev->ecam)
		*(volatile uint16_t *)(dev->ecam + off) = val;
	else
		pio_merge(dev, off, val, 0xFFFF);
}

void pci_write8(const struct pci_dev *dev, unsigned off, uint8_t val)
{
	if (!cfg_ok(dev, off, 1))
		return;
	if (dev->ecam)
		dev->ecam[off] = val;
	else
		pio_merge(dev, off, val, 0xFF);
}

/* ---- header and BARs ---- */

void pci_read_header(struct pci_dev *dev)
{
	dev->vendor = pci_read16(dev, PCI_VENDOR_ID);
	dev->device = pci_read16(dev, PCI_DEVICE_ID);
	dev->revision = pci_read8(dev, PCI_REVISION);
	dev->prog_if = pci_read8(dev, PCI_PROG_IF);
	dev->subclass = pci_read8(dev, PCI_SUBCLASS);
	dev->class_code = pci_read8(dev, PCI_CLASS);
	dev->header_type = pci_read8(dev, PCI_HEADER_TYPE) & 0x7F;
	dev->irq_line = pci_read8(dev, PCI_IRQ_LINE);
	dev->irq_pin = pci_read8(dev, PCI_IRQ_PIN);
	if (dev->irq_pin > 4)
		dev->irq_pin = 0; /* not a pin: no legacy interrupt */
}

/* Writes all ones to the BAR dword at off and returns what stuck,
 * restoring the original. */
static uint32_t bar_probe(const struct pci_dev *dev, unsigned off, uint32_t orig)
{
	pci_write32(dev, off, 0xFFFFFFFF);
	uint32_t mask = pci_read32(dev, off);
	pci_write32(dev, off, orig);
	return mask;
}

/* Sizes BAR i; returns how many BAR slots it used (2 for a 64-bit one). */
static unsigned bar_read(struct pci_dev *dev, unsigned i, unsigned nbars)
{
	struct pci_bar *b = &dev->bar[i];
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(dev, off);
	*b = (struct pci_bar){0};
	if (lo & 1) { /* I/O: 32 bits, of which x86 decodes 16 */
		uint32_t mask = bar_probe(dev, off, lo) & ~3u;
		b->io = true;
		b->base = lo & ~3u;
		b->size = mask ? (uint32_t)(~mask + 1) & 0xFFFF : 0;
	} else {
		b->prefetch = lo & 8;
		b->is64 = ((lo >> 1) & 3) == 2;
		if (b->is64 && i + 1 >= nbars) { /* a 64-bit BAR in the last slot: broken */
			b->is64 = false;
			return 1;
		}
		uint64_t mask = bar_probe(dev, off, lo) & ~0xFull;
		uint64_t base = lo & ~0xFull;
		if (b->is64) {
			uint32_t hi = pci_read32(dev, off + 4);
			mask |= (uint64_t)bar_probe(dev, off + 4, hi) << 32;
			base |= (uint64_t)hi << 32;
		} else if (mask) {
			mask |= 0xFFFFFFFF00000000ull; /* the size comes from the low bits only */
		}
		b->base = base;
		b->size = mask ? ~mask + 1 : 0;
	}
	if (b->size & (b->size - 1))
		b->size = 0; /* not a power of two: the device is lying */
	if (b->size == 0)
		b->base = 0;
	return b->is64 ? 2 : 1;
}

void pci_read_bars(struct pci_dev *dev)
{
	unsigned nbars = dev->header_type == 0 ? 6 : dev->header_type == 1 ? 2 : 0;
	memset(dev->bar, 0, sizeof dev->bar);
	if (nbars == 0)
		return;
	uint16_t cmd = pci_read16(dev, PCI_COMMAND);
	pci_write16(dev, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < nbars;)
		i += bar_read(dev, i, nbars);
	pci_write16(dev, PCI_COMMAND, cmd);
}

/* ---- capabilities ---- */

unsigned pci_find_next_cap(const struct pci_dev *dev, unsigned after, uint8_t cap_id)
{
	if (!(pci_read16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned ptr = after ? pci_read8(dev, after + 1) : pci_read8(dev, PCI_CAP_PTR);
	for (unsigned steps = 0; steps < PCI_CAP_MAX_STEPS; steps++) {
		ptr &= 0xFC;
		if (ptr < 0x40)
			return 0; /* the end (0), or a pointer into the header */
		if (pci_read8(dev, ptr) == cap_id)
			return ptr;
		ptr = pci_read8(dev, ptr + 1);
	}
	return 0;
}

unsigned pci_find_cap(const struct pci_dev *dev, uint8_t cap_id)
{
	return pci_find_next_cap(dev, 0, cap_id);
}

/* ---- MSI-X and MSI ---- */

int pci_msix_info(const struct pci_dev *dev, struct pci_msix_info *out)
{
	unsigned cap = pci_find_cap(dev, PCI_CAP_MSIX);
	if (!cap)
		return -ENODEV;
	uint16_t ctrl = pci_read16(dev, cap + 2);
	uint32_t table = pci_read32(dev, cap + 4);
	*out = (struct pci_msix_info){
		.cap = cap, .bar = table & 7, .entries = (ctrl & 0x7FF) + 1u, .table_offset = table & ~7u};
	const struct pci_bar *b = out->bar < 6 ? &dev->bar[out->bar] : NULL;
	if (!b || b->io || b->size == 0 || out->table_offset >= b->size ||
	    (uint64_t)out->entries * 16 > b->size - out->table_offset)
		return -EINVAL;
	return 0;
}

#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_MASKED 1u
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_MME 0x0070 /* multiple message enable: 0 = one */
#define MSI_CTRL_64BIT 0x0080
#define MSI_CTRL_MASKABLE 0x0100

void pci_msix_program(const struct pci_dev *dev, const struct pci_msix_info *m, volatile uint32_t *table,
		      uint64_t addr, uint32_t data)
{
	uint16_t ctrl = pci_read16(dev, m->cap + 2);
	pci_write16(dev, m->cap + 2, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL); /* quiet meanwhile */
	for (unsigned i = 0; i < m->entries; i++)
		table[4 * i + 3] |= MSIX_ENTRY_MASKED;
	table[0] = (uint32_t)addr;
	table[1] = (uint32_t)(addr >> 32);
	table[2] = data;
	table[3] &= ~MSIX_ENTRY_MASKED;
	pci_write16(dev, m->cap + 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
}

int pci_msi_program(const struct pci_dev *dev, uint64_t addr, uint32_t data)
{
	unsigned cap = pci_find_cap(dev, PCI_CAP_MSI);
	if (!cap)
		return -ENODEV;
	uint16_t ctrl = pci_read16(dev, cap + 2);
	pci_write32(dev, cap + 4, (uint32_t)addr);
	unsigned data_off = cap + 8;
	if (ctrl & MSI_CTRL_64BIT) {
		pci_write32(dev, cap + 8, (uint32_t)(addr >> 32));
		data_off = cap + 12;
	}
	pci_write16(dev, data_off, (uint16_t)data);
	if (ctrl & MSI_CTRL_MASKABLE)
		pci_write32(dev, data_off + 4, 0); /* the mask bits follow the data (and 2 reserved bytes) */
	pci_write16(dev, cap + 2, (ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
	return 0;
}

#define MSI_ADDRESS_BASE 0xFEE00000ull

uint64_t pci_msi_address(uint32_t lapic_id)
{
	return MSI_ADDRESS_BASE | ((uint64_t)(lapic_id & 0xFF) << 12);
}

uint32_t pci_msi_data(unsigned vector)
{
	return vector & 0xFF; /* fixed delivery, edge */
}

/* ---- names ---- */

const char *pci_irq_kind_name(enum pci_irq_kind kind)
{
	switch (kind) {
	case PCI_IRQ_INTX: return "INTx";
	case PCI_IRQ_MSI: return "MSI";
	case PCI_IRQ_MSIX: return "MSI-X";
	default: return "none";
	}
}

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
	static const struct {
		uint8_t class_code;
		int16_t subclass; /* -1: any */
		const char *name;
	} names[] = {
		{0x01, 0x00, "SCSI storage controller"},
		{0x01, 0x01, "IDE interface"},
		{0x01, 0x06, "SATA controller"},
		{0x01, 0x08, "Non-Volatile memory controller"},
		{0x01, -1, "Mass storage controller"},
		{0x02, 0x00, "Ethernet controller"},
		{0x02, -1, "Network controller"},
		{0x03, 0x00, "VGA compatible controller"},
		{0x03, -1, "Display controller"},
		{0x04, -1, "Multimedia controller"},
		{0x05, -1, "Memory controller"},
		{0x06, 0x00, "Host bridge"},
		{0x06, 0x01, "ISA bridge"},
		{0x06, 0x04, "PCI bridge"},
		{0x06, -1, "Bridge"},
		{0x07, 0x00, "Serial controller"},
		{0x07, -1, "Communication controller"},
		{0x08, -1, "System peripheral"},
		{0x09, -1, "Input device controller"},
		{0x0C, 0x03, "USB controller"},
		{0x0C, 0x05, "SMBus"},
		{0x0C, -1, "Serial bus controller"},
		{0x0D, -1, "Wireless controller"},
		{0xFF, -1, "Unassigned class"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].class_code == class_code &&
		    (names[i].subclass < 0 || names[i].subclass == subclass))
			return names[i].name;
	return "Unclassified device";
}
