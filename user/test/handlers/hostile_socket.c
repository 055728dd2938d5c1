/* hostile_socket - a handler that tries to reach the network directly,
 * around its transaction: a socket's send would leave at once, and a
 * rolled-back run could not take it back. Granted net.send to the host, it
 * still gets no socket (EPERM): a handler's network effects are staged
 * sends (tests/system/test_sockets.py). */
#include <sys/socket.h>
#include <unistd.h>

#include <optios/handler.h>

#include "../hostile.h"

void on_event(const struct optios_event *ev)
{
	(void)ev;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	hostile_report("hostile_socket", "udp socket", fd, true);
	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	hostile_report("hostile_socket", "tcp socket", fd, true);
	if (fd >= 0)
		close(fd);
}
