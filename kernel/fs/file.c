/*
 * file.c - open files (reference counted) and descriptor tables (file.h).
 *
 * A table is FD_MAX slots, each a file reference or NULL, plus the slot's
 * close-on-exec flag. A table belongs to one process; files may be shared
 * by several tables (dup, spawn), so their counts change under the fs lock.
 * A NULL table (a process without descriptors) has every slot closed.
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
};

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
		}
	}
	return t;
}

void fdtable_destroy(struct fdtable *t)
{
	if (!t)
		return;
	for (int i = 0; i < FD_MAX; i++)
		fd_close(t, i);
	kfree(t);
}

int fd_install(struct fdtable *t, struct file *f, int min)
{
	if (!t)
		return -EMFILE;
	for (int i = MAX(min, 0); i < FD_MAX; i++) {
		if (!t->slot[i]) {
			t->slot[i] = f;
			t->fdflags[i] = 0;
			return i;
		}
	}
	return -EMFILE;
}

int fd_install_at(struct fdtable *t, struct file *f, int fd)
{
	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	struct file *old = t->slot[fd];
	t->slot[fd] = f;
	t->fdflags[fd] = 0;
	if (old)
		file_put(old);
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
	struct file *f = t->slot[fd];
	t->slot[fd] = NULL;
	t->fdflags[fd] = 0;
	file_put(f);
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
	t->fdflags[fd] = (uint8_t)(flags & FD_CLOEXEC);
	return 0;
}

int fd_count(const struct fdtable *t)
{
	int n = 0;
	for (int i = 0; i < FD_MAX; i++)
		n += t->slot[i] != NULL;
	return n;
}
