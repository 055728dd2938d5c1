/*
 * handler_internal.h - what the registry (handler.c), the runner (runner.c)
 * and the system calls (sys_handler.c) share.
 */
#ifndef KERNEL_HANDLER_HANDLER_INTERNAL_H
#define KERNEL_HANDLER_HANDLER_INTERNAL_H

#include <optios/abi/handler.h>
#include <optios/abi/manifest.h>

#include "kernel/event/event.h"
#include "kernel/handler/handler.h"
#include "kernel/time/time.h"

#define HANDLER_PATH_MAX 128
#define HANDLER_MSG_MAX 512 /* room for a refusal naming several missing grants */

struct vm_space;
struct fdtable;
struct handler;
struct policy_set;

/* The caller of optios_handler_add, waiting for the start-up's outcome. */
struct handler_waiter {
	bool done;
	int result; /* 0 ready, or -ECANCELED (start-up failed, removed) */
	char msg[HANDLER_MSG_MAX];
};

#define HANDLER_TIMER_OFF UINT64_MAX /* deadline_ns of a timer not to arm (a restored fired one-shot) */

struct handler_timer {
	struct timer t;
	struct handler *h;
	uint64_t period_ns; /* 0: one-shot */
	uint64_t deadline_ns;
	char topic[OPTIOS_EVENT_TOPIC_MAX];
};

/* A dead letter (retry.c): an event every attempt of which rolled back. */
struct handler_dead {
	struct optios_event ev;
	size_t sub; /* the subscription it came from (re-injected there) */
	uint32_t attempts;
	int32_t result; /* OPTIOS_RUN_* of its last attempt */
	uint64_t dead_ns;
};

struct handler {
	/* identity: set at registration, then read-only */
	char name[MANIFEST_NAME_MAX];
	char path[HANDLER_PATH_MAX];
	uint32_t version;
	uint8_t hash[32]; /* SHA-256 of the program file */
	uint64_t budget_ns;
	int index; /* slot in the registry */
	uint64_t id; /* registration number, unique for the boot */
	struct policy_set *perm; /* its permissions (kernel/perm): refreshed at each run start */

	/* lifecycle: changed with interrupts disabled (the runner picks work) */
	uint32_t state; /* OPTIOS_HANDLER_* */
	bool started; /* start-up entered user mode */
	bool removing; /* destroy after the current run */
	bool boot; /* from /etc/handlers: counts toward sys:boot */
	char startup_msg[HANDLER_MSG_MAX];
	struct handler_waiter *waiter; /* the optios_handler_add waiting for the start-up, or NULL */

	/* the snapshot between runs: memory, and the registers at optios_event_next */
	struct vm_space *space;
	struct trapframe tf;
	uint8_t *fpu; /* ARCH_FPU_AREA bytes, 16-aligned, inside fpu_block */
	void *fpu_block;
	uint64_t fs_base, brk_base, brk_end, mmap_hint;
	/* its descriptors, its own (0-2: its output): checkpointed at each run,
	 * rolled back with the memory, closed by handler_destroy */
	struct fdtable *fds;
	/* -ENOSYS calls already logged for this handler (one bit per number <
	 * 512): its own, not the runner's, so each handler's first is recorded */
	uint64_t enosys_logged[8];

	/* subscriptions and timers (from the manifest) */
	struct event_sub subs[MANIFEST_EVENTS_MAX];
	size_t nsubs;
	struct handler_timer timers[MANIFEST_TIMERS_MAX];
	size_t ntimers;

	size_t revoked; /* capabilities revoked since registration (perm_refresh) */

	/* the event being handled (ev, below), held from its subscription from
	 * its first attempt until it commits or is dead (retry.c: the runner's) */
	bool holding;
	size_t held_sub;
	uint32_t attempts; /* its attempts that rolled back */
	uint64_t retry_due_ns; /* not before (0: now) */
	struct timer retry_timer; /* wakes the runner then */
	/* dead letters: a ring, oldest first (retry.c) */
	struct handler_dead *dead;
	size_t dead_cap, dead_head, dead_count;
	uint64_t dead_total, dead_discarded;
	uint32_t dead_in_a_row; /* events dead with no commit since: quarantine */

	/* statistics (handler_list) */
	uint64_t runs, failures;
	uint32_t consecutive;
	int32_t last_result;
	uint64_t last_event_seq;
	char last_topic[OPTIOS_EVENT_TOPIC_MAX];
	uint64_t snapshot_pages, last_dirty, last_run_ns;

	/* the current run (the runner's); while holding, the held event */
	struct optios_event ev;
	uint64_t run_tsc, run_cpu_ns;
};

/* handler.c: the registry. Interrupts disabled for lookups that race the runner. */
extern struct handler *handler_table[HANDLER_MAX];
struct handler *handler_find(const char *name);
/* Creates and queues the start-up of the program at path; msg gets the
 * reason on failure. 0 and *out, or -E (see optios_handler_add). */
int handler_create(const char *path, char *msg, size_t msglen, struct handler **out);
/* Frees everything h holds (it is not running) and its registry slot. */
void handler_destroy(struct handler *h);
/* Unregisters h: at once, or (running) when its run ends - then, with wait,
 * returns after that. 0 or -EINTR. */
int handler_remove(struct handler *h, bool wait);
/* Stops h getting events: unsubscribes, disarms its timers, counts pending events dropped. */
void handler_quiesce(struct handler *h);
/* Lifts h's quarantine: subscribes again, re-arms its timers, READY. */
void handler_resume(struct handler *h);
/* Arms h's timers from now (when it becomes ready). */
void handler_timers_start(struct handler *h);
/* Writes the user-visible description of h. */
void handler_info(const struct handler *h, struct optios_handler_info *out);

/* Tells h's waiter (if any) the start-up's outcome. Interrupts any. */
void handler_notify(struct handler *h, int result, const char *msg);

/* retry.c: retries, dead letters, quarantine (theory of operation there) */
/* h's dead letters and retry timer: 0 or -ENOMEM. */
int retry_create(struct handler *h);
/* Lets go of a held event (dropped) and frees the dead letters. */
void retry_destroy(struct handler *h);
/* The held event of h if its retry is due at now, else NULL (h waits). */
const struct optios_event *retry_due(const struct handler *h, uint64_t now);
/* The runner took an event from subscription sub of h (held; begin_run
 * makes it h->ev). */
void retry_taken(struct handler *h, int sub);
/* The held event's run committed / may not be delivered (revoked). */
void retry_committed(struct handler *h);
void retry_dropped(struct handler *h);
/* The held event's run rolled back with result: retried later (logged) or
 * a dead letter. true when h must now be quarantined. */
bool retry_failed(struct handler *h, int32_t result);
/* Re-injects up to max dead letters of h (optios_handler_retry), lifting a
 * quarantine first: how many. */
long handler_retry(struct handler *h, uint64_t max);
/* The retry and dead-letter fields of out. */
void retry_info(const struct handler *h, struct optios_handler_info *out);

/* runner.c */
/* Creates the runner process (at boot). 0 or -ENOMEM. */
int runner_create(void);
/* h's descriptor table as a program starts: 0, 1 and 2 on a file of its
 * own that writes into its runs' output. 0 or -ENOMEM. */
int runner_fds_create(struct handler *h);
/* Wakes the runner (an event was queued, a start-up is waiting). Interrupts disabled. */
void runner_kick(void);
/* The handler running now (on the runner), or NULL. */
struct handler *runner_current(void);
/* optios_event_next: commits the run (or the start-up), then installs the next. */
long runner_event_next(struct trapframe *tf);
/* Stages an emitted event for commit. 0, -ENOSPC. */
int runner_emit(const char *topic, const void *payload, size_t len);
/* Waits until the runner has nothing to do (true), or deadline (false). */
bool runner_drain(uint64_t deadline_ns);
/* Notes that start-up of a boot handler ended (ready or failed). */
void handler_boot_done(struct handler *h);

/* netev.c: net:udp / net:tcp events and staged network sends (theory there) */
/* Opens the ports of h's net: subscriptions (registration, resume): 0, or
 * -EINVAL (not an exact port, not `queue`), -EACCES (no net.listen; a deny
 * record), -EADDRINUSE, -ENOMEM, with msg saying which. */
int netev_bind(struct handler *h, char *msg, size_t msglen);
/* Closes h's ports, resets its connections, frees what they held. */
void netev_unbind(struct handler *h);
/* The current run of h commits: its staged sends and its event's
 * consumption are held for the output gate's release. */
void netev_commit(struct handler *h);
/* The current run rolled back: its staged sends are dropped. */
void netev_rollback(void);
/* The output gate opened: the held network effects go out, in order. */
void netev_release(void);
/* The audit records of the current run's sends. */
void netev_log(struct handler *h);
/* ev of h will not be handled (a dead letter, let go). */
void netev_lost(struct handler *h, const struct optios_event *ev);

/* hstore.c: handlers in the system store (theory of operation there) */
struct hrec;
/* Writes the committing run of h (its journaled pages, registers tf and the
 * runner's FPU and process state, its record) as one transaction, not
 * flushed, with h's pending events, the events the run emitted (into
 * their receivers' inboxes) and its file changes of /data (txn, may be
 * NULL); the caller holds persist_lock and, on success, applies txn to the
 * tree (vfs_txn_commit) before letting go of it: its seq, 0 (nothing persists), or -ENOSPC/-EFBIG/-ENOMEM (the run
 * must roll back). Before the in-memory commit. */
struct vfs_txn;
int64_t hstore_run(struct handler *h, const struct trapframe *tf, const struct optios_event *emitted,
		   size_t nemitted, struct vfs_txn *txn);
/* At the end of h's start-up, before its timers start: restores the stored
 * snapshot if it is this program's (0), else writes the start-up's whole
 * snapshot (its seq, or a negative errno: it does not persist); -EIO when a
 * stored snapshot of this program is unusable (the start-up fails). With
 * persist_lock held, as hstore_run; *restored says which (a restored
 * handler's start-up effects are dropped: they happened at its first
 * start-up). */
int64_t hstore_startup(struct handler *h, struct vfs_txn *txn, bool *restored);
/* A program's event (not a handler's: those go with their run), put in the
 * inbox of every handler subscribed to it and made durable, before it is
 * raised: 0 (also: no receiver, no store), or a negative errno. */
int hstore_emit(const struct optios_event *ev);
/* Every ready handler's record (its timers' time left, its counts) again:
 * at shutdown, so a long timer does not start over. seq, 0, or -errno. */
int64_t hstore_save_records(void);
/* Deletes h's keys (unregistered). */
void hstore_remove(struct handler *h);
/* Writes the log records not yet stored (one transaction, not flushed): its
 * seq, 0 (none, or nothing persists), or a negative errno. */
int64_t hstore_log_sync(void);
/* The stored registrations (boot): how many were put in out. */
size_t hstore_records(struct hrec *out, size_t max);

#endif
