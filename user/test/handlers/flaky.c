/* flaky - fails on purpose, to test retries and dead letters (issue 9).
 * app:flaky with payload N (a digit): the run faults while the event's
 * earlier failed attempts (ev->retry) are fewer than N - unless app:flaky.fix
 * has committed since, after which every app:flaky run commits. A committed
 * run prints "flaky: seq S retry R ok". */
#include <stdio.h>
#include <string.h>

#include <optios/handler.h>

static int fixed;

void on_event(const struct optios_event *ev)
{
	if (strcmp(ev->topic, "app:flaky.fix") == 0) {
		fixed = 1;
		printf("flaky: fixed\n");
		return;
	}
	unsigned fails = ev->payload_len ? (unsigned)(ev->payload[0] - '0') : 0;
	if (!fixed && ev->retry < fails) {
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	}
	printf("flaky: seq %llu retry %u ok\n", (unsigned long long)ev->seq, ev->retry);
}
