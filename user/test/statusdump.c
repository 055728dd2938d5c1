/*
 * statusdump - the status app's page without the network: reads the system
 * through apps/status/gather.c and prints the JSON (or, with -h, the HTML)
 * that /status.json (or /) would answer now. tests/system/test_netapps.py
 * compares it with what `handlers` and `policy` say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps/status/gather.h"

int main(int argc, char **argv)
{
	bool html = argc > 1 && strcmp(argv[1], "-h") == 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct status_view v = {.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
				.refresh_s = 2};
	const char *what;
	int err = status_gather(&v, NULL, NULL, &what);
	if (err)
		fprintf(stderr, "statusdump: reading the %s: %s\n", what, strerror(err));
	size_t n = html ? status_render_html(&v, NULL, 0) : status_render_json(&v, NULL, 0);
	char *out = malloc(n + 1);
	if (!out)
		return 1;
	html ? status_render_html(&v, out, n + 1) : status_render_json(&v, out, n + 1);
	fwrite(out, 1, n, stdout);
	return err ? 1 : 0;
}
