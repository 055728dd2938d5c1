/* unit.c - runs the registered host tests in order of registration. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TESTS 1024

static struct {
	const char *name;
	void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;
static int current_failures;

void unit_register(const char *name, void (*fn)(void))
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "unit: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void unit_fail(const char *file, int line, const char *what)
{
	printf("host:   %s:%d: check failed: %s\n", file, line, what);
	current_failures++;
}

unsigned char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
	*len = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
	fclose(f);
	return buf;
}

static int selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (!selected(argc, argv, tests[i].name))
			continue;
		current_failures = 0;
		tests[i].fn();
		if (current_failures == 0) {
			printf("host: %s ... ok\n", tests[i].name);
			passed++;
		} else {
			printf("host: %s ... FAIL\n", tests[i].name);
			failed++;
		}
	}
	printf("host: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
