/* hostile_secret - keeps a secret in its snapshot (a heap copy made at
 * start-up) and prints where it is, for hostile_peek to try. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/handler.h>

#include "../hostile_secret.h"

static char *secret;

void on_init(void)
{
	secret = strdup(HOSTILE_SECRET);
}

void on_event(const struct optios_event *ev)
{
	(void)ev;
	printf("hostile_secret: secret at %p\n", (void *)secret);
}
