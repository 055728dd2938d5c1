/*
 * time.h - the monotonic clock and one-shot timer deadlines.
 * (PROVISIONAL interface: the time work replaces the implementation.)
 */
#ifndef KERNEL_TIME_TIME_H
#define KERNEL_TIME_TIME_H

#include <stdint.h>

void clock_init(void);
/* Nanoseconds since boot; 0 until calibrated. */
uint64_t clock_now_ns(void);

#endif
