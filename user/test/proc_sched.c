/* proc_sched - scheduling seen from programs: two CPU-bound children share
 * the CPU by time slices (each sees gaps while the other runs); kill ends a
 * sleeping and a spinning child with the signal's status; sched_yield and
 * getppid work. Exits 0 when all held. */
#include <optios.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Spins for ms of wall time; returns how many times it lost the CPU for > 2 ms. */
static int spin(int ms)
{
	long long start = now_ns(), last = start, gaps = 0;
	while (last - start < ms * 1000000LL) {
		long long t = now_ns();
		if (t - last > 2000000)
			gaps++;
		last = t;
	}
	return (int)gaps;
}

static int child(const char *mode, int ppid_expected)
{
	if (getppid() != ppid_expected)
		return 3;
	if (!strcmp(mode, "spin")) {
		int gaps = spin(300);
		printf("sched: child %d lost the CPU %d times in 300 ms\n", getpid(), gaps);
		return gaps >= 3 ? 0 : 1;
	}
	if (!strcmp(mode, "sleep")) {
		struct timespec t = {100, 0};
		nanosleep(&t, NULL);
		return 4;
	}
	if (!strcmp(mode, "forever"))
		for (;;)
			sched_yield();
	return 2;
}

static int start(const char *self, const char *mode)
{
	char ppid[16];
	snprintf(ppid, sizeof ppid, "%d", getpid());
	char *argv[] = {(char *)self, "child", (char *)mode, ppid, NULL};
	return optios_spawn(self, argv, NULL, 0);
}

static int status_of(int pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines: kernel log lines cannot split them */
	if (argc >= 4 && !strcmp(argv[1], "child"))
		return child(argv[2], atoi(argv[3]));
	int failed = 0;
	int a = start(argv[0], "spin"), b = start(argv[0], "spin");
	int sa = status_of(a), sb = status_of(b);
	printf("sched: time slicing: %d %d\n", sa, sb);
	failed += sa != 0 || sb != 0;

	int s = start(argv[0], "sleep"), f = start(argv[0], "forever");
	struct timespec t = {0, 50 * 1000 * 1000};
	nanosleep(&t, NULL);
	kill(s, SIGINT);
	kill(f, SIGTERM);
	int ss = status_of(s), sf = status_of(f);
	printf("sched: killed sleeper %d, spinner %d\n", ss, sf);
	failed += ss != 128 + SIGINT || sf != 128 + SIGTERM;
	failed += waitpid(-1, NULL, WNOHANG) != -1; /* no children left: ECHILD */
	printf("sched: %s\n", failed ? "FAILED" : "all checks passed");
	return failed ? 1 : 0;
}
