/* order - prints each event's seq, time and topic, so a test can check that
 * events from two subscriptions arrive in (time, seq) order. */
#include <stdio.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	printf("order: seq=%llu time=%llu topic=%s\n", (unsigned long long)ev->seq,
	       (unsigned long long)ev->time_ns, ev->topic);
	fflush(stdout);
}
