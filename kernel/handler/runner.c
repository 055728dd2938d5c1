/*
 * runner.c - the handler runner: the one kernel-owned process that executes
 * every handler run, one at a time, each to completion.
 *
 * Theory of operation. The runner has a kernel stack and nothing else of its
 * own. To run a handler it attaches it: takes its snapshot's address space,
 * registers (the trapframe saved when the handler last called
 * optios_event_next), x87/SSE state and TLS pointer, writes the event into the
 * handler's buffer and leaves the kernel through that trapframe. Every way a
 * run ends passes here with the runner's user trapframe:
 *   optios_event_next  commit: keep the journaled pages (re-frozen), apply
 *                      staged files, raise staged events, log output lines;
 *                      save the registers as the new snapshot's;
 *   fault, CPU budget, exit
 *                      roll back: the journal restores every page, staged
 *                      effects and output are dropped, the trapframe is the
 *                      snapshot's again;
 * then next_run() installs the next run in the same trapframe (or sleeps
 * until there is one), and the caller returns to user mode through it.
 *
 * Durability (with a disk, kernel/persist): a run's commit is first written
 * to the store as one transaction (hstore.c: dirty pages, registers, the
 * handler's record), not flushed; a run the disk cannot take rolls back.
 * Output gate: the events a committed run emitted, and the file: events of
 * its file changes, are held (gate[]) until the store says its transaction
 * is durable, then raised in the order they were made; its /data changes
 * are in the tree at its commit but no other program sees them until then
 * (kernel/fs/vfs_store.c, the data gate). Group commit: the
 * runner goes on with the next ready run and flushes once for all of them
 * when it has nothing ready, after GATE_RUNS runs, or when the oldest held
 * run is GATE_NS old - so one flush covers a burst and no output waits long.
 *
 * Order: next_run takes start-ups first (a user waits for them), then the
 * event that is oldest in (time, seq) order across all ready handlers.
 *
 * Invariants: at most one handler is attached (current), and only while the
 * runner has a run in progress; a run's journal and transaction exist exactly
 * while it is in progress; a handler's snapshot (space, tf, fpu, fs_base, brk)
 * only changes at a commit.
 */
#include "kernel/handler/handler_internal.h"

#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "lib/lib.h"

#define OUTPUT_MAX 2048 /* bytes of stdout/stderr kept per run */
#define EMITS_MAX 16    /* events one run may emit */
#define STARTUP_BUDGET_NS (1000 * NS_PER_MS)
#define GATE_RUNS 8 /* committed runs per flush at most */
#define GATE_NS (2 * NS_PER_MS) /* the longest a committed run waits for its flush */
#define GATE_EVENTS (GATE_RUNS * EMITS_MAX)

static struct proc *runner;
static struct handler *current;
static bool idle; /* the runner waits for work */
static bool log_wanted; /* handler_log_soon: store the log when idle */
static int work_chan;

/* what the current run produced, applied at commit */
static char output[OUTPUT_MAX];
static size_t output_len, output_lost;
static struct optios_event emits[EMITS_MAX];
static size_t nemits;
static void (*after_fn)(long arg); /* handler_after_commit */
static long after_arg;

/* the output gate: committed runs not yet durable, and what they emitted:
 * events, and file: events (file: ev.topic the path, ev.payload what
 * happened). gate is gate_first until a run's file changes need more room
 * (a run's emits are bounded, its file changes only by VFS_TXN_BYTES_MAX);
 * then a kmalloc'd array, given back at the next flush. */
struct held {
	struct optios_event ev;
	char source[MANIFEST_NAME_MAX];
	bool file;
};
static struct held gate_first[GATE_EVENTS];
static struct held *gate = gate_first;
static size_t gate_count, gate_cap = GATE_EVENTS;
static uint64_t gate_lost; /* file: events dropped: no memory to hold them */
static uint64_t gate_seq; /* the newest commit not known durable (0: none) */
static unsigned gate_runs; /* its runs */
static uint64_t gate_since_ns; /* when the oldest of them committed */

/* The store's lock around a commit and its /data changes (when there is a
 * store: without one the in-memory path takes no lock). */
static bool store_lock(void)
{
	if (!persist_store())
		return false;
	persist_lock();
	return true;
}

static void store_unlock(bool locked)
{
	if (locked)
		persist_unlock();
}

static void gate_release(const struct held *e)
{
	if (!e->file) {
		event_raise(e->ev.topic, e->source, e->ev.payload, e->ev.payload_len, 0);
		return;
	}
	char what[OPTIOS_EVENT_PAYLOAD_MAX + 1];
	memcpy(what, e->ev.payload, e->ev.payload_len);
	what[e->ev.payload_len] = 0;
	event_raise_file(e->ev.topic, what, e->source);
}

/* The next free entry of the gate, made room for; NULL when out of memory. */
static struct held *gate_slot(void)
{
	if (gate_count == gate_cap) {
		struct held *g = kmalloc(sizeof *g * gate_cap * 2);
		if (!g)
			return NULL;
		memcpy(g, gate, sizeof *g * gate_count);
		if (gate != gate_first)
			kfree(gate);
		gate = g;
		gate_cap *= 2;
	}
	struct held *e = &gate[gate_count++];
	e->file = false;
	return e;
}

/* A commit, seq, whose effects are about to be held (0: nothing persists). */
static void gate_note(int64_t seq)
{
	if (seq <= 0)
		return;
	if (!gate_seq)
		gate_since_ns = clock_now_ns();
	gate_seq = (uint64_t)seq;
}

/* vfs_txn_hold's sink: a file: event of the run being committed. */
static void gate_file_event(void *arg, const char *path, const char *what, const char *source)
{
	(void)arg;
	size_t n = strlen(path);
	if (n >= OPTIOS_EVENT_TOPIC_MAX - sizeof "file:" + 1)
		return; /* no topic can name it: event_raise_file drops it too */
	struct held *e = gate_slot();
	if (!e) {
		if (gate_lost++ == 0)
			klog(KLOG_WARN, "handler: out of memory: file: events of committed runs dropped");
		return;
	}
	memcpy(e->ev.topic, path, n + 1);
	e->ev.payload_len = (uint32_t)strnlen(what, OPTIOS_EVENT_PAYLOAD_MAX);
	memcpy(e->ev.payload, what, e->ev.payload_len);
	memset(e->source, 0, sizeof e->source);
	memcpy(e->source, source, strnlen(source, sizeof e->source - 1));
	e->file = true;
}

static void effect_logged(void *arg, const char *what, const char *path, uint64_t bytes, int err);

/* A committed run's file changes into the tree (store lock held): their
 * file: events held with its emits when seq > 0 (the output gate). */
static void apply_files(struct handler *h, int64_t seq)
{
	if (seq > 0) {
		gate_note(seq);
		vfs_txn_hold(runner->txn, (uint64_t)seq, gate_file_event, NULL);
	}
	vfs_txn_apply(runner->txn, h->name, effect_logged, h);
}

/* Makes every held commit durable (one flush), then lets their effects out.
 * A flush that fails stops persistence (kernel/persist logs it); the system
 * goes on in memory, so the effects are released all the same. */
static void gate_flush(void)
{
	int64_t log_seq = hstore_log_sync(); /* log records written since the last run's commit */
	if (log_seq > 0 && (uint64_t)log_seq > gate_seq)
		gate_seq = (uint64_t)log_seq;
	if (!gate_seq)
		return;
	uint64_t t0 = rdtsc();
	int err = persist_sync(gate_seq);
	evlog_add(OPTIOS_LOG_DURABLE, "", "", 0, err, gate_runs, gate_seq, rdtsc() - t0,
		  "%u runs durable; disk waits %lu ticks", gate_runs, (unsigned long)persist_wait_ticks());
	for (size_t i = 0; i < gate_count; i++)
		gate_release(&gate[i]);
	gate_count = 0;
	netev_release();
	if (gate != gate_first) {
		kfree(gate);
		gate = gate_first;
		gate_cap = GATE_EVENTS;
	}
	gate_seq = 0;
	gate_runs = 0;
}

/* The run of h committed as store transaction seq (0: nothing persists). */
static void gate_hold(struct handler *h, int64_t seq)
{
	netev_commit(h); /* its network sends wait with its events */
	if (seq <= 0 && !gate_seq) { /* in memory, nothing held: out at once */
		for (size_t i = 0; i < nemits; i++)
			event_raise(emits[i].topic, h->name, emits[i].payload, emits[i].payload_len, 0);
		netev_release();
		return;
	}
	if (seq <= 0 || nemits > gate_cap - gate_count)
		gate_flush(); /* no room: the ones held go first, keeping their order */
	for (size_t i = 0; i < nemits; i++) {
		if (seq <= 0) {
			event_raise(emits[i].topic, h->name, emits[i].payload, emits[i].payload_len, 0);
			continue;
		}
		struct held *e = gate_slot(); /* room was made above */
		e->ev = emits[i];
		memcpy(e->source, h->name, sizeof e->source);
	}
	if (seq <= 0)
		return;
	gate_note(seq);
	if (++gate_runs >= GATE_RUNS || clock_now_ns() - gate_since_ns >= GATE_NS)
		gate_flush();
}

int handler_after_commit(void (*fn)(long arg), long arg)
{
	struct proc *p = proc_current();
	if (!p || p != runner || !current || current->state != OPTIOS_HANDLER_RUNNING)
		return -EPERM;
	if (after_fn)
		return -EBUSY;
	after_fn = fn;
	after_arg = arg;
	return 0;
}

struct handler *runner_current(void)
{
	return current;
}

void runner_kick(void)
{
	if (idle)
		sched_wakeup(&work_chan);
}

void handler_log_soon(void)
{
	if (!persist_store())
		return;
	log_wanted = true;
	runner_kick();
}

/* ---- stdout and stderr of a handler: the output buffer ---- */

static long output_write(struct file *f, const void *buf, size_t len)
{
	(void)f;
	size_t n = MIN(len, OUTPUT_MAX - output_len);
	memcpy(output + output_len, buf, n);
	output_len += n;
	output_lost += len - n;
	return (long)len;
}

static long output_read(struct file *f, void *buf, size_t len)
{
	(void)f, (void)buf, (void)len;
	return -EAGAIN; /* nothing to read, and runs never wait */
}

static const struct file_ops output_ops = {.read = output_read, .write = output_write};

/* The committed output as OUTPUT records, one per line (long lines split). */
static void output_flush(struct handler *h)
{
	size_t start = 0;
	for (size_t i = 0; i <= output_len; i++) {
		bool end = i == output_len || output[i] == '\n';
		if (!end && i - start < 120)
			continue;
		if (i > start)
			evlog_add(OPTIOS_LOG_OUTPUT, h->name, h->ev.topic, h->ev.seq, 0, 0, 0, 0, "%.*s",
				  (int)(i - start), output + start);
		start = i + (i < output_len && output[i] == '\n');
	}
	if (output_lost)
		evlog_add(OPTIOS_LOG_OUTPUT, h->name, h->ev.topic, h->ev.seq, 0, output_lost, 0, 0,
			  "[%lu more bytes of output dropped]", (unsigned long)output_lost);
}

int runner_fds_create(struct handler *h)
{
	struct file *out = file_create(&output_ops, NULL, O_RDWR);
	h->fds = out ? fdtable_create() : NULL;
	if (!h->fds) {
		if (out)
			file_put(out);
		return -ENOMEM;
	}
	fd_install(h->fds, out, 0);
	fd_install(h->fds, file_get(out), 1);
	fd_install(h->fds, file_get(out), 2);
	return 0;
}

/* A file a handler keeps open across runs that is not its output. */
static bool kept_file(const struct file *f, const void *arg)
{
	(void)arg;
	return f->ops != &output_ops;
}

/* A staged file (a write under the run's transaction). */
static bool staged_file(const struct file *f, const void *arg)
{
	(void)arg;
	return vfs_txn_file(f);
}

/* ---- attaching a handler to the runner ---- */

static void attach(struct handler *h)
{
	struct proc *p = runner;
	current = h;
	p->handler = h;
	p->event = &h->ev; /* for denial records (kernel/perm) */
	p->space = h->space;
	vm_space_activate(h->space);
	p->brk_base = h->brk_base;
	p->brk_end = h->brk_end;
	p->mmap_hint = h->mmap_hint;
	p->fs_base = h->fs_base;
	arch_set_fs_base(h->fs_base);
	arch_fpu_restore(h->fpu);
	size_t revoked = perm_refresh(h->perm); /* a grant or revoke since the last run takes effect now */
	if (revoked) /* files it kept open were opened under the old grants */
		fd_close_if(h->fds, kept_file, NULL);
	h->revoked += revoked;
	p->perm = h->perm;
	p->fds = h->fds;
	fdtable_checkpoint(h->fds);
	memset(p->name, 0, sizeof p->name);
	memcpy(p->name, h->name, MIN(sizeof p->name, sizeof h->name) - 1);
}

static void detach(void)
{
	struct proc *p = runner;
	sched_set_cpu_limit(p, 0);
	fdtable_commit(p->fds); /* a run that ended without commit or roll back changed nothing */
	p->fds = NULL;
	p->handler = NULL;
	p->event = NULL;
	p->perm = NULL;
	p->space = NULL;
	vm_space_activate(NULL);
	current = NULL;
	memset(p->name, 0, sizeof p->name);
	memcpy(p->name, "runner", 7);
}

/* The snapshot's registers and process state: those of this moment. */
static void save_state(struct handler *h, const struct trapframe *tf)
{
	h->tf = *tf;
	arch_fpu_save(h->fpu);
	h->fs_base = runner->fs_base;
	h->brk_end = runner->brk_end;
	h->mmap_hint = runner->mmap_hint;
}

/* Clears the run's effects (its transaction, output and emits). */
static void run_cleanup(void)
{
	struct proc *p = runner;
	if (p->txn)
		vfs_txn_destroy(p->txn);
	p->txn = NULL;
	output_len = output_lost = 0;
	nemits = 0;
	netev_rollback(); /* what a committed run staged has moved on already */
	after_fn = NULL;
}

/* ---- picking the next run ---- */

static const struct optios_event *oldest_pending(const struct handler *h)
{
	const struct optios_event *best = NULL;
	for (size_t i = 0; i < h->nsubs; i++) {
		const struct optios_event *e = evq_peek(&h->subs[i].q);
		if (e && (!best || event_before(e, best)))
			best = e;
	}
	return best;
}

/* h's next event: the one it holds once its retry is due (nothing before
 * it: its order is kept), else the oldest queued. */
static const struct optios_event *next_event(const struct handler *h, uint64_t *now)
{
	if (h->state != OPTIOS_HANDLER_READY)
		return NULL;
	if (!h->holding)
		return oldest_pending(h);
	if (!*now)
		*now = clock_now_ns();
	return retry_due(h, *now);
}

/* Interrupts disabled. A start-up to begin (*ev untouched), or the handler
 * owning the oldest due event (held, copied into *ev), or NULL. */
static struct handler *pick(struct optios_event *ev, bool *startup)
{
	struct handler *best = NULL;
	const struct optios_event *best_ev = NULL;
	uint64_t now = 0;
	for (int i = 0; i < HANDLER_MAX; i++) {
		struct handler *h = handler_table[i];
		if (!h || h->removing)
			continue;
		if (h->state == OPTIOS_HANDLER_INITIALISING && !h->started) {
			*startup = true;
			return h;
		}
		const struct optios_event *e = next_event(h, &now);
		if (e && (!best_ev || event_before(e, best_ev))) {
			best = h;
			best_ev = e;
		}
	}
	if (best && best->holding) {
		*ev = best->ev;
	} else if (best) {
		struct event_sub *subs[MANIFEST_EVENTS_MAX];
		for (size_t i = 0; i < best->nsubs; i++)
			subs[i] = &best->subs[i];
		retry_taken(best, event_hold_next(subs, best->nsubs, ev));
	}
	*startup = false;
	return best;
}

/* Waits for work; returns it attached, its state set. */
static struct handler *wait_work(struct optios_event *ev, bool *startup)
{
	uint64_t f = irq_save();
	struct handler *h;
	while (!(h = pick(ev, startup))) {
		if (gate_seq) { /* nothing ready: the held commits' flush now */
			irq_restore(f);
			gate_flush();
			f = irq_save();
			continue;
		}
		if (log_wanted) { /* records written outside runs: on the disk now */
			log_wanted = false;
			irq_restore(f);
			handler_log_sync();
			f = irq_save();
			continue;
		}
		if (persist_idle_due()) { /* nothing ready, the disk idle: reclaim old versions */
			irq_restore(f);
			persist_idle_clean();
			f = irq_save();
			continue;
		}
		idle = true;
		sched_sleep(&work_chan);
		idle = false;
	}
	h->state = *startup ? OPTIOS_HANDLER_INITIALISING : OPTIOS_HANDLER_RUNNING;
	h->started = true;
	irq_restore(f);
	attach(h);
	return h;
}

/* Starts the run's CPU budget and file transaction: 0 or -ENOMEM (without a
 * transaction file changes would escape a roll back, so there is no run). */
static int run_limits(struct handler *h, uint64_t budget)
{
	runner->txn = vfs_txn_create();
	if (!runner->txn)
		return -ENOMEM;
	h->run_cpu_ns = sched_cpu_ns(runner);
	sched_set_cpu_limit(runner, h->run_cpu_ns + budget);
	h->run_tsc = rdtsc();
	return 0;
}

/* Installs a run of h with ev in tf: 0, or -EFAULT when the handler's event
 * buffer is not writable (the run then counts as failed). */
static int begin_run(struct handler *h, struct trapframe *tf, const struct optios_event *ev)
{
	h->ev = *ev;
	h->ev.retry = h->attempts;
	h->last_event_seq = ev->seq;
	memcpy(h->last_topic, ev->topic, sizeof h->last_topic);
	*tf = h->tf;
	tf->rax = 0;
	if (vm_journal_begin(h->space) != 0)
		return -ENOMEM;
	struct optios_log_record r = {.kind = OPTIOS_LOG_RUN, .event_seq = ev->seq};
	memcpy(r.handler, h->name, sizeof r.handler);
	memcpy(r.topic, ev->topic, sizeof r.topic);
	evlog_write(&r);
	if (run_limits(h, h->budget_ns) != 0)
		return -ENOMEM;
	return copy_to_user(tf->rdi, &h->ev, sizeof h->ev);
}

static void fail_run(struct handler *h, struct trapframe *tf, int result, const char *why);
static void release(struct handler *h);
static void startup_failed(struct handler *h, const char *why);

/* An event queued before a revoke is not delivered after it: the handler
 * must not observe it. false (logged, the handler let go) if not granted. */
static bool event_granted(struct handler *h, const struct optios_event *ev)
{
	/* subscriptions were granted at registration: only a revoke can undo that */
	if (!h->revoked || policy_set_allows(h->perm, CAP_EVENT, ev->topic))
		return true;
	evlog_add(OPTIOS_LOG_DENY, h->name, ev->topic, ev->seq, -EACCES, 0, 0, 0, "deliver event:%s",
		  ev->topic);
	h->ev = *ev; /* the held event, for what it holds (netev_lost) */
	retry_dropped(h);
	uint64_t f = irq_save();
	h->state = OPTIOS_HANDLER_READY;
	irq_restore(f);
	release(h);
	return false;
}

/* Installs the next run in tf (waiting for one); the caller returns to
 * user mode through tf. */
static void next_run(struct trapframe *tf)
{
	for (;;) {
		struct optios_event ev;
		bool startup;
		struct handler *h = wait_work(&ev, &startup);
		int err;
		if (startup) {
			*tf = h->tf;
			memset(&h->ev, 0, sizeof h->ev);
			if ((err = run_limits(h, STARTUP_BUDGET_NS)) == 0)
				return;
			fail_run(h, tf, OPTIOS_RUN_NOMEM, "out of memory");
			continue;
		}
		if (!event_granted(h, &ev))
			continue;
		err = begin_run(h, tf, &ev);
		if (err == 0)
			return;
		fail_run(h, tf, err == -ENOMEM ? OPTIOS_RUN_NOMEM : OPTIOS_RUN_FAULT,
			 err == -ENOMEM ? "out of memory for the journal" : "event buffer not writable");
	}
}

/* ---- ending a run ---- */

static void effect_logged(void *arg, const char *what, const char *path, uint64_t bytes, int err)
{
	struct handler *h = arg;
	evlog_add(OPTIOS_LOG_EFFECT, h->name, h->ev.topic, h->ev.seq, err, bytes, 0, 0, "%s %s%s", what, path,
		  err ? " failed" : "");
}

/* The run's descriptor changes stay; staged files left open are closed,
 * their writes being in the transaction just committed. Emitted events go
 * through the output gate: seq is the run's store transaction (0: none). */
static void log_outputs(struct handler *h);

/* log: the run's emit and output records too (in memory: after the
 * commit; with a disk they were written before its transaction). */
static void apply_effects(struct handler *h, int64_t seq, bool log)
{
	if (runner->txn)
		vfs_txn_commit(runner->txn, h->name, effect_logged, h);
	fdtable_commit(h->fds);
	fd_close_if(h->fds, staged_file, NULL);
	if (log)
		log_outputs(h);
	gate_hold(h, seq);
	void (*fn)(long) = after_fn;
	run_cleanup();
	if (fn)
		fn(after_arg);
}

/* The run's records of its events and output lines: before its store
 * transaction is built, which carries them (hstore_run). */
static void log_outputs(struct handler *h)
{
	for (size_t i = 0; i < nemits; i++)
		evlog_add(OPTIOS_LOG_EFFECT, h->name, h->ev.topic, h->ev.seq, 0, emits[i].payload_len, 0, 0,
			  "emit %s", emits[i].topic);
	netev_log(h);
	output_flush(h);
}

/* After a run: a removed handler goes now; the runner lets go of it. */
static void release(struct handler *h)
{
	detach();
	if (h->removing)
		handler_destroy(h);
}

/* The start-up reached its first optios_event_next: the base snapshot. */
static void startup_done(struct handler *h, const struct trapframe *tf)
{
	uint64_t ns = sched_cpu_ns(runner) - h->run_cpu_ns, t0 = rdtsc();
	h->snapshot_pages = vm_space_freeze(h->space);
	uint64_t freeze = rdtsc() - t0;
	save_state(h, tf);
	bool restored, locked = store_lock();
	/* a stored snapshot of this program replaces the start-up's */
	int64_t seq = hstore_startup(h, runner->txn, &restored);
	if (restored)
		run_cleanup(); /* its first start-up's effects are in the store already */
	else if (seq >= 0 && runner->txn) /* under the lock: the store's order */
		apply_files(h, seq);
	store_unlock(locked);
	if (seq == -EIO) {
		startup_failed(h, "its snapshot on disk is unusable (remove the handler, then add it afresh)");
		return;
	}
	if (seq < 0)
		klog(KLOG_WARN, "handler: %s: its snapshot could not be written to disk (error %ld)", h->name,
		     (long)seq);
	apply_effects(h, seq, true); /* its records: none when restored (run_cleanup) */
	uint64_t f = irq_save();
	h->state = OPTIOS_HANDLER_READY;
	irq_restore(f);
	handler_timers_start(h);
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, h->snapshot_pages, ns, freeze,
		  "ready: snapshot %lu pages", (unsigned long)h->snapshot_pages);
	handler_boot_done(h);
	handler_notify(h, 0, "");
}

/* The run's records, written before its store transaction (which carries
 * them): its outputs and COMMIT. */
static void commit_record(struct handler *h, size_t dirty, uint64_t ns, uint64_t run_tsc)
{
	struct optios_log_record r = {.kind = OPTIOS_LOG_COMMIT,
				      .result = OPTIOS_RUN_COMMIT,
				      .event_seq = h->ev.seq,
				      .a = dirty,
				      .b = ns,
				      .c = run_tsc};
	memcpy(r.handler, h->name, sizeof r.handler);
	memcpy(r.topic, h->ev.topic, sizeof r.topic);
	evlog_write(&r);
}

/* Returns the pages the run dirtied. */
static size_t commit(struct handler *h, const struct trapframe *tf, int64_t seq, uint64_t ns, bool log)
{
	size_t dirty = vm_journal_commit(h->space);
	save_state(h, tf);
	apply_effects(h, seq, log);
	h->runs++;
	h->consecutive = 0;
	retry_committed(h);
	h->last_result = OPTIOS_RUN_COMMIT;
	h->last_dirty = dirty;
	h->last_run_ns = ns;
	h->snapshot_pages = vm_space_pages(h->space);
	h->state = OPTIOS_HANDLER_READY;
	return dirty;
}

static void fail_and_go_on(struct trapframe *tf, int result, const char *why);

/* A run's commit with a disk: its records first, then its store
 * transaction (which carries them), then the in-memory commit; false when
 * the disk cannot take it (the run was rolled back, the next installed). */
static bool commit_durable(struct handler *h, struct trapframe *tf)
{
	uint64_t run_tsc = rdtsc() - h->run_tsc, ns = sched_cpu_ns(runner) - h->run_cpu_ns;
	log_outputs(h);
	commit_record(h, vm_journal_pages(h->space), ns, run_tsc);
	persist_lock();
	int64_t seq = hstore_run(h, tf, emits, nemits, runner->txn);
	if (seq >= 0 && runner->txn) /* its /data changes: in the tree in the store's order */
		apply_files(h, seq);
	persist_unlock();
	if (seq < 0) { /* -ENOSPC, -EFBIG (more than the disk takes at once), -EIO: the disk; -ENOMEM */
		bool full = seq == -ENOSPC || seq == -EFBIG, eio = seq == -EIO;
		char why[96];
		ksnprintf(why, sizeof why, "%s: the commit above could not be written (error %ld)",
			  full	? "disk full"
			  : eio ? "disk error"
				: "out of memory",
			  (long)seq);
		fail_and_go_on(tf,
			       full  ? OPTIOS_RUN_NOSPACE
			       : eio ? OPTIOS_RUN_DISKERROR
				     : OPTIOS_RUN_NOMEM,
			       why);
		return false;
	}
	if (h->removing && seq > 0)
		hstore_remove(h); /* removed while its commit was written: its keys go again */
	commit(h, tf, seq, ns, false);
	return true;
}

long runner_event_next(struct trapframe *tf)
{
	struct handler *h = current;
	if (h->state == OPTIOS_HANDLER_INITIALISING) {
		startup_done(h, tf);
	} else if (!persist_store() || persist_failed()) { /* in memory: the records after the commit */
		uint64_t run_tsc = rdtsc() - h->run_tsc, ns = sched_cpu_ns(runner) - h->run_cpu_ns;
		commit_record(h, commit(h, tf, 0, ns, true), ns, run_tsc);
	} else if (!commit_durable(h, tf)) {
		return 0;
	}
	release(h);
	next_run(tf);
	runner->frame_rewritten = true;
	return 0;
}

static void quarantine(struct handler *h)
{
	h->state = OPTIOS_HANDLER_QUARANTINED;
	handler_quiesce(h);
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, h->failures, h->dead_in_a_row, 0,
		  "quarantined after %u events in a row became dead letters", h->dead_in_a_row);
	event_raise("sys:handler.failed", "kernel", h->name, strlen(h->name), 0);
}

static void startup_failed(struct handler *h, const char *why)
{
	run_cleanup();
	ksnprintf(h->startup_msg, sizeof h->startup_msg, "start-up failed: %s", why);
	h->removing = true;
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, 0, 0, 0, "%s", h->startup_msg);
	handler_boot_done(h);
	handler_notify(h, -ECANCELED, h->startup_msg);
}

/* Rolls the current run back; the handler is as it was before the run. */
static void fail_run(struct handler *h, struct trapframe *tf, int result, const char *why)
{
	if (h->state == OPTIOS_HANDLER_INITIALISING) {
		startup_failed(h, why);
		release(h);
		return;
	}
	uint64_t run_tsc = rdtsc() - h->run_tsc;
	uint64_t ns = sched_cpu_ns(runner) - h->run_cpu_ns;
	size_t dirty = vm_journal_rollback(h->space);
	fdtable_rollback(h->fds);
	run_cleanup();
	*tf = h->tf;
	h->runs++;
	h->failures++;
	h->consecutive++;
	h->last_result = result;
	h->last_dirty = dirty;
	h->last_run_ns = ns;
	evlog_add(OPTIOS_LOG_ROLLBACK, h->name, h->ev.topic, h->ev.seq, result, dirty, ns, run_tsc, "%s", why);
	if (retry_failed(h, result))
		quarantine(h);
	else
		h->state = OPTIOS_HANDLER_READY;
	release(h);
}

static void fail_and_go_on(struct trapframe *tf, int result, const char *why)
{
	fail_run(current, tf, result, why);
	next_run(tf);
	runner->frame_rewritten = true;
}

void handler_fault(struct trapframe *tf, const char *what)
{
	fail_and_go_on(tf, OPTIOS_RUN_FAULT, what);
}

void handler_over_budget(struct trapframe *tf)
{
	char why[64];
	ksnprintf(why, sizeof why, "CPU budget of %lu us exceeded",
		  (unsigned long)((current->state == OPTIOS_HANDLER_INITIALISING ? STARTUP_BUDGET_NS
										: current->budget_ns) /
				  NS_PER_US));
	fail_and_go_on(tf, OPTIOS_RUN_BUDGET, why);
}

void handler_exit(int status)
{
	char why[48];
	ksnprintf(why, sizeof why, "exit(%d) during a run", status);
	struct trapframe *tf = (struct trapframe *)((uint8_t *)runner->kstack_top - sizeof *tf);
	fail_and_go_on(tf, OPTIOS_RUN_EXIT, why);
}

const struct optios_event *handler_event(const struct proc *p)
{
	if (!p || !p->handler || p->handler->state != OPTIOS_HANDLER_RUNNING)
		return NULL;
	return &p->handler->ev;
}

uint64_t *handler_enosys_logged(struct proc *p)
{
	return p && p->handler ? p->handler->enosys_logged : NULL;
}

bool handler_clock(const struct proc *p, uint64_t *ns)
{
	if (!p->handler || p->handler->state != OPTIOS_HANDLER_RUNNING)
		return false;
	*ns = p->handler->ev.time_ns;
	return true;
}

bool handler_cpu_clock(const struct proc *p, uint64_t *ns)
{
	if (!p->handler)
		return false;
	*ns = sched_cpu_ns(p) - p->handler->run_cpu_ns;
	return true;
}

int runner_emit(const char *topic, const void *payload, size_t len)
{
	if (nemits == EMITS_MAX)
		return -ENOSPC;
	struct optios_event *e = &emits[nemits++];
	memset(e->topic, 0, sizeof e->topic);
	memcpy(e->topic, topic, strlen(topic));
	memcpy(e->payload, payload, len);
	e->payload_len = (uint32_t)len;
	return 0;
}

/* ---- the runner process ---- */

static NORETURN void runner_main(void)
{
	struct trapframe *tf = (struct trapframe *)((uint8_t *)runner->kstack_top - sizeof *tf);
	irq_enable();
	next_run(tf);
	irq_disable();
	arch_enter_user(tf);
}

/* The runner has no descriptors of its own: during a run it has the
 * handler's (attach), between runs none. */
int runner_create(void)
{
	struct proc *p = proc_create_kernel("runner", runner_main);
	if (!p)
		return -ENOMEM;
	runner = p;
	persist_set_idle_wake(runner_kick); /* cleaning an idle disk: the runner's spare time */
	return 0;
}

bool runner_drain(uint64_t deadline_ns)
{
	struct proc *self = proc_current();
	if (!runner || self == runner)
		return false;
	while (clock_now_ns() < deadline_ns && !(idle && runner->state == PROC_BLOCKED))
		sched_yield();
	return idle && runner->state == PROC_BLOCKED;
}
