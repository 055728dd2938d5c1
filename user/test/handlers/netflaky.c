/*
 * netflaky - a network handler whose first attempt at an event always
 * rolls back after staging its answer (tests/system/test_netev.py): a
 * datagram to UDP 9 gets "attempt N: " + itself back from the attempt that
 * commits (N = ev->retry, so 1), never from the one that faulted; "doomed"
 * faults on every attempt (nothing is ever sent). On TCP 9 each DATA event
 * is written back once, by its retry: a rollback redelivers its bytes.
 */
#include <stdio.h>
#include <string.h>

#include <optios/handler.h>

static char buf[64 * 1024 + 64];

static void fault(void)
{
	*(volatile int *)0 = 1; /* a page fault: the run rolls back */
}

void on_event(const struct optios_event *ev)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne || (ne->kind != OPTIOS_NET_DATAGRAM && ne->kind != OPTIOS_NET_DATA)) {
		if (ne && ne->kind == OPTIOS_NET_CLOSE)
			optios_net_close(ne->conn);
		return;
	}
	int head = ne->kind == OPTIOS_NET_DATAGRAM ? snprintf(buf, 64, "attempt %u: ", ev->retry) : 0;
	long n = optios_net_data(ev, buf + head, sizeof buf - 64);
	if (n < 0) {
		perror("netflaky");
		return;
	}
	optios_net_reply(ev, buf, (unsigned long)(head + n)); /* staged: gone if we fault */
	printf("netflaky: %s attempt %u, %ld bytes\n", ev->topic, ev->retry, n);
	if (ev->retry == 0 || (n >= 6 && memcmp(buf + head, "doomed", 6) == 0))
		fault();
}
