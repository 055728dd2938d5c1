/*
 * power.c - leaving: S5 soft-off and reset through what the FADT describes.
 *
 * Power off writes SLP_TYP (from \_S5) and then SLP_EN to the PM1a and PM1b
 * control registers (or the sleep control register on hardware-reduced
 * platforms), after switching the chipset into ACPI mode if the firmware
 * left it in legacy mode. Reboot writes the FADT reset value to the reset
 * register, then falls back to the 8042 and a triple fault (arch_reset).
 * Neither trusts that the hardware obeyed: each waits briefly, says what
 * failed, and takes the next step; power off ends in a halt, never in a
 * QEMU-only exit device.
 */
#include "acpi.h"

#include "acpi_internal.h"

#include "arch.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << 10)
#define PM1_SLP_EN (1u << 13)
#define SLEEP_CTL_TYP_SHIFT 2
#define SLEEP_CTL_EN (1u << 5)

/* About us microseconds: port 0x80 writes take ~1 us on PC hardware. */
static void delay_us(unsigned long us)
{
	while (us--)
		io_wait();
}

uint32_t acpi_gas_read(const struct acpi_gas *g)
{
	if (g->space == ACPI_SPACE_IO) {
		uint16_t port = (uint16_t)g->addr;
		return g->bit_width == 8 ? inb(port) : g->bit_width == 32 ? inl(port) : inw(port);
	}
	volatile void *p = g->space == ACPI_SPACE_MEMORY ? vm_map_mmio(g->addr, 4) : NULL;
	if (p) {
		if (g->bit_width == 8)
			return *(volatile uint8_t *)p;
		return g->bit_width == 32 ? *(volatile uint32_t *)p : *(volatile uint16_t *)p;
	}
	return 0;
}

/* PCI configuration space address of a GAS: bus 0, device, function, offset. */
static void pci_config_write8(uint64_t addr, uint8_t v)
{
	uint32_t dev = (addr >> 32) & 0x1F, fn = (addr >> 16) & 7, off = addr & 0xFF;
	outl(0xCF8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xFC));
	outb((uint16_t)(0xCFC + (off & 3)), v);
}

void acpi_gas_write(const struct acpi_gas *g, uint32_t v)
{
	if (g->space == ACPI_SPACE_IO) {
		uint16_t port = (uint16_t)g->addr;
		if (g->bit_width == 8)
			outb(port, (uint8_t)v);
		else if (g->bit_width == 32)
			outl(port, v);
		else
			outw(port, (uint16_t)v);
	} else if (g->space == ACPI_SPACE_MEMORY) {
		volatile void *p = vm_map_mmio(g->addr, 4);
		if (!p)
			return;
		if (g->bit_width == 8)
			*(volatile uint8_t *)p = (uint8_t)v;
		else if (g->bit_width == 32)
			*(volatile uint32_t *)p = v;
		else
			*(volatile uint16_t *)p = (uint16_t)v;
	} else if (g->space == ACPI_SPACE_PCI_CONFIG) {
		pci_config_write8(g->addr, (uint8_t)v);
	}
}

/* Firmware may leave the chipset in legacy (SMM) mode: ask it for ACPI mode
 * and wait up to ~1 s for SCI_EN, as the specification describes. */
bool acpi_enter_acpi_mode(const struct acpi_fadt *f)
{
	if (!f->pm1a_cnt.addr)
		return false;
	if (!f->smi_cmd || !f->acpi_enable || (acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN))
		return (acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN) != 0;
	outb((uint16_t)f->smi_cmd, f->acpi_enable);
	for (int i = 0; i < 1000 && !(acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN); i++)
		delay_us(1000);
	return (acpi_gas_read(&f->pm1a_cnt) & PM1_SCI_EN) != 0;
}

static void pm1_sleep(const struct acpi_gas *cnt, uint8_t typ)
{
	uint32_t v = acpi_gas_read(cnt) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
	v |= (uint32_t)typ << PM1_SLP_TYP_SHIFT;
	acpi_gas_write(cnt, v);
	acpi_gas_write(cnt, v | PM1_SLP_EN);
}

void acpi_poweroff(void)
{
	const struct acpi_info *a = acpi_get();
	const struct acpi_fadt *f = &a->fadt;
	klog(KLOG_INFO, "acpi: powering off");
	irq_disable();
	if (!a->has_fadt || !a->has_s5) {
		klog(KLOG_ERROR, "acpi: power off impossible (%s): halting; it is safe to switch off",
		     a->has_fadt ? "no \\_S5 sleep type" : "no FADT");
		arch_halt_forever();
	}
	if (f->sleep_control.addr && (f->flags & ACPI_FADT_HW_REDUCED)) {
		acpi_gas_write(&f->sleep_control,
			       (uint32_t)a->slp_typa << SLEEP_CTL_TYP_SHIFT | SLEEP_CTL_EN);
	} else {
		acpi_enter_acpi_mode(f);
		if (f->pm1a_cnt.addr)
			pm1_sleep(&f->pm1a_cnt, a->slp_typa);
		if (f->pm1b_cnt.addr)
			pm1_sleep(&f->pm1b_cnt, a->slp_typb);
	}
	delay_us(500000);
	klog(KLOG_ERROR, "acpi: the machine did not enter S5: halting; it is safe to switch off");
	arch_halt_forever();
}

void acpi_reboot(void)
{
	const struct acpi_info *a = acpi_get();
	klog(KLOG_INFO, "acpi: rebooting");
	irq_disable();
	if (a->has_fadt && a->fadt.reset_reg.addr) {
		acpi_gas_write(&a->fadt.reset_reg, a->fadt.reset_value);
		delay_us(500000);
		klog(KLOG_WARN, "acpi: the reset register did not reset the machine");
	}
	arch_reset();
}
