/*
 * watcher - a file-watch handler. Every file created under /data/inbox/
 * (see watcher.manifest) appends "<seq> <path>" to /data/summary; other
 * changes (written, renamed, removed) are ignored. The append is one of the
 * run's effects: it reaches the file only when the run commits. The payload
 * says what happened; it is text but not NUL-terminated, so it is compared
 * with payload_len.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <optios/handler.h>

#define SUMMARY "/data/summary"

static int is_created(const struct optios_event *ev)
{
	static const char created[] = "created";
	return ev->payload_len == sizeof created - 1 && memcmp(ev->payload, created, sizeof created - 1) == 0;
}

void on_event(const struct optios_event *ev)
{
	char line[OPTIOS_EVENT_TOPIC_MAX + 32];
	const char *path = strncmp(ev->topic, "file:", 5) == 0 ? ev->topic + 5 : ev->topic;
	if (!is_created(ev))
		return;
	int n = snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)ev->seq, path);
	int fd = open(SUMMARY, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		printf("watcher: seq=%llu %s: %s\n", (unsigned long long)ev->seq, SUMMARY, strerror(errno));
	else
		printf("watcher: seq=%llu created %s\n", (unsigned long long)ev->seq, path);
	if (fd >= 0)
		close(fd);
	fflush(stdout);
}
