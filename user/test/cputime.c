/* cputime - the CPU-time clocks (Lua's os.clock() is C's clock()), times and
 * getrusage. Spins for SPIN_MS of the monotonic clock, then sleeps SLEEP_MS,
 * reading the process and thread CPU clocks and clock() after each; then
 * starts itself as a child that spins SPIN_MS and reads what wait4,
 * getrusage(RUSAGE_CHILDREN) and times say the child used. Prints two lines
 * of milliseconds:
 *   cputime: spin WALL PROCESS THREAD CLOCK RUSAGE TIMES sleep WALL PROCESS
 *   cputime: child WAIT4 RUSAGE_CHILDREN TIMES_CHILDREN */
#include <optios.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPIN_MS 200
#define SLEEP_MS 200

static long ms(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static long ticks_ms(clock_t t)
{
	return (long)(t * 1000 / sysconf(_SC_CLK_TCK));
}

static void spin(void)
{
	long t0 = ms(CLOCK_MONOTONIC);
	while (ms(CLOCK_MONOTONIC) - t0 < SPIN_MS)
		;
}

static int child(char *self)
{
	char *argv[] = {self, "child", NULL};
	int pid = optios_spawn(self, argv, NULL, 0), st;
	struct rusage ru, children;
	struct tms tms;
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || getrusage(RUSAGE_CHILDREN, &children) != 0 ||
	    times(&tms) == (clock_t)-1) {
		perror("cputime: child");
		return 1;
	}
	printf("cputime: child %ld %ld %ld\n", tv_ms(ru.ru_utime), tv_ms(children.ru_utime),
	       ticks_ms(tms.tms_cutime));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		spin();
		return 0;
	}
	long t0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
	spin();
	long t1 = ms(CLOCK_MONOTONIC), c1 = ms(CLOCK_PROCESS_CPUTIME_ID);
	long th = ms(CLOCK_THREAD_CPUTIME_ID), cl = (long)(clock() / (CLOCKS_PER_SEC / 1000));
	struct rusage ru;
	struct tms tms;
	getrusage(RUSAGE_SELF, &ru);
	times(&tms);
	struct timespec nap = {0, SLEEP_MS * 1000000L};
	nanosleep(&nap, NULL);
	long t2 = ms(CLOCK_MONOTONIC), c2 = ms(CLOCK_PROCESS_CPUTIME_ID);
	printf("cputime: spin %ld %ld %ld %ld %ld %ld sleep %ld %ld\n", t1 - t0, c1 - c0, th, cl,
	       tv_ms(ru.ru_utime), ticks_ms(tms.tms_utime), t2 - t1, c2 - c1);
	return child(argv[0]);
}
