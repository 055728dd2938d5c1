/*
 * fsfill - makes a directory fill up, for tests/system/test_fs_scale.py:
 *
 *   fsfill sparse DIR      creates DIR/s0, s1, ... each holding one byte at
 *                          offset 62,000,000, until a call fails; prints
 *                          "fsfill: N files, then ERRNO"
 *   fsfill many DIR N      creates N empty files DIR/f0 ... in DIR; prints
 *                          "fsfill: N files in MS ms"
 *
 * DIR is made first. Exits 0, or 1 on a usage or unexpected error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOSPC: return "ENOSPC";
	case EFBIG: return "EFBIG";
	case ENOMEM: return "ENOMEM";
	}
	return strerror(e);
}

static int sparse(const char *dir)
{
	char path[256];
	long n = 0;
	for (;; n++) {
		snprintf(path, sizeof path, "%s/s%ld", dir, n);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			break;
		long w = pwrite(fd, "x", 1, 62000000);
		int e = errno;
		close(fd);
		errno = e;
		if (w != 1)
			break;
	}
	printf("fsfill: %ld files, then %s\n", n, errno_name(errno));
	return 0;
}

static int many(const char *dir, long count)
{
	char path[256];
	long t0 = now_ms();
	for (long i = 0; i < count; i++) {
		snprintf(path, sizeof path, "%s/f%ld", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			printf("fsfill: %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("fsfill: %ld files in %ld ms\n", count, now_ms() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || mkdir(argv[2], 0755) != 0) {
		fprintf(stderr, "usage: fsfill sparse DIR | fsfill many DIR N (DIR is made)\n");
		return 1;
	}
	if (strcmp(argv[1], "sparse") == 0)
		return sparse(argv[2]);
	if (strcmp(argv[1], "many") == 0 && argc == 4)
		return many(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: fsfill sparse DIR | fsfill many DIR N (DIR is made)\n");
	return 1;
}
