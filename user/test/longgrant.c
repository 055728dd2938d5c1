/*
 * longgrant - granted one directory with a path over 200 bytes long (its
 * manifest), it acts on the paths it is given and prints the answer of each:
 *
 *   longgrant write PATH   create PATH and write "long\n" into it
 *   longgrant read PATH    print PATH's contents
 *   longgrant stat PATH    stat PATH
 *   longgrant mkdir PATH   make the directory PATH
 *
 * one line "longgrant: VERB: allowed" or "... denied (ENOENT: ...)" each
 * (tests/system/test_hostile.py).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static const char *me = "longgrant";

static long act(const char *verb, const char *path)
{
	struct stat st;
	char buf[64];
	long n;
	int fd;
	if (strcmp(verb, "write") == 0) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			return -1;
		n = write(fd, "long\n", 5);
		close(fd);
		return n;
	}
	if (strcmp(verb, "read") == 0) {
		if ((fd = open(path, O_RDONLY)) < 0)
			return -1;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n >= 0)
			printf("%s: read %.*s", me, (int)n, buf);
		return n;
	}
	if (strcmp(verb, "stat") == 0)
		return stat(path, &st);
	if (strcmp(verb, "mkdir") == 0)
		return mkdir(path, 0755);
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: longgrant write|read|stat|mkdir PATH\n");
		return 2;
	}
	hostile_report(me, argv[1], act(argv[1], argv[2]), false);
	return 0;
}
