/*
 * when - what a run may and may not do. For each app:when event it prints
 * one line: whether the clock reads the event's timestamp, and what the
 * calls that would block or yield return, and that starting a program (an
 * effect no roll back could undo) is refused. With payload "emit" it emits
 * app:when.echo (raised only when the run commits); with "emit-fail" it
 * emits and then faults, so the echo must never appear.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <optios/abi/policy.h>
#include <optios/handler.h>

static const char *err_name(int ok, int err)
{
	return ok == 0 ? "ok" : err == EAGAIN ? "EAGAIN" : strerror(err);
}

static int payload_is(const struct optios_event *ev, const char *s)
{
	return ev->payload_len == strlen(s) && memcmp(ev->payload, s, ev->payload_len) == 0;
}

void on_event(const struct optios_event *ev)
{
	struct timespec now, nap = {0, 1000000};
	clock_gettime(CLOCK_MONOTONIC, &now);
	unsigned long long clock_ns = (unsigned long long)now.tv_sec * 1000000000ull + now.tv_nsec;
	int slept = nanosleep(&nap, NULL), sleep_err = errno;
	int yielded = sched_yield(), yield_err = errno;
	char c;
	int got = (int)read(0, &c, 1), read_err = errno;
	char *argv[] = {"/bin/hello", NULL};
	int spawned = optios_spawn("/bin/hello", argv, NULL, 0), spawn_err = errno;
	char answer[64];
	int granted = (int)optios_policy(OPTIOS_POLICY_GRANT, "when", "power", answer, sizeof answer);
	int grant_err = errno;
	printf("when: event_ns=%llu clock_ns=%llu sleep=%s yield=%s read=%s spawn=%s policy=%s\n",
	       (unsigned long long)ev->time_ns, clock_ns, err_name(slept, sleep_err), err_name(yielded, yield_err),
	       err_name(got < 0 ? -1 : 0, read_err),
	       spawned < 0 && spawn_err == EPERM ? "EPERM" : err_name(spawned < 0 ? -1 : 0, spawn_err),
	       granted < 0 && grant_err == EPERM ? "EPERM" : err_name(granted < 0 ? -1 : 0, grant_err));
	if (payload_is(ev, "emit") || payload_is(ev, "emit-fail"))
		optios_emit("app:when.echo", ev->payload, ev->payload_len);
	if (payload_is(ev, "emit-fail")) {
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	}
}
