/*
 * sys_system.c - time and system system calls: clocks, sleeping, uname,
 * sysinfo, getrandom, reboot.
 *
 * CLOCK_REALTIME is the CMOS clock read once (first use) plus the monotonic
 * clock since; CLOCK_MONOTONIC and CLOCK_BOOTTIME are clock_now_ns() (inside
 * a handler's run, the event's time). The CPU-time clocks (process and
 * thread: one thread per process) report the CPU time the scheduler charged
 * the process, its current turn included (interrupt handling excluded);
 * inside a handler's run, the run's own, which its budget counts. times and
 * getrusage report the same time (all of it as user time: the kernel work a
 * program causes is not told apart), and their children's that their
 * wait4 reaped.
 */
#include "kernel/handler/handler.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/power/power.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/rand/rand.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define GETRANDOM_MAX (32u << 20)

struct k_timespec {
	int64_t sec, nsec;
};

static uint64_t realtime_base_ns; /* CMOS time at clock_now_ns() == 0 */
static bool realtime_read;

/* The monotonic clock, or inside a handler's run its event's time. */
static uint64_t now_ns(void)
{
	uint64_t ns;
	struct proc *p = proc_current();
	return p && handler_clock(p, &ns) ? ns : clock_now_ns();
}

static uint64_t realtime_ns(void)
{
	if (!realtime_read) {
		uint64_t now = clock_now_ns(), rtc = arch_rtc_read_unix() * NS_PER_SEC;
		realtime_base_ns = rtc > now ? rtc - now : 0;
		realtime_read = true;
	}
	return realtime_base_ns + now_ns();
}

/* The process's CPU time, or inside a handler's run the run's. */
static uint64_t cpu_ns(void)
{
	uint64_t ns;
	struct proc *p = proc_current();
	return handler_cpu_clock(p, &ns) ? ns : sched_cpu_ns(p);
}

static int clock_read(long clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE: *ns = realtime_ns(); return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: *ns = now_ns(); return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: *ns = cpu_ns(); return 0;
	default: return -EINVAL;
	}
}

#define CLOCK_TICKS_PER_SEC 100 /* AT_CLKTCK: sysconf(_SC_CLK_TCK) */
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

static int64_t ticks(uint64_t ns)
{
	return (int64_t)(ns / (NS_PER_SEC / CLOCK_TICKS_PER_SEC));
}

/* struct tms: user and system time, then the children's; returns the
 * ticks since boot. */
long sys_times(long ubuf, UNUSED long a1, SYS_ARGS_FROM2)
{
	int64_t tms[4] = {ticks(cpu_ns()), 0, ticks(proc_current()->children_cpu_ns), 0};
	if (ubuf && copy_to_user((uptr)ubuf, tms, sizeof tms))
		return -EFAULT;
	return ticks(clock_now_ns());
}

/* struct rusage (144 bytes): ru_utime, ru_stime (struct timeval), then 14
 * counters OptiOS does not keep (0). */
long sys_getrusage(long who, long ubuf, SYS_ARGS_FROM2)
{
	uint64_t ns;
	if (who == RUSAGE_SELF || who == RUSAGE_THREAD)
		ns = cpu_ns();
	else if (who == RUSAGE_CHILDREN)
		ns = proc_current()->children_cpu_ns;
	else
		return -EINVAL;
	int64_t ru[18] = {(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC / NS_PER_US)};
	_Static_assert(sizeof ru == 144, "struct rusage is 144 bytes on x86_64");
	return copy_to_user((uptr)ubuf, ru, sizeof ru);
}

static struct k_timespec to_ts(uint64_t ns)
{
	return (struct k_timespec){(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC)};
}

long sys_clock_gettime(long clk, long uts, SYS_ARGS_FROM2)
{
	uint64_t ns;
	int err = clock_read(clk, &ns);
	if (err)
		return err;
	struct k_timespec ts = to_ts(ns);
	return copy_to_user((uptr)uts, &ts, sizeof ts);
}

long sys_gettimeofday(long utv, long utz, SYS_ARGS_FROM2)
{
	uint64_t ns = realtime_ns();
	int64_t tv[2] = {(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC / 1000)};
	int32_t tz[2] = {0, 0};
	if (utv && copy_to_user((uptr)utv, tv, sizeof tv))
		return -EFAULT;
	if (utz && copy_to_user((uptr)utz, tz, sizeof tz))
		return -EFAULT;
	return 0;
}

long sys_time(long ut, UNUSED long a1, SYS_ARGS_FROM2)
{
	int64_t t = (int64_t)(realtime_ns() / NS_PER_SEC);
	if (ut && copy_to_user((uptr)ut, &t, sizeof t))
		return -EFAULT;
	return t;
}

/* Sleeps until the monotonic clock reaches deadline: 0, -EINTR if killed,
 * -EAGAIN at once in a handler's run. */
static long sleep_until(uint64_t deadline)
{
	struct proc *p = proc_current();
	struct timer *t = proc_sleep_timer(p);
	long ret = 0;
	uint64_t f = irq_save();
	while (clock_now_ns() < deadline) {
		if (timer_arm(t, deadline) != 0) {
			ret = -EINVAL; /* no timer hardware */
			break;
		}
		if ((ret = sched_sleep(t)) != 0)
			break; /* -EINTR killed, -EAGAIN in a handler's run */
	}
	timer_cancel(t);
	irq_restore(f);
	return ret;
}

static int read_ts(uptr u, uint64_t *ns)
{
	struct k_timespec ts;
	if (copy_from_user(&ts, u, sizeof ts))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NS_PER_SEC)
		return -EINVAL;
	uint64_t max_sec = (UINT64_MAX - NS_PER_SEC) / NS_PER_SEC;
	*ns = MIN((uint64_t)ts.sec, max_sec) * NS_PER_SEC + (uint64_t)ts.nsec;
	return 0;
}

static long do_sleep(long clk, bool absolute, uptr ureq, uptr urem)
{
	uint64_t req, now;
	int err = read_ts(ureq, &req);
	if (err || (err = clock_read(clk, &now)) != 0 || clk == CLOCK_PROCESS_CPUTIME_ID ||
	    clk == CLOCK_THREAD_CPUTIME_ID)
		return err ? err : -EINVAL;
	uint64_t delta = absolute ? (req > now ? req - now : 0) : req;
	uint64_t start = clock_now_ns(), deadline = start + delta < start ? UINT64_MAX : start + delta;
	long ret = sleep_until(deadline);
	if (ret == -EINTR && urem && !absolute) {
		uint64_t left = deadline - MIN(deadline, clock_now_ns());
		struct k_timespec rem = to_ts(left);
		copy_to_user(urem, &rem, sizeof rem);
	}
	return ret;
}

long sys_nanosleep(long ureq, long urem, SYS_ARGS_FROM2)
{
	return do_sleep(CLOCK_MONOTONIC, false, (uptr)ureq, (uptr)urem);
}

long sys_clock_nanosleep(long clk, long flags, long ureq, long urem, long a4, long a5)
{
	(void)a4, (void)a5;
	return do_sleep(clk, flags & TIMER_ABSTIME, (uptr)ureq, (uptr)urem);
}

long sys_uname(long ubuf, UNUSED long a1, SYS_ARGS_FROM2)
{
	static const char fields[6][65] = {"OptiOS", "optios", "0.1", "OptiOS 0.1 (issue 3)",
					   "x86_64", "(none)"};
	return copy_to_user((uptr)ubuf, fields, sizeof fields);
}

long sys_getrandom(long ubuf, long len, long flags, long a3, long a4, long a5)
{
	(void)a3, (void)a4, (void)a5;
	if (flags & ~7L)
		return -EINVAL;
	size_t n = MIN((size_t)len, (size_t)GETRANDOM_MAX), done = 0;
	if (len < 0)
		return -EINVAL;
	uint8_t chunk[256];
	while (done < n) {
		size_t k = MIN(n - done, sizeof chunk);
		rand_fill(chunk, k);
		if (copy_to_user((uptr)ubuf + done, chunk, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)done;
}

struct k_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};
_Static_assert(sizeof(struct k_sysinfo) == 112, "struct sysinfo is 112 bytes on x86_64");

static void count_proc(struct proc *p, void *arg)
{
	(void)p;
	(*(uint16_t *)arg)++;
}

long sys_sysinfo(long uinfo, UNUSED long a1, SYS_ARGS_FROM2)
{
	struct k_sysinfo si;
	memset(&si, 0, sizeof si);
	si.uptime = (int64_t)(clock_now_ns() / NS_PER_SEC);
	si.totalram = pmm_total_count();
	si.freeram = pmm_free_count();
	si.mem_unit = PAGE_SIZE;
	proc_foreach(count_proc, &si.procs);
	return copy_to_user((uptr)uinfo, &si, sizeof si);
}

#define REBOOT_MAGIC1 0xfee1deadL
#define REBOOT_CMD_RESTART 0x01234567L
#define REBOOT_CMD_HALT 0xCDEF0123L
#define REBOOT_CMD_POWER_OFF 0x4321FEDCL

static void reboot_after_commit(long how)
{
	power_request((enum power_how)how);
}

/* Foreground: the clean way off now (power_shutdown). Inside a handler's
 * run: once the run commits (a rolled-back run switches nothing off);
 * returns 0 to the run, which goes on to its end. */
long sys_reboot(long magic1, long magic2, long cmd, long a3, long a4, long a5)
{
	(void)a3, (void)a4, (void)a5;
	uint32_t m2 = (uint32_t)magic2;
	if ((uint32_t)magic1 != REBOOT_MAGIC1 ||
	    (m2 != 672274793 && m2 != 85072278 && m2 != 369367448 && m2 != 537993216))
		return -EINVAL;
	uint32_t c = (uint32_t)cmd;
	if (c != (uint32_t)REBOOT_CMD_RESTART && c != (uint32_t)REBOOT_CMD_HALT && c != (uint32_t)REBOOT_CMD_POWER_OFF)
		return -EINVAL;
	enum power_how how = c == (uint32_t)REBOOT_CMD_RESTART ? POWER_REBOOT : POWER_OFF;
	struct proc *p = proc_current();
	if (p && p->handler)
		return handler_after_commit(reboot_after_commit, how);
	power_shutdown(how);
}
