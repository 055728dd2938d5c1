/*
 * handler.h - handlers: programs that run only when an event arrives, one
 * run to completion at a time, inside a memory snapshot that persists from
 * run to run (theory of operation in handler.c).
 *
 * The rest of the kernel meets handlers at a few hooks, all called on the
 * handler runner process (proc->handler != NULL) with its user trapframe:
 * each ends the current run by rolling it back, then installs the next run
 * in *tf (or waits for one), so the caller simply returns to user mode.
 */
#ifndef KERNEL_HANDLER_HANDLER_H
#define KERNEL_HANDLER_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

struct proc;
struct bootinfo;

#define HANDLER_MAX 32

/* After the scheduler is set up, before the first process: registers the
 * handlers listed in /etc/handlers, then in each file of /etc/handlers.d in
 * name order (one absolute path per line, '#' comments; a line that fails
 * is a warning naming FILE:LINE); sys:boot is raised once they are all
 * ready (or failed). */
#define HANDLER_BOOT_FILE "/etc/handlers"
#define HANDLER_BOOT_DIR "/etc/handlers.d"
void handler_boot(void);
/* Raises sys:shutdown and waits (up to 2 s) for handlers to finish their
 * events. Called by the power-off and reboot paths from a process. */
void handler_shutdown(void);

/* Inside a run: fn(arg) is called once the run commits (never if it rolls
 * back), after its other effects: an effect no roll back could undo (power
 * off) waits for the run to be kept. One per run: -EBUSY for a second,
 * -EPERM outside a handler's run. */
int handler_after_commit(void (*fn)(long arg), long arg);

/* Hooks (the runner only). Each rolls the current run back with the reason
 * and puts the next run (or the wait for one) in place of the run. */
void handler_fault(struct trapframe *tf, const char *what);
void handler_over_budget(struct trapframe *tf);
void handler_exit(int status);

/* The time a handler sees: the current event's timestamp. true and *ns set
 * when p is running a handler, else false. */
bool handler_clock(const struct proc *p, uint64_t *ns);
/* The CPU time a handler's code sees: what its run (or start-up) has used so
 * far, the clock its budget counts. true and *ns set when p is running a
 * handler, else false. */
bool handler_cpu_clock(const struct proc *p, uint64_t *ns);
/* The event p's handler run is handling (its topic and seq), or NULL when
 * p is not running a handler's event (the foreground, a start-up). */
struct optios_event;
const struct optios_event *handler_event(const struct proc *p);

/* The set of -ENOSYS calls already logged for p's handler (one bit per
 * call number < 512) while p runs one (its start-up or a run), else NULL:
 * the runner runs every handler, and each must get its own first record. */
uint64_t *handler_enosys_logged(struct proc *p);

/* Right after the system store is mounted, before any log record: the event
 * log goes on from the stored one (seq and audit chain; hstore.c). */
void handler_persist_resume(void);
/* Log records written outside a run (a program's emit, a policy change)
 * reach the disk with the next run's commit; these make them durable now:
 * handler_log_sync stores every record written so far in one commit and
 * syncs it (0, or -EIO), handler_log_soon asks the runner to do it when it
 * is next idle (group commit with whatever else is in flight). */
int handler_log_sync(void);
void handler_log_soon(void);
/* Up to max stored log records with seq >= from and older than this boot's
 * first (optios_log_read's older part): how many. */
struct optios_log_record;
size_t hstore_log_read(uint64_t from, struct optios_log_record *out, size_t max);

/* Counts for reports and tests: handlers registered, user pages in their snapshots. */
void handler_counts(uint64_t *handlers, uint64_t *snapshot_pages);

#endif
