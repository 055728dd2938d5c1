/*
 * pathbench - what path lookup costs (run as optios.init under -icount,
 * where the TSC counts guest instructions; docs/VFS.md, "Links"): the
 * median over REPS of
 *   stat_plain      stat("/usr/bin/sort"): three components, no link;
 *   stat_link       stat("/tmp/bb"), a symbolic link to it;
 *   stat_dir_link   stat("/tmp/ub/sort"), through a link to /usr/bin;
 *   open_close      open and close "/etc/policy".
 * Output: "BENCH key value" lines, then "BENCH done".
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPS 21

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench_stat(const char *key, const char *path)
{
	uint64_t v[REPS];
	struct stat st;
	for (int i = 0; i < REPS; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		int r = stat(path, &st);
		v[i] = __builtin_ia32_rdtsc() - t0;
		if (r != 0) {
			printf("BENCH %s failed: %m\n", key);
			return;
		}
	}
	qsort(v, REPS, sizeof v[0], cmp);
	printf("BENCH %s %llu\n", key, (unsigned long long)v[REPS / 2]);
}

int main(void)
{
	uint64_t v[REPS];
	symlink("/usr/bin/sort", "/tmp/bb");
	symlink("/usr/bin", "/tmp/ub");
	bench_stat("stat_plain", "/usr/bin/sort");
	bench_stat("stat_link", "/tmp/bb");
	bench_stat("stat_dir_link", "/tmp/ub/sort");
	for (int i = 0; i < REPS; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		int fd = open("/etc/policy", O_RDONLY);
		close(fd);
		v[i] = __builtin_ia32_rdtsc() - t0;
	}
	qsort(v, REPS, sizeof v[0], cmp);
	printf("BENCH open_close %llu\nBENCH done\n", (unsigned long long)v[REPS / 2]);
	fflush(stdout);
	return 0;
}
