/*
 * tally - a test handler for persistence: counts its events in a global and
 * prints "tally: count=N seq=S" per event. Driven by `emit -n N app:tally`:
 * if every run resumes the last committed snapshot, the counts in the log go
 * 1, 2, 3 ... with no repeat and no gap.
 */
#include <optios/handler.h>
#include <stdio.h>

static unsigned long count;

void on_event(const struct optios_event *ev)
{
	count++;
	printf("tally: count=%lu seq=%llu\n", count, (unsigned long long)ev->seq);
	fflush(stdout);
}
