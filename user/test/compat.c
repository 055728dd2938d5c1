/*
 * compat - the same static musl program on the host and on OptiOS must print
 * the same bytes: file I/O in the directory argv[1], malloc of small and large
 * blocks, stdio formatting, string functions and deterministic facts about the
 * clocks. Each line is "name: result"; the system test compares the outputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[512];

static const char *path(const char *name)
{
	static char buf[2][600]; /* two at once: rename(path(a), path(b)) */
	static int next;
	next ^= 1;
	snprintf(buf[next], sizeof buf[next], "%s/%s", dir, name);
	return buf[next];
}

static void file_io(void)
{
	mkdir(dir, 0755);
	int fd = open(path("a.txt"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	printf("open: %s\n", fd >= 0 ? "ok" : strerror(errno));
	printf("write: %zd\n", write(fd, "hello, file\n", 12));
	printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
	char buf[64] = {0};
	printf("pread: %zd '%.4s'\n", pread(fd, buf, 4, 7), buf);
	close(fd);
	FILE *f = fopen(path("a.txt"), "a");
	fprintf(f, "line %d\n", 2);
	fclose(f);
	struct stat st;
	printf("stat size: %lld\n", stat(path("a.txt"), &st) == 0 ? (long long)st.st_size : -1LL);
	f = fopen(path("a.txt"), "r");
	while (fgets(buf, sizeof buf, f))
		printf("read: %s", buf);
	fclose(f);
	printf("rename: %d\n", rename(path("a.txt"), path("b.txt")));
	printf("open old: %s\n", open(path("a.txt"), O_RDONLY) < 0 ? strerror(errno) : "exists");
	printf("mkdir again: %s\n", mkdir(dir, 0755) < 0 ? strerror(errno) : "ok");
	printf("unlink: %d\n", unlink(path("b.txt")));
	printf("rmdir: %d\n", rmdir(dir));
}

static void memory(void)
{
	unsigned long sum = 0;
	for (int round = 0; round < 3; round++) {
		char *small[100];
		for (int i = 0; i < 100; i++) {
			small[i] = malloc((size_t)(i + 1) * 8);
			memset(small[i], i, (size_t)(i + 1) * 8);
		}
		for (int i = 0; i < 100; i++) {
			sum += (unsigned char)small[i][i * 8];
			free(small[i]);
		}
	}
	printf("small blocks: sum %lu\n", sum);
	size_t big = 8u << 20;
	unsigned char *p = malloc(big);
	for (size_t i = 0; i < big; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	unsigned long bsum = 0;
	for (size_t i = 0; i < big; i += 4096)
		bsum += p[i];
	p = realloc(p, big * 2);
	printf("large block: %s sum %lu kept %d\n", p ? "ok" : "failed", bsum, p && p[4096 * 5] == 5);
	free(p);
	int *z = calloc(1000, sizeof *z);
	int zero = 1;
	for (int i = 0; i < 1000; i++)
		zero &= z[i] == 0;
	printf("calloc zeroed: %d\n", zero);
	free(z);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void formatting_and_strings(void)
{
	printf("ints: %d %5d|%-5d| %05d %x %X %o %llu\n", -42, 7, 7, 42, 255, 255, 8,
	       18446744073709551615ULL);
	printf("floats: %.3f %e %g %10.2f\n", 3.14159, 12345.678, 0.0001, -2.5);
	printf("strings: [%s] [%10s] [%-10s] [%.3s] %c %%\n", "abc", "right", "left", "truncate", 'Z');
	char buf[64];
	volatile size_t cap = 8; /* truncation on purpose */
	int n = snprintf(buf, cap, "%s", "0123456789");
	printf("snprintf: %d '%s'\n", n, buf);
	printf("strtol: %ld %ld %lu\n", strtol("-123", NULL, 10), strtol("ff", NULL, 16),
	       strtoul("0777", NULL, 0));
	printf("strlen %zu strcmp %d strncmp %d\n", strlen("optios"), strcmp("a", "b") < 0,
	       strncmp("abc", "abd", 2));
	printf("strchr %s strrchr %s strstr %s\n", strchr("a/b/c", '/'), strrchr("a/b/c", '/'),
	       strstr("kernel", "rn"));
	char tok[] = "one two  three";
	for (char *save, *t = strtok_r(tok, " ", &save); t; t = strtok_r(NULL, " ", &save))
		printf("token: %s\n", t);
	int v[] = {5, 3, 9, 1, 7};
	qsort(v, 5, sizeof v[0], cmp_int);
	printf("qsort: %d %d %d %d %d\n", v[0], v[1], v[2], v[3], v[4]);
	int a, b;
	char w[16];
	printf("sscanf: %d", sscanf("12 34 word", "%d %d %15s", &a, &b, w));
	printf(" %d %d %s\n", a, b, w);
	printf("strerror: %s | %s\n", strerror(ENOENT), strerror(EROFS));
}

static void clocks(void)
{
	struct timespec a, b, r;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (volatile int i = 0; i < 100000; i++)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	int later = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
	printf("monotonic non-decreasing: %d\n", later);
	clock_gettime(CLOCK_REALTIME, &r);
	printf("realtime after 2020: %d\n", r.tv_sec > 1577836800);
	struct timespec nap = {0, 20 * 1000 * 1000};
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	int64_t slept = (a.tv_sec - b.tv_sec) * 1000000000LL + (a.tv_nsec - b.tv_nsec);
	printf("nanosleep 20 ms took at least 20 ms: %d\n", slept >= 20000000);
	printf("time() near realtime: %d\n", (long long)time(NULL) - r.tv_sec < 5);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: compat DIR (a directory it may create and remove)\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s", argv[1]);
	file_io();
	memory();
	formatting_and_strings();
	clocks();
	printf("done\n");
	return 0;
}
