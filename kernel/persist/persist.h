/*
 * persist.h - the system store: the one crash-consistent store
 * (kernel/store/store.h) the kernel mounts at boot on the first disk, and
 * the rules every kernel user of it follows (/data's files, handler
 * snapshots and queues, the event log, the policy). Format, guarantees and
 * the integration plan: docs/STORAGE.md.
 *
 * Using it. Every call on the store happens under persist_lock() (the store
 * has no lock of its own; the lock is a sleeping one: a device write inside
 * a commit may sleep the caller, and other processes run meanwhile). A
 * change is one transaction, built and committed by persist_commit():
 *
 *     int64_t seq = persist_commit(build, arg);   // takes the lock itself
 *     ...
 *     persist_sync(seq);                          // durable (group commit)
 *
 * build(tx, arg) puts/deletes through tx (store_put, store_fs_write, ...)
 * and returns 0 (commit) or a negative errno (abort: nothing is written).
 * It may be called more than once (when the log is full until a flush in
 * flight ends, the commit is retried after it), so it must not change
 * anything but the transaction. persist_sync(seq) returns once everything
 * committed up to seq is durable: at most one device flush, issued outside
 * the lock, and shared by every commit made before it was issued; a sync
 * arriving while a flush is in flight waits for it and, if that flush does
 * not cover it, shares the next one with everyone else who queued meanwhile.
 *
 * No store (no disk, a foreign or damaged one refused at boot):
 * persist_store() is NULL, persist_commit returns 0 (nothing to do: the
 * system runs in memory) and persist_sync 0. A device error (-EIO from any
 * write or flush) makes the store refuse every later change until the next
 * boot (persist_failed() true, logged once); reads go on.
 *
 * Kernel only (core layer: includes @base and the core folders below it).
 */
#ifndef KERNEL_PERSIST_PERSIST_H
#define KERNEL_PERSIST_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/store/store.h"

struct bootinfo;

/* Boot: mounts the store on the disk named by optios.disk=NAME, else the
 * first registered one (optios.disk=none: no store, the disks left alone). Logs what it did: formatted a blank disk, recovered
 * N units in T ms, refused a foreign or damaged disk (and how to check it),
 * or "no disk: nothing will persist". Never fails the boot. */
void persist_init(const struct bootinfo *bi);

/* The mounted store, or NULL when nothing persists. Call its functions
 * only under persist_lock(). */
struct store *persist_store(void);
/* True once a device error stopped the store from taking changes. */
bool persist_failed(void);

/* The store's lock: a sleeping mutex (halts the CPU when there is no
 * process to sleep). Not recursive. */
void persist_lock(void);
void persist_unlock(void);

/* One transaction: begin, build(tx, arg), commit (not flushed). Takes the
 * lock. Returns the commit's seq (> 0), 0 when there is no store, or a
 * negative errno: build's own, -ENOSPC (the disk is full: nothing of it
 * was applied), -EFBIG (larger than one transaction may be), -EIO/-EROFS
 * (the store takes no more changes), -ENOMEM. */
typedef int (*persist_build_fn)(struct store_tx *tx, void *arg);
int64_t persist_commit(persist_build_fn build, void *arg);
/* The same, for a caller already holding the lock. */
int64_t persist_commit_locked(persist_build_fn build, void *arg);

/* Makes every transaction up to seq durable (group commit, above). Call
 * WITHOUT the lock. 0, or -EIO. */
int persist_sync(uint64_t seq);
/* Everything committed so far, durable. */
int persist_sync_all(void);
/* TSC ticks the store's disk driver has spent waiting for the device since
 * boot (blkdev.wait_ticks; 0 without a store): the bench tells work from
 * waiting with it. */
uint64_t persist_wait_ticks(void);
/* The highest seq known durable (the output gate compares with it). */
uint64_t persist_durable_seq(void);
/* Everything committed, durable and under a superblock (the shell's `sync`,
 * a clean shutdown): two flushes. Call without the lock. */
int persist_checkpoint(void);

/* Cleaning when the disk is idle (no resident daemon): old versions are
 * reclaimed by bounded work folded into commits (kernel/store), and, when
 * store_clean_due (old versions over a quarter of the log) and no commit
 * came for PERSIST_IDLE_NS, by whoever is idle asking for it - the handler
 * runner before it sleeps. persist_idle_due: cheap, no lock, interrupts
 * off allowed; when cleaning is due later it arms a one-shot timer whose
 * expiry calls wake (persist_set_idle_wake), so nothing fires while there is
 * nothing to clean. persist_idle_clean: one bounded step (store_clean of
 * PERSIST_IDLE_BLOCKS, then a checkpoint so the space is reusable: two
 * flushes); call without the lock. At most one lap of the log per idle
 * period. */
#define PERSIST_IDLE_NS (200 * 1000 * 1000ull)
#define PERSIST_IDLE_BLOCKS 256
bool persist_idle_due(void);
void persist_idle_clean(void);
void persist_set_idle_wake(void (*wake)(void));

#endif
