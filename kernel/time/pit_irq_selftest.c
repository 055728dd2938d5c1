/*
 * pit_irq_selftest.c - an ISA interrupt really arrives through the I/O APIC.
 *
 * The PIT's channel 0 drives ISA IRQ 0, which on nearly every PC (and QEMU)
 * reaches the I/O APIC on GSI 2 through a MADT interrupt source override:
 * routing that ignored overrides would never see it. The test programs one
 * terminal-count interrupt (mode 0, ~1 ms), waits for exactly one delivery,
 * and masks the line again. (apic.c's test; it lives here, beside the
 * clock it waits with, because arch includes no kernel header.)
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/irq/irq.h"
#include "kernel/test/selftest.h"
#include "time.h"

#define PIT_CH0 0x40
#define PIT_COMMAND 0x43
#define PIT_CH0_LOHI_MODE0 0x30
#define PIT_MS_TICKS 1193

static volatile int pit_irqs;

/* Spins for ns with interrupts on, then turns them off again. */
static void wait_with_interrupts(uint64_t ns)
{
	uint64_t until = clock_now_ns() + ns;
	irq_enable();
	while (clock_now_ns() < until)
		cpu_relax();
	irq_disable();
}

static void pit_irq(void *arg)
{
	(void)arg;
	pit_irqs++;
}

SELFTEST(apic_isa_irq0_via_override)
{
	ST_CHECK(arch_irq_route_isa(16, 100) == -EINVAL);
	ST_CHECK(arch_irq_route_isa(1, 20) == -EINVAL);
	uint64_t f = irq_save();
	/* The firmware may have left channel 0 ticking (the BIOS's 18.2 Hz):
	 * the control word stops it (mode 0 waits for a count, OUT low), and
	 * an edge it raised before is taken and forgotten before counting. */
	outb(PIT_COMMAND, PIT_CH0_LOHI_MODE0);
	int err = irq_attach_isa(0, "selftest-pit", pit_irq, NULL);
	ST_CHECK(err == 0);
	wait_with_interrupts(NS_PER_MS);
	pit_irqs = 0;
	outb(PIT_CH0, PIT_MS_TICKS & 0xFF);
	outb(PIT_CH0, PIT_MS_TICKS >> 8);
	wait_with_interrupts(50 * NS_PER_MS);
	arch_irq_unroute_isa(0);
	irq_restore(f);
	kprintf("selftest:   PIT terminal count arrived %d time(s)\n", pit_irqs);
	ST_CHECK(pit_irqs == 1);
	return 0;
}
