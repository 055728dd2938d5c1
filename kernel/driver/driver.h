/*
 * driver.h - the one interface every device driver offers the kernel.
 *
 * Theory of operation. drivers/drivers.c lists every driver in boot order
 * (driver_table); the kernel brings them up through this header and never
 * names a driver. First thing in kmain, drivers_early_init runs each
 * driver's early_init (the serial console, QEMU's debug devices: no heap,
 * no interrupts yet); after memory, ACPI, interrupts and the clock,
 * drivers_init runs each driver's init and logs the result. A driver hands
 * the kernel its devices by registering them with the subsystem that uses
 * them - a console sink or display, key events (kernel/console), the
 * machine's debug hooks (kernel/debug) - so kernel code includes no driver
 * header (docs/ARCHITECTURE.md, "Dependency rule").
 *
 * init returns 0 when the device is up, -ENODEV when the device is not on
 * this machine (not an error), or another -E code when it failed.
 */
#ifndef KERNEL_DRIVER_DRIVER_H
#define KERNEL_DRIVER_DRIVER_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootinfo;

struct driver {
	const char *name;
	void (*early_init)(void); /* or NULL; before everything else */
	int (*init)(const struct bootinfo *bi); /* or NULL */
};

/* The drivers, in the order they come up (drivers/drivers.c). */
extern const struct driver *const driver_table[];
extern const size_t driver_count;

/* Runs every driver's early_init. */
void drivers_early_init(void);
/* Brings up every driver that has an init, logging each result. */
void drivers_init(const struct bootinfo *bi);

#endif
