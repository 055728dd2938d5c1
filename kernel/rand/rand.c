/*
 * rand.c - random bytes: RDRAND words, or (without it) splitmix64 over a
 * state that absorbs the TSC each time a word is drawn, so two draws never
 * repeat and boots differ with their timing.
 */
#include "kernel/rand/rand.h"

#include "arch.h"
#include "lib/lib.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;

static uint64_t mix_word(void)
{
	state += rdtsc() ^ 0x9E3779B97F4A7C15ull;
	uint64_t z = state;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void rand_fill(void *buf, size_t n)
{
	uint8_t *out = buf;
	while (n) {
		uint64_t w;
		if (!arch_rdrand(&w))
			w = mix_word();
		size_t k = MIN(n, sizeof w);
		memcpy(out, &w, k);
		out += k;
		n -= k;
	}
}
