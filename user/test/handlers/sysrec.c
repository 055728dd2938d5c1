/*
 * sysrec - records the kernel's own events: prints "sysrec: TOPIC PAYLOAD"
 * for each sys: event (sys:boot, sys:shutdown, sys:handler.failed).
 */
#include <stdio.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	printf("sysrec: %s %.*s\n", ev->topic, (int)ev->payload_len, (const char *)ev->payload);
}
