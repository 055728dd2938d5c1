/* cpuclock - the CPU-time clock inside a run. For each app:cpuclock event it
 * reads clock() (CLOCK_PROCESS_CPUTIME_ID), spins until that clock has
 * advanced SPIN_MS, and prints both readings: a run sees its own CPU time,
 * from about 0 at its start, so the spin ends well inside the budget. */
#include <stdio.h>
#include <time.h>

#include <optios/handler.h>

#define SPIN_MS 20

void on_event(const struct optios_event *ev)
{
	(void)ev;
	clock_t start = clock(), now;
	while ((now = clock()) - start < SPIN_MS * (CLOCKS_PER_SEC / 1000))
		;
	printf("cpuclock: start_us=%ld end_us=%ld\n", (long)start, (long)now);
}
