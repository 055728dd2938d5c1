/*
 * alarm - a one-shot timer across a reboot: timer:alarm.ring fires 8 s after
 * start-up (time while the machine is off does not count); app:alarm events
 * only commit runs (each stores the time left). Prints "alarm: rang" and
 * "alarm: poked N".
 */
#include <optios/handler.h>
#include <stdio.h>
#include <string.h>

static unsigned pokes;

void on_event(const struct optios_event *ev)
{
	if (strcmp(ev->topic, "timer:alarm.ring") == 0)
		printf("alarm: rang\n");
	else
		printf("alarm: poked %u\n", ++pokes);
	fflush(stdout);
}
