/*
 * signals - POSIX signals as a musl program sees them: a handler with
 * siginfo, the mask while it runs, SA_RESTART against EINTR on a pipe
 * read, sigaltstack, alarm and a periodic setitimer, kill by process
 * group, SIGCHLD, a SIGSEGV handler that siglongjmps out, SIGSTOP and
 * SIGCONT seen by waitpid, execve resetting caught signals, and forged
 * sigreturn frames (each must end the forger with SIGSEGV, the kernel
 * unharmed). Each case prints "signals: NAME: ok" or "signals: NAME: FAIL
 * ..."; the exit status is the number of failures.
 *
 * argv[1] "exec-check": the image after execve reports its dispositions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define EXPECT(name, cond, ...)                             \
	do {                                                \
		if (!(cond)) {                              \
			printf("signals: %s: FAIL ", name); \
			printf(__VA_ARGS__);                \
			printf(" (errno %d)\n", errno);     \
			fflush(stdout);                     \
			failures++;                         \
			return;                             \
		}                                           \
	} while (0)

static void ok(const char *name)
{
	printf("signals: %s: ok\n", name);
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
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	if (mask)
		sa.sa_mask = *mask;
	sigaction(sig, &sa, NULL);
}

static void dfl(int sig)
{
	signal(sig, SIG_DFL);
}

static volatile sig_atomic_t got, got_sig, got_code, got_pid, got_status, in_mask_usr1, in_mask_usr2,
	pend_usr2;
static volatile uintptr_t got_addr, got_sp;

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got++;
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_status = si->si_status;
	got_addr = (uintptr_t)si->si_addr;
	int local;
	got_sp = (uintptr_t)&local;
}

/* A figure, not a check: raise() to a handler and back, 10,000 times. */
static void round_trip_figure(void)
{
	on(SIGUSR1, record, 0, NULL);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++)
		raise(SIGUSR1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	printf("signals: raise+handler+sigreturn %ld ns each\n", ns / 10000);
	dfl(SIGUSR1);
}

static void handler_siginfo(void)
{
	got = 0;
	on(SIGUSR1, record, 0, NULL);
	EXPECT("handler_siginfo", kill(getpid(), SIGUSR1) == 0, "kill");
	EXPECT("handler_siginfo", got == 1 && got_sig == SIGUSR1, "ran %d times, sig %d", got, got_sig);
	EXPECT("handler_siginfo", got_code == SI_USER && got_pid == getpid(), "code %d pid %d", got_code,
	       got_pid);
	dfl(SIGUSR1);
	ok("handler_siginfo");
}

static void masks(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	sigset_t cur, pend;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	in_mask_usr1 = sigismember(&cur, SIGUSR1);
	in_mask_usr2 = sigismember(&cur, SIGUSR2);
	raise(SIGUSR2); /* blocked: stays pending until the handler returns */
	sigpending(&pend);
	pend_usr2 = sigismember(&pend, SIGUSR2);
}

static void mask_in_handler(void)
{
	sigset_t m, cur;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	got = 0;
	on(SIGUSR1, masks, 0, &m);
	on(SIGUSR2, record, 0, NULL);
	raise(SIGUSR1);
	EXPECT("mask_in_handler", in_mask_usr1 && in_mask_usr2, "in the handler: usr1 %d usr2 %d",
	       in_mask_usr1, in_mask_usr2);
	EXPECT("mask_in_handler", pend_usr2, "SIGUSR2 was not pending inside");
	EXPECT("mask_in_handler", got == 1 && got_sig == SIGUSR2, "SIGUSR2 after return: %d", got);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	EXPECT("mask_in_handler", !sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2),
	       "mask not restored");
	dfl(SIGUSR1);
	dfl(SIGUSR2);
	ok("mask_in_handler");
}

/* SIGALRM after 50 ms (a program may not signal its parent), a child
 * writes a byte after 150 ms. */
static long read_interrupted(int flags, char *c)
{
	int fd[2];
	pipe(fd);
	got = 0;
	on(SIGALRM, record, flags, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(150);
		write(fd[1], "x", 1);
		_exit(0);
	}
	close(fd[1]);
	struct itimerval it = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	long n = read(fd[0], c, 1);
	int e = errno;
	waitpid(pid, NULL, 0);
	close(fd[0]);
	dfl(SIGALRM);
	errno = e;
	return n;
}

static void restart_vs_eintr(void)
{
	char c = 0;
	long n = read_interrupted(SA_RESTART, &c);
	EXPECT("restart_vs_eintr", n == 1 && c == 'x' && got == 1, "SA_RESTART: read %ld, handler %d", n,
	       got);
	n = read_interrupted(0, &c);
	EXPECT("restart_vs_eintr", n == -1 && errno == EINTR && got == 1,
	       "no SA_RESTART: read %ld, handler %d", n, got);
	ok("restart_vs_eintr");
}

static char altstack[65536];
static volatile int onstack_flag;

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	stack_t cur;
	sigaltstack(NULL, &cur);
	onstack_flag = cur.ss_flags;
}

static void altstack_case(void)
{
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	EXPECT("sigaltstack", sigaltstack(&ss, NULL) == 0, "sigaltstack");
	on(SIGUSR1, on_alt, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	EXPECT("sigaltstack", got_sp >= (uintptr_t)altstack && got_sp < (uintptr_t)altstack + sizeof altstack,
	       "handler's sp %#lx outside %p", (unsigned long)got_sp, (void *)altstack);
	EXPECT("sigaltstack", onstack_flag == SS_ONSTACK, "ss_flags %d in the handler", onstack_flag);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	raise(SIGUSR1);
	EXPECT("sigaltstack",
	       !(got_sp >= (uintptr_t)altstack && got_sp < (uintptr_t)altstack + sizeof altstack),
	       "disabled, still on it");
	dfl(SIGUSR1);
	ok("sigaltstack");
}

static void alarm_case(void)
{
	got = 0;
	on(SIGALRM, record, 0, NULL);
	alarm(5);
	unsigned left = alarm(0);
	EXPECT("alarm", left == 5 || left == 4, "alarm(0) after alarm(5) gave %u", left);
	long t0 = now_ms();
	alarm(1);
	while (!got)
		pause();
	long dt = now_ms() - t0;
	EXPECT("alarm", got == 1 && dt >= 900 && dt < 3000, "SIGALRM after %ld ms (%d)", dt, got);
	dfl(SIGALRM);
	ok("alarm");
}

static void itimer_periodic(void)
{
	got = 0;
	on(SIGALRM, record, 0, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
	long t0 = now_ms();
	EXPECT("itimer_periodic", setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	while (got < 5)
		sigsuspend(&old);
	long dt = now_ms() - t0;
	getitimer(ITIMER_REAL, &cur);
	EXPECT("itimer_periodic", cur.it_interval.tv_usec == 20000, "interval %ld",
	       (long)cur.it_interval.tv_usec);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT("itimer_periodic", dt >= 90 && dt < 1000, "5 ticks of 20 ms in %ld ms", dt);
	EXPECT("itimer_periodic", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, "still armed");
	dfl(SIGALRM);
	printf("signals: itimer 5 ticks in %ld ms\n", dt);
	ok("itimer_periodic");
}

static void kill_group(void)
{
	pid_t a = fork();
	if (a == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(a, a);
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, a);
		for (;;)
			pause();
	}
	setpgid(b, a);
	sleep_ms(20);
	EXPECT("kill_group", kill(-a, SIGTERM) == 0, "kill(-%d)", a);
	int sa = 0, sb = 0;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	EXPECT("kill_group",
	       WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM && WIFSIGNALED(sb) && WTERMSIG(sb) == SIGTERM,
	       "statuses %#x %#x", sa, sb);
	EXPECT("kill_group", kill(-a, SIGTERM) == -1 && errno == ESRCH, "group still there");
	ok("kill_group");
}

static void sigchld_case(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	got = 0;
	on(SIGCHLD, record, 0, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	while (!got)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int st;
	waitpid(pid, &st, 0);
	EXPECT("sigchld", got_sig == SIGCHLD && got_code == CLD_EXITED && got_pid == pid && got_status == 3,
	       "sig %d code %d pid %d/%d status %d", got_sig, got_code, got_pid, pid, got_status);
	dfl(SIGCHLD);
	ok("sigchld");
}

static sigjmp_buf jb;

static void segv_out(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(jb, 1);
}

static void segv_longjmp(void)
{
	on(SIGSEGV, segv_out, 0, NULL);
	for (int round = 0; round < 2; round++) {
		got = 0;
		if (sigsetjmp(jb, 1) == 0) {
			*(volatile int *)(uintptr_t)(16 + round * 4096) = 1;
			EXPECT("segv_longjmp", 0, "the write did not fault");
		}
		EXPECT("segv_longjmp", got == 1 && got_sig == SIGSEGV, "round %d: handler %d", round, got);
		EXPECT("segv_longjmp", got_addr == (uintptr_t)(16 + round * 4096), "si_addr %#lx",
		       (unsigned long)got_addr);
	}
	dfl(SIGSEGV);
	ok("segv_longjmp");
}

static void stop_cont(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	int st = 0;
	kill(pid, SIGSTOP);
	EXPECT("stop_cont", waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	       "stop status %#x", st);
	EXPECT("stop_cont", waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "the stop was reported twice");
	kill(pid, SIGCONT);
	EXPECT("stop_cont", waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st), "continue status %#x",
	       st);
	kill(pid, SIGTSTP);
	EXPECT("stop_cont", waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	       "tstp status %#x", st);
	kill(pid, SIGKILL);
	EXPECT("stop_cont", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "a stopped child killed: %#x", st);
	ok("stop_cont");
}

static void fpe_out(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(jb, 1);
}

/* SIGFPE from a division by zero reaches its handler; SA_RESETHAND puts
 * the default back after one delivery; SA_NODEFER leaves the signal
 * unblocked inside; tkill and tgkill reach the caller. */
static void fpe_resethand_tkill(void)
{
	on(SIGFPE, fpe_out, SA_RESETHAND, NULL);
	got = 0;
	if (sigsetjmp(jb, 1) == 0) {
		unsigned v = 1, zero = 0; /* a real div: the compiler may turn 1 / x into compares */
		__asm__ volatile("xorl %%edx, %%edx\n\tdivl %1" : "+a"(v) : "r"(zero) : "edx");
	}
	EXPECT("fpe_resethand_tkill", got == 1 && got_sig == SIGFPE && got_code == FPE_INTDIV,
	       "handler %d code %d", got, got_code);
	struct sigaction now;
	sigaction(SIGFPE, NULL, &now);
	EXPECT("fpe_resethand_tkill", now.sa_handler == SIG_DFL, "SA_RESETHAND left %p",
	       (void *)now.sa_handler);
	sigset_t none;
	sigemptyset(&none);
	on(SIGUSR2, record, 0, NULL); /* masks() raises it */
	on(SIGUSR1, masks, SA_NODEFER, &none);
	raise(SIGUSR1);
	EXPECT("fpe_resethand_tkill", !in_mask_usr1, "SA_NODEFER: SIGUSR1 blocked inside");
	got = 0;
	EXPECT("fpe_resethand_tkill", syscall(SYS_tkill, getpid(), SIGUSR2) == 0 && got == 1, "tkill: %d",
	       got);
	EXPECT("fpe_resethand_tkill", syscall(SYS_tgkill, getpid(), getpid(), SIGUSR2) == 0 && got == 2,
	       "tgkill: %d", got);
	EXPECT("fpe_resethand_tkill",
	       syscall(SYS_tgkill, getpid() + 1000, getpid(), SIGUSR2) == -1 && errno == ESRCH,
	       "tgkill with another tgid");
	dfl(SIGUSR1);
	dfl(SIGUSR2);
	ok("fpe_resethand_tkill");
}

static void exec_resets(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		on(SIGPIPE, record, 0, NULL);
		signal(SIGUSR2, SIG_IGN);
		execl(self, self, "exec-check", (char *)NULL);
		_exit(99);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	EXPECT("exec_resets", WIFEXITED(st) && WEXITSTATUS(st) == 0, "after exec: status %#x", st);
	ok("exec_resets");
}

static int exec_check(void)
{
	struct sigaction pipe_sa, usr2_sa;
	sigaction(SIGPIPE, NULL, &pipe_sa);
	sigaction(SIGUSR2, NULL, &usr2_sa);
	if (pipe_sa.sa_handler != SIG_DFL)
		return 1; /* a caught signal goes back to default */
	if (usr2_sa.sa_handler != SIG_IGN)
		return 2; /* an ignored one stays ignored */
	return 0;
}

/* ---- forged sigreturn frames ---- */

static void landing(void)
{
	_exit(42);
}

static char forge_stack[16384] __attribute__((aligned(16)));

/* The kernel's struct ucontext, as the signal frame holds it. */
struct kucontext {
	unsigned long flags, link;
	stack_t stack;
	unsigned long gregs[23], fpstate, reserved[8];
	unsigned long sigmask;
};

static int forge(unsigned long rip, unsigned short cs, unsigned short ss, unsigned long rflags)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct kucontext uc __attribute__((aligned(16)));
		memset(&uc, 0, sizeof uc);
		uc.gregs[REG_RIP] = rip;
		uc.gregs[REG_RSP] = (unsigned long)(forge_stack + sizeof forge_stack - 8);
		uc.gregs[REG_EFL] = rflags;
		uc.gregs[REG_CSGSFS] = cs | ((unsigned long)ss << 48);
		__asm__ volatile("movq %0, %%rsp\n\tmovl $15, %%eax\n\tsyscall" ::"r"(&uc) : "memory");
		_exit(98);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void forged_frames(void)
{
	unsigned long good = (unsigned long)landing;
	int st = forge(good, 0x23, 0x1b, 0x202);
	EXPECT("forged_frames", WIFEXITED(st) && WEXITSTATUS(st) == 42, "a well-formed context: %#x", st);
	st = forge(good, 0x23, 0x1b, 0x3202 | 0x40000); /* IOPL 3, AC: IOPL dropped */
	EXPECT("forged_frames", WIFEXITED(st) && WEXITSTATUS(st) == 42, "IOPL bits: %#x", st);
	static const struct {
		const char *what;
		unsigned long rip;
		unsigned short cs, ss;
	} bad[] = {
		{"kernel CS", 0, 0x08, 0x1b},
		{"kernel SS", 0, 0x23, 0x10},
		{"null CS", 0, 0x00, 0x1b},
		{"CS with RPL 0", 0, 0x20, 0x1b},
		{"SS garbage", 0, 0x23, 0xfffc},
		{"non-canonical RIP", 0x8000000000001000ul, 0x23, 0x1b},
		{"kernel RIP", 0xffffffff80100000ul, 0x23, 0x1b},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		st = forge(bad[i].rip ? bad[i].rip : good, bad[i].cs, bad[i].ss, 0x202);
		EXPECT("forged_frames", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "%s: status %#x",
		       bad[i].what, st);
	}
	ok("forged_frames");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
		return exec_check();
	setvbuf(stdout, NULL, _IOLBF, 0);
	handler_siginfo();
	mask_in_handler();
	restart_vs_eintr();
	altstack_case();
	alarm_case();
	itimer_periodic();
	kill_group();
	sigchld_case();
	segv_longjmp();
	stop_cont();
	fpe_resethand_tkill();
	exec_resets(argv[0][0] == '/' ? argv[0] : "/test/signals");
	forged_frames();
	round_trip_figure();
	printf("signals: %d failures\n", failures);
	return failures;
}
