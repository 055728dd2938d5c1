/*
 * button - a handler that owns the power button. Each sys:power.button
 * prints the payload (struct optios_hw_event) beside the event's own time,
 * and what it does, by the press's count:
 *   1      nothing more: the system stays up;
 *   2      asks to power off, then faults: the run rolls back, so must the
 *          power off (every attempt, until the event is a dead letter);
 *   3 on   powers off (reboot with RB_POWER_OFF) and returns: the run
 *          commits and the machine switches off cleanly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>

#include <optios/abi/hwevent.h>
#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	struct optios_hw_event hw;
	if (ev->payload_len != sizeof hw) {
		printf("button: payload of %u bytes\n", ev->payload_len);
		return;
	}
	memcpy(&hw, ev->payload, sizeof hw);
	printf("button: %s version=%u what=%u count=%llu time_ns=%llu event_ns=%llu retry=%u\n", ev->topic,
	       hw.version, hw.what, (unsigned long long)hw.count, (unsigned long long)hw.time_ns,
	       (unsigned long long)ev->time_ns, ev->retry);
	fflush(stdout);
	if (hw.count < 2)
		return;
	int r = reboot(RB_POWER_OFF);
	printf("button: power off asked: %d (%s)\n", r, r ? strerror(errno) : "ok");
	fflush(stdout);
	if (hw.count == 2) {
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	}
}
