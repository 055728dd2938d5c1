/* ps - list processes (optios_proc_list): pid, parent, state, console, memory,
 * CPU time, name. */
#include <errno.h>
#include <optios.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_PROCS 256

static const char *state_name(uint32_t s)
{
	switch (s) {
	case OPTIOS_PROC_RUNNABLE: return "ready";
	case OPTIOS_PROC_RUNNING: return "run";
	case OPTIOS_PROC_BLOCKED: return "wait";
	case OPTIOS_PROC_ZOMBIE: return "zombie";
	}
	return "?";
}

int main(int argc, char **argv)
{
	static struct optios_proc_info p[MAX_PROCS];
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: ps\n");
		return 2;
	}
	long n = optios_proc_list(p, MAX_PROCS);
	if (n < 0) {
		fprintf(stderr, "ps: %s\n", strerror(errno));
		return 1;
	}
	printf("  PID  PPID STATE  CON    MEM KiB   CPU ms NAME\n");
	for (long i = 0; i < n && i < MAX_PROCS; i++) {
		char con[12] = "-";
		if (p[i].console != UINT32_MAX)
			snprintf(con, sizeof con, "%u", p[i].console + 1);
		printf("%5d %5d %-6s %3s %10llu %8llu %.32s\n", p[i].pid, p[i].ppid, state_name(p[i].state),
		       con, (unsigned long long)p[i].mem_pages * 4,
		       (unsigned long long)(p[i].cpu_ns / 1000000), p[i].name);
	}
	return 0;
}
