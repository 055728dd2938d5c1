/*
 * handler_main.c - the SDK's main() for handlers (see <optios/handler.h>):
 * the author's on_init once, then one on_event per event, forever. The first
 * optios_event_next call ends the start-up and freezes the base snapshot;
 * each later call ends (commits) the run that just returned. The event lives
 * on the stack, so a run dirties no page of the SDK's own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <optios/handler.h>

int main(int argc, char **argv)
{
	struct optios_event ev;
	/* What a run prints must leave with that run (or be dropped with it),
	 * so stdout is unbuffered; a run that prints nothing then touches no
	 * stdio state (a flush per run would dirty a page every time). */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (on_init)
		on_init();
	for (;;) {
		if (optios_event_next(&ev) != 0) {
			fprintf(stderr, "%s: not running as a handler (%s)\n", argc > 0 ? argv[0] : "handler",
				strerror(errno));
			return 1;
		}
		on_event(&ev);
	}
}
