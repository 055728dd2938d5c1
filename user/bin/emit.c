/*
 * emit - raise an event from the shell (optios_emit), source = this program.
 *
 *   emit TOPIC [PAYLOAD]            one event; PAYLOAD is its bytes (no NUL)
 *   emit -n COUNT TOPIC [PAYLOAD]   COUNT events back to back
 *
 * Handlers subscribed to TOPIC get them in raise order; what each
 * subscription's overflow policy did with them shows in `handlers -v`.
 */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a refusal to emit a kernel topic means (lib/policy.c refuses such grants). */
#define KERNEL_TOPICS \
	": only app: topics may be emitted (sys:, timer: and file: events are raised by the kernel alone)"

static int usage(void)
{
	fprintf(stderr, "usage: emit [-n COUNT] TOPIC [PAYLOAD]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long count = 1;
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		char *end;
		count = strtoul(argv[2], &end, 10);
		if (*end || count == 0 || count > 1000000)
			return usage();
		i = 3;
	}
	if (argc - i < 1 || argc - i > 2)
		return usage();
	const char *topic = argv[i], *payload = argc - i == 2 ? argv[i + 1] : "";
	for (unsigned long k = 0; k < count; k++) {
		if (optios_emit(topic, payload, strlen(payload)) < 0) {
			const char *why =
				errno == EACCES && strncmp(topic, "app:", 4) != 0 ? KERNEL_TOPICS : "";
			fprintf(stderr, "emit: %s: %s (after %lu of %lu)%s\n", topic, strerror(errno), k,
				count, why);
			return 1;
		}
	}
	return 0;
}
