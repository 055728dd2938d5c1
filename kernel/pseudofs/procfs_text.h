/*
 * procfs_text.h - the text of /proc's files in Linux's formats (proc(5)),
 * from plain values: no process or memory code here, so the host unit
 * tests check the formats (tests/host/test_procfs_text.c).
 *
 * Each function writes at most size bytes (NUL-terminated when size > 0)
 * and returns the length the whole text needs, as ksnprintf does.
 */
#ifndef KERNEL_PSEUDOFS_PROCFS_TEXT_H
#define KERNEL_PSEUDOFS_PROCFS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define PROCFS_HZ 100 /* Linux's USER_HZ: the clock-tick unit of stat's times */
#define PROCFS_PAGE_KB 4

/* One process as /proc/PID shows it. */
struct procfs_proc {
	int pid, ppid, pgid, sid;
	int tty_nr; /* Linux encoding (major << 8 | minor); 0: none */
	char state; /* R S Z */
	char name[32];
	uint64_t cpu_ns, children_cpu_ns, start_ns; /* start: since boot */
	uint64_t pages; /* user pages mapped */
	char cmdline[128]; /* argv's strings, each with its NUL */
	size_t cmdline_len;
};

/* Memory in pages, as /proc/meminfo shows it in kB. */
struct procfs_mem {
	uint64_t total_pages, free_pages;
};

int procfs_stat_text(char *buf, size_t size, const struct procfs_proc *p);
int procfs_status_text(char *buf, size_t size, const struct procfs_proc *p);
int procfs_meminfo_text(char *buf, size_t size, const struct procfs_mem *m);
/* "UPTIME IDLE\n" in seconds with two decimals. */
int procfs_uptime_text(char *buf, size_t size, uint64_t uptime_ns, uint64_t idle_ns);
/* /proc/stat: the cpu lines (one CPU), processes, procs_running. */
int procfs_cpustat_text(char *buf, size_t size, uint64_t busy_ns, uint64_t idle_ns, unsigned running,
			unsigned procs);
/* /proc/loadavg: "0.00 0.00 0.00 RUNNING/TOTAL LASTPID" (no load average is kept). */
int procfs_loadavg_text(char *buf, size_t size, unsigned running, unsigned total, int last_pid);

#endif
