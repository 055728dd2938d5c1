/*
 * dropper - a test handler whose run changes /data: app:drop NAME creates
 * /data/inbox/NAME (one line). watcher (apps/) watches /data/inbox/, so the
 * file: event of this run's change must wait for its commit's flush
 * (kernel/handler/runner.c, the output gate; tests/system/test_persist.py).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	char path[64];
	int n = snprintf(path, sizeof path, "/data/inbox/%.*s", (int)ev->payload_len,
			 (const char *)ev->payload);
	if (n <= 0 || (size_t)n >= sizeof path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "dropped\n", 8) != 8)
		printf("dropper: %s failed\n", path);
	else
		printf("dropper: created %s\n", path);
	if (fd >= 0)
		close(fd);
	fflush(stdout);
}
