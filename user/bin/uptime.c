/* uptime - time since boot (the monotonic clock). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: uptime\n");
		return 2;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		fprintf(stderr, "uptime: %s\n", strerror(errno));
		return 1;
	}
	long long s = ts.tv_sec;
	printf("up %lld:%02lld:%02lld.%03ld (%lld s)\n", s / 3600, s / 60 % 60, s % 60, ts.tv_nsec / 1000000,
	       s);
	return 0;
}
