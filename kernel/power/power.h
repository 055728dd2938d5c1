/*
 * power.h - hardware events, and the one clean way to switch off or restart.
 *
 * Hardware events (the ACPI power button today) become sys: events raised
 * in their interrupt (payload: optios/abi/hwevent.h). Each source has a
 * default action taken when no subscription watches its topic: the power
 * button's is a clean power off. With a subscriber, its handler decides
 * (it may power off: reboot(2) with the `power` capability, applied when
 * its run commits).
 *
 * The clean way off (power_shutdown) is the same for the `poweroff`
 * command, reboot(2), a handler and the power button: sys:shutdown raised
 * and the handlers drained (2 s at most), the log and /data written under
 * a superblock, then ACPI S5 or a reset.
 */
#ifndef KERNEL_POWER_POWER_H
#define KERNEL_POWER_POWER_H

#include <stdbool.h>

#include "lib/lib.h"

enum power_how { POWER_OFF, POWER_REBOOT };

/* Attaches the hardware event sources (the ACPI SCI). After the event log;
 * events that arrive before handlers subscribe take their default action. */
void power_init(void);

/* The clean way off, from a process (never the handler runner). Never returns. */
NORETURN void power_shutdown(enum power_how how);

/* Asks for power_shutdown from any context (an interrupt, a handler's
 * commit): a kernel process "power" runs it. The first request's how wins;
 * a later request only starts the process again if it could not start
 * (no process slot). */
void power_request(enum power_how how);

#endif
