/*
 * pseudofs.c - /dev and /proc: which one a path goes to, and the two kinds
 * of open file they share (pseudofs.h has the theory).
 *
 * A text file (a /proc file) owns its text, made whole at open: reads are
 * positioned copies from it, so a reader sees one consistent moment, and a
 * second open sees a new one (Linux's seq_file gives the same for small
 * files). A directory file owns a copy of its names: getdents gives
 * records from index f->off (d_off is the next index), "." and ".." first.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/vfs.h"
#include "kernel/mm/mm.h"
#include "lib/lib.h"
#include "pseudofs.h"
#include "pseudofs_internal.h"

/* The rest of path after prefix if path is prefix or below it, else NULL. */
static const char *below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path + n;
}

bool pseudofs_owns(const char *path)
{
	return below(path, "/dev") || below(path, "/proc");
}

bool pseudofs_free_device(const char *path)
{
	const char *rest = below(path, "/dev");
	return rest && devfs_free(rest);
}

int pseudofs_open(const char *path, int flags, struct file **out)
{
	const char *rest;
	if ((rest = below(path, "/dev")))
		return devfs_open(rest, flags, out);
	if ((rest = below(path, "/proc")))
		return procfs_open(rest, flags, out);
	return -ENOENT;
}

int pseudofs_stat(const char *path, struct kstat *st)
{
	const char *rest;
	if ((rest = below(path, "/dev")))
		return devfs_stat(rest, st);
	if ((rest = below(path, "/proc")))
		return procfs_stat(rest, st);
	return -ENOENT;
}

int pseudofs_lstat(const char *path, struct kstat *st)
{
	char link[16];
	long n = pseudofs_readlink(path, link, sizeof link);
	if (n < 0)
		return n == -EINVAL ? pseudofs_stat(path, st) : (int)n;
	pseudofs_stat_fill(st, S_IFLNK | 0777, PSEUDOFS_DEV_PROC, 1);
	st->st_size = n;
	return 0;
}

long pseudofs_readlink(const char *path, char *buf, size_t size)
{
	struct kstat st;
	const char *rest = below(path, "/proc");
	if (rest)
		return procfs_readlink(rest, buf, size);
	return pseudofs_stat(path, &st) ?: -EINVAL;
}

void pseudofs_stat_fill(struct kstat *st, uint32_t mode, uint64_t dev, uint64_t ino)
{
	memset(st, 0, sizeof *st);
	st->st_mode = mode;
	st->st_nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
	st->st_dev = dev;
	st->st_ino = ino;
	st->st_blksize = 1024;
}

/* ---- text files ---- */

struct text {
	char *bytes;
	size_t len;
};

static long text_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	struct text *t = f->priv;
	if (off >= t->len)
		return 0;
	size_t n = MIN(len, t->len - (size_t)off);
	memcpy(buf, t->bytes + off, n);
	return (long)n;
}

static long text_read(struct file *f, void *buf, size_t len)
{
	long n = text_pread(f, buf, len, f->off);
	f->off += (uint64_t)n;
	return n;
}

static long text_lseek(struct file *f, int64_t off, int whence)
{
	struct text *t = f->priv;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)f->off : (int64_t)t->len;
	if (whence < SEEK_SET || whence > SEEK_END || base + off < 0)
		return -EINVAL;
	f->off = (uint64_t)(base + off);
	return (long)f->off;
}

static int text_stat(struct file *f, struct kstat *st)
{
	(void)f;
	pseudofs_stat_fill(st, S_IFREG | 0444, PSEUDOFS_DEV_PROC, 0);
	return 0; /* size 0, as Linux's /proc files */
}

static void text_release(struct file *f)
{
	struct text *t = f->priv;
	kfree(t->bytes);
	kfree(t);
}

static const struct file_ops text_ops = {
	.read = text_read,
	.pread = text_pread,
	.lseek = text_lseek,
	.stat = text_stat,
	.release = text_release,
};

struct file *pseudofs_text_file(char *bytes, size_t len)
{
	struct text *t = kmalloc(sizeof *t);
	struct file *f = t ? file_create(&text_ops, t, O_RDONLY) : NULL;
	if (!f) {
		kfree(t);
		kfree(bytes);
		return NULL;
	}
	*t = (struct text){bytes, len};
	return f;
}

/* ---- directories ---- */

struct listing {
	char *path;
	size_t n;
	char **names;
	unsigned char *dtypes;
};

static long dir_getdents(struct file *f, void *buf, size_t len)
{
	struct listing *l = f->priv;
	size_t used = 0;
	for (; f->off < l->n + 2; f->off++) {
		size_t i = (size_t)f->off;
		const char *name = i == 0 ? "." : i == 1 ? ".." : l->names[i - 2];
		size_t reclen = ALIGN_UP(offsetof(struct kdirent64, d_name) + strlen(name) + 1, 8);
		if (used + reclen > len)
			break;
		struct kdirent64 *d = (struct kdirent64 *)((char *)buf + used);
		d->d_ino = i + 1;
		d->d_off = (int64_t)i + 1;
		d->d_reclen = (uint16_t)reclen;
		d->d_type = i < 2 ? DT_DIR : l->dtypes[i - 2];
		memcpy(d->d_name, name, strlen(name) + 1);
		used += reclen;
	}
	return used == 0 && f->off < l->n + 2 ? -EINVAL : (long)used;
}

static long dir_lseek(struct file *f, int64_t off, int whence)
{
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	f->off = (uint64_t)off;
	return off;
}

static int dir_stat(struct file *f, struct kstat *st)
{
	struct listing *l = f->priv;
	return pseudofs_stat(l->path, st);
}

static void dir_release(struct file *f)
{
	struct listing *l = f->priv;
	kfree(l); /* one block: the names and path live in it */
}

static const struct file_ops dir_ops = {
	.lseek = dir_lseek,
	.stat = dir_stat,
	.getdents = dir_getdents,
	.release = dir_release,
};

struct file *pseudofs_dir_file(const char *path, const char *const *names, const unsigned char *dtypes,
			       size_t n)
{
	size_t bytes = sizeof(struct listing) + n * (sizeof(char *) + 1) + strlen(path) + 1;
	for (size_t i = 0; i < n; i++)
		bytes += strlen(names[i]) + 1;
	struct listing *l = kmalloc(bytes);
	if (!l)
		return NULL;
	l->n = n;
	l->names = (char **)(l + 1);
	l->dtypes = (unsigned char *)(l->names + n);
	char *p = (char *)(l->dtypes + n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]) + 1;
		l->names[i] = memcpy(p, names[i], len);
		p += len;
		l->dtypes[i] = dtypes[i];
	}
	l->path = memcpy(p, path, strlen(path) + 1);
	struct file *f = file_create(&dir_ops, l, O_RDONLY | O_DIRECTORY);
	if (!f)
		kfree(l);
	return f;
}

int pseudofs_dir_path(struct file *f, char *out, size_t outsz)
{
	if (f->ops != &dir_ops)
		return -ENOTDIR;
	struct listing *l = f->priv;
	return ksnprintf(out, outsz, "%s", l->path);
}

/* What vfs_resolve asks of the file systems beside the VFS (vfs.h). */
bool vfs_foreign_owns(const char *path)
{
	return pseudofs_owns(path);
}

long vfs_foreign_readlink(const char *path, char *buf, size_t size)
{
	return pseudofs_readlink(path, buf, size);
}
