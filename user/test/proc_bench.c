/* proc_bench - the cost of a system call round trip (getppid), in TSC ticks
 * per call; under QEMU -icount shift=0 a tick is one guest instruction. */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int main(void)
{
	enum { N = 100000 };
	uint64_t best = UINT64_MAX;
	for (int round = 0; round < 5; round++) {
		uint64_t t0 = tsc();
		for (int i = 0; i < N; i++)
			syscall(SYS_getppid);
		uint64_t per = (tsc() - t0) / N;
		best = per < best ? per : best;
	}
	printf("bench: getppid %llu ticks per call\n", (unsigned long long)best);
	return 0;
}
