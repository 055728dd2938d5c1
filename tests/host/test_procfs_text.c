/*
 * test_procfs_text.c - /proc's text formats, parsed the way BusyBox's
 * libbb/procps.c (ps, top) and free parse them.
 */
#include <stdio.h>
#include <string.h>

#include "kernel/pseudofs/procfs_text.h"
#include "unit.h"

static const struct procfs_proc sample = {
	.pid = 7,
	.ppid = 2,
	.pgid = 7,
	.sid = 2,
	.tty_nr = (4 << 8) | 1,
	.state = 'S',
	.name = "busybox",
	.cpu_ns = 1230000000ull,
	.children_cpu_ns = 50000000ull,
	.start_ns = 2500000000ull,
	.pages = 300,
};

TEST(procfs_stat_parses_as_busybox_ps_reads_it)
{
	char buf[512], comm[32], state;
	unsigned ppid, pgid, sid;
	int tty;
	unsigned long utime, stime, start, vsz, rss;
	long nice;
	int n = procfs_stat_text(buf, sizeof buf, &sample);
	CHECK_EQ((size_t)n, strlen(buf));
	CHECK(buf[n - 1] == '\n');
	char *cp = strrchr(buf, ')');
	CHECK(cp && sscanf(buf, "7 (%31[^)]", comm) == 1);
	CHECK_STR(comm, "busybox");
	/* libbb/procps.c's scanf, field for field */
	CHECK_EQ(sscanf(cp + 2,
			"%c %u %u %u %d %*s %*s %*s %*s %*s %*s %lu %lu %*s %*s %*s %ld %*s %*s %lu %lu %lu",
			&state, &ppid, &pgid, &sid, &tty, &utime, &stime, &nice, &start, &vsz, &rss),
		 11);
	CHECK(state == 'S' && ppid == 2 && pgid == 7 && sid == 2 && tty == 0x401);
	CHECK_EQ(utime, 123ul); /* clock ticks of 1/100 s */
	CHECK_EQ(stime, 0ul);
	CHECK_EQ(nice, 0l);
	CHECK_EQ(start, 250ul);
	CHECK_EQ(vsz, 300ul * 4096);
	CHECK_EQ(rss, 300ul); /* pages */
	int fields = 0;
	for (char *p = cp + 1; *p; p++)
		fields += *p == ' ';
	CHECK_EQ(fields + 2, 52); /* proc(5): 52 fields, pid and comm before ')' */
}

TEST(procfs_status_and_meminfo_lines)
{
	char buf[1024];
	unsigned long total, free, avail;
	procfs_status_text(buf, sizeof buf, &sample);
	CHECK(strstr(buf, "Name:\tbusybox\n") == buf);
	CHECK(strstr(buf, "\nState:\tS (sleeping)\n"));
	CHECK(strstr(buf, "\nPid:\t7\nPPid:\t2\n"));
	CHECK(strstr(buf, "\nVmRSS:\t    1200 kB\n"));
	struct procfs_mem m = {.total_pages = 65536, .free_pages = 1000};
	procfs_meminfo_text(buf, sizeof buf, &m);
	CHECK_EQ(
		sscanf(buf, "MemTotal: %lu kB\nMemFree: %lu kB\nMemAvailable: %lu kB", &total, &free, &avail),
		3);
	CHECK_EQ(total, 262144ul);
	CHECK_EQ(free, 4000ul);
	CHECK_EQ(avail, 4000ul);
	CHECK(strstr(buf, "\nCached:                0 kB\n"));
}

TEST(procfs_uptime_stat_loadavg)
{
	char buf[512];
	procfs_uptime_text(buf, sizeof buf, 3723456000000ull, 1009000000ull);
	CHECK_STR(buf, "3723.45 1.00\n");
	procfs_cpustat_text(buf, sizeof buf, 2000000000ull, 8000000000ull, 1, 4);
	CHECK(strstr(buf, "cpu  200 0 0 800 0 0 0 0 0 0\ncpu0 200 0 0 800 ") == buf);
	CHECK(strstr(buf, "\nprocesses 4\nprocs_running 1\n"));
	procfs_loadavg_text(buf, sizeof buf, 1, 4, 9);
	CHECK_STR(buf, "0.00 0.00 0.00 1/4 9\n");
	/* a short buffer: the length the whole text needs, and no overflow */
	char small[8];
	CHECK_EQ(procfs_loadavg_text(small, sizeof small, 1, 4, 9), 21);
	CHECK_STR(small, "0.00 0.");
}
