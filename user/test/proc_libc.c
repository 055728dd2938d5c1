#define _GNU_SOURCE
/* proc_libc - a real musl program: malloc of small and large blocks, stdio,
 * string functions, clocks, sleeping, identity calls. Prints what it checked;
 * exits 0 when every check held, 1 otherwise. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                     \
		}                                                       \
	} while (0)

static void check_malloc(void)
{
	char *small[100];
	for (int i = 0; i < 100; i++) {
		small[i] = malloc(16 + i);
		CHECK(small[i] != NULL);
		memset(small[i], i, 16 + i);
	}
	for (int i = 0; i < 100; i++)
		CHECK(small[i][15 + i] == (char)i);
	for (int i = 0; i < 100; i++)
		free(small[i]);
	size_t big = 8 << 20;
	unsigned char *b = malloc(big);
	CHECK(b != NULL);
	if (b) {
		for (size_t i = 0; i < big; i += 4096)
			b[i] = (unsigned char)(i >> 12);
		CHECK(b[big - 4096] == (unsigned char)((big - 4096) >> 12));
		b = realloc(b, 2 * big);
		CHECK(b && b[4096] == 1);
		free(b);
	}
	printf("malloc: small and large blocks ok\n");
}

static void check_mremap(void)
{
	char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED);
	a[0] = 'x', a[2 * 4096 + 5] = 'y';
	char *guard = mmap(a + 3 * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(guard == a + 3 * 4096); /* growing in place is impossible: it must move */
	char *b = mremap(a, 3 * 4096, 10 * 4096, MREMAP_MAYMOVE);
	CHECK(b != MAP_FAILED && b != a);
	CHECK(b[0] == 'x' && b[2 * 4096 + 5] == 'y' && b[9 * 4096] == 0);
	CHECK(mremap(b, 10 * 4096, 4096, 0) == b);
	CHECK(munmap(b, 4096) == 0 && munmap(guard, 4096) == 0);
	printf("mremap: moved and kept contents\n");
}

static void check_time(void)
{
	struct timespec a, b, r;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	struct timespec nap = {0, 20 * 1000 * 1000};
	CHECK(nanosleep(&nap, NULL) == 0);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	CHECK(ns >= 20 * 1000 * 1000);
	CHECK(clock_gettime(CLOCK_REALTIME, &r) == 0);
	CHECK(r.tv_sec > 1600000000); /* after 2020: the RTC was read */
	CHECK(time(NULL) >= r.tv_sec);
	printf("time: slept %lld ms, realtime %lld\n", ns / 1000000, (long long)r.tv_sec);
}

static void check_system(void)
{
	struct utsname u;
	CHECK(uname(&u) == 0 && strcmp(u.sysname, "OptiOS") == 0);
	CHECK(getpid() > 0 && getppid() >= 0);
	unsigned char rnd[64] = {0}, zero[64] = {0};
	CHECK(getrandom(rnd, sizeof rnd, 0) == sizeof rnd);
	CHECK(memcmp(rnd, zero, sizeof rnd) != 0);
	char buf[64];
	snprintf(buf, sizeof buf, "%d %s %.2f", 42, "str", 2.5);
	CHECK(strcmp(buf, "42 str 2.50") == 0);
	CHECK(strtol("0x1f", NULL, 16) == 31);
	printf("system: %s %s %s, pid %d\n", u.sysname, u.release, u.machine, getpid());
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines: kernel log lines cannot split them */
	check_malloc();
	check_mremap();
	check_time();
	check_system();
	printf("proc_libc: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
