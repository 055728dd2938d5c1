/*
 * reset.c - the last-resort ways to restart a PC, after ACPI's reset register:
 * the 8042 keyboard controller's reset line, then a triple fault (an empty
 * IDT plus an exception: the CPU cannot deliver it and shuts down, which the
 * chipset turns into a reset).
 */
#include "arch.h"

#define KBC_STATUS 0x64
#define KBC_INPUT_FULL 0x02
#define KBC_PULSE_RESET 0xFE

static void spin(unsigned long n)
{
	while (n--)
		io_wait();
}

void arch_reset(void)
{
	irq_disable();
	for (int i = 0; i < 100000 && (inb(KBC_STATUS) & KBC_INPUT_FULL); i++)
		io_wait();
	outb(KBC_STATUS, KBC_PULSE_RESET);
	spin(200000);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};
	__asm__ volatile("lidt %0; int3" ::"m"(empty) : "memory");
	arch_halt_forever();
}
