/* storm - does nothing: the storm tests count what its queue delivered,
 * coalesced and dropped. storm_c and storm_l are the same code with other
 * policies in their manifests (queue, coalesce, latest). */
#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
}
