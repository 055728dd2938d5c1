/* hostile_fdsteal - the second half of the descriptor leak between handlers
 * (issue 9): it has no file capability, yet read the secret hostile_fdplant
 * had put on descriptor 0 when handlers shared one descriptor table. Now it
 * must find only its own descriptors: 0-2 its output (nothing to read:
 * EAGAIN), 1 still open whatever another handler closed, nothing above 2. */
#include <fcntl.h>
#include <unistd.h>

#include <optios/handler.h>

#include "../hostile.h"

void on_event(const struct optios_event *ev)
{
	(void)ev;
	char buf[64];
	hostile_report("hostile_fdsteal", "read fd 0", read(0, buf, sizeof buf), true);
	int others = 0;
	for (int fd = 3; fd < 1024; fd++)
		others += fcntl(fd, F_GETFD) >= 0;
	printf("hostile_fdsteal: descriptors above 2: %d\n", others);
	hostile_escaped += others;
}
