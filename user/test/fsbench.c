/*
 * fsbench - the cost of a durable write on /data (the store), for
 * tools/bench.py (run as optios.init under -icount shift=0, where the TSC
 * counts instructions; the machine's disk is the store):
 *
 *   write_fsync_1page_instructions   pwrite of one 4 KiB page + fsync, the
 *                                    guest's instructions outside the device
 *                                    calls (their waits: the CPU halts or
 *                                    polls, and under -icount a halt moves
 *                                    virtual time to the next timer, so the
 *                                    TSC there is not work)
 *   write_1page_instructions         the same without fsync (a commit)
 *   tmp_write_1page_instructions     the same on /tmp (RAM only): the baseline
 *   flushes_per_fsync_x100           device flushes per fsync, times 100
 *   device_writes_per_fsync_x100     device write calls per write+fsync
 *
 * Each instruction figure is the median of REPS rounds. Output: "BENCH key
 * value" lines; exit status 0 when every figure was measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPS 31

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

static int info(struct optios_store_info *s)
{
	if (optios_store_info(s) < 0 || !(s->flags & OPTIOS_STORE_MOUNTED)) {
		printf("fsbench: no store mounted\n");
		return -1;
	}
	return 0;
}

/* REPS rounds of a 1-page pwrite (and fsync); medians into out. */
static int rounds(int fd, int sync, uint64_t *out, struct optios_store_info *first,
		  struct optios_store_info *last)
{
	static char page[4096];
	uint64_t v[REPS];
	if (info(first))
		return -1;
	for (int i = 0; i < REPS; i++) {
		struct optios_store_info a, b;
		memset(page, 'a' + i % 26, sizeof page);
		if (info(&a))
			return -1;
		uint64_t t0 = __builtin_ia32_rdtsc();
		if (pwrite(fd, page, sizeof page, 0) != sizeof page || (sync && fsync(fd) < 0)) {
			printf("fsbench: write: %s\n", strerror(errno));
			return -1;
		}
		uint64_t t1 = __builtin_ia32_rdtsc();
		if (info(&b))
			return -1;
		v[i] = (t1 - t0) - (b.device_ticks - a.device_ticks);
	}
	if (info(last))
		return -1;
	*out = median(v, REPS);
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = open("/data/fsbench", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("fsbench: open: %s\n", strerror(errno));
		return 1;
	}
	struct optios_store_info s0, s1, s2, s3;
	uint64_t wf, w;
	if (rounds(fd, 1, &wf, &s0, &s1) || rounds(fd, 0, &w, &s2, &s3))
		return 1;
	int tfd = open("/tmp/fsbench", O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint64_t t;
	struct optios_store_info t0, t1;
	if (tfd < 0 || rounds(tfd, 0, &t, &t0, &t1))
		return 1;
	printf("BENCH tmp_write_1page_instructions %llu\n", (unsigned long long)t);
	printf("BENCH write_fsync_1page_instructions %llu\n", (unsigned long long)wf);
	printf("BENCH write_1page_instructions %llu\n", (unsigned long long)w);
	/* the rounds' info calls issue no device call: the deltas are the writes' */
	printf("BENCH flushes_per_fsync_x100 %llu\n",
	       (unsigned long long)((s1.device_flushes - s0.device_flushes) * 100 / REPS));
	printf("BENCH device_writes_per_fsync_x100 %llu\n",
	       (unsigned long long)((s1.device_writes - s0.device_writes) * 100 / REPS));
	printf("BENCH store_blocks_per_write_x100 %llu\n",
	       (unsigned long long)((s3.blocks_written - s2.blocks_written) * 100 / REPS));
	close(fd);
	unlink("/data/fsbench");
	return 0;
}
