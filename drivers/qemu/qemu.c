/*
 * qemu.c - QEMU's test devices: isa-debug-exit ends the VM with a status, and
 * pvpanic tells the host the guest panicked. On real hardware both ports are
 * unclaimed and the writes do nothing.
 */
#include "drivers/driver.h"
#include "arch.h"

#define DEBUG_EXIT_PORT 0xF4
#define PVPANIC_PORT 0x505

void qemu_exit(uint8_t code)
{
	outb(DEBUG_EXIT_PORT, code);
}

void qemu_signal_panic(void)
{
	if (inb(PVPANIC_PORT) & 1) /* bit 0: the device supports "panicked" */
		outb(PVPANIC_PORT, 1);
}
