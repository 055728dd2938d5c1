/*
 * rand.h - the kernel's random bytes (AT_RANDOM, getrandom): RDRAND when the
 * CPU has it, else a generator stirred with the TSC on every call. Not a
 * cryptographic source on CPUs without RDRAND; good enough for stack
 * canaries and hash seeds.
 */
#ifndef KERNEL_RAND_RAND_H
#define KERNEL_RAND_RAND_H

#include <stddef.h>

void rand_fill(void *buf, size_t n);

#endif
