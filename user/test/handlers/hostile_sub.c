/* hostile_sub - asks to subscribe to app:secret, which the policy does not
 * grant: `handler add` refuses it, so this never runs. */
#include <stdio.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	printf("hostile_sub: observed %s\n", ev->topic);
}
