/*
 * sys_poll.c - poll, ppoll, select, pselect6: waiting for descriptors to be
 * ready.
 *
 * Each file type says its readiness through file_ops.poll (NULL: always
 * ready, as regular files are) and calls poll_wake() whenever that may have
 * changed (pipes on every read, write and close; consoles on input). A
 * waiter scans its descriptors, and if none is ready and time is left,
 * sleeps on one channel, poll_chan, shared by every waiter: a wake-up makes
 * each waiter scan again (spurious wake-ups are allowed by proc.h). Sockets
 * join by giving their files a poll op and calling poll_wake. The timeout
 * is a timer on the waiter's kernel stack that wakes poll_chan; it is
 * cancelled before the call returns.
 *
 * Both calls scan into kernel copies (at most FD_MAX + 1 descriptors for
 * select, POLL_MAX entries for poll) and copy results out once.
 */
#include <optios/abi/errno.h>
#include <optios/abi/poll.h>

#include "arch.h"
#include "kernel/fs/file.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define POLL_MAX 1024 /* entries of one poll call (RLIMIT_NOFILE's usual soft limit) */
#define NO_TIMEOUT UINT64_MAX

static const void *poll_chan;
static int pollers; /* processes asleep in wait_ready (changed with interrupts off) */

void poll_wake(void)
{
	if (pollers) /* a wake-up scans the process table: not for nobody */
		sched_wakeup(&poll_chan);
}

static void timeout_fire(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	poll_wake();
}

struct k_pollfd {
	int32_t fd;
	int16_t events, revents;
};

static unsigned file_ready(struct file *f)
{
	return f->ops->poll ? f->ops->poll(f) : POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

/* Fills revents of every entry; returns how many are non-zero. */
static int scan_poll(struct k_pollfd *fds, size_t n)
{
	struct fdtable *t = proc_current()->fds;
	int ready = 0;
	for (size_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		struct file *f = fd_get(t, fds[i].fd);
		if (!f) {
			fds[i].revents = POLLNVAL;
		} else {
			unsigned always = POLLERR | POLLHUP | POLLNVAL;
			fds[i].revents =
				(int16_t)(file_ready(f) & ((unsigned)(uint16_t)fds[i].events | always));
			file_put(f);
		}
		ready += fds[i].revents != 0;
	}
	return ready;
}

/*
 * Calls scan(arg) until it returns non-zero or deadline (clock_now_ns;
 * NO_TIMEOUT: none) passes. Returns scan's last result (0: timed out), or
 * -EINTR (killed). In a handler's run it never sleeps: one scan.
 */
static long wait_ready(int (*scan)(void *arg), void *arg, uint64_t deadline)
{
	struct timer t;
	timer_init(&t, timeout_fire, NULL);
	long r;
	for (;;) {
		uint64_t f = irq_save();
		r = scan(arg);
		if (r != 0 || clock_now_ns() >= deadline) {
			irq_restore(f);
			break;
		}
		if (deadline != NO_TIMEOUT)
			timer_arm(&t, deadline);
		pollers++;
		r = sched_sleep(&poll_chan);
		pollers--;
		irq_restore(f);
		if (r) {
			r = r == -EAGAIN ? 0 : r; /* a handler's run: nothing ready now */
			break;
		}
	}
	timer_cancel(&t);
	return r;
}

struct poll_args {
	struct k_pollfd *fds;
	size_t n;
};

static int poll_scan(void *arg)
{
	struct poll_args *a = arg;
	return scan_poll(a->fds, a->n);
}

static long do_poll(uptr ufds, long nfds, uint64_t deadline)
{
	if (nfds < 0 || nfds > POLL_MAX)
		return -EINVAL;
	struct poll_args a = {kmalloc((size_t)nfds * sizeof(struct k_pollfd) + 1), (size_t)nfds};
	if (!a.fds)
		return -ENOMEM;
	long r = copy_from_user(a.fds, ufds, a.n * sizeof *a.fds);
	if (r == 0)
		r = wait_ready(poll_scan, &a, deadline);
	if (r >= 0 && copy_to_user(ufds, a.fds, a.n * sizeof *a.fds))
		r = -EFAULT;
	kfree(a.fds);
	return r;
}

/* The deadline timeout_ns from now (saturating). */
static uint64_t deadline_in(uint64_t ns)
{
	uint64_t now = clock_now_ns();
	return ns >= NO_TIMEOUT - now ? NO_TIMEOUT - 1 : now + ns;
}

long sys_poll(long ufds, long nfds, long timeout_ms, SYS_ARGS_FROM3)
{
	int ms = (int)timeout_ms;
	uint64_t deadline = ms < 0 ? NO_TIMEOUT : deadline_in((uint64_t)ms * NS_PER_MS);
	return do_poll((uptr)ufds, nfds, deadline);
}

struct k_timespec64 {
	int64_t sec, nsec;
};

/* A user timespec (NULL: no timeout) as a deadline. 0, -EFAULT, -EINVAL. */
static long timespec_deadline(uptr uts, uint64_t *deadline)
{
	struct k_timespec64 ts;
	*deadline = NO_TIMEOUT;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof ts))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NS_PER_SEC)
		return -EINVAL;
	uint64_t max_sec = (NO_TIMEOUT - NS_PER_SEC) / NS_PER_SEC / 2;
	*deadline = deadline_in(MIN((uint64_t)ts.sec, max_sec) * NS_PER_SEC + (uint64_t)ts.nsec);
	return 0;
}

/* ppoll: the signal mask is accepted (no signals are delivered yet). */
long sys_ppoll(long ufds, long nfds, long uts, SYS_ARGS_FROM3)
{
	uint64_t deadline;
	long r = timespec_deadline((uptr)uts, &deadline);
	return r ? r : do_poll((uptr)ufds, nfds, deadline);
}

/* ---- select ---- */

#define SEL_WORDS 1 /* FD_MAX bits */
_Static_assert(FD_MAX <= 64 * SEL_WORDS, "select's sets cover every descriptor");

struct select_args {
	int n;
	uint64_t in[3], out[3]; /* read, write, except */
};

static int select_scan(void *arg)
{
	struct select_args *a = arg;
	struct fdtable *t = proc_current()->fds;
	int ready = 0;
	for (int s = 0; s < 3; s++)
		a->out[s] = 0;
	for (int fd = 0; fd < a->n; fd++) {
		uint64_t bit = 1ull << fd;
		if (!((a->in[0] | a->in[1] | a->in[2]) & bit))
			continue;
		struct file *f = fd_get(t, fd);
		if (!f)
			return -EBADF;
		unsigned ev = file_ready(f);
		file_put(f);
		if ((a->in[0] & bit) && (ev & (POLLIN | POLLHUP | POLLERR)))
			a->out[0] |= bit, ready++;
		if ((a->in[1] & bit) && (ev & (POLLOUT | POLLERR)))
			a->out[1] |= bit, ready++;
		if ((a->in[2] & bit) && (ev & POLLPRI))
			a->out[2] |= bit, ready++;
	}
	return ready;
}

/* The sets at usets[3] (each may be NULL) for descriptors below n. */
static long do_select(long n, const uptr usets[3], uint64_t deadline)
{
	struct select_args a = {0};
	if (n < 0 || n > 1024) /* FD_SETSIZE */
		return -EINVAL;
	a.n = (int)MIN(n, (long)FD_MAX);
	size_t bytes = (size_t)(n + 7) / 8;
	for (int s = 0; s < 3; s++) {
		uint8_t raw[128] = {0};
		if (usets[s] && copy_from_user(raw, usets[s], bytes))
			return -EFAULT;
		for (size_t i = FD_MAX / 8; i < bytes; i++)
			if (raw[i])
				return -EBADF; /* a descriptor no process can have */
		memcpy(&a.in[s], raw, sizeof a.in[s]);
		if (a.n < 64)
			a.in[s] &= (1ull << a.n) - 1;
	}
	long r = wait_ready(select_scan, &a, deadline);
	for (int s = 0; r >= 0 && s < 3; s++) {
		uint8_t raw[128] = {0};
		memcpy(raw, &a.out[s], sizeof a.out[s]);
		if (usets[s] && copy_to_user(usets[s], raw, bytes))
			r = -EFAULT;
	}
	return r;
}

struct k_timeval {
	int64_t sec, usec;
};

long sys_select(long n, long rd, long wr, long ex, long utv, long a5)
{
	(void)a5;
	uptr sets[3] = {(uptr)rd, (uptr)wr, (uptr)ex};
	uint64_t deadline = NO_TIMEOUT;
	struct k_timeval tv;
	if (utv) {
		if (copy_from_user(&tv, (uptr)utv, sizeof tv))
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
			return -EINVAL;
		deadline = deadline_in(MIN((uint64_t)tv.sec, 1ull << 32) * NS_PER_SEC +
				       (uint64_t)tv.usec * NS_PER_US);
	}
	long r = do_select(n, sets, deadline);
	if (r >= 0 && utv) { /* Linux writes back the time left */
		uint64_t now = clock_now_ns(), left = deadline > now ? deadline - now : 0;
		tv = (struct k_timeval){(int64_t)(left / NS_PER_SEC),
					(int64_t)(left % NS_PER_SEC / NS_PER_US)};
		if (copy_to_user((uptr)utv, &tv, sizeof tv))
			return -EFAULT;
	}
	return r;
}

/* pselect6: the sixth argument (the signal mask) is accepted. */
long sys_pselect6(long n, long rd, long wr, long ex, long uts, long a5)
{
	(void)a5;
	uptr sets[3] = {(uptr)rd, (uptr)wr, (uptr)ex};
	uint64_t deadline;
	long r = timespec_deadline((uptr)uts, &deadline);
	return r ? r : do_select(n, sets, deadline);
}
