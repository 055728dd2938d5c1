/*
 * pci_selftest.c - PCI interrupts end to end on QEMU's "edu" teaching device
 * (1234:11e8: MSI, else INTx; writing its register 0x60 raises an interrupt,
 * 0x64 acknowledges it). Only when named (the device must be attached:
 * tests/system/test_devices.py boots it with and without optios.pci_irq=intx).
 */
#include "arch.h"
#include "kernel/pci/pci.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11E8
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

struct edu {
	volatile uint32_t *regs;
	volatile unsigned fired;
	uint32_t last_status;
};

static void edu_irq(void *arg)
{
	struct edu *e = arg;
	uint32_t status = e->regs[EDU_IRQ_STATUS / 4];
	if (!status)
		return; /* not ours (a shared INTx line) */
	e->last_status = status;
	e->regs[EDU_IRQ_ACK / 4] = status; /* lowers INTx before the EOI */
	e->fired++;
}

static struct pci_dev *find_edu(void)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->vendor == EDU_VENDOR && d->device == EDU_DEVICE)
			return d;
	return NULL;
}

/* Raises interrupt `bit` and waits up to 1 s, interrupts on, for the handler. */
static bool raise_and_wait(struct edu *e, uint32_t bit)
{
	unsigned before = e->fired;
	uint64_t f = irq_save();
	irq_enable();
	e->regs[EDU_IRQ_RAISE / 4] = bit;
	uint64_t until = clock_now_ns() + NS_PER_SEC;
	while (e->fired == before && clock_now_ns() < until)
		cpu_relax();
	irq_disable();
	irq_restore(f);
	return e->fired == before + 1 && e->last_status == bit;
}

SELFTEST_FLAGS(pci_irq_edu, SELFTEST_SLOW)
{
	static struct edu e;
	struct pci_dev *d = find_edu();
	ST_CHECK(d != NULL); /* the test boot attaches -device edu */
	pci_enable(d, true);
	e.regs = pci_map_bar(d, 0);
	ST_CHECK(e.regs != NULL);
	int v = pci_irq_setup(d, edu_irq, &e, "edu");
	ST_CHECK(v >= 32);
	kprintf("selftest:   edu interrupt by %s, vector %d\n", pci_irq_kind_name(d->irq_kind), v);
	ST_CHECK(d->irq_kind == PCI_IRQ_MSI || d->irq_kind == PCI_IRQ_INTX);
	for (uint32_t bit = 1; bit <= 4; bit <<= 1)
		ST_CHECK(raise_and_wait(&e, bit));
	ST_CHECK(e.fired == 3);
	ST_CHECK(e.regs[EDU_IRQ_STATUS / 4] == 0);
	return 0;
}
