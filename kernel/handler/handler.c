/*
 * handler.c - the handler registry: registering, replacing, quarantining and
 * removing handlers, their subscriptions and timers.
 *
 * Theory of operation. A handler is a program plus its snapshot: an address
 * space (kernel/mm freezes it between runs) and the registers it had when it
 * last asked for an event. It has no process of its own. One kernel-owned
 * process, the runner (runner.c), executes every run: it picks the handler
 * whose next event is oldest in (time, seq) order, switches to its snapshot's
 * page tables, puts the saved registers and the event in place and returns
 * to user mode. The run ends when the program asks for the next event
 * (commit), faults, overruns its CPU budget or exits (roll back).
 *
 * Lifecycle (state):
 *   handler_create   reads the manifest, computes the       INITIALISING
 *                    permissions (kernel/perm), loads the ELF
 *   start-up run     libc init, on_init, first event_next   -> READY (base
 *                    snapshot frozen, timers armed)            snapshot)
 *   each event       READY -> RUNNING -> READY (commit or roll back)
 *   a failed run: its event retried, then a dead letter (retry.c)
 *   quarantine_after events in a row dead                    QUARANTINED
 *   handler_destroy  unsubscribes, frees the snapshot and the slot
 * A new version of a registered name (declared version or code hash differs)
 * replaces the old handler: its snapshot is dropped and the new one starts
 * afresh; the log says so.
 *
 * Invariants: handler_table[i] is NULL or a handler whose index is i; a
 * handler's subscriptions are linked in exactly while it is INITIALISING,
 * READY or RUNNING; the runner is the only code that changes a handler's
 * snapshot; a handler attached to the runner (runner_current) is destroyed
 * only by the runner, when its run ends - anyone else marks it removing.
 */
#include "kernel/handler/handler_internal.h"
#include "kernel/handler/hrec.h"

#include <optios/abi/errno.h>

#include "kernel/conf/conf.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/file.h"
#include "kernel/sensor/sensor.h"
#include "kernel/fs/vfs.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "lib/lib.h"

struct handler *handler_table[HANDLER_MAX];
static int boot_pending; /* boot handlers whose start-up has not ended */
static uint64_t last_id; /* registrations so far: each handler's id */
static bool boot_raised;

struct handler *handler_find(const char *name)
{
	for (int i = 0; i < HANDLER_MAX; i++)
		if (handler_table[i] && !handler_table[i]->removing && strcmp(handler_table[i]->name, name) == 0)
			return handler_table[i];
	return NULL;
}

void handler_counts(uint64_t *handlers, uint64_t *snapshot_pages)
{
	uint64_t n = 0, pages = 0;
	for (int i = 0; i < HANDLER_MAX; i++)
		if (handler_table[i]) {
			n++;
			pages += handler_table[i]->space ? vm_space_pages(handler_table[i]->space) : 0;
		}
	*handlers = n;
	*snapshot_pages = pages;
}

static void hex8(const uint8_t *hash, char out[9])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 4; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[8] = 0;
}

/* ---- subscriptions and timers ---- */

static void sub_notify(struct event_sub *s)
{
	(void)s;
	runner_kick();
}

static int subs_create(struct handler *h, const struct manifest *m, char *msg, size_t msglen)
{
	static const enum evq_policy policies[] = {EVQ_QUEUE, EVQ_COALESCE, EVQ_LATEST};
	for (size_t i = 0; i < m->nevents; i++) {
		const struct manifest_event *e = &m->events[i];
		struct event_sub *s = &h->subs[i];
		size_t cap = e->queue_len ? e->queue_len : 1;
		struct optios_event *slots = kmalloc(cap * sizeof *slots);
		if (!slots || e->policy > OPTIOS_POLICY_LATEST ||
		    evq_init(&s->q, slots, cap, policies[e->policy]) != 0) {
			kfree(slots);
			return -ENOMEM;
		}
		memcpy(s->pattern, e->pattern, sizeof s->pattern);
		s->notify = sub_notify;
		s->owner = h;
		s->owner_name = h->name;
		h->nsubs++;
		struct sensor_request r = {e->period_ns, e->latency_ns,
					   policy_set_allows(h->perm, CAP_SENSOR_FAST, NULL)};
		int err = sensor_attach(s, &r, msg, msglen);
		if (err)
			return err;
	}
	return 0;
}

static void timer_fire(struct timer *t, void *arg)
{
	(void)t;
	struct handler_timer *ht = arg;
	event_raise(ht->topic, "kernel", NULL, 0, ht->deadline_ns);
	if (!ht->period_ns)
		return;
	uint64_t now = clock_now_ns();
	ht->deadline_ns += ht->period_ns;
	if (ht->deadline_ns <= now) /* missed periods are skipped, not raised in a burst */
		ht->deadline_ns += (now - ht->deadline_ns) / ht->period_ns * ht->period_ns + ht->period_ns;
	timer_arm(&ht->t, ht->deadline_ns);
}

static void timers_create(struct handler *h, const struct manifest *m)
{
	for (size_t i = 0; i < m->ntimers; i++) {
		struct handler_timer *ht = &h->timers[i];
		ht->h = h;
		ht->period_ns = m->timers[i].period_ns;
		ht->deadline_ns = m->timers[i].first_ns;
		ksnprintf(ht->topic, sizeof ht->topic, "timer:%s.%s", m->name, m->timers[i].name);
		timer_init(&ht->t, timer_fire, ht);
		h->ntimers++;
	}
}

void handler_timers_start(struct handler *h)
{
	uint64_t now = clock_now_ns();
	for (size_t i = 0; i < h->ntimers; i++) {
		if (h->timers[i].deadline_ns == HANDLER_TIMER_OFF)
			continue;
		h->timers[i].deadline_ns += now; /* first_ns (or the stored time left) was relative */
		timer_arm(&h->timers[i].t, h->timers[i].deadline_ns);
	}
}

void handler_resume(struct handler *h)
{
	uint64_t now = clock_now_ns(), f = irq_save();
	h->state = OPTIOS_HANDLER_READY;
	h->dead_in_a_row = 0;
	h->consecutive = 0;
	for (size_t i = 0; i < h->nsubs; i++) {
		event_subscribe(&h->subs[i]);
		sensor_start(&h->subs[i]);
	}
	for (size_t i = 0; i < h->ntimers; i++) { /* periods from now; a one-shot only if not yet due */
		struct handler_timer *ht = &h->timers[i];
		if (ht->period_ns)
			ht->deadline_ns = now + ht->period_ns;
		if (ht->period_ns || ht->deadline_ns > now)
			timer_arm(&ht->t, ht->deadline_ns);
	}
	irq_restore(f);
	char msg[HANDLER_MSG_MAX];
	if (netev_bind(h, msg, sizeof msg) != 0)
		evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, 0, 0, 0, "its ports stay closed: %s", msg);
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, 0, 0, 0,
		  "resumed: quarantine lifted (handler retry)");
}

void handler_quiesce(struct handler *h)
{
	uint64_t f = irq_save();
	for (size_t i = 0; i < h->ntimers; i++)
		timer_cancel(&h->timers[i].t);
	timer_cancel(&h->retry_timer);
	for (size_t i = 0; i < h->nsubs; i++) {
		sensor_stop(&h->subs[i]);
		evq_drain(&h->subs[i].q); /* first: unsubscribing records the losses */
		event_unsubscribe(&h->subs[i]);
	}
	irq_restore(f);
	netev_unbind(h); /* its ports close, its connections are reset */
}

/* ---- creating and destroying ---- */

static uint64_t budget_of(const struct manifest *m)
{
	uint64_t def = (uint64_t)conf_int(CONF_HANDLER_BUDGET_MS) * NS_PER_MS;
	uint64_t max = (uint64_t)conf_int(CONF_HANDLER_BUDGET_MAX_MS) * NS_PER_MS;
	uint64_t b = m->budget_ns ? m->budget_ns : def;
	return MIN(b, max);
}

static int install(struct handler *h);

static int slot_free(void)
{
	for (int i = 0; i < HANDLER_MAX; i++)
		if (!handler_table[i])
			return i;
	return -1;
}

/* The registers a fresh program starts with. */
static void entry_frame(struct handler *h, const struct exec_image *img)
{
	memset(&h->tf, 0, sizeof h->tf);
	h->tf.rip = img->entry;
	h->tf.cs = GDT_UCODE | 3;
	h->tf.rflags = 0x202;
	h->tf.rsp = img->rsp;
	h->tf.ss = GDT_UDATA | 3;
	h->brk_base = h->brk_end = img->brk_base;
	h->mmap_hint = EXEC_MMAP_BASE;
	proc_fpu_clean(h->fpu);
}

static struct handler *alloc_handler(const struct manifest *m, const char *path, const uint8_t hash[32])
{
	struct handler *h = kzalloc(sizeof *h);
	uint8_t *fpu = kmalloc(ARCH_FPU_AREA + 16);
	if (!h || !fpu) {
		kfree(h);
		kfree(fpu);
		return NULL;
	}
	h->fpu = (uint8_t *)ALIGN_UP((uintptr_t)fpu, 16);
	h->fpu_block = fpu;
	memcpy(h->name, m->name, sizeof h->name);
	memcpy(h->path, path, MIN(strlen(path), sizeof h->path - 1));
	h->version = m->version;
	memcpy(h->hash, hash, 32);
	h->budget_ns = budget_of(m);
	h->state = OPTIOS_HANDLER_INITIALISING;
	h->id = ++last_id;
	return h;
}

/* Same name registered: refuse the same program, replace another version. */
static int replace_check(const struct handler *old, const struct manifest *m, const uint8_t hash[32], char *msg,
			 size_t msglen)
{
	if (old->version == m->version && memcmp(old->hash, hash, 32) == 0) {
		char a[9];
		hex8(old->hash, a);
		ksnprintf(msg, msglen, "%s is already registered (version %u, code %s)", old->name, old->version, a);
		return -EEXIST;
	}
	/* a running old version keeps its slot until its run ends: the new one needs another */
	if (runner_current() == old && slot_free() < 0) {
		ksnprintf(msg, msglen, "all %d handler slots are taken (%s is running)", HANDLER_MAX, old->name);
		return -ENOSPC;
	}
	return 0;
}

/* The new version h loaded: the old one goes, its snapshot with it. */
static void replace(struct handler *old, const struct handler *h)
{
	char a[9], b[9];
	hex8(old->hash, a);
	hex8(h->hash, b);
	evlog_add(OPTIOS_LOG_HANDLER, old->name, "", 0, 0, old->version, h->version, 0,
		  "reset: version %u -> %u (code %s -> %s); snapshot dropped", old->version, h->version, a, b);
	handler_remove(old, false); /* its slot frees now unless it is running */
}

/* The manifest and the permissions of the program at path (context
 * background: a program that asks for anything not granted, subscriptions
 * included, is refused here, with msg naming each missing grant). */
static int load_manifest(const char *path, struct manifest *m, uint8_t hash[32], struct policy_set **perm,
			 char *msg, size_t msglen)
{
	int err = exec_manifest(path, m, hash, msg, msglen);
	if (err)
		return err;
	return perm_for_manifest(m, path, MANIFEST_CTX_BACKGROUND, perm, msg, msglen);
}

static int create(const char *path, struct manifest *m, char *msg, size_t msglen, struct handler **out)
{
	uint8_t hash[32];
	struct policy_set *perm;
	int err = load_manifest(path, m, hash, &perm, msg, msglen);
	if (err)
		return err;
	struct handler *old = handler_find(m->name);
	if (old && (err = replace_check(old, m, hash, msg, msglen)) != 0) {
		perm_put(perm);
		return err;
	}
	int slot = slot_free();
	struct handler *h = slot < 0 && !old ? NULL : alloc_handler(m, path, hash);
	if (!h) {
		perm_put(perm);
		if (slot >= 0 || old)
			return -ENOMEM;
		ksnprintf(msg, msglen, "all %d handler slots are taken", HANDLER_MAX);
		return -ENOSPC;
	}
	h->perm = perm;
	char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};
	struct exec_image img;
	if ((err = subs_create(h, m, msg, msglen)) != 0) {
		if (err != -EPERM && err != -ENOSPC)
			ksnprintf(msg, msglen, "cannot load %s (error %d)", path, err);
		handler_destroy(h);
		return err;
	}
	if ((err = runner_fds_create(h)) != 0 || (err = retry_create(h)) != 0 ||
	    (err = exec_load(path, argv, envp, &img)) != 0) {
		ksnprintf(msg, msglen, "cannot load %s (error %d)", path, err);
		handler_destroy(h);
		return err;
	}
	timers_create(h, m);
	h->space = img.space;
	entry_frame(h, &img);
	if (old)
		replace(old, h);
	if ((err = install(h)) != 0) { /* cannot happen after replace_check; kept for safety */
		ksnprintf(msg, msglen, "all %d handler slots are taken", HANDLER_MAX);
		handler_destroy(h);
		return err;
	}
	/* its ports, once its subscriptions are linked in (net events go to them
	 * alone: event_raise_to); the old version's are free now. Its start-up is
	 * queued but cannot begin before this call sleeps or returns. */
	if ((err = netev_bind(h, msg, msglen)) != 0) {
		handler_destroy(h);
		return err;
	}
	char code[9];
	hex8(h->hash, code);
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, h->version, 0, 0, "added %s version %u code %s",
		  h->path, h->version, code);
	*out = h;
	return 0;
}

int handler_create(const char *path, char *msg, size_t msglen, struct handler **out)
{
	struct manifest *m = kmalloc(sizeof *m); /* large for a kernel stack */
	if (!m)
		return -ENOMEM;
	int err = create(path, m, msg, msglen, out);
	kfree(m);
	return err;
}

/* Puts h in a free slot and links its subscriptions (events queue from now
 * on, delivered once it is ready), then queues its start-up. */
static int install(struct handler *h)
{
	uint64_t f = irq_save();
	int slot = slot_free();
	if (slot >= 0) {
		h->index = slot;
		handler_table[slot] = h;
		for (size_t i = 0; i < h->nsubs; i++) {
			event_subscribe(&h->subs[i]);
			sensor_start(&h->subs[i]);
		}
		runner_kick();
	}
	irq_restore(f);
	return slot < 0 ? -ENOSPC : 0;
}

void handler_notify(struct handler *h, int result, const char *msg)
{
	uint64_t f = irq_save();
	struct handler_waiter *w = h->waiter;
	h->waiter = NULL;
	if (w) {
		w->result = result;
		memcpy(w->msg, msg, MIN(strlen(msg) + 1, sizeof w->msg));
		w->msg[sizeof w->msg - 1] = 0;
		w->done = true;
		sched_wakeup(w);
	}
	irq_restore(f);
}

void handler_destroy(struct handler *h)
{
	handler_notify(h, -ECANCELED, "removed before its start-up ended");
	handler_quiesce(h);
	retry_destroy(h);
	for (size_t i = 0; i < h->nsubs; i++) {
		sensor_detach(&h->subs[i]);
		kfree(h->subs[i].q.slots);
	}
	if (h->space)
		vm_space_destroy(h->space);
	fdtable_destroy(h->fds); /* what it kept open closes with it */
	uint64_t f = irq_save();
	if (handler_table[h->index] == h)
		handler_table[h->index] = NULL;
	irq_restore(f);
	kfree(h->fpu_block);
	perm_put(h->perm);
	kfree(h);
	sched_wakeup(handler_table);
}

int handler_remove(struct handler *h, bool wait)
{
	hstore_remove(h); /* unregistered for good: not restored at the next boot */
	uint64_t f = irq_save();
	h->removing = true;
	bool busy = runner_current() == h;
	irq_restore(f);
	if (!busy) {
		handler_destroy(h);
		return 0;
	}
	handler_quiesce(h); /* the runner frees it when the run ends */
	int slot = h->index; /* h may be freed while we sleep: only its slot and id are kept */
	uint64_t id = h->id;
	f = irq_save();
	int err = 0;
	while (wait && err == 0 && handler_table[slot] && handler_table[slot]->id == id)
		err = sched_sleep(handler_table);
	irq_restore(f);
	return err;
}

void handler_info(const struct handler *h, struct optios_handler_info *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->name, h->name, sizeof out->name);
	memcpy(out->path, h->path, sizeof out->path);
	out->version = h->version;
	out->state = h->state;
	memcpy(out->code_hash, h->hash, sizeof out->code_hash);
	out->runs = h->runs;
	out->failures = h->failures;
	out->consecutive_failures = h->consecutive;
	out->last_result = h->last_result;
	out->last_event_seq = h->last_event_seq;
	memcpy(out->last_topic, h->last_topic, sizeof out->last_topic);
	out->snapshot_pages = h->snapshot_pages;
	out->last_dirty_pages = h->last_dirty;
	out->last_run_ns = h->last_run_ns;
	out->budget_ns = h->budget_ns;
	out->nsubs = (uint32_t)h->nsubs;
	for (size_t i = 0; i < h->nsubs; i++) {
		const struct event_sub *s = &h->subs[i];
		struct optios_sub_info *o = &out->subs[i];
		memcpy(o->pattern, s->pattern, sizeof o->pattern);
		o->policy = s->q.policy == EVQ_QUEUE ? OPTIOS_POLICY_QUEUE
			    : s->q.policy == EVQ_COALESCE ? OPTIOS_POLICY_COALESCE
							  : OPTIOS_POLICY_LATEST;
		o->capacity = (uint32_t)s->q.cap;
		o->posted = s->q.posted;
		o->delivered = s->q.delivered;
		o->coalesced = s->q.coalesced;
		o->dropped = s->q.dropped;
		o->dead = s->q.dead;
		o->pending = evq_pending(&s->q);
	}
	retry_info(h, out);
}

/* ---- boot and shutdown ---- */

static void raise_boot(void)
{
	if (!boot_raised) {
		boot_raised = true;
		event_raise("sys:boot", "kernel", NULL, 0, 0);
	}
}

void handler_boot_done(struct handler *h)
{
	if (h->boot) {
		h->boot = false;
		if (--boot_pending == 0)
			raise_boot();
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* One path per line; '#' starts a comment. file names the list in warnings. */
static void boot_register(char *text, size_t len, const char *file)
{
	char msg[HANDLER_MSG_MAX];
	unsigned lineno = 0;
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		text[end] = 0;
		char *line = text + i;
		i = end + 1;
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		line = trim(line);
		if (!*line)
			continue;
		struct handler *h;
		msg[0] = 0;
		int err = handler_create(line, msg, sizeof msg, &h);
		if (err == -EEXIST)
			continue; /* restored from the disk (restore_stored) */
		if (err) {
			klog(KLOG_WARN, "handler: %s:%u: %s: error %d: %s", file, lineno, line, err, msg);
			continue;
		}
		h->boot = true;
		boot_pending++;
	}
}

/* The handlers the system store holds, registered again: each one's
 * start-up then finds its stored snapshot (hstore.c). Before the boot
 * lists, so a listed program that is the stored one is not added twice and
 * a listed new version replaces it (reset). */
static void restore_stored(void)
{
	struct hrec *recs = kmalloc(HANDLER_MAX * sizeof *recs);
	char msg[HANDLER_MSG_MAX];
	size_t n = recs ? hstore_records(recs, HANDLER_MAX) : 0;
	for (size_t i = 0; i < n; i++) {
		struct handler *h;
		msg[0] = 0;
		int err = handler_create(recs[i].path, msg, sizeof msg, &h);
		if (err) {
			klog(KLOG_WARN, "handler: %s (stored): %s: error %d: %s", recs[i].name, recs[i].path,
			     err, msg);
			continue;
		}
		h->boot = true;
		boot_pending++;
	}
	if (n)
		klog(KLOG_INFO, "handler: %lu handlers restored from the disk", (unsigned long)n);
	kfree(recs);
}

static void boot_list(const char *file)
{
	void *data;
	size_t len;
	if (vfs_read_file(file, &data, &len) != 0)
		return;
	char *text = krealloc(data, len + 1);
	if (text) {
		text[len] = 0;
		boot_register(text, len, file);
		data = text;
	}
	kfree(data);
}

/* /etc/handlers, then every file of /etc/handlers.d (names not starting
 * with '.') in name order: a program from outside the tree lists itself in
 * a file of its own there. */
static void boot_lists(void)
{
	char **names, path[128];
	size_t n;
	boot_list(HANDLER_BOOT_FILE);
	if (vfs_dir_names(HANDLER_BOOT_DIR, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (names[i][0] == '.')
			continue;
		if ((size_t)ksnprintf(path, sizeof path, "%s/%s", HANDLER_BOOT_DIR, names[i]) < sizeof path)
			boot_list(path);
		else
			klog(KLOG_WARN, "handler: %s/%s: name too long, not read", HANDLER_BOOT_DIR, names[i]);
	}
	kfree(names);
}

/* The stored handlers, then the boot lists unless handler.boot is 0. */
void handler_boot(void)
{
	if (runner_create() != 0) {
		klog(KLOG_ERROR, "handler: cannot create the runner process; no handlers will run");
		return;
	}
	restore_stored();
	if (conf_bool(CONF_HANDLER_BOOT))
		boot_lists();
	else
		klog(KLOG_INFO, "handler: %s and %s/ not read (handler.boot=0)", HANDLER_BOOT_FILE, HANDLER_BOOT_DIR);
	if (boot_pending == 0)
		raise_boot();
}

void handler_shutdown(void)
{
	uint64_t before = evlog_count();
	event_raise("sys:shutdown", "kernel", NULL, 0, 0);
	bool done = runner_drain(clock_now_ns() + 2 * NS_PER_SEC);
	klog(KLOG_INFO, "handler: sys:shutdown raised; handlers %s (%lu log records since)",
	     done ? "finished" : "still busy after 2 s", (unsigned long)(evlog_count() - before));
	hstore_save_records(); /* the timers' time left as of now */
	if (hstore_log_sync() >= 0) /* the log's last records, then everything under a superblock */
		persist_checkpoint();
}
