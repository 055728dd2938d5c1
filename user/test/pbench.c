/*
 * pbench - the process benchmark (tools/bench.py, under -icount: the TSC
 * counts guest instructions): the median over REPS of
 *   fork_exec_wait   fork, the child execve's a small static program (this
 *                    one, argv[1] "exit": main returns at once), the parent
 *                    waits for it;
 *   fork_wait        (a detail) fork, the child exits at once, wait;
 *   pipe_roundtrip   one byte to a child through a pipe and one byte back
 *                    through another (the child echoes).
 * Output: "BENCH key value" lines, then "BENCH done".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPS 21

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

static int fork_exec_wait(uint64_t *out)
{
	char *argv[] = {"/test/pbench", "exit", NULL};
	for (int i = 0; i < REPS; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		pid_t pid = fork();
		if (pid == 0) {
			execve(argv[0], argv, NULL);
			_exit(127);
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return -1;
		out[i] = __builtin_ia32_rdtsc() - t0;
	}
	return 0;
}

static int fork_wait(uint64_t *out)
{
	for (int i = 0; i < REPS; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return -1;
		out[i] = __builtin_ia32_rdtsc() - t0;
	}
	return 0;
}

static int pipe_roundtrip(uint64_t *out)
{
	int to[2], from[2];
	char c = 'x';
	if (pipe(to) || pipe(from))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(to[1]); /* else its own write end keeps the pipe open: no end of file */
		close(from[0]);
		while (read(to[0], &c, 1) == 1)
			write(from[1], &c, 1);
		_exit(0);
	}
	for (int i = -3; i < REPS; i++) { /* three warm-up trips */
		uint64_t t0 = __builtin_ia32_rdtsc();
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			return -1;
		if (i >= 0)
			out[i] = __builtin_ia32_rdtsc() - t0;
	}
	close(to[1]);
	close(to[0]);
	close(from[0]);
	close(from[1]);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	uint64_t v[REPS];
	if (fork_exec_wait(v) < 0) {
		fprintf(stderr, "pbench: fork+exec+wait failed\n");
		return 1;
	}
	printf("BENCH fork_exec_wait_instructions %llu\n", (unsigned long long)median(v, REPS));
	if (fork_wait(v) < 0)
		return 1;
	printf("BENCH fork_wait_instructions %llu\n", (unsigned long long)median(v, REPS));
	if (pipe_roundtrip(v) < 0) {
		fprintf(stderr, "pbench: pipe round trip failed\n");
		return 1;
	}
	printf("BENCH pipe_roundtrip_instructions %llu\n", (unsigned long long)median(v, REPS));
	printf("BENCH done\n");
	return 0;
}
