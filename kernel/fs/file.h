/*
 * file.h - open files and descriptor tables: what every kind of file (a VFS
 * file or directory, a console) offers the system calls.
 *
 * A struct file is reference counted: one reference per descriptor slot that
 * holds it (dup shares it) plus any the kernel takes while using it. Its
 * release op runs when the last reference goes. Ops receive kernel buffers
 * only; the sys_ functions copy to and from user memory.
 */
#ifndef KERNEL_FS_FILE_H
#define KERNEL_FS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct kstat;

struct file_ops {
	/* Sequential access at f->off (advanced by the op). May sleep (consoles). */
	long (*read)(struct file *f, void *buf, size_t len);
	long (*write)(struct file *f, const void *buf, size_t len);
	/* Positioned access; NULL means the file is not seekable (-ESPIPE). */
	long (*pread)(struct file *f, void *buf, size_t len, uint64_t off);
	long (*pwrite)(struct file *f, const void *buf, size_t len, uint64_t off);
	/* New offset or -EINVAL; NULL: -ESPIPE. */
	long (*lseek)(struct file *f, int64_t off, int whence);
	/* arg is a kernel copy of the argument (sys_ioctl knows each command's
	 * size and direction); NULL op: -ENOTTY. */
	int (*ioctl)(struct file *f, unsigned long cmd, void *arg);
	int (*stat)(struct file *f, struct kstat *st);
	/* Regular files open for writing: sets the size. NULL: -EINVAL. */
	int (*truncate)(struct file *f, uint64_t size);
	/* Directories: fills buf with linux_dirent64 records from f->off; returns bytes. */
	long (*getdents)(struct file *f, void *buf, size_t len);
	/* Readiness now, as poll's revents (POLLIN, POLLOUT, POLLHUP, POLLERR;
	 * optios/abi/poll.h). NULL: always ready for both (regular files). A
	 * file type with a poll op calls poll_wake() (kernel/syscall) whenever
	 * its readiness may have changed, so pollers look again. */
	unsigned (*poll)(struct file *f);
	/* Last reference gone: free what priv holds. */
	void (*release)(struct file *f);
};

struct file {
	const struct file_ops *ops;
	void *priv; /* the owner's state (vnode, tty, ...) */
	uint64_t off;
	int flags; /* O_ACCMODE bits, O_APPEND, O_NONBLOCK, O_DIRECTORY (Linux values) */
	int refs;
};

/* A new file with one reference; NULL if out of memory. */
struct file *file_create(const struct file_ops *ops, void *priv, int flags);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* Descriptor tables (FD_MAX slots); cloned at spawn, destroyed at exit. */
#define FD_MAX 64
struct fdtable;
struct fdtable *fdtable_create(void);
/* A new table sharing the files of slots 0..n-1 of src (spawn: n = 3). */
struct fdtable *fdtable_clone(const struct fdtable *src, int n);
void fdtable_destroy(struct fdtable *t);
/* Puts f (taking over the caller's reference) in the lowest free slot >= min:
 * the descriptor, or -EMFILE. */
int fd_install(struct fdtable *t, struct file *f, int min);
/* Puts f at exactly fd, closing what was there (dup2): fd or -EBADF. */
int fd_install_at(struct fdtable *t, struct file *f, int fd);
/* The file at fd with a new reference (file_put when done), or NULL. */
struct file *fd_get(struct fdtable *t, int fd);
/* 0 or -EBADF. */
int fd_close(struct fdtable *t, int fd);
/* The slot's descriptor flags (FD_CLOEXEC) or -EBADF; set: 0 or -EBADF. */
int fd_flags_get(struct fdtable *t, int fd);
int fd_flags_set(struct fdtable *t, int fd, int flags);
/* Closes every descriptor of t marked FD_CLOEXEC (execve). */
void fd_close_cloexec(struct fdtable *t);
/* Open descriptors in t (tests, reports). */
int fd_count(const struct fdtable *t);
/* Closes every descriptor of t whose file match(f, arg) picks. */
void fd_close_if(struct fdtable *t, bool (*match)(const struct file *f, const void *arg), const void *arg);

/* Checkpoints (a handler run; file.c has the invariants). checkpoint
 * remembers t (any earlier checkpoint is committed); rollback puts t back as
 * it was then - the same files in the same slots, with their FD_CLOEXEC
 * flags, offsets and status flags - and closes what was opened since; commit
 * keeps t as it is and forgets the checkpoint. Both do nothing without one.
 * Cheap while nothing changes: the slots are copied at the first change. */
void fdtable_checkpoint(struct fdtable *t);
void fdtable_commit(struct fdtable *t);
void fdtable_rollback(struct fdtable *t);

/* ---- advisory locks (lock.c: theory and invariants) ---- */

#define LOCK_READ 1 /* shared */
#define LOCK_WRITE 2 /* exclusive */
#define LOCK_UNLOCK 3
#define LOCK_EOF UINT64_MAX /* a range's end: to the end of the file, however long */

struct lock_info {
	int type, pid;
	uint64_t start, end;
};

/* What locks key f's locks (its vnode), or NULL: not a lockable file. */
const void *file_lock_key(struct file *f);
/* Whether a lock of type on [start, end) by owner (a process's fdtable)
 * would conflict; if so *conflict (may be NULL) describes one holder's. */
bool lock_posix_test(const void *key, const void *owner, int type, uint64_t start, uint64_t end,
		     struct lock_info *conflict);
/* Sets (LOCK_READ/WRITE) or removes (LOCK_UNLOCK) owner's lock on
 * [start, end), splitting and merging its other ranges. 0, -EAGAIN (another
 * owner holds a conflicting lock: nothing changed), -EINVAL (empty range),
 * -ENOMEM. */
int lock_posix_set(const void *key, const void *owner, int pid, int type, uint64_t start, uint64_t end);
/* Drops every lock of owner on key (key NULL: on every file); returns how many. */
size_t lock_posix_release(const void *key, const void *owner);
/* flock: owner (an open file) takes type on the whole of key, or drops it
 * (LOCK_UNLOCK). 0, -EAGAIN, -ENOMEM. */
int lock_flock(const void *key, const void *owner, int type);
/* Drops owner's flock locks (its last close); returns how many. */
size_t lock_flock_release(const void *owner);
/* Locks held (tests). */
size_t lock_count(void);
/* Upcall (defined above the file system, by kernel/syscall): a lock went or
 * changed, so waiters for one should look again. */
void fs_locks_changed(void);

#endif
