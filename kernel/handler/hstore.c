/*
 * hstore.c - handlers in the system store (kernel/persist): what survives a
 * power cut of a handler, saved with each of its runs' commits and restored
 * at boot.
 *
 * Theory of operation. A handler named N owns the store object
 * STORE_OBJ(STORE_CLASS_HANDLER, hrec_id(N)):
 *   STORE_H_RECORD       its registration (hrec.c): path, version, code
 *                        hash, time to each timer's next deadline, run counts
 *   STORE_H_REGS         struct hregs: registers, FPU/SSE state, TLS, brk
 *   STORE_H_PAGE + vpn   each writable page of its snapshot
 *   STORE_H_QUEUE + (s << 8) + i
 *                        the i-th event pending in its subscription s when
 *                        it last committed (struct stored_event)
 *   STORE_H_QUEUE + INBOX + n
 *                        an event another handler's committed run emitted
 *                        to it, written in that run's transaction (the
 *                        output gate raises it only once that is durable);
 *                        the receiver's next commit replaces all of these
 *                        with its queues as they are then
 * The first snapshot (the start-up's) is written whole; each committed run
 * then writes only the pages its journal lists (vm_journal_visit), its
 * registers and its record, as one transaction built before the run's
 * in-memory commit, so a run the disk cannot take (-ENOSPC) is rolled back
 * like any failed run. The runner (runner.c) holds the run's visible effects
 * until that transaction is durable (the output gate).
 *
 * Restore. At boot every stored record is registered again from its path
 * (handler.c): the program's start-up builds the address space (its
 * mappings and their protections, from the ELF), then, if the program is
 * still the stored one (same version and code hash), startup_done overlays
 * the stored pages and registers on it before freezing: the handler goes on
 * from its last durable commit. Another version (a new image) starts afresh
 * and its keys are replaced: logged as a reset, as `handler add` of a new
 * version does.
 *
 * The event log. Records are kept in the store under STORE_CLASS_LOG (sub =
 * seq, store_log_append) as they are final and linked: every run's
 * transaction carries the records written since the last one that did
 * (the run's own among them), and the runner writes the rest when it goes
 * idle (hstore_log_sync). At boot the log goes on from the last stored
 * record (evlog_resume: seq and audit chain), and optios_log_read serves
 * seqs older than this boot's from the store, so `log verify` checks every
 * boot's records as one chain.
 *
 * Invariants: the keys of a handler exist exactly while it is registered
 * (handler_remove deletes them); the stored pages and registers are always
 * those of one committed snapshot (one transaction each); a value read back
 * is checked before use (hrec_decode, regs_usable): a damaged one makes the
 * handler start afresh, never a kernel fault.
 */
#include "kernel/handler/handler_internal.h"

#include <optios/abi/errno.h>

#include "kernel/fs/vfs.h"
#include "kernel/handler/hrec.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "kernel/rand/rand.h"
#include "lib/lib.h"
#include "lib/topic.h"

#define HREGS_MAGIC 0x31474552u /* "REG1" */

/* A snapshot's registers as stored (STORE_H_REGS). */
struct hregs {
	uint32_t magic, size;
	struct trapframe tf;
	uint64_t fs_base, brk_end, mmap_hint;
	uint8_t fpu[ARCH_FPU_AREA];
};
_Static_assert(sizeof(struct hregs) <= 1024, "registers fit inline in a unit's header");

static uint64_t hobj(const struct handler *h)
{
	return STORE_OBJ(STORE_CLASS_HANDLER, hrec_id(h->name));
}

static struct store_key hkey(const struct handler *h, uint64_t sub)
{
	return (struct store_key){hobj(h), sub};
}

/* ---- saving ---- */

/* h's registration as stored now; runs counts the run being committed. */
static size_t record_of(const struct handler *h, uint64_t runs, uint8_t *buf)
{
	struct hrec r = {.version = h->version,
			 .ntimers = (uint32_t)h->ntimers,
			 .runs = runs,
			 .failures = h->failures};
	memcpy(r.name, h->name, sizeof r.name);
	memcpy(r.path, h->path, MIN(sizeof r.path, sizeof h->path));
	r.path[sizeof r.path - 1] = 0;
	memcpy(r.hash, h->hash, 32);
	uint64_t now = clock_now_ns();
	for (size_t i = 0; i < h->ntimers; i++) {
		const struct handler_timer *t = &h->timers[i];
		if (!t->t.armed && !t->period_ns)
			r.timer_left_ns[i] = HREC_TIMER_OFF; /* a one-shot that fired */
		else
			r.timer_left_ns[i] = t->deadline_ns > now ? t->deadline_ns - now : 0;
	}
	return hrec_encode(&r, buf);
}

/* ---- events pending in queues ---- */

#define INBOX (1ull << 40)
#define QUEUE_END (STORE_H_QUEUE + (1ull << 47))

#define stored_event hrec_event /* the layout is hrec.c's, host-tested */

static uint64_t inbox_next; /* the next inbox number: random high bits per boot, so boots never collide */

/* The pending events of h, copied (interrupts disabled: timers post):
 * how many were put in out (at most max). */
static size_t pending_of(const struct handler *h, struct stored_event *out, size_t max)
{
	size_t n = 0;
	uint64_t f = irq_save();
	for (size_t s = 0; s < h->nsubs; s++) {
		const struct evq *q = &h->subs[s].q;
		for (size_t i = 0; i < q->count && n < max; i++, n++) {
			out[n] = (struct stored_event){.sub = (uint32_t)s};
			out[n].ev = q->slots[(q->head + i) % q->cap];
		}
	}
	irq_restore(f);
	return n;
}

static int put_queues(struct store_tx *tx, const struct handler *h, const struct stored_event *evs, size_t n)
{
	int err = store_del_range(tx, STORE_OBJ(STORE_CLASS_HANDLER, hrec_id(h->name)), STORE_H_QUEUE,
				  QUEUE_END);
	uint32_t last_sub = UINT32_MAX, i = 0;
	for (size_t k = 0; k < n && !err; k++, i++) {
		if (evs[k].sub != last_sub)
			last_sub = evs[k].sub, i = 0;
		err = store_put(tx, hkey(h, STORE_H_QUEUE + ((uint64_t)evs[k].sub << 8) + i), &evs[k],
				sizeof evs[k]);
	}
	return err;
}

/* The events a run emitted, put in the inbox of every handler subscribed to
 * them now (the receivers a raise would post to). */
static int put_emitted(struct store_tx *tx, const struct optios_event *evs, size_t n, uint64_t first)
{
	struct stored_event se = {0};
	for (size_t e = 0; e < n; e++) {
		for (int i = 0; i < HANDLER_MAX; i++) {
			struct handler *r = handler_table[i];
			bool match = false;
			for (size_t s = 0; r && !r->removing && s < r->nsubs && !match; s++)
				match = topic_matches(r->subs[s].pattern, evs[e].topic);
			if (!match)
				continue;
			se.ev = evs[e];
			int err = store_put(tx, hkey(r, STORE_H_QUEUE + INBOX + ((first + e) & (INBOX - 1))),
					    &se, sizeof se);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Queues h's stored events again (under the store lock): how many. Each
 * takes a new time (now) and keeps its order; an inbox event goes to every
 * subscription of h it matches. */
static size_t restore_queues(struct store *st, struct handler *h)
{
	struct stored_event se;
	struct store_key k = hkey(h, STORE_H_QUEUE), to = hkey(h, QUEUE_END - 1);
	size_t n = 0;
	uint64_t now = clock_now_ns();
	while (store_next(st, k, to, &k) == 0) {
		bool inbox = k.sub >= STORE_H_QUEUE + INBOX;
		int len = store_get(st, k, &se, sizeof se);
		char msg[80];
		k.sub++;
		if (len < 0 ||
		    hrec_event_check(&se, (size_t)len, (uint32_t)h->nsubs, inbox, msg, sizeof msg)) {
			klog(KLOG_WARN, "handler: %s: %s: dropped", h->name,
			     len < 0 ? "a stored event unreadable" : msg);
			continue;
		}
		se.ev.time_ns = now;
		se.ev.retry = 0;
		uint64_t f = irq_save();
		for (size_t s = 0; s < h->nsubs; s++)
			if (inbox ? topic_matches(h->subs[s].pattern, se.ev.topic) : s == se.sub)
				n += evq_post(&h->subs[s].q, &se.ev) >= 0;
		irq_restore(f);
	}
	return n;
}

struct inbox_build {
	const struct optios_event *ev;
	uint64_t first;
};

static int build_inbox(struct store_tx *tx, void *arg)
{
	struct inbox_build *b = arg;
	return put_emitted(tx, b->ev, 1, b->first);
}

/* Whether any handler subscribes to topic now. */
static bool has_receiver(const char *topic)
{
	for (int i = 0; i < HANDLER_MAX; i++) {
		struct handler *r = handler_table[i];
		for (size_t s = 0; r && !r->removing && s < r->nsubs; s++)
			if (topic_matches(r->subs[s].pattern, topic))
				return true;
	}
	return false;
}

int hstore_emit(const struct optios_event *ev)
{
	if (!persist_store() || persist_failed() || !has_receiver(ev->topic))
		return 0;
	if (!inbox_next)
		rand_fill(&inbox_next, sizeof inbox_next), inbox_next = (inbox_next << 20) | 1;
	struct inbox_build b = {ev, inbox_next};
	int64_t seq = persist_commit(build_inbox, &b);
	if (seq <= 0)
		return (int)seq;
	inbox_next++;
	return persist_sync((uint64_t)seq);
}

/* ---- the event log ---- */

static uint64_t log_stored; /* the newest record in the store (its seq) */
/* Retention (store_log_keep: the newest records filling an eighth of the
 * log are kept): records below log_kept_from are gone from the store; a
 * build that trims more says how far in log_trim_to, taken by
 * log_committed once its transaction is. A trim removes at most
 * LOG_TRIM_MAX records (bounded work per commit) and waits for
 * LOG_TRIM_BATCH of them (not one range delete per commit). */
#define LOG_TRIM_BATCH 64
#define LOG_TRIM_MAX 512
static uint64_t log_kept_from, log_trim_to;
/* Links made lazily: a transaction stores the records as the ring has
 * them (evlog_copy), most of them not linked yet, and marks the first of
 * those (store_log_owed): SHA-256 costs a run's commit nothing. When the
 * runner is idle it links them (hstore_log_settle: evlog_link) and puts
 * them back linked, dropping the mark; a boot that finds the mark links
 * them from the disk (store_log_relink). At most LOG_OWED_MAX records are
 * owed (a boot links at most that many): a transaction that would owe more
 * links them all first (evlog_read), as every transaction did before.
 * log_owed is the mark's value (0: none); a build says the next one in
 * log_owed_next, taken by log_committed once its transaction is. LOG_OWED_MAX
 * < LOG_TRIM_BATCH <= the records kept, so a trim never takes an owed
 * record nor the one before the first. */
#define LOG_OWED_MAX 32
static uint64_t log_owed, log_owed_next;
static bool log_settle_failed; /* the idle settling's commit failed: not again until the next commit */

static void log_committed(uint64_t upto)
{
	log_stored = MAX(log_stored, upto);
	log_kept_from = MAX(log_kept_from, log_trim_to);
	log_owed = log_owed_next;
	log_settle_failed = false;
}

/* The records too old to keep, once a batch of them is due. */
static int trim_log(struct store_tx *tx, uint64_t upto)
{
	uint64_t keep = store_log_keep(store_tx_store(tx));
	log_trim_to = log_kept_from;
	if (upto + 1 < keep + log_kept_from + LOG_TRIM_BATCH)
		return 0;
	log_trim_to = MIN(upto + 1 - keep, log_kept_from + LOG_TRIM_MAX);
	return store_log_trim(tx, log_trim_to);
}

/* Puts the owed records (log_owed..log_stored) back linked, once the ring
 * has linked them, or now (linking them) unless lazy. From the ring, or
 * from the disk when the ring no longer has them. */
static int settle_owed(struct store_tx *tx, bool lazy)
{
	struct optios_log_record buf[8];
	if (lazy && evlog_linked() < log_stored)
		return 0;
	for (uint64_t s = log_owed; s <= log_stored;) {
		size_t n = evlog_read(s, buf, (size_t)MIN((uint64_t)8, log_stored + 1 - s));
		if (!n || buf[0].seq != s) /* dropped by the ring: from the disk */
		{
			int r = store_log_relink(tx, log_owed);
			log_owed_next = 0;
			return MIN(r, 0);
		}
		for (size_t i = 0; i < n; i++) {
			int err = store_log_append(tx, &buf[i]);
			if (err)
				return err;
		}
		s = buf[n - 1].seq + 1;
	}
	log_owed_next = 0;
	return 0;
}

/* Puts the records after log_stored into tx, unlinked while few are owed
 * (else linking them: evlog_read), settles the owed ones when it can, and
 * trims the oldest past retention; *upto gets the newest put. */
static int put_log(struct store_tx *tx, uint64_t *upto)
{
	struct optios_log_record buf[8];
	uint64_t next = log_stored + 1, linked = UINT64_MAX;
	bool lazy = evlog_count() + 1 - (log_owed ? log_owed : next) <= LOG_OWED_MAX;
	size_t n;
	int err = 0;
	*upto = log_stored;
	log_owed_next = log_owed;
	if (log_owed && (err = settle_owed(tx, lazy)) != 0)
		return err;
	while ((n = lazy ? evlog_copy(next, buf, 8, &linked) : evlog_read(next, buf, 8)) > 0) {
		for (size_t i = 0; i < n && !err; i++) {
			if (buf[i].seq > linked && !log_owed_next)
				log_owed_next = buf[i].seq;
			err = store_log_append(tx, &buf[i]);
		}
		if (err)
			return err;
		*upto = buf[n - 1].seq;
		next = *upto + 1;
	}
	if (log_owed_next != log_owed && (err = store_log_set_owed(tx, log_owed_next)) != 0)
		return err;
	return trim_log(tx, *upto);
}

static int build_log(struct store_tx *tx, void *arg)
{
	return put_log(tx, arg);
}

int64_t hstore_log_sync(void)
{
	bool settle = log_owed && evlog_linked() >= log_stored;
	if (!persist_store() || persist_failed() || (evlog_count() <= log_stored && !settle))
		return 0;
	uint64_t upto;
	int64_t seq = persist_commit(build_log, &upto);
	if (seq > 0)
		log_committed(upto);
	return seq;
}

bool hstore_log_owing(void)
{
	return log_owed && !log_settle_failed && persist_store() && !persist_failed();
}

void hstore_log_settle(void)
{
	evlog_link(evlog_count());
	hstore_log_sync();
	log_settle_failed = log_owed != 0; /* once per idle period, whatever came of it */
}

/* A log cut while records were owed (boot): link them from the disk. */
static int build_relink(struct store_tx *tx, void *arg)
{
	uint64_t from;
	int r = store_log_owed(tx, &from);
	*(int *)arg = r > 0 ? store_log_relink(tx, from) : r;
	return MIN(*(int *)arg, 0);
}

static void relink_owed(void)
{
	int n = 0;
	int64_t seq = persist_commit(build_relink, &n);
	if (seq < 0 || n < 0)
		klog(KLOG_WARN,
		     "log: the stored log's unlinked records could not be linked on the disk (%d): "
		     "read linked, linked on the disk later",
		     seq < 0 ? (int)seq : n);
	else if (n > 0)
		klog(KLOG_INFO, "log: linked %d stored records the last boot had not", n);
}

int handler_log_sync(void)
{
	int64_t seq = hstore_log_sync();
	return seq > 0 ? persist_sync((uint64_t)seq) : 0;
}

void handler_persist_resume(void)
{
	struct store *st = persist_store();
	struct optios_log_record last;
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), 0},
			 hi = {STORE_OBJ(STORE_CLASS_LOG, 0), UINT64_MAX};
	if (!st)
		return;
	relink_owed();
	persist_lock();
	/* the newest record: the store has no reverse walk, so halve the range */
	uint64_t lo = 0, top = UINT64_MAX;
	bool any = store_next(st, k, hi, &k) == 0;
	if (any) {
		lo = k.sub;
		while (lo < top) {
			uint64_t mid = lo + (top - lo + 1) / 2;
			struct store_key f;
			if (store_next(st, (struct store_key){k.obj, mid}, hi, &f) == 0)
				lo = f.sub;
			else
				top = mid - 1;
		}
	}
	log_kept_from = any ? k.sub : 0; /* the oldest stored record */
	/* read through a transaction that links what relink_owed could not
	 * put back (aborted: nothing written); the mark stays, and this boot's
	 * first settling links them on the disk (settle_owed) */
	struct store_tx *tx = any ? store_tx_begin(st) : NULL;
	uint64_t from;
	if (tx && store_log_owed(tx, &from) > 0 && store_log_relink(tx, from) >= 0)
		log_owed = from;
	int n = tx ? store_tx_get(tx, (struct store_key){k.obj, lo}, &last, sizeof last) : -ENOENT;
	store_tx_abort(tx);
	persist_unlock();
	if (n != (int)sizeof last || last.seq != lo) {
		if (any)
			klog(KLOG_WARN,
			     "log: the stored log's last record (#%lu) is unreadable: a new chain starts",
			     (unsigned long)lo);
		return;
	}
	if (evlog_resume(&last) == 0)
		log_stored = last.seq;
	else
		klog(KLOG_WARN,
		     "log: records were written before the disk's log was read: a new chain starts");
}

size_t hstore_log_read(uint64_t from, struct optios_log_record *out, size_t max)
{
	struct store *st = persist_store();
	uint64_t below = MIN(evlog_first(), log_stored + 1);
	size_t n = 0;
	if (!st || from >= below)
		return 0;
	persist_lock();
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), from}, hi = {k.obj, below - 1};
	while (n < max && store_next(st, k, hi, &k) == 0) {
		if (store_get(st, k, &out[n], sizeof out[n]) == (int)sizeof out[n] && out[n].seq == k.sub)
			n++;
		k.sub++;
	}
	persist_unlock();
	return n;
}

/* ---- a run's transaction ---- */

struct build {
	struct handler *h;
	const struct hregs *regs;
	bool whole; /* the whole snapshot (start-up), else the run's journal */
	struct store_tx *tx;
	int err;
	uint64_t log_upto; /* the newest log record put */
	const struct stored_event *pending; /* h's queues now */
	size_t npending;
	const struct optios_event *emitted; /* the run's emitted events */
	size_t nemitted;
	uint64_t inbox_first; /* the inbox number of the first */
	struct vfs_txn *txn; /* the run's file changes (/data's go in), or NULL */
};

static void put_page(void *arg, uintptr_t va, uint64_t pa, unsigned flags)
{
	struct build *b = arg;
	struct store_key k = hkey(b->h, STORE_H_PAGE + va / PAGE_SIZE);
	if (b->err)
		return;
	if (!pa)
		b->err = store_del(b->tx, k); /* the run unmapped it */
	else if (flags & (VM_WRITE | VM_COW)) /* unchanged until the commit that follows the build */
		b->err = store_put_ref(b->tx, k, phys_to_virt(pa), PAGE_SIZE);
	/* read-only pages come from the program file at restore */
}

/* persist_commit's build: may run more than once; changes only tx. */
static int build_tx(struct store_tx *tx, void *arg)
{
	struct build *b = arg;
	uint8_t rec[HREC_SIZE_MAX];
	b->tx = tx;
	b->err = 0;
	if (b->whole) {
		b->err = store_del_range(tx, hobj(b->h), STORE_H_PAGE, UINT64_MAX);
		if (!b->err)
			vm_space_visit(b->h->space, put_page, b);
	} else {
		vm_journal_visit(b->h->space, put_page, b);
	}
	if (b->err)
		return b->err;
	int err = store_put(tx, hkey(b->h, STORE_H_REGS), b->regs, sizeof *b->regs);
	if (err)
		return err;
	size_t n = record_of(b->h, b->h->runs + !b->whole, rec);
	if ((err = store_put(tx, hkey(b->h, STORE_H_RECORD), rec, n)) != 0)
		return err;
	if ((err = put_queues(tx, b->h, b->pending, b->npending)) != 0)
		return err;
	if ((err = put_emitted(tx, b->emitted, b->nemitted, b->inbox_first)) != 0)
		return err;
	if (b->txn && (err = vfs_txn_store(b->txn, tx)) != 0)
		return err;
	return put_log(tx, &b->log_upto);
}

static void regs_of(const struct handler *h, const struct trapframe *tf, const void *fpu, uint64_t fs_base,
		    uint64_t brk_end, uint64_t mmap_hint, struct hregs *out)
{
	memset(out, 0, sizeof *out);
	out->magic = HREGS_MAGIC;
	out->size = sizeof *out;
	out->tf = *tf;
	out->fs_base = fs_base;
	out->brk_end = brk_end;
	out->mmap_hint = mmap_hint;
	memcpy(out->fpu, fpu, ARCH_FPU_AREA);
	(void)h;
}

/* The registers of the commit being built: one at a time, under the
 * store's lock (hstore_run, save_whole), so not allocated per run. */
static struct hregs regs_buf;

/* Events pending in h's queues now (interrupts disabled: timers post). */
static size_t pending_count(const struct handler *h)
{
	size_t n = 0;
	uint64_t f = irq_save();
	for (size_t i = 0; i < h->nsubs; i++)
		n += h->subs[i].q.count;
	irq_restore(f);
	return n;
}

int64_t hstore_run(struct handler *h, const struct trapframe *tf, const struct optios_event *emitted,
		   size_t nemitted, struct vfs_txn *txn)
{
	if (!persist_store() || persist_failed())
		return 0;
	struct proc *p = proc_current(); /* the runner: the run's process state */
	uint8_t fpu_block[ARCH_FPU_AREA + 16];
	uint8_t *fpu = (uint8_t *)ALIGN_UP((uintptr_t)fpu_block, 16);
	arch_fpu_save(fpu);
	/* sized by what is queued now (none, usually), not by the queues'
	 * capacity: a large allocation costs more than the commit */
	size_t max = pending_count(h);
	struct stored_event *pending = max ? kmalloc(max * sizeof *pending) : NULL;
	if (max && !pending)
		return -ENOMEM;
	regs_of(h, tf, fpu, p->fs_base, p->brk_end, p->mmap_hint, &regs_buf);
	if (!inbox_next)
		rand_fill(&inbox_next, sizeof inbox_next), inbox_next = (inbox_next << 20) | 1;
	struct build b = {.h = h,
			  .regs = &regs_buf,
			  .emitted = emitted,
			  .nemitted = nemitted,
			  .inbox_first = inbox_next};
	b.pending = pending;
	b.npending = pending_of(h, pending, max);
	b.txn = txn;
	int64_t seq = persist_commit_locked(build_tx, &b);
	kfree(pending);
	if (seq > 0)
		inbox_next += nemitted;
	if (seq > 0)
		log_committed(b.log_upto);
	if (seq == -EROFS)
		return 0; /* persistence stopped (logged by kernel/persist): the system goes on in memory */
	return seq; /* -EIO: this commit's write failed: the run rolls back, the next go on in memory */
}

static int64_t save_whole(struct handler *h, struct vfs_txn *txn)
{
	regs_of(h, &h->tf, h->fpu, h->fs_base, h->brk_end, h->mmap_hint, &regs_buf);
	struct build b = {.h = h, .regs = &regs_buf, .whole = true, .txn = txn};
	int64_t seq = persist_commit_locked(build_tx, &b);
	if (seq > 0)
		log_committed(b.log_upto);
	if (seq == -EIO || seq == -EROFS)
		return 0; /* the disk failed writing it (logged by kernel/persist): the start-up goes on in memory */
	return seq;
}

static int build_records(struct store_tx *tx, void *arg)
{
	(void)arg;
	uint8_t rec[HREC_SIZE_MAX];
	for (int i = 0; i < HANDLER_MAX; i++) {
		struct handler *h = handler_table[i];
		if (!h || h->removing || h->state == OPTIOS_HANDLER_INITIALISING)
			continue;
		size_t n = record_of(h, h->runs, rec);
		int err = store_put(tx, hkey(h, STORE_H_RECORD), rec, n);
		if (err)
			return err;
	}
	return 0;
}

int64_t hstore_save_records(void)
{
	if (!persist_store() || persist_failed())
		return 0;
	return persist_commit(build_records, NULL);
}

static int del_all(struct store_tx *tx, void *arg)
{
	return store_del_range(tx, *(uint64_t *)arg, 0, UINT64_MAX);
}

void hstore_remove(struct handler *h)
{
	if (!persist_store() || persist_failed())
		return;
	uint64_t obj = hobj(h);
	int64_t seq = persist_commit(del_all, &obj);
	if (seq < 0)
		klog(KLOG_WARN, "handler: %s: its stored state could not be removed (error %ld)", h->name,
		     (long)seq);
}

/* ---- restoring ---- */

/* Registers a stored snapshot may hold: user mode, user addresses, no
 * privileged flag, an MXCSR the CPU takes (a damaged value would fault in
 * the kernel, so it is refused instead). */
static bool regs_usable(const struct hregs *r, size_t len, const struct handler *h)
{
	if (len != sizeof *r || r->magic != HREGS_MAGIC || r->size != sizeof *r)
		return false;
	if (r->tf.cs != (GDT_UCODE | 3) || r->tf.ss != (GDT_UDATA | 3))
		return false;
	if (r->tf.rip >= VM_USER_END || r->tf.rsp >= VM_USER_END || r->fs_base >= VM_USER_END)
		return false;
	if (r->brk_end < h->brk_base || r->brk_end >= VM_USER_END || r->mmap_hint >= VM_USER_END)
		return false;
	uint32_t mxcsr;
	memcpy(&mxcsr, r->fpu + 24, 4);
	return (mxcsr & ~0xffbfu) == 0;
}

/* The stored registers into h: 0 or -EINVAL. Under the lock. */
static int restore_regs(struct store *st, struct handler *h)
{
	struct hregs *r = kmalloc(sizeof *r);
	if (!r)
		return -ENOMEM;
	int n = store_get(st, hkey(h, STORE_H_REGS), r, sizeof *r);
	int err = n < 0 ? n : regs_usable(r, (size_t)n, h) ? 0 : -EINVAL;
	if (!err) {
		h->tf = r->tf;
		h->tf.rflags = (r->tf.rflags & 0xcd5) | 0x202; /* arithmetic flags; IF on, IOPL 0 */
		h->fs_base = r->fs_base;
		h->brk_end = r->brk_end;
		h->mmap_hint = r->mmap_hint;
		memcpy(h->fpu, r->fpu, ARCH_FPU_AREA);
	}
	kfree(r);
	return err;
}

/* One stored page at va in h's space, replacing what the start-up mapped. */
static int restore_page(struct store *st, struct handler *h, uint64_t sub)
{
	uint64_t vpn = sub - STORE_H_PAGE, va = vpn * PAGE_SIZE;
	if (vpn >= VM_USER_END / PAGE_SIZE)
		return -EINVAL;
	uint64_t pa = pmm_alloc(), old;
	if (!pa)
		return -ENOMEM;
	int n = store_get(st, hkey(h, sub), phys_to_virt(pa), PAGE_SIZE);
	if (n < 0) {
		pmm_free(pa);
		return n;
	}
	memset((uint8_t *)phys_to_virt(pa) + n, 0, PAGE_SIZE - (size_t)n);
	unsigned flags = VM_USER | VM_WRITE;
	if (vm_translate(h->space, va, &old, &flags) == 0) {
		flags = (flags & (VM_USER | VM_EXEC)) | VM_USER | VM_WRITE;
		vm_unmap(h->space, va);
	}
	int err = vm_map(h->space, va, pa, flags);
	if (err)
		pmm_free(pa);
	return err;
}

static int restore_pages(struct store *st, struct handler *h)
{
	struct store_key k = hkey(h, STORE_H_PAGE), to = hkey(h, UINT64_MAX);
	int err;
	while ((err = store_next(st, k, to, &k)) == 0) {
		if ((err = restore_page(st, h, k.sub)) != 0)
			return err;
		if (k.sub == UINT64_MAX)
			return 0;
		k.sub++;
	}
	return err == -ENOENT ? 0 : err;
}

static void restore_timers(struct handler *h, const struct hrec *r)
{
	for (size_t i = 0; i < h->ntimers && i < r->ntimers; i++) {
		uint64_t left = r->timer_left_ns[i];
		uint64_t period = h->timers[i].period_ns;
		if (left != HREC_TIMER_OFF && period && left > period)
			left = period; /* a damaged value never delays a periodic timer past its period */
		h->timers[i].deadline_ns = left == HREC_TIMER_OFF ? HANDLER_TIMER_OFF : left;
	}
}

/* Reads h's stored record (under the lock): 0, -ENOENT, or -EINVAL (logged). */
static int load_record(struct store *st, const struct handler *h, struct hrec *r)
{
	uint8_t buf[HREC_SIZE_MAX];
	char msg[128];
	int n = store_get(st, hkey(h, STORE_H_RECORD), buf, sizeof buf);
	if (n < 0)
		return n;
	if (hrec_decode(buf, (size_t)n, r, msg, sizeof msg) == 0 && strcmp(r->name, h->name) == 0)
		return 0;
	klog(KLOG_WARN, "handler: %s: %s", h->name, msg);
	return -EINVAL;
}

int64_t hstore_startup(struct handler *h, struct vfs_txn *txn, bool *restored)
{
	struct store *st = persist_store();
	*restored = false;
	if (!st || persist_failed())
		return 0;
	struct hrec r;
	int err = load_record(st, h, &r);
	bool same = !err && r.version == h->version && memcmp(r.hash, h->hash, 32) == 0;
	if (same && (err = restore_regs(st, h)) == 0)
		err = restore_pages(st, h);
	if (same && err) { /* its pages may be half overlaid: this start-up cannot go on */
		klog(KLOG_WARN, "handler: %s: stored snapshot unusable (error %d)", h->name, err);
		return -EIO;
	}
	if (same) {
		*restored = true;
		size_t queued = restore_queues(st, h);
		if (queued)
			klog(KLOG_INFO, "handler: %s: %lu stored events queued again", h->name,
			     (unsigned long)queued);
		restore_timers(h, &r);
		h->runs = r.runs;
		h->failures = r.failures;
		h->snapshot_pages = vm_space_freeze(h->space);
		evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, h->snapshot_pages, r.runs, 0,
			  "restored from disk: snapshot %lu pages after %lu runs",
			  (unsigned long)h->snapshot_pages, (unsigned long)r.runs);
		return 0;
	}
	if (err == 0)
		evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, r.version, h->version, 0,
			  "reset: stored version %u is not this program (version %u); snapshot dropped",
			  r.version, h->version);
	return save_whole(h, txn);
}

size_t hstore_records(struct hrec *out, size_t max)
{
	struct store *st = persist_store();
	size_t n = 0;
	if (!st)
		return 0;
	persist_lock();
	struct store_key k = {STORE_OBJ(STORE_CLASS_HANDLER, 0), 0},
			 to = {STORE_OBJ(STORE_CLASS_HANDLER, 0x00ffffffffffffffull), UINT64_MAX};
	uint8_t buf[HREC_SIZE_MAX];
	char msg[128];
	while (n < max && store_next(st, k, to, &k) == 0) {
		int len = k.sub == STORE_H_RECORD ? store_get(st, k, buf, sizeof buf) : -ENOENT;
		if (len >= 0 && hrec_decode(buf, (size_t)len, &out[n], msg, sizeof msg) == 0)
			n++;
		else if (len >= 0)
			klog(KLOG_WARN, "handler: stored object %#lx: %s", (unsigned long)k.obj, msg);
		if (STORE_OBJ_CLASS(k.obj + 1) != STORE_CLASS_HANDLER)
			break;
		k = (struct store_key){k.obj + 1, 0};
	}
	persist_unlock();
	return n;
}
