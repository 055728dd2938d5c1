/* netnolisten - asks for net:udp:12 events without net.listen:udp:12 (tests): refused at handler add. */
#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
}
