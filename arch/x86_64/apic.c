/* apic.c - PROVISIONAL: replaced by the local APIC / I/O APIC driver. */
#include "arch.h"
#include <optios/abi/errno.h>

int arch_irq_init(void)
{
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	return -ENODEV;
}

int arch_irq_route_isa(unsigned isa_irq, unsigned vector)
{
	(void)isa_irq;
	(void)vector;
	return -ENODEV;
}

void arch_irq_eoi(void)
{
}
