/*
 * driver.h - the one interface every device driver offers the kernel.
 *
 * A driver is a name and an init function; drivers.c lists them all in boot
 * order. init returns 0 when the device is up, -ENODEV when the device is not
 * on this machine (not an error), or another -E code when it failed.
 */
#ifndef DRIVERS_DRIVER_H
#define DRIVERS_DRIVER_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootinfo;

struct driver {
	const char *name;
	int (*init)(const struct bootinfo *bi);
};

/* Brings up every driver in the table, logging each result. */
void drivers_init(const struct bootinfo *bi);

/* Serial is special: it comes up before everything else as the first console. */
void uart_early_init(void);

/* QEMU's test devices (isa-debug-exit, pvpanic). */
#define QEMU_EXIT_PASS 0x10 /* QEMU exits with (v << 1) | 1 = 33 */
#define QEMU_EXIT_FAIL 0x11 /* 35 */
void qemu_exit(uint8_t code);
void qemu_signal_panic(void);

#endif
