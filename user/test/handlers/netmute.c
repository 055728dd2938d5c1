/*
 * netmute - receives on UDP 11 but is granted no way to answer
 * (tests/system/test_netev.py): its reply and a send elsewhere are refused
 * with EACCES and a deny record each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne)
		return;
	long r = optios_net_reply(ev, ne->data, ne->inline_len);
	printf("netmute: reply: %s\n", r < 0 ? strerror(errno) : "sent");
	r = optios_net_sendto(0x0202000a, 5555, "x", 1); /* 10.0.2.2 */
	printf("netmute: send to 10.0.2.2:5555: %s\n", r < 0 ? strerror(errno) : "sent");
}
