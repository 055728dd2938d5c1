/*
 * greeter - an example handler built outside the tree (README.md, "Outside
 * the tree"): runs on each app:greet event and greets the name in its
 * payload, counting greetings in a global that persists from run to run.
 *
 *   sdk/bin/optios-cc --handler -o DIR/apps/greeter greeter.c
 */
#include <optios/handler.h>
#include <stdio.h>

static unsigned long greetings; /* kept in the handler's snapshot */

void on_event(const struct optios_event *ev)
{
	greetings++;
	printf("greeter: hello, %.*s (greeting %lu)\n", (int)ev->payload_len, (const char *)ev->payload,
	       greetings);
}
