/*
 * crasher - a run is a transaction. Each app:crash event increments runs,
 * prints it and appends it to /data/crasher.log; every third run then
 * dereferences NULL. That run is rolled back whole: its increment, its line
 * in the log file and its output are gone, so the next run counts the same
 * number again (runs=1, 2, [3 faults], 3, 4, [5 faults] ...).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <optios/handler.h>

static unsigned long runs;

void on_event(const struct optios_event *ev)
{
	char line[64];
	runs++;
	printf("crasher: runs=%lu\n", runs);
	fflush(stdout);
	int n = snprintf(line, sizeof line, "runs=%lu seq=%llu\n", runs, (unsigned long long)ev->seq);
	int fd = open("/data/crasher.log", O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n)
			printf("crasher: write failed\n");
		close(fd);
	}
	if (runs % 3 == 0) {
		/* both volatile: the compiler may neither see the pointer is NULL nor
		 * drop the store (it did, with only the pointer volatile) */
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	}
}
