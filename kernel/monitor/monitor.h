/*
 * monitor.h - the kernel monitor: a line-oriented console for the person at
 * the machine until user programs and the shell exist (and a way to ask the
 * kernel about itself: interrupts, uptime, memory, log).
 */
#ifndef KERNEL_MONITOR_MONITOR_H
#define KERNEL_MONITOR_MONITOR_H

#include "lib/lib.h"

/* Reads console input forever, echoing it and running commands per line.
 * Halts the CPU between inputs. Never returns. */
NORETURN void monitor_run(void);

#endif
