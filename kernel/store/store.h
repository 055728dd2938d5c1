/*
 * store.h - the crash-consistent store: one durable, transactional key-value
 * space on a block device (kernel/block/block.h), holding /data (the file
 * layer below), every handler's registration, snapshot pages, registers and
 * queued events, the event log and the policy. Format and why it is
 * crash-safe: docs/STORAGE.md; data structures and invariants: store.c.
 *
 * The model. A key is two numbers (obj, sub); a value is 0..4096 bytes. A
 * transaction (store_tx_begin) collects puts and deletes, reads its own
 * writes (store_tx_get/next), and store_tx_commit writes it to the device in
 * commit order WITHOUT flushing and returns its sequence number: the change
 * is then visible to every reader of the store but not yet durable. The
 * output gate asks store_durable_seq() >= seq, or calls store_sync(seq),
 * which issues at most one device flush and makes every transaction
 * committed before it durable (group commit). After a power cut, mounting
 * gives exactly the transactions 1..k for some k >= the last synced one:
 * a prefix, in commit order, never a part of one.
 *
 * Cost: a commit writes the blocks its records need (a 1-page put: 2 blocks,
 * a header carrying the small records and the page) plus bounded cleaning
 * of old versions folded into it when the log is fuller than a threshold;
 * never blocks of unchanged data. store_clean() does the same work on
 * demand (an idle disk).
 *
 * Concurrency: none inside. The caller serialises every call on one store
 * (a lock); the one exception is the device flush, which store_sync_begin /
 * store_sync_end let the caller issue outside its lock so that commits made
 * while it runs share the next one.
 *
 * Errors: -ENOSPC (the log cannot hold the transaction even after cleaning:
 * it is dropped, nothing changes), -EFBIG (one transaction larger than the
 * store allows), -EAGAIN (the log is full until the flush in flight ends:
 * commit again after store_sync_end), -EBUSY (store_sync while a split flush
 * is in flight), -ENOMEM, -EINVAL (a bad argument), -EIO (the device failed:
 * the store refuses every later write until it is mounted again; what was
 * durable stays so; from a read: the value's block is damaged, its bytes
 * are never returned), -EROFS (a read-only mount), -ENOENT (no such key).
 * Hostile images: store_mount refuses them with a message, never crashes.
 *
 * Host-buildable: yes (tests/host/test_store*.c, tools/optios_disk.c).
 */
#ifndef KERNEL_STORE_STORE_H
#define KERNEL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/block/block.h"

#define STORE_BLOCK 4096
#define STORE_VALUE_MAX 4096
#define STORE_MIN_BLOCKS 32 /* 128 KiB: 2 superblocks + a log of 30 blocks */
#define STORE_AUTO_BLOCKS (1u << 22) /* 16 GiB: what a format of a larger device takes unless told */

struct store;
struct store_tx;

struct store_key {
	uint64_t obj, sub;
};

/* Key classes: the top byte of obj says who owns the key. */
#define STORE_OBJ(cls, id) (((uint64_t)(cls) << 56) | ((uint64_t)(id)&0x00ffffffffffffffull))
#define STORE_OBJ_CLASS(obj) ((unsigned)((obj) >> 56))
#define STORE_CLASS_META 0x00 /* the store's and the file layer's counters */
#define STORE_CLASS_FS 0x01 /* the file layer: obj = inode number (store_fs_*) */
#define STORE_CLASS_HANDLER 0x02 /* a handler's state: obj id = the kernel's handler id */
#define STORE_CLASS_LOG 0x03 /* the event log: obj 0, sub = record seq; obj 1: the owed mark (store_log_*) */
#define STORE_CLASS_POLICY 0x04 /* grants: the kernel's choice of layout */

/* A handler's keys (obj STORE_OBJ(STORE_CLASS_HANDLER, id), id the
 * kernel's, stable across boots): the layout the kernel integration uses.
 * Removing a handler is store_del_range(tx, obj, 0, UINT64_MAX); a version
 * reset drops STORE_H_REGS and the STORE_H_PAGE range in the same way. */
#define STORE_H_RECORD 0 /* registration: name, version, code hash, path, subscriptions, timers */
#define STORE_H_REGS 1 /* the snapshot's registers */
#define STORE_H_QUEUE (1ull << 48) /* + event seq: an event waiting in its queues */
#define STORE_H_PAGE (1ull << 62) /* + virtual page number: a snapshot page */

/* Memory for the index and transactions: kmalloc/kfree in the kernel,
 * malloc/free on the host. alloc need not zero. */
struct store_env {
	void *(*alloc)(size_t n);
	void (*free)(void *p);
	uint64_t seed; /* random bits for the index's balance (kernel/rand); 0 works, less hardened */
};

/* store_mount flags */
#define STORE_RDONLY 1u /* never write: no format, no fence (fsck, the tool's reads) */
#define STORE_NOFORMAT 2u /* a blank disk is refused (-ENODEV), not formatted */

/*
 * Mounts the store on dev: reads the newer valid superblock, replays the log
 * from its tail (recovery), rebuilds the index in memory, and (unless
 * RDONLY) writes and flushes a fence record so that nothing a previous boot
 * left unflushed can reappear later. A blank (all-zero) device is formatted
 * first (unless NOFORMAT or RDONLY). msg gets one line: what was done
 * ("formatted 1024 blocks", "recovered 12 transactions (seq 40..51) ...")
 * or why the device was refused ("not an OptiOS store: ..."). Returns 0, or
 * -ENODEV (blank and not formatted, or foreign), -EINVAL (damaged: refused),
 * -EIO, -ENOMEM.
 */
int store_mount(struct blkdev *dev, const struct store_env *env, unsigned flags, struct store **out,
		char *msg, size_t msgsize);
/* Frees the store's memory. Issues no write or flush: call store_sync first
 * to keep what was committed. */
void store_unmount(struct store *st);
/* mkfs: writes a new empty store over the first `blocks` blocks of dev (0:
 * all of it, up to STORE_AUTO_BLOCKS), flushed. Memory while mounted: 4 bytes
 * per block (the block table) and about 56 bytes per key (the index). Refuses (-EEXIST) a device holding anything but zeros
 * in its superblocks unless force. */
int store_format(struct blkdev *dev, const struct store_env *env, uint64_t blocks, int force, char *msg,
		 size_t msgsize);

/* Transactions. begin: NULL when out of memory. Every put copies the value. */
struct store_tx *store_tx_begin(struct store *st);
int store_put(struct store_tx *tx, struct store_key k, const void *val, size_t len);
/* The same without the copy: val must stay valid and unchanged until the
 * transaction is committed or aborted (a handler's page under the store's
 * lock, the commit following at once). */
int store_put_ref(struct store_tx *tx, struct store_key k, const void *val, size_t len);
int store_del(struct store_tx *tx, struct store_key k);
/* Deletes every key (obj, sub) with from <= sub < to. */
int store_del_range(struct store_tx *tx, uint64_t obj, uint64_t from, uint64_t to);
/* A value as the transaction sees it: its length (copies at most cap bytes),
 * or -ENOENT. */
int store_tx_get(struct store_tx *tx, struct store_key k, void *buf, size_t cap);
/* The smallest key k with from <= k <= to present as the transaction sees
 * it: 0 and *found, or -ENOENT. */
int store_tx_next(struct store_tx *tx, struct store_key from, struct store_key to, struct store_key *found);
/* Writes the transaction (not flushed) and frees it, committed or not.
 * Returns its sequence number (> 0), or a negative errno: then nothing of it
 * was applied. */
int64_t store_tx_commit(struct store_tx *tx);
void store_tx_abort(struct store_tx *tx);
/* The store this transaction belongs to. */
struct store *store_tx_store(struct store_tx *tx);

/* Reads of committed state (durable or not). */
int store_get(struct store *st, struct store_key k, void *buf, size_t cap);
int store_next(struct store *st, struct store_key from, struct store_key to, struct store_key *found);

/* Durability. store_sync: 0 once every transaction up to seq is durable
 * (one flush at most, and none when it already is), -EIO. */
int store_sync(struct store *st, uint64_t seq);
uint64_t store_durable_seq(const struct store *st);
/* Everything committed made durable and recorded in a superblock (two
 * flushes): for a clean shutdown, the shell's `sync`, the tool. Damage to
 * data a superblock covers is refused or read as -EIO; damage to data
 * written after the last one cannot be told from a torn write (the log
 * ends there), so a checkpoint narrows that window to nothing. */
int store_checkpoint(struct store *st);
uint64_t store_committed_seq(const struct store *st);
/* The flush in two halves, for a caller that drops its lock around it:
 * begin writes the superblock when one is due and returns the ticket (the
 * seq the flush will make durable); the caller then calls block_flush on the
 * device and passes its result to end. Commits between begin and end are not
 * covered: they wait for the next flush. Only one flush at a time. */
uint64_t store_sync_begin(struct store *st);
void store_sync_end(struct store *st, uint64_t ticket, int flush_result);
struct blkdev *store_device(struct store *st);

/* Cleaning on demand, for an idle disk: when the log is more than a quarter
 * full, moves the live data of up to `blocks` log blocks from the tail to a
 * new transaction (not synced: the next store_sync covers it, and the space
 * becomes reusable a flush later). Returns the blocks passed (0: below the
 * threshold, nothing to do), or a negative errno. */
int store_clean(struct store *st, unsigned blocks);
/* Is cleaning an idle disk worth it: do old versions (blocks between the
 * cleaner's tail and the head holding no live value) take more than a
 * quarter of the log? Reads only; cheap. The kernel cleans when this is true
 * and no commit came for a while (kernel/persist), never otherwise. */
bool store_clean_due(const struct store *st);

struct store_stats {
	uint64_t blocks; /* the store's size, in 4 KiB blocks */
	uint64_t log_blocks; /* of which the circular log */
	uint64_t used_blocks; /* log blocks between the tail and the head */
	uint64_t live_blocks; /* log blocks holding a live value */
	uint64_t keys; /* keys in the index */
	uint64_t committed_seq, durable_seq;
	uint64_t blocks_written; /* since mount: transactions and superblocks */
	uint64_t clean_blocks_written; /* of which copies made by the cleaner */
	uint64_t flushes, superblocks_written;
	uint64_t recovered_units; /* at mount */
	/* index checkpoints written since mount, and their blocks (of blocks_written) */
	uint64_t ckpt_written, ckpt_blocks_written;
	uint64_t ckpt_loaded_keys; /* at mount: keys from a checkpoint (0: a full replay) */
	uint64_t blocks_read; /* since mount (the mount's own: recovery's) */
	uint64_t max_tx_blocks; /* the largest transaction a commit takes */
};
void store_stats_get(const struct store *st, struct store_stats *out);

/* fsck: re-reads every block the index refers to and checks every invariant
 * of the store (store.c) and of the file layer (fs.c). 0 (clean), or
 * -EINVAL with the first problem in msg. */
int store_check(struct store *st, char *msg, size_t msgsize);

/* ---- the file layer (fs.c): inodes, data pages, directories ----
 * An inode is obj STORE_OBJ(STORE_CLASS_FS, ino); its attributes are sub 0,
 * its page n is sub STORE_FS_PAGE + n, a directory's entry for a name is sub
 * STORE_FS_DIRENT + (hash(name) << 8) + i. Every call below changes the
 * store only through the transaction it is given, so a rename, a truncate
 * or a run's file changes are atomic with everything else in it. Names are
 * one path component (1..255 bytes, no '/', not "." or ".."). */
#define STORE_FS_ROOT 1
#define STORE_FS_NAME_MAX 255
#define STORE_FS_PAGE (1ull << 62)
#define STORE_FS_DIRENT (1ull << 61)
#define STORE_FS_REG 1
#define STORE_FS_DIR 2
#define STORE_FS_LNK 3 /* a symbolic link: its target is its contents (pages, as a file's) */
#define STORE_FS_LNK_MAX 4095 /* a target's bytes (PATH_MAX - 1): one page */

struct store_fs_attr {
	uint32_t type; /* STORE_FS_REG, STORE_FS_DIR or STORE_FS_LNK */
	uint32_t mode; /* permission bits */
	uint32_t nlink; /* directory entries naming it */
	uint32_t pad;
	uint64_t size; /* bytes (a directory: its entries) */
	uint64_t parent; /* a directory's: the one naming it (the root: itself) */
	uint64_t mtime_ns;
	uint64_t ctime_ns;
};

struct store_fs_dirent {
	uint64_t ino;
	uint32_t type;
	char name[STORE_FS_NAME_MAX + 1];
};

int store_fs_stat(struct store_tx *tx, uint64_t ino, struct store_fs_attr *out);
int store_fs_lookup(struct store_tx *tx, uint64_t dir, const char *name, uint64_t *ino);
/* An absolute path ("/", "/a/b") to an inode. */
int store_fs_resolve(struct store_tx *tx, const char *path, uint64_t *ino);
/* Creates a file or directory; -EEXIST when the name is taken. */
int store_fs_create(struct store_tx *tx, uint64_t dir, const char *name, uint32_t type, uint32_t mode,
		    uint64_t now_ns, uint64_t *ino);
/* A symbolic link called name in dir holding target (1..STORE_FS_LNK_MAX
 * bytes; -EINVAL else). Read it as a file: store_fs_read. */
int store_fs_symlink(struct store_tx *tx, uint64_t dir, const char *name, const char *target, uint64_t now_ns,
		     uint64_t *ino);
/* A hard link: name in dir becomes one more name of ino (a file or a link,
 * not a directory: -EPERM); its nlink grows by one. -EEXIST, -EMLINK. */
int store_fs_link(struct store_tx *tx, uint64_t ino, uint64_t dir, const char *name, uint64_t now_ns);
/* Removes a name; a file goes with its last name, a directory must be empty
 * (-ENOTEMPTY). */
int store_fs_unlink(struct store_tx *tx, uint64_t dir, const char *name, uint64_t now_ns);
/* Atomic rename, replacing the target (a file by a file, an empty directory
 * by a directory); a directory cannot move under itself (-EINVAL). */
int store_fs_rename(struct store_tx *tx, uint64_t sdir, const char *sname, uint64_t ddir, const char *dname,
		    uint64_t now_ns);
/* Bytes read (0 at or past the end), or a negative errno. */
long store_fs_read(struct store_tx *tx, uint64_t ino, uint64_t off, void *buf, size_t len);
/* Writes len bytes at off (growing the file); cost: the pages touched. */
long store_fs_write(struct store_tx *tx, uint64_t ino, uint64_t off, const void *buf, size_t len,
		    uint64_t now_ns);
/* chmod and utimes: the permission bits (mode & 07777) when set_mode, the
 * modification time when set_mtime; the change time becomes now. */
int store_fs_setattr(struct store_tx *tx, uint64_t ino, bool set_mode, uint32_t mode, bool set_mtime,
		     uint64_t mtime_ns, uint64_t now_ns);
/* Sets the size: pages past it deleted, the last one's tail zeroed. */
int store_fs_truncate(struct store_tx *tx, uint64_t ino, uint64_t size, uint64_t now_ns);
/* The entry after cookie (0: the first) in key order: 0 and *out and the
 * next cookie, or -ENOENT at the end. */
int store_fs_readdir(struct store_tx *tx, uint64_t dir, uint64_t *cookie, struct store_fs_dirent *out);
/* Creates the root directory (store_format calls it). */
int store_fs_init(struct store_tx *tx);
/* The file layer's invariants over the whole store (store_check calls it). */
int store_fs_check(struct store *st, char *msg, size_t msgsize);

/* ---- the event log (fs.c): records of optios/abi/handler.h, keyed by seq ---- */
struct optios_log_record;
int store_log_append(struct store_tx *tx, const struct optios_log_record *r);
/*
 * Records may be stored unlinked (their prev_hash not made yet: the kernel
 * links the log lazily, kernel/event/evlog.c): the owed mark (a key of its
 * own, STORE_LOG_OWED) then names the first such record U, put in the same
 * transaction; every stored record from U on is owed its link, which is
 * the link of the stored record before it (U - 1 is stored, linked). Not
 * set: every record is linked.
 * store_log_owed: 1 and *from when set, 0 when not, or -errno (-EINVAL: a
 * malformed mark). store_log_set_owed: sets it (from 0: removes it).
 */
#define STORE_LOG_OWED ((struct store_key){STORE_OBJ(STORE_CLASS_LOG, 1), 0})
int store_log_owed(struct store_tx *tx, uint64_t *from);
int store_log_set_owed(struct store_tx *tx, uint64_t from);
/* Links the stored records from `from` on (each to the one before it, from
 * from - 1, which must be stored), puts them back linked into tx and
 * removes the owed mark: what a boot does with a log cut before the kernel
 * linked it. Returns the records linked, or -errno (-EINVAL: record from - 1
 * is missing). The cost: one SHA-256 a record (~8,800 instructions). */
int store_log_relink(struct store_tx *tx, uint64_t from);
/* Deletes the records with seq < keep_from (retention). */
int store_log_trim(struct store_tx *tx, uint64_t keep_from);
/* The retention: how many of the newest records to keep, so that the log's
 * records take at most an eighth of the log's space (at least 64). */
uint64_t store_log_keep(const struct store *st);

#endif
