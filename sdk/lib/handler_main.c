/*
 * handler_main.c - the SDK's main() for handlers (see <optios/handler.h>):
 * the author's on_init once, then one on_event per event, forever. The first
 * optios_event_next call ends the start-up and freezes the base snapshot;
 * each later call ends (commits) the run that just returned. The event lives
 * on the stack, so a run dirties no page of the SDK's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>

#include <optios/handler.h>

int main(int argc, char **argv)
{
	struct optios_event ev;
	if (on_init)
		on_init();
	for (;;) {
		/* stdout is not a terminal, so stdio buffers it: what a run printed
		 * must leave with that run (or be dropped with it). musl's fflush
		 * writes the FILE even when nothing is pending: a dirty page in
		 * every run, hence __fpending first. */
		if (__fpending(stdout))
			fflush(stdout);
		if (__fpending(stderr))
			fflush(stderr);
		if (optios_event_next(&ev) != 0) {
			fprintf(stderr, "%s: not running as a handler (%s)\n", argc > 0 ? argv[0] : "handler",
				strerror(errno));
			return 1;
		}
		on_event(&ev);
	}
}
