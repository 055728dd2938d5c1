/*
 * debug.h - what the kernel tells the machine it runs in: the verdict of a
 * test run, and a panic.
 *
 * Under QEMU the test devices do it (drivers/qemu): isa-debug-exit ends the
 * machine with a status, pvpanic tells the host the guest panicked. A driver
 * registers them at its early init, before anything can panic; until one
 * does (and on a PC, which has neither device) both calls just return.
 */
#ifndef KERNEL_DEBUG_DEBUG_H
#define KERNEL_DEBUG_DEBUG_H

#include <stdint.h>

#define DEBUG_EXIT_PASS 0x10 /* QEMU exits with (v << 1) | 1 = 33 */
#define DEBUG_EXIT_FAIL 0x11 /* 35 */

struct debug_machine {
	void (*exit)(uint8_t code); /* ends the machine with code, or returns */
	void (*panicked)(void); /* tells the host the kernel panicked */
};

/* The machine's hooks; m must live for ever. */
void debug_machine_register(const struct debug_machine *m);
/* Ends a test run with DEBUG_EXIT_PASS or _FAIL; returns where nothing listens. */
void debug_exit(uint8_t code);
/* Called by panic() before it halts. */
void debug_panicked(void);

#endif
