/*
 * qemu.c - QEMU's test devices: isa-debug-exit ends the VM with a status, and
 * pvpanic tells the host the guest panicked. Registered with kernel/debug at
 * early init; on real hardware both ports are unclaimed and the writes do
 * nothing.
 */
#include "arch.h"
#include "kernel/debug/debug.h"
#include "kernel/driver/driver.h"

#define DEBUG_EXIT_PORT 0xF4
#define PVPANIC_PORT 0x505

static void qemu_exit(uint8_t code)
{
	outb(DEBUG_EXIT_PORT, code);
}

static void qemu_signal_panic(void)
{
	if (inb(PVPANIC_PORT) & 1) /* bit 0: the device supports "panicked" */
		outb(PVPANIC_PORT, 1);
}

static const struct debug_machine qemu_machine = {.exit = qemu_exit, .panicked = qemu_signal_panic};

static void qemu_early_init(void)
{
	debug_machine_register(&qemu_machine);
}

const struct driver qemu_driver = {.name = "qemu", .early_init = qemu_early_init};
