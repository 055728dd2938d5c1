/* hostile_emit - a handler granted emit:app:hostile.*: on each event it emits
 * app:hostile.ok (allowed) and app:secret (the escape: refused, and the
 * denial is logged with the event it was handling). */
#include <optios/handler.h>

#include "../hostile.h"

void on_event(const struct optios_event *ev)
{
	(void)ev;
	hostile_report("hostile_emit", "emit app:hostile.ok", optios_emit("app:hostile.ok", "", 0), false);
	hostile_report("hostile_emit", "emit app:secret", optios_emit("app:secret", "", 0), true);
}
