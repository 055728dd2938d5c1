/*
 * drivers.c - the driver table, in the order they come up (the interface
 * and the bring-up: kernel/driver/driver.h).
 */
#include "kernel/driver/driver.h"
#include "lib/lib.h"

extern const struct driver uart_driver, fbcon_driver, ps2kbd_driver, qemu_driver;

const struct driver *const driver_table[] = {
	&fbcon_driver, /* first: later messages show on screen too */
	&uart_driver, /* early: the first console */
	&ps2kbd_driver, /* key events, reported to kernel/console */
	&qemu_driver, /* early: the test devices, before anything can panic */
};
const size_t driver_count = ARRAY_SIZE(driver_table);
