/* hostile_fdplant - the first half of the descriptor leak between handlers
 * (issue 9): granted file.read:/data/secret, it puts the secret on its
 * descriptor 0 and closes its stdout, which used to reach every handler
 * (they shared one descriptor table). Payload says what to do:
 *   plant   dup2(open("/data/secret"), 0), then close(1)
 *   read    read descriptor 0 from its start, report it and whether 1 is open
 *   crash   close 0 and 2, then fault (the run rolls back)
 * After close(1) it reports on stderr. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <optios/handler.h>

#include "../hostile.h"

static void say(const char *line)
{
	write(2, line, strlen(line));
}

static void plant(void)
{
	int fd = open("/data/secret", O_RDONLY);
	hostile_report("hostile_fdplant", "open /data/secret", fd, false);
	if (fd < 0)
		return;
	dup2(fd, 0);
	close(fd);
	hostile_report("hostile_fdplant", "plant", 0, false);
	close(1);
}

static void report(void)
{
	char buf[64] = "", line[160];
	lseek(0, 0, SEEK_SET); /* its output (ESPIPE) has nothing to read */
	long n = read(0, buf, sizeof buf - 1);
	if (n >= 0)
		buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n >= 0)
		snprintf(line, sizeof line, "hostile_fdplant: fd 0: %ld bytes '%s'\n", n, buf);
	else
		snprintf(line, sizeof line, "hostile_fdplant: fd 0: %s\n", hostile_errno_name(errno));
	say(line);
	say(fcntl(1, F_GETFD) < 0 ? "hostile_fdplant: fd 1: closed\n" : "hostile_fdplant: fd 1: open\n");
}

void on_event(const struct optios_event *ev)
{
	const char *p = (const char *)ev->payload;
	if (ev->payload_len == 5 && memcmp(p, "plant", 5) == 0) {
		plant();
	} else if (ev->payload_len == 4 && memcmp(p, "read", 4) == 0) {
		report();
	} else if (ev->payload_len == 5 && memcmp(p, "crash", 5) == 0) {
		close(0);
		close(2);
		*(volatile int *)0 = 1;
	}
}
