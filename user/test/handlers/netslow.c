/*
 * netslow - echo on TCP 10, slow at first (tests/system/test_netev.py): its
 * first 24 DATA events each spin 40 ms of CPU before answering, so a fast
 * sender outruns it; the receive window then stays shut (back-pressure) and
 * nothing is lost. Prints the bytes it echoed at the close.
 */
#include <stdio.h>
#include <time.h>

#include <optios/handler.h>

static char buf[64 * 1024];
static unsigned long slow_left = 24, total;

static void spin_ms(long ms)
{
	clock_t end = clock() + ms * (CLOCKS_PER_SEC / 1000);
	while (clock() < end)
		;
}

void on_event(const struct optios_event *ev)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne)
		return;
	if (ne->kind == OPTIOS_NET_CLOSE) {
		printf("netslow: %lu bytes echoed\n", total);
		optios_net_close(ne->conn);
		return;
	}
	if (ne->kind != OPTIOS_NET_DATA)
		return;
	if (slow_left) {
		slow_left--;
		spin_ms(40);
	}
	long n = optios_net_data(ev, buf, sizeof buf);
	if (n < 0 || optios_net_reply(ev, buf, (unsigned long)n) < 0)
		perror("netslow");
	else
		total += (unsigned long)n;
}
