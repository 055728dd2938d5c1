/*
 * fuzz.h - shared by the libFuzzer targets: FUZZ_ASSERT stops the run (and
 * libFuzzer saves the input) when a property of the code under test fails.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* Reads every byte so AddressSanitizer checks the whole range. */
static inline unsigned fuzz_touch(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
