/*
 * emitmix COUNT TOPIC... - raises COUNT events, cycling through the topics
 * (a, b, a, b ...), back to back from one process, so several subscriptions
 * of one handler hold events at once (tests/system/test_handlers.py, ordering).
 */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long count = argc > 2 ? atol(argv[1]) : 0;
	if (count <= 0) {
		fprintf(stderr, "usage: emitmix COUNT TOPIC...\n");
		return 2;
	}
	for (long k = 0; k < count; k++) {
		const char *topic = argv[2 + k % (argc - 2)];
		char payload[24];
		int len = snprintf(payload, sizeof payload, "%ld", k);
		if (optios_emit(topic, payload, (unsigned long)len) < 0) {
			fprintf(stderr, "emitmix: %s: %s\n", topic, strerror(errno));
			return 1;
		}
	}
	return 0;
}
