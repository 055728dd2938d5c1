/*
 * procfs_text.c - /proc's text formats (procfs_text.h). Field orders follow
 * proc(5) and what BusyBox's libbb/procps.c, top and free parse: stat's 52
 * fields (the ones OptiOS has no notion of are 0), status's "Name:",
 * "State:", "PPid:", "VmRSS:" lines, meminfo's "MemTotal:" ... in kB.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "procfs_text.h"

#include "lib/lib.h"

static uint64_t ticks(uint64_t ns)
{
	return ns / (1000000000ull / PROCFS_HZ);
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R': return "R (running)";
	case 'Z': return "Z (zombie)";
	default: return "S (sleeping)";
	}
}

int procfs_stat_text(char *buf, size_t size, const struct procfs_proc *p)
{
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime vsize rss, then 29 more fields (rsslim ...
	 * exit_code) of which only rsslim is not 0. */
	return ksnprintf(buf, size,
			 "%d (%s) %c %d %d %d %d -1 4194304 0 0 0 0 %llu 0 %llu 0 20 0 1 0 %llu %llu %llu "
			 "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			 p->pid, p->name, p->state, p->ppid, p->pgid, p->sid, p->tty_nr,
			 (unsigned long long)ticks(p->cpu_ns), (unsigned long long)ticks(p->children_cpu_ns),
			 (unsigned long long)ticks(p->start_ns),
			 (unsigned long long)(p->pages * PROCFS_PAGE_KB * 1024),
			 (unsigned long long)p->pages);
}

int procfs_status_text(char *buf, size_t size, const struct procfs_proc *p)
{
	unsigned long long kb = (unsigned long long)(p->pages * PROCFS_PAGE_KB);
	return ksnprintf(buf, size,
			 "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
			 "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t\n"
			 "VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\nThreads:\t1\n",
			 p->name, state_name(p->state), p->pid, p->pid, p->ppid, kb, kb);
}

int procfs_meminfo_text(char *buf, size_t size, const struct procfs_mem *m)
{
	unsigned long long total = m->total_pages * PROCFS_PAGE_KB, free = m->free_pages * PROCFS_PAGE_KB;
	return ksnprintf(
		buf, size,
		"MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n"
		"Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
		"Shmem:                 0 kB\nSReclaimable:          0 kB\n"
		"SwapTotal:             0 kB\nSwapFree:              0 kB\n",
		total, free, free);
}

/* ns as seconds with two decimals. */
static int seconds(char *buf, size_t size, uint64_t ns)
{
	uint64_t cs = ns / 10000000ull;
	return ksnprintf(buf, size, "%llu.%02llu", (unsigned long long)(cs / 100),
			 (unsigned long long)(cs % 100));
}

int procfs_uptime_text(char *buf, size_t size, uint64_t uptime_ns, uint64_t idle_ns)
{
	char up[32], idle[32];
	seconds(up, sizeof up, uptime_ns);
	seconds(idle, sizeof idle, idle_ns);
	return ksnprintf(buf, size, "%s %s\n", up, idle);
}

int procfs_cpustat_text(char *buf, size_t size, uint64_t busy_ns, uint64_t idle_ns, unsigned running,
			unsigned procs)
{
	unsigned long long busy = ticks(busy_ns), idle = ticks(idle_ns);
	return ksnprintf(buf, size,
			 "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 %llu 0 0 %llu 0 0 0 0 0 0\n"
			 "ctxt 0\nprocesses %u\nprocs_running %u\nprocs_blocked 0\n",
			 busy, idle, busy, idle, procs, running);
}

int procfs_loadavg_text(char *buf, size_t size, unsigned running, unsigned total, int last_pid)
{
	return ksnprintf(buf, size, "0.00 0.00 0.00 %u/%u %d\n", running, total, last_pid);
}
