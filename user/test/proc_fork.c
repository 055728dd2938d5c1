/*
 * proc_fork - the POSIX process model as a musl program sees it: fork and
 * wait4 status, copy-on-write isolation, execve keeping descriptors and
 * closing close-on-exec ones, pipes (1 MiB through, end of file, EPIPE and
 * SIGPIPE, O_NONBLOCK), poll and select, fcntl record locks and flock
 * between two processes, orphans, posix_spawn (a vfork-style clone),
 * process groups and a fork bomb. Each case prints "fork: NAME: ok" or
 * "fork: NAME: FAIL ..."; the exit status is the number of failures.
 *
 * argv[1] selects a helper role when the program runs itself through exec:
 * "exec-fds A B" (A must be closed, B open), "echo" (prints a line).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <optios.h>

static int failures;

#define EXPECT(name, cond, ...)                          \
	do {                                             \
		if (!(cond)) {                           \
			printf("fork: %s: FAIL ", name); \
			printf(__VA_ARGS__);             \
			printf(" (errno %d)\n", errno);  \
			failures++;                      \
			return;                          \
		}                                        \
	} while (0)

static void ok(const char *name)
{
	printf("fork: %s: ok\n", name);
	fflush(stdout);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int wait_status(pid_t pid)
{
	int st = -1;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void fork_wait(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	EXPECT("fork_wait", pid > 0, "fork returned %d", pid);
	int st = wait_status(pid);
	EXPECT("fork_wait", WIFEXITED(st) && WEXITSTATUS(st) == 42, "status %#x", st);
	pid = fork();
	if (pid == 0)
		*(volatile int *)0 = 1; /* SIGSEGV */
	st = wait_status(pid);
	EXPECT("fork_wait", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "signal status %#x", st);
	EXPECT("fork_wait", waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no child left");
	ok("fork_wait");
}

static char shared_page[8192] = "parent";

static void cow(void)
{
	size_t big = 1 << 20;
	char *heap = malloc(big);
	memset(heap, 'p', big);
	int sync[2];
	pipe(sync);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		strcpy(shared_page, "child");
		memset(heap, 'c', big);
		read(sync[0], &c, 1); /* the parent has written its own */
		_exit(strcmp(shared_page, "child") == 0 && heap[big - 1] == 'c' ? 0 : 1);
	}
	strcpy(shared_page + 4096, "parent2"); /* the parent writes too */
	write(sync[1], "x", 1);
	int st = wait_status(pid);
	EXPECT("cow", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw %#x", st);
	EXPECT("cow", strcmp(shared_page, "parent") == 0, "parent's page is now '%s'", shared_page);
	EXPECT("cow", heap[0] == 'p' && heap[big - 1] == 'p', "parent's heap changed");
	free(heap);
	close(sync[0]);
	close(sync[1]);
	ok("cow");
}

static void exec_fds(const char *self)
{
	int a = open("/tmp/exec_a", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	int b = open("/tmp/exec_b", O_CREAT | O_RDWR, 0644);
	EXPECT("exec_fds", a >= 0 && b >= 0, "open");
	char sa[16], sb[16];
	snprintf(sa, sizeof sa, "%d", a);
	snprintf(sb, sizeof sb, "%d", b);
	char *argv[] = {(char *)self, "exec-fds", sa, sb, NULL};
	char *envp[] = {"FORKTEST=1", NULL};
	EXPECT("exec_fds", execve("/test/no_such_program", argv, envp) == -1 && errno == ENOENT,
	       "missing program");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(99);
	}
	int st = wait_status(pid);
	EXPECT("exec_fds", WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec'd child status %#x", st);
	close(a);
	close(b);
	ok("exec_fds");
}

/* execve of a "#!" script runs its interpreter: INTERP ARG SCRIPT argv[1..]
 * (tests/rootfs/test/fork_script names this program with "script-args"); an
 * interpreter the caller may not start is EACCES. */
static void script(void)
{
	char *argv[] = {"fork_script", "a", "b c", NULL};
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execve("/test/fork_script", argv, NULL);
		_exit(100 + errno);
	}
	int st = wait_status(pid);
	EXPECT("script", WIFEXITED(st) && WEXITSTATUS(st) == 0, "script's status %#x", st);
	EXPECT("script", execve("/test/fork_script_denied", argv, NULL) == -1 && errno == EACCES,
	       "an interpreter not granted");
	ok("script");
}

static int script_args(int argc, char **argv)
{
	return !(argc == 5 && strcmp(argv[0], "/test/proc_fork") == 0 &&
		 strcmp(argv[1], "script-args") == 0 && strcmp(argv[2], "/test/fork_script") == 0 &&
		 strcmp(argv[3], "a") == 0 && strcmp(argv[4], "b c") == 0);
}

static int exec_fds_child(int a, int b)
{
	int bad = 0;
	if (fcntl(a, F_GETFD) != -1 || errno != EBADF)
		bad |= 1; /* close-on-exec: gone */
	if (fcntl(b, F_GETFD) != 0)
		bad |= 2; /* kept */
	if (!getenv("FORKTEST"))
		bad |= 4;
	return bad;
}

static void pipe_mib(void)
{
	int p[2];
	EXPECT("pipe_1mib", pipe(p) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		static char buf[10000];
		size_t sent = 0;
		while (sent < (1 << 20)) {
			size_t n = sizeof buf < (1 << 20) - sent ? sizeof buf : (1 << 20) - sent;
			for (size_t i = 0; i < n; i++)
				buf[i] = (char)((sent + i) * 7);
			if (write(p[1], buf, n) != (ssize_t)n)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	close(p[1]);
	static char in[7000];
	size_t got = 0;
	ssize_t n;
	int wrong = 0;
	while ((n = read(p[0], in, sizeof in)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			wrong += in[i] != (char)((got + (size_t)i) * 7);
		got += (size_t)n;
	}
	EXPECT("pipe_1mib", n == 0 && got == (1 << 20) && !wrong, "got %zu bytes, %d wrong, last read %zd",
	       got, wrong, n);
	int st = wait_status(pid);
	EXPECT("pipe_1mib", WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer status %#x", st);
	close(p[0]);
	ok("pipe_1mib");
}

static void epipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT("epipe", write(p[1], "x", 1) == -1 && errno == EPIPE, "ignored SIGPIPE: EPIPE");
	signal(SIGPIPE, SIG_DFL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0); /* not reached: SIGPIPE's default action */
	}
	int st = wait_status(pid);
	EXPECT("epipe", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "status %#x", st);
	close(p[1]);
	ok("epipe");
}

static void nonblock(void)
{
	int p[2];
	char buf[4096];
	EXPECT("nonblock", pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2");
	EXPECT("nonblock", read(p[0], buf, 1) == -1 && errno == EAGAIN, "empty read");
	EXPECT("nonblock", fcntl(p[0], F_GETFD) == FD_CLOEXEC, "O_CLOEXEC");
	long total = 0;
	ssize_t n;
	memset(buf, 1, sizeof buf);
	while ((n = write(p[1], buf, 1000)) > 0)
		total += n;
	EXPECT("nonblock", n == -1 && errno == EAGAIN && total == 65000, "filled with %ld then %zd", total,
	       n);
	EXPECT("nonblock", write(p[1], buf, 100) == 100, "100 more fit (536 free)");
	EXPECT("nonblock", write(p[1], buf, 600) == -1 && errno == EAGAIN, "600 do not fit whole: atomic");
	close(p[1]);
	total = 0;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		total += n;
	EXPECT("nonblock", n == 0 && total == 65100, "drained %ld then %zd", total, n);
	close(p[0]);
	ok("nonblock");
}

static void poll_select(void)
{
	int p[2];
	pipe(p);
	struct pollfd pf = {p[0], POLLIN, 0};
	long t0 = now_ms();
	int r = poll(&pf, 1, 60);
	long waited = now_ms() - t0;
	EXPECT("poll", r == 0 && waited >= 55, "empty: %d after %ld ms", r, waited);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(40);
		write(p[1], "y", 1);
		_exit(0);
	}
	t0 = now_ms();
	r = poll(&pf, 1, 5000);
	waited = now_ms() - t0;
	EXPECT("poll", r == 1 && (pf.revents & POLLIN) && waited >= 30 && waited < 4000,
	       "ready: %d %#x after %ld ms", r, pf.revents, waited);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = {0, 0};
	EXPECT("poll", select(p[0] + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rd), "select readable");
	char c;
	read(p[0], &c, 1);
	FD_SET(p[0], &rd);
	tv.tv_usec = 30000;
	EXPECT("poll", select(p[0] + 1, &rd, NULL, NULL, &tv) == 0, "select times out");
	struct pollfd out = {p[1], POLLOUT, 0};
	EXPECT("poll", poll(&out, 1, 0) == 1 && out.revents == POLLOUT, "writable");
	struct pollfd file = {1, POLLOUT, 0};
	EXPECT("poll", poll(&file, 1, 0) == 1, "console writable");
	struct pollfd bad = {60, POLLIN, 0};
	EXPECT("poll", poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "closed fd: POLLNVAL");
	wait_status(pid);
	close(p[1]);
	pf.revents = 0;
	EXPECT("poll", poll(&pf, 1, 1000) == 1 && (pf.revents & POLLHUP), "no writer: POLLHUP %#x",
	       pf.revents);
	close(p[0]);
	ok("poll");
}

static void record_locks(void)
{
	int fd = open("/tmp/lockfile", O_CREAT | O_RDWR | O_TRUNC, 0644);
	EXPECT("fcntl_lock", fd >= 0, "open");
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
	EXPECT("fcntl_lock", fcntl(fd, F_SETLK, &fl) == 0, "parent lock");
	int sync[2];
	pipe(sync);
	fflush(stdout);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		int cfd = open("/tmp/lockfile", O_RDWR);
		struct flock c = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
		int bad = 0;
		if (fcntl(cfd, F_SETLK, &c) != -1 || (errno != EAGAIN && errno != EACCES))
			bad |= 1;
		struct flock q = c;
		if (fcntl(cfd, F_GETLK, &q) != 0 || q.l_type != F_WRLCK || q.l_pid != parent ||
		    q.l_start != 0 || q.l_len != 100)
			bad |= 2;
		c.l_start = 100; /* past the parent's range: free */
		if (fcntl(cfd, F_SETLK, &c) != 0)
			bad |= 4;
		write(sync[1], "w", 1);
		c.l_start = 0;
		long t0 = now_ms();
		if (fcntl(cfd, F_SETLKW, &c) != 0) /* waits for the parent's close */
			bad |= 8;
		if (now_ms() - t0 < 40)
			bad |= 16;
		_exit(bad);
	}
	char c;
	read(sync[0], &c, 1);
	sleep_ms(60);
	int other = open("/tmp/lockfile", O_RDONLY);
	close(other); /* POSIX: any close of the file drops this process's locks */
	int st = wait_status(pid);
	EXPECT("fcntl_lock", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	close(fd);
	close(sync[0]);
	close(sync[1]);
	ok("fcntl_lock");
}

static void flocks(void)
{
	int fd = open("/tmp/flockfile", O_CREAT | O_RDWR, 0644);
	EXPECT("flock", flock(fd, LOCK_EX) == 0, "parent LOCK_EX");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int own = open("/tmp/flockfile", O_RDWR); /* its own open file: conflicts */
		int bad = 0;
		if (flock(own, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK)
			bad |= 1;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) /* the shared description holds it already */
			bad |= 2;
		long t0 = now_ms();
		if (flock(own, LOCK_SH) != 0 || now_ms() - t0 < 40)
			bad |= 4;
		_exit(bad);
	}
	sleep_ms(60);
	flock(fd, LOCK_UN);
	close(fd); /* the child's copy of the description still holds it: */
	/* ...until the child ends: the last close drops it */
	int st = wait_status(pid);
	EXPECT("flock", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	ok("flock");
}

static int zombies(void)
{
	struct optios_proc_info info[64];
	long n = optios_proc_list(info, 64);
	int z = 0;
	for (long i = 0; i < n && i < 64; i++)
		z += info[i].state == OPTIOS_PROC_ZOMBIE;
	return z;
}

static void orphans(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			sleep_ms(50);
			_exit(0); /* its parent is gone: the kernel reaps it */
		}
		_exit(7);
	}
	int st = wait_status(pid);
	EXPECT("orphan", WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %#x", st);
	sleep_ms(120);
	EXPECT("orphan", zombies() == 0, "%d zombies left", zombies());
	EXPECT("orphan", waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "the grandchild is not ours");
	ok("orphan");
}

/* posix_spawn (what popen and system use): clone(CLONE_VM | CLONE_VFORK)
 * on a new stack, then execve; its output comes through a pipe. */
static void spawn_echo(const char *self)
{
	int p[2];
	char line[64] = {0};
	pipe(p);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	char *argv[] = {(char *)self, "echo", NULL};
	pid_t pid;
	int err = posix_spawn(&pid, self, &fa, NULL, argv, NULL);
	close(p[1]);
	EXPECT("posix_spawn", err == 0, "posix_spawn: %s", strerror(err));
	ssize_t n = read(p[0], line, sizeof line - 1);
	int st = wait_status(pid);
	EXPECT("posix_spawn",
	       n == 9 && strcmp(line, "echo-out\n") == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "'%s' status %#x", line, st);
	err = posix_spawn(&pid, "/test/no_such_program", NULL, NULL, argv, NULL);
	EXPECT("posix_spawn", err == ENOENT, "missing program: %d", err);
	close(p[0]);
	ok("posix_spawn");
}

static void groups_and_waitid(void)
{
	EXPECT("groups", getpgid(0) == getpgrp() && getpgrp() > 0, "getpgid %d getpgrp %d", getpgid(0),
	       getpgrp());
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(20);
		_exit(5);
	}
	EXPECT("groups", getpgid(pid) == getpgrp(), "child's group %d", getpgid(pid));
	EXPECT("groups", setpgid(pid, pid) == 0 && getpgid(pid) == pid, "setpgid");
	EXPECT("groups", waitpid(0, NULL, WNOHANG) == -1 && errno == ECHILD, "no child in our group");
	siginfo_t si = {0};
	EXPECT("groups",
	       waitid(P_PGID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid &&
		       si.si_code == CLD_EXITED && si.si_status == 5,
	       "waitid %d %d %d", si.si_pid, si.si_code, si.si_status);
	int st = -1;
	/* regression (wait4_pid_upper_bits): a pid_t is the register's low 32
	 * bits; -1 passed as 0xffffffff was -ESRCH */
	long r = syscall(SYS_wait4, 0xffffffffL, &st, 0, NULL); /* WNOWAIT left it */
	EXPECT("groups", r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5, "wait4 %ld status %#x", r, st);
	ok("groups");
}

static void fork_bomb(void)
{
	int p[2];
	pipe(p);
	int n = 0, err = 0;
	pid_t pids[80];
	fflush(stdout);
	for (; n < 80; n++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1); /* until the parent closes: end of file */
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		pids[n] = pid;
	}
	close(p[1]);
	int reaped = 0;
	for (int i = 0; i < n; i++)
		reaped += waitpid(pids[i], NULL, 0) == pids[i];
	close(p[0]);
	EXPECT("fork_bomb", n >= 20 && n < 80 && (err == EAGAIN || err == ENOMEM) && reaped == n,
	       "%d forks, then errno %d; %d reaped", n, err, reaped);
	pid_t again = fork();
	if (again == 0)
		_exit(0);
	EXPECT("fork_bomb", again > 0 && wait_status(again) == 0, "fork after the bomb");
	printf("fork: fork_bomb: %d children before %s\n", n, strerror(err));
	ok("fork_bomb");
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "exec-fds") == 0)
		return exec_fds_child(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 2 && strcmp(argv[1], "script-args") == 0)
		return script_args(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "echo") == 0) {
		printf("echo-out\n");
		return 3;
	}
	const char *self = "/test/proc_fork";
	fork_wait();
	cow();
	exec_fds(self);
	script();
	pipe_mib();
	epipe();
	nonblock();
	poll_select();
	record_locks();
	flocks();
	orphans();
	spawn_echo(self);
	groups_and_waitid();
	fork_bomb();
	printf("fork: %d failures\n", failures);
	return failures;
}
