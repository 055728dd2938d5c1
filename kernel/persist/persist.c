/*
 * persist.c - the system store: mounted at boot, one lock, commits and
 * group-committed syncs (the contract: persist.h).
 *
 * Data and invariants.
 *   - st: the mounted store, or NULL (nothing persists). Set once at boot.
 *   - locked: the store lock; every store call happens with it true, made
 *     by the one process (or the boot) that set it. Waiters sleep on
 *     &locked (block_wait: kernel code is never preempted, so a test and a
 *     sleep with interrupts off lose no wake-up).
 *   - flushing: a device flush issued by persist_sync is in flight, outside
 *     the lock, between store_sync_begin and store_sync_end; at most one.
 *     Syncs that need a later seq wait on &flushing, then one of them issues
 *     the next flush for everything committed meanwhile (group commit).
 *     While it is true, store_sync must not be called (the store answers
 *     -EBUSY) and a commit may answer -EAGAIN (log full until it ends).
 *   - failed_logged: the first device error was reported.
 *   - idle cleaning: last_commit_ns is the time of the last commit through
 *     persist_commit_locked (cleaning commits do not count); idle_passed
 *     the log blocks idle cleaning passed since (at most a lap: it stops
 *     there, or when a step passes nothing); idle_timer is armed only while
 *     cleaning is due and the disk not idle long enough yet.
 */
#include "kernel/persist/persist.h"
#include "arch.h"
#include "kernel/block/block.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/conf/conf.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/rand/rand.h"
#include "kernel/time/time.h"
#include "lib/lib.h"
#include <optios/abi/errno.h>

static struct store *st;
static bool locked, flushing, failed_logged;
static uint64_t last_commit_ns, idle_passed;
static struct timer idle_timer;
static void (*idle_wake)(void);

struct store *persist_store(void)
{
	return st;
}

/* Processes in block_wait for the lock and for the flush's end: a wake-up
 * (a walk of every process) only when someone waits. Changed with
 * interrupts disabled; kernel code is not preempted. */
static unsigned lock_waiters, flush_waiters;

void persist_lock(void)
{
	uint64_t f = irq_save();
	while (locked) {
		lock_waiters++;
		block_wait(&locked);
		irq_disable();
		lock_waiters--;
	}
	locked = true;
	irq_restore(f);
}

void persist_unlock(void)
{
	locked = false;
	if (lock_waiters)
		block_wake(&locked);
}

/* Reports the first device error; the store refuses changes from then on. */
static void note_error(int r)
{
	if (r != -EIO || failed_logged)
		return;
	failed_logged = true;
	klog(KLOG_ERROR,
	     "store: disk %s failed: /data and the saved state are read-only until the next boot; "
	     "the system goes on in memory",
	     store_device(st)->name);
}

bool persist_failed(void)
{
	return failed_logged;
}

/* Waits, lock dropped, for the flush in flight to end; returns locked. */
static void wait_flush(void)
{
	uint64_t f = irq_save();
	persist_unlock();
	while (flushing) {
		flush_waiters++;
		block_wait(&flushing);
		irq_disable();
		flush_waiters--;
	}
	irq_restore(f);
	persist_lock();
}

/* A commit: the disk is not idle; idle cleaning, if due, waits for a pause. */
static void note_commit(void)
{
	last_commit_ns = clock_now_ns();
	idle_passed = 0;
	if (idle_wake && !timer_armed(&idle_timer) && store_clean_due(st))
		timer_arm(&idle_timer, last_commit_ns + PERSIST_IDLE_NS);
}

int64_t persist_commit_locked(persist_build_fn build, void *arg)
{
	if (!st)
		return 0;
	for (;;) {
		struct store_tx *tx = store_tx_begin(st);
		if (!tx)
			return -ENOMEM;
		int r = build(tx, arg);
		if (r < 0) {
			store_tx_abort(tx);
			return r;
		}
		int64_t seq = store_tx_commit(tx);
		if (seq > 0)
			note_commit();
		if (seq != -EAGAIN) {
			note_error((int)seq);
			return seq;
		}
		wait_flush(); /* the log is full until the flush in flight ends */
	}
}

int64_t persist_commit(persist_build_fn build, void *arg)
{
	if (!st)
		return 0;
	persist_lock();
	int64_t r = persist_commit_locked(build, arg);
	persist_unlock();
	return r;
}

static void delay_done(struct timer *t, void *arg)
{
	(void)t;
	block_wake(arg);
}

/* store.flush_delay_ms (a test's knob, 0 in use): the flush starts that
 * much later, the lock free meanwhile, so a test can look at the window
 * between a commit and its flush. */
static void flush_delay(void)
{
	int64_t ms = conf_int(CONF_STORE_FLUSH_DELAY_MS);
	if (ms <= 0)
		return;
	static int chan;
	struct timer t;
	uint64_t until = clock_now_ns() + (uint64_t)ms * NS_PER_MS;
	timer_init(&t, delay_done, &chan);
	uint64_t f = irq_save();
	if (timer_arm(&t, until) == 0)
		while (clock_now_ns() < until) {
			block_wait(&chan);
			irq_disable();
		}
	timer_cancel(&t);
	irq_restore(f);
}

/* One flush: begin under the lock, the device's flush outside it (others
 * commit meanwhile), end under the lock. Called locked, returns locked. */
static int flush_once(void)
{
	flushing = true;
	uint64_t ticket = store_sync_begin(st);
	persist_unlock();
	flush_delay();
	int r = block_flush(store_device(st));
	persist_lock();
	store_sync_end(st, ticket, r);
	flushing = false;
	if (flush_waiters)
		block_wake(&flushing);
	note_error(r);
	return r;
}

int persist_sync(uint64_t seq)
{
	if (!st)
		return 0;
	persist_lock();
	int r = 0;
	while (store_durable_seq(st) < seq) {
		if (flushing) {
			wait_flush();
			continue;
		}
		if (persist_failed()) {
			r = -EIO;
			break;
		}
		r = flush_once();
		if (r < 0)
			break;
	}
	persist_unlock();
	return r < 0 ? -EIO : 0;
}

int persist_sync_all(void)
{
	if (!st)
		return 0;
	persist_lock();
	uint64_t seq = store_committed_seq(st);
	persist_unlock();
	return persist_sync(seq);
}

uint64_t persist_wait_ticks(void)
{
	return st ? store_device(st)->wait_ticks : 0;
}

uint64_t persist_durable_seq(void)
{
	return st ? store_durable_seq(st) : 0;
}

int persist_checkpoint(void)
{
	int r = persist_sync_all();
	if (r < 0 || !st)
		return r;
	persist_lock();
	while (flushing)
		wait_flush();
	r = store_checkpoint(st); /* the superblock's flush: under the lock, rare */
	note_error(r);
	persist_unlock();
	return r;
}

/* ---- cleaning when idle ---- */
static void idle_fire(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	if (idle_wake)
		idle_wake();
}

void persist_set_idle_wake(void (*wake)(void))
{
	idle_wake = wake;
	timer_init(&idle_timer, idle_fire, NULL);
}

bool persist_idle_due(void)
{
	if (!st || failed_logged || locked || flushing || !store_clean_due(st))
		return false;
	struct store_stats s;
	store_stats_get(st, &s);
	if (idle_passed >= s.log_blocks)
		return false; /* a lap since the last commit: what is left is live */
	uint64_t at = last_commit_ns + PERSIST_IDLE_NS;
	if (clock_now_ns() >= at)
		return true;
	if (idle_wake && !timer_armed(&idle_timer))
		timer_arm(&idle_timer, at);
	return false;
}

void persist_idle_clean(void)
{
	persist_lock();
	struct store_stats s;
	store_stats_get(st, &s);
	int r = store_clean_due(st) ? store_clean(st, PERSIST_IDLE_BLOCKS) : 0;
	idle_passed = r > 0 ? idle_passed + (uint64_t)r : s.log_blocks; /* no progress: stop until a commit */
	note_error(r);
	persist_unlock();
	if (r > 0)
		persist_checkpoint(); /* the copies durable, then the superblock naming the new tail */
}

/* ---- boot ---- */
static void *env_alloc(size_t n)
{
	return kmalloc(n);
}

static void env_free(void *p)
{
	kfree(p);
}

static uint64_t tsc(void)
{
	return rdtsc();
}

static struct blkdev *pick_disk(const struct bootinfo *bi)
{
	char name[16];
	if (!bootinfo_arg(bi, "optios.disk", name, sizeof name))
		return block_first();
	if (strcmp(name, "none") == 0)
		return NULL; /* the disks are left alone (raw-device tests) */
	struct blkdev *d = block_find(name);
	if (!d)
		klog(KLOG_WARN, "store: optios.disk=%s: no such disk", name);
	return d;
}

void persist_init(const struct bootinfo *bi)
{
	block_set_clock(tsc); /* dev->ticks: the bench tells the waits from the work */
	struct blkdev *dev = pick_disk(bi);
	if (!dev) {
		klog(KLOG_WARN, "%s: nothing will persist", block_first() ? "store: no disk chosen" : "block: no disk");
		return;
	}
	struct store_env env = {env_alloc, env_free, 0};
	rand_fill(&env.seed, sizeof env.seed);
	char msg[160];
	uint64_t t0 = clock_now_ns(), tsc0 = rdtsc(), dev0 = dev->ticks;
	struct store *s = NULL;
	int r = store_mount(dev, &env, 0, &s, msg, sizeof msg);
	uint64_t us = (clock_now_ns() - t0) / 1000, work = rdtsc() - tsc0 - (dev->ticks - dev0);
	if (r == -ENODEV || r == -EINVAL) {
		klog(KLOG_ERROR, "store: %s refused: %s", dev->name, msg);
		klog(KLOG_ERROR, "store: nothing will persist this boot; check the image on the host with "
				 "`build/tools/optios-disk fsck IMAGE` (the disk is left untouched)");
		return;
	}
	if (r < 0) {
		klog(KLOG_ERROR, "store: %s: mount failed (%d): %s; nothing will persist", dev->name, r,
		     msg[0] ? msg : "device error");
		return;
	}
	struct store_stats ss;
	store_stats_get(s, &ss);
	klog(KLOG_INFO, "store: %s: %s", dev->name, msg);
	klog(KLOG_INFO,
	     "store: mounted %s in %lu.%03lu ms: %lu units replayed, %lu keys, %lu of %lu blocks used",
	     dev->name, (unsigned long)(us / 1000), (unsigned long)(us % 1000),
	     (unsigned long)ss.recovered_units, (unsigned long)ss.keys, (unsigned long)ss.used_blocks,
	     (unsigned long)ss.log_blocks);
	/* under -icount the TSC counts instructions: the recovery benchmark (tools/bench.py) */
	klog(KLOG_INFO, "store: recovery took %lu TSC ticks outside the device's calls, %lu blocks read",
	     (unsigned long)work, (unsigned long)ss.blocks_read);
	st = s;
}
