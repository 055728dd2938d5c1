/*
 * file.c - open files (reference counted) and descriptor tables (file.h).
 *
 * A table is FD_MAX slots, each a file reference or NULL, plus the slot's
 * close-on-exec flag. A table belongs to one owner - a process, or a handler
 * (whose table is part of its snapshot); files may be shared by several
 * tables (dup, spawn), so their counts change under the fs lock. A NULL
 * table (a process without descriptors) has every slot closed.
 *
 * Checkpoints (a handler run, kernel/handler). fdtable_checkpoint remembers
 * the table; fdtable_commit forgets the memory, fdtable_rollback puts the
 * table back exactly: the same files in the same slots with the same flags,
 * and each of those files at the offset and status flags it had. The copy is
 * lazy, like the memory journal's: the checkpoint records only the offsets
 * and status flags of the open files (bits of `used`); the first change of a
 * slot (install, close, dup2, FD_CLOEXEC) copies the slots and takes a
 * reference on each saved file, so a run that never opens or closes anything
 * pays a few loads.
 *
 * Invariants:
 *   - bit i of used is set exactly when slot[i] != NULL;
 *   - a table is checkpointed (armed) from fdtable_checkpoint to its commit
 *     or rollback; saved_off/saved_status hold the offsets and status flags
 *     of the files of the slots in saved_used;
 *   - held implies armed; while held, saved_slot[i] (bit i of saved_used)
 *     holds one reference on its file of its own, so a file closed during
 *     the run lives until the commit, for the rollback to put it back.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "fs_internal.h"
#include "lib/lib.h"

struct fdtable {
	struct file *slot[FD_MAX];
	uint8_t fdflags[FD_MAX]; /* FD_CLOEXEC */
	uint64_t used; /* bit i: slot[i] != NULL */
	/* the checkpoint (see above) */
	bool armed, held;
	uint64_t saved_used;
	struct file *saved_slot[FD_MAX];
	uint8_t saved_fdflags[FD_MAX];
	uint64_t saved_off[FD_MAX];
	int saved_status[FD_MAX];
};

_Static_assert(FD_MAX == 64, "a table's used slots are the bits of one uint64_t");

#define BIT(i) ((uint64_t)1 << (i))
/* Each slot i of the bit set m, lowest first. */
#define FOR_EACH_BIT(i, m) for (uint64_t m_ = (m); m_ && ((i) = __builtin_ctzll(m_), 1); m_ &= m_ - 1)

struct file *file_create(const struct file_ops *ops, void *priv, int flags)
{
	struct file *f = kzalloc(sizeof *f);
	if (!f)
		return NULL;
	f->ops = ops;
	f->priv = priv;
	f->flags = flags;
	f->refs = 1;
	return f;
}

struct file *file_get(struct file *f)
{
	uint64_t lk = fs_lock();
	f->refs++;
	fs_unlock(lk);
	return f;
}

void file_put(struct file *f)
{
	uint64_t lk = fs_lock();
	bool last = --f->refs == 0;
	fs_unlock(lk);
	if (!last)
		return;
	lock_flock_release(f);
	if (f->ops->release)
		f->ops->release(f);
	kfree(f);
}

long file_seek(struct file *f, int64_t off, int whence, uint64_t size)
{
	int64_t base;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->off; break;
	case SEEK_END: base = (int64_t)size; break;
	default: return -EINVAL;
	}
	if (base < 0 || (off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->off = (uint64_t)(base + off);
	return (long)f->off;
}

long file_read_seq(struct file *f, void *buf, size_t len)
{
	uint64_t lk = fs_lock();
	long n = f->ops->pread(f, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	fs_unlock(lk);
	return n;
}

long file_write_seq(struct file *f, const void *buf, size_t len)
{
	uint64_t lk = fs_lock();
	if (f->flags & O_APPEND)
		f->ops->lseek(f, 0, SEEK_END);
	long n = f->ops->pwrite(f, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	fs_unlock(lk);
	return n;
}

struct fdtable *fdtable_create(void)
{
	return kzalloc(sizeof(struct fdtable));
}

struct fdtable *fdtable_clone(const struct fdtable *src, int n)
{
	struct fdtable *t = fdtable_create();
	if (!t)
		return NULL;
	for (int i = 0; i < n && i < FD_MAX; i++) {
		if (src->slot[i]) {
			t->slot[i] = file_get(src->slot[i]);
			t->fdflags[i] = src->fdflags[i];
			t->used |= BIT(i);
		}
	}
	return t;
}

void fdtable_destroy(struct fdtable *t)
{
	if (!t)
		return;
	fdtable_commit(t); /* lets go of a checkpoint's references */
	for (int i = 0; i < FD_MAX; i++)
		fd_close(t, i);
	kfree(t);
}

/* ---- checkpoints ---- */

/* Before the first change of a slot under a checkpoint: the slots as they
 * were, each saved file with a reference of the checkpoint's. */
static void hold(struct fdtable *t)
{
	if (!t->armed || t->held)
		return;
	int i;
	memcpy(t->saved_slot, t->slot, sizeof t->slot);
	memcpy(t->saved_fdflags, t->fdflags, sizeof t->fdflags);
	FOR_EACH_BIT (i, t->saved_used)
		file_get(t->saved_slot[i]);
	t->held = true;
}

void fdtable_checkpoint(struct fdtable *t)
{
	int i;
	fdtable_commit(t);
	t->saved_used = t->used;
	FOR_EACH_BIT (i, t->used) {
		t->saved_off[i] = t->slot[i]->off;
		t->saved_status[i] = t->slot[i]->flags;
	}
	t->armed = true;
}

void fdtable_commit(struct fdtable *t)
{
	int i;
	if (t->held)
		FOR_EACH_BIT (i, t->saved_used)
			file_put(t->saved_slot[i]);
	t->armed = t->held = false;
}

void fdtable_rollback(struct fdtable *t)
{
	int i;
	if (!t->armed)
		return;
	if (t->held) { /* the checkpoint's references become the slots' */
		FOR_EACH_BIT (i, t->used)
			file_put(t->slot[i]);
		memcpy(t->slot, t->saved_slot, sizeof t->slot);
		memcpy(t->fdflags, t->saved_fdflags, sizeof t->fdflags);
		t->used = t->saved_used;
	}
	FOR_EACH_BIT (i, t->used) {
		t->slot[i]->off = t->saved_off[i];
		t->slot[i]->flags = t->saved_status[i];
	}
	t->armed = t->held = false;
}

/* ---- slots ---- */

int fd_install(struct fdtable *t, struct file *f, int min)
{
	if (!t)
		return -EMFILE;
	for (int i = MAX(min, 0); i < FD_MAX; i++) {
		if (!t->slot[i]) {
			hold(t);
			t->slot[i] = f;
			t->fdflags[i] = 0;
			t->used |= BIT(i);
			return i;
		}
	}
	return -EMFILE;
}

const void *file_lock_key(struct file *f)
{
	return vfs_file_vnode(f);
}

/* A descriptor of t closed: the process's record locks on the file go
 * (POSIX: any close, even of another descriptor of it), then the reference. */
static void put_closed(struct fdtable *t, struct file *f)
{
	const void *key = file_lock_key(f);
	if (key)
		lock_posix_release(key, t);
	file_put(f);
}

int fd_install_at(struct fdtable *t, struct file *f, int fd)
{
	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	hold(t);
	struct file *old = t->slot[fd];
	t->slot[fd] = f;
	t->fdflags[fd] = 0;
	t->used |= BIT(fd);
	if (old)
		put_closed(t, old);
	return fd;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	if (!t || fd < 0 || fd >= FD_MAX || !t->slot[fd])
		return NULL;
	return file_get(t->slot[fd]);
}

int fd_close(struct fdtable *t, int fd)
{
	if (!t || fd < 0 || fd >= FD_MAX || !t->slot[fd])
		return -EBADF;
	hold(t);
	struct file *f = t->slot[fd];
	t->slot[fd] = NULL;
	t->fdflags[fd] = 0;
	t->used &= ~BIT(fd);
	put_closed(t, f);
	return 0;
}

int fd_flags_get(struct fdtable *t, int fd)
{
	if (!t || fd < 0 || fd >= FD_MAX || !t->slot[fd])
		return -EBADF;
	return t->fdflags[fd];
}

int fd_flags_set(struct fdtable *t, int fd, int flags)
{
	if (!t || fd < 0 || fd >= FD_MAX || !t->slot[fd])
		return -EBADF;
	if (t->fdflags[fd] != (uint8_t)(flags & FD_CLOEXEC))
		hold(t);
	t->fdflags[fd] = (uint8_t)(flags & FD_CLOEXEC);
	return 0;
}

int fd_count(const struct fdtable *t)
{
	int n = 0, i;
	FOR_EACH_BIT (i, t ? t->used : 0)
		n++;
	(void)i;
	return n;
}

void fd_close_cloexec(struct fdtable *t)
{
	int i;
	FOR_EACH_BIT (i, t->used) {
		if (t->fdflags[i] & FD_CLOEXEC)
			fd_close(t, i);
	}
}

void fd_close_if(struct fdtable *t, bool (*match)(const struct file *f, const void *arg), const void *arg)
{
	int i;
	FOR_EACH_BIT (i, t ? t->used : 0)
		if (match(t->slot[i], arg))
			fd_close(t, i);
}
