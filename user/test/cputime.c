/* cputime - the CPU-time clocks (Lua's os.clock() is C's clock()): spins for
 * SPIN_MS of the monotonic clock, then sleeps SLEEP_MS, reading the process
 * and thread CPU clocks and clock() after each; prints one line of
 * milliseconds: "cputime: spin WALL PROCESS THREAD CLOCK sleep WALL PROCESS". */
#include <stdio.h>
#include <time.h>

#define SPIN_MS 200
#define SLEEP_MS 200

static long ms(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	long t0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
	while (ms(CLOCK_MONOTONIC) - t0 < SPIN_MS)
		;
	long t1 = ms(CLOCK_MONOTONIC), c1 = ms(CLOCK_PROCESS_CPUTIME_ID);
	long th = ms(CLOCK_THREAD_CPUTIME_ID), cl = (long)(clock() / (CLOCKS_PER_SEC / 1000));
	struct timespec nap = {0, SLEEP_MS * 1000000L};
	nanosleep(&nap, NULL);
	long t2 = ms(CLOCK_MONOTONIC), c2 = ms(CLOCK_PROCESS_CPUTIME_ID);
	printf("cputime: spin %ld %ld %ld %ld sleep %ld %ld\n", t1 - t0, c1 - c0, th, cl, t2 - t1, c2 - c1);
	return 0;
}
