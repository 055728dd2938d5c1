/*
 * handler.h (ABI) - the calls that run handlers and read the event log:
 * structures and constants shared by the kernel, the SDK and host tools.
 * Numbers are in syscalls.def (1006-1011); the event record is event.h.
 */
#ifndef OPTIOS_ABI_HANDLER_H
#define OPTIOS_ABI_HANDLER_H

#include <stdint.h>

#include <optios/abi/event.h>

#define OPTIOS_NAME_MAX 32 /* handler and program names, NUL included */

/*
 * long optios_event_next(struct optios_event *out)
 * Handlers only (the SDK's loop calls it; authors do not). Ends the current
 * run successfully (its memory and effects are committed), then returns when
 * the next event for this handler is due, with the event in *out: 0. The first
 * call ends the start-up and freezes the base snapshot. -EPERM when the caller
 * is not a handler.
 *
 * long optios_emit(const char *topic, const void *payload, unsigned long len)
 * Raises an event (topic must be valid, see event.h; payload <= 256 bytes).
 * From a handler the event is raised when its run commits (dropped if it
 * rolls back). 0, -EINVAL (bad topic or length), -EFAULT, -EACCES (emit:<topic>
 * not granted).
 *
 * long optios_handler_add(const char *path, char *msg, unsigned long msglen)
 * Registers the program at path (absolute) as a handler: reads its manifest,
 * runs its start-up to the base snapshot, then returns 0. A handler of the
 * same name and version is refused (-EEXIST); a different version replaces
 * the old one (its snapshot is reset). On failure msg (if not NULL) receives a
 * one-line reason ("counter.manifest line 3: unknown policy 'sometimes'").
 * -ENOENT, -ENOEXEC (not a program, or no manifest), -EINVAL (bad manifest),
 * -EACCES (it asks for something not granted, or runs in the foreground only:
 * msg names each missing grant; or the caller lacks handler.manage),
 * -EEXIST, -ENOSPC (no free handler slot), -ENOMEM, -ECANCELED (start-up
 * failed: fault, budget, exit; msg says which).
 *
 * long optios_handler_remove(const char *name)
 * Unregisters the handler (after its current run, if any) and frees its
 * snapshot and queues. 0 or -ENOENT.
 *
 * long optios_handler_list(struct optios_handler_info *out, unsigned long max)
 * Fills up to max entries (registration order); returns how many exist.
 *
 * long optios_handler_retry(const char *name, unsigned long max)
 * Re-injects up to max of the handler's dead letters, oldest first, each into
 * the queue of the subscription it came from (a new post; the event keeps its
 * seq, time and payload); stops early when that queue is full. Returns how
 * many it re-injected (0: none kept). A quarantined handler is resumed first
 * (subscribed again, its timers re-armed, its dead-letter streak reset).
 * -ENOENT (no such handler), -EACCES (handler.manage).
 *
 * long optios_log_read(uint64_t from, struct optios_log_record *out, unsigned long max)
 * Copies up to max records of the event log whose seq >= from, oldest first;
 * returns how many it copied. Records older than the log keeps are gone: the
 * first record returned then has a seq > from.
 */

/* Handler states */
#define OPTIOS_HANDLER_INITIALISING 1 /* start-up running toward the base snapshot */
#define OPTIOS_HANDLER_READY 2        /* snapshot frozen, waiting for events */
#define OPTIOS_HANDLER_RUNNING 3      /* a run is in progress */
#define OPTIOS_HANDLER_QUARANTINED 4 /* handler.quarantine_after events in a row dead; gets no events */

#define OPTIOS_HANDLER_SUBS_MAX 8

/* One subscription's queue: posted = delivered + coalesced + dropped + dead +
 * pending. delivered: handled (the run committed); dead: became dead letters;
 * pending: queued, or taken and not yet settled (running, or waiting for a
 * retry). A re-injected dead letter is posted again. */
struct optios_sub_info {
	char pattern[OPTIOS_EVENT_TOPIC_MAX];
	uint32_t policy; /* OPTIOS_POLICY_* */
	uint32_t capacity;
	uint64_t posted, delivered, coalesced, dropped, pending;
	uint64_t dead;
};

/* A dead letter: an event whose every attempt rolled back. */
#define OPTIOS_DEAD_SHOWN 8 /* the newest dead letters in optios_handler_info */
struct optios_dead_letter {
	uint64_t event_seq;
	uint64_t time_ns; /* the event's */
	uint64_t dead_ns; /* when it became a dead letter (monotonic) */
	char topic[OPTIOS_EVENT_TOPIC_MAX];
	int32_t result; /* OPTIOS_RUN_* of its last attempt */
	uint32_t attempts;
};

#define OPTIOS_POLICY_QUEUE 0
#define OPTIOS_POLICY_COALESCE 1
#define OPTIOS_POLICY_LATEST 2

struct optios_handler_info {
	char name[OPTIOS_NAME_MAX];
	char path[128];
	uint32_t version;    /* declared in the manifest */
	uint32_t state;      /* OPTIOS_HANDLER_* */
	uint8_t code_hash[8]; /* first bytes of the SHA-256 of the ELF file */
	uint64_t runs, failures; /* runs: every run, committed or rolled back; failures: those rolled back */
	uint32_t consecutive_failures;
	int32_t last_result; /* OPTIOS_RUN_* of the last run */
	uint64_t last_event_seq;
	char last_topic[OPTIOS_EVENT_TOPIC_MAX];
	uint64_t snapshot_pages; /* user pages in the snapshot */
	uint64_t last_dirty_pages; /* pages the last run changed */
	uint64_t last_run_ns;
	uint64_t budget_ns;
	uint32_t nsubs, reserved;
	struct optios_sub_info subs[OPTIOS_HANDLER_SUBS_MAX];
	/* retries and dead letters (docs/HANDLERS.md "Retry, dead letters, quarantine") */
	uint64_t retry_event_seq; /* the event waiting for a retry; 0: none */
	uint64_t retry_due_ns; /* when (monotonic) */
	uint32_t retry_attempts; /* its failed attempts so far */
	uint32_t dead_in_a_row; /* events dead with no commit since (quarantine_after) */
	uint64_t dead_total; /* dead letters ever */
	uint64_t dead_discarded; /* of those, pushed out of the kept ones */
	uint32_t dead_kept, dead_shown; /* kept now; of those in dead[] (newest first) */
	struct optios_dead_letter dead[OPTIOS_DEAD_SHOWN];
};

/* How a run ended (log records and last_result). */
#define OPTIOS_RUN_NONE 0     /* no run yet */
#define OPTIOS_RUN_COMMIT 1   /* the event function returned */
#define OPTIOS_RUN_FAULT 2    /* a CPU exception (page fault, divide ...) */
#define OPTIOS_RUN_BUDGET 3   /* CPU budget exceeded */
#define OPTIOS_RUN_EXIT 4     /* the program called exit during a run */
#define OPTIOS_RUN_NOMEM 5    /* memory ran out during the run */
#define OPTIOS_RUN_REMOVED 6  /* handler removed while its run waited */
#define OPTIOS_RUN_NOSPACE 7  /* the disk was full: the run's commit could not be written */
#define OPTIOS_RUN_DISKERROR 8 /* the disk failed writing the run's commit (it takes no more this boot) */

/*
 * The event log: a bounded ring of fixed-size records, oldest overwritten
 * first. seq numbers every record ever written, so a reader sees gaps.
 */
#define OPTIOS_LOG_EVENT 1     /* an event was raised: topic, source in text, a = subscribers, b = payload bytes */
#define OPTIOS_LOG_RUN 2       /* a run started: handler, topic, event_seq */
/* run committed: a = dirty pages, b = run time ns (CPU), c = run TSC ticks
 * (from the RUN record to the end of on_event); the record's own tsc is taken
 * after the commit, so commit cost = tsc - (RUN record tsc + c). */
#define OPTIOS_LOG_COMMIT 3
#define OPTIOS_LOG_ROLLBACK 4  /* run rolled back: result = OPTIOS_RUN_*, text = reason; a, b, c as COMMIT */
#define OPTIOS_LOG_EFFECT 5    /* an effect applied at commit: text ("write /data/summary +24") */
#define OPTIOS_LOG_OUTPUT 6    /* a line the handler wrote to stdout/stderr (committed runs) */
/* lifecycle, text says which: "added version 1 code 3fa2c1d0", "ready" (a =
 * snapshot pages, b = start-up ns, c = TSC ticks to freeze the snapshot),
 * "reset: version 1 -> 2", "quarantined", "resumed", "removed", "start-up failed: ..." */
#define OPTIOS_LOG_HANDLER 7
#define OPTIOS_LOG_DROP 8      /* events lost at a subscription: a = dropped, b = coalesced since last record */
/* a call refused: handler = the program, topic = the event it was handling
 * ("" in the foreground), text = "<call> <capability needed>", a = call number,
 * b = times in a row (a run of identical denials is recorded at its 1st-4th
 * and then at each power-of-two repetition, so a loop cannot flush the log) */
#define OPTIOS_LOG_DENY 9
/* the policy changed: text = "grant NAME CAP" / "revoke NAME CAP", handler = who changed it */
#define OPTIOS_LOG_POLICY 10
/* a rolled-back event's fate: result = OPTIOS_RUN_* of the failed run, a =
 * failed attempts so far, b = 1 when it became a dead letter (else 0: retried
 * after c ms); text "retry 1 of 2 in 100 ms" / "dead letter after 3 attempts"
 * / "re-injected" (a = 0, b = 2) */
#define OPTIOS_LOG_RETRY 11
/* a program called a system call OptiOS does not implement (-ENOSYS), once per
 * process and call number: handler = the process's name (a handler's in a
 * run), topic and event_seq = the event its run handles ("" and 0 in the
 * foreground), result = -ENOSYS, a = call number, b = pid, text = "called
 * unimplemented <call> (<number>)" */
#define OPTIOS_LOG_ENOSYS 12
/* committed runs made durable by one device flush (the output gate lets
 * their effects out now): a = runs covered, b = the store transaction seq
 * it made durable, c = the flush's TSC ticks, result = 0 or the flush's
 * -errno (then persistence stopped); text "N runs durable; disk waits T
 * ticks" (T: the TSC ticks the disk's driver has spent waiting for the
 * device since boot, so a reader can tell work from waiting) */
#define OPTIOS_LOG_DURABLE 13

struct optios_log_record {
	uint64_t seq;
	uint64_t time_ns;  /* monotonic */
	uint64_t tsc;      /* time-stamp counter (= instructions under -icount) */
	uint32_t kind;     /* OPTIOS_LOG_* */
	int32_t result;    /* OPTIOS_RUN_* for COMMIT/ROLLBACK, else 0 */
	uint64_t event_seq; /* the event the record is about; 0: none */
	uint64_t a, b, c;  /* kind-specific numbers, see above */
	char handler[OPTIOS_NAME_MAX]; /* "" when the kernel itself */
	char topic[OPTIOS_EVENT_TOPIC_MAX];
	char text[128];
	/* the audit chain: the first 16 bytes of SHA-256 over the previous
	 * record's canonical encoding (every byte, its prev_hash included; text
	 * fields without their trailing zeros: lib/logchain.h, docs/ABI.md); all
	 * zero for the first record of a boot, or when the previous record was
	 * overwritten before any read reached it */
	uint8_t prev_hash[16];
};

_Static_assert(sizeof(struct optios_log_record) == 336, "log record size is ABI");

#endif
