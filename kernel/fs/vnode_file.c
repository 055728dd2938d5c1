/*
 * vnode_file.c - open files on vnodes: the file_ops of regular files and
 * directories. f->priv is a struct vfile: the vnode (one reference) and what
 * this open did to it; f->off is the byte offset of a regular file, or for a
 * directory where the listing goes on: 0 ".", 1 "..", else the first entry
 * whose cookie is >= f->off (dir.c: entries keep their cookies while others
 * are removed, so a listing interleaved with unlinks misses none). A
 * directory's vfile keeps the entry it will return next (a reference), so
 * resuming a listing costs O(1) instead of a walk from the first entry.
 *
 * File events: the last close of an open that created its file raises
 * "created", else of one that wrote or truncated it "written" (for the path
 * the file has then; none if it was removed meanwhile).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "fs_internal.h"
#include "lib/lib.h"
#include "path.h"

struct vfile {
	struct vnode *v;
	bool created; /* this open made the file */
	bool written; /* written or truncated through this open */
	struct vnode *next; /* directories: the entry a listing at f->off resumes at, or NULL */
};

static struct vnode *vnode_of(struct file *f)
{
	return ((struct vfile *)f->priv)->v;
}

struct file *vnode_file_create(struct vnode *v, int flags, bool created)
{
	struct vfile *vf = kzalloc(sizeof *vf);
	struct file *f = vf ? file_create(&vnode_file_ops, vf, flags & FILE_KEPT_FLAGS) : NULL;
	if (!f) {
		kfree(vf);
		return NULL;
	}
	vf->v = v;
	vf->created = created;
	vf->written = (flags & O_TRUNC) && !vn_is_dir(v);
	vn_get(v);
	return f;
}

/* A file of /data: a handler run's change not yet durable is not shown
 * (vfs_store.c, the data gate). Before any lock. */
static void gate(struct file *f)
{
	if (vnode_of(f)->fs->persistent)
		fs_store_gate(NULL);
}

static long vf_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	gate(f);
	uint64_t lk = fs_lock();
	long n = vn_read(vnode_of(f), buf, len, off);
	fs_unlock(lk);
	return n;
}

/* Makes room in v's tree for a write of len bytes at off: the pages are
 * allocated now (zero: a hole reads the same), so that once the store has
 * taken the write, the tree's cannot fail. The bytes covered (a short
 * write at the file system's limit), or a negative errno. */
static long reserve(struct vnode *v, uint64_t off, size_t len)
{
	if (vn_is_dir(v))
		return -EISDIR;
	if (v->fs->readonly)
		return -EROFS;
	if (off > v->fs->limit || len > v->fs->limit - off)
		return -EFBIG;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		if (!ptree_get(&v->data, v->fs, pos / FS_PAGE))
			break;
		done += MIN(len - done, (size_t)(FS_PAGE - pos % FS_PAGE));
	}
	return done ? (long)done : -ENOSPC;
}

/* A write on a persistent file system (the store first, vfs_store.c):
 * at off, or (seq) at f->off moving it; the end with O_APPEND. */
static long persist_write(struct file *f, const void *buf, size_t len, uint64_t off, bool seq)
{
	struct vfile *vf = f->priv;
	struct vnode *v = vf->v;
	if (len == 0)
		return 0;
	uint64_t lk = fs_lock();
	if (f->flags & O_APPEND)
		off = v->size;
	else if (seq)
		off = f->off;
	long n = reserve(v, off, len);
	fs_unlock(lk);
	if (n > 0)
		n = fs_store_write(v, off, buf, (size_t)n);
	if (n > 0) {
		lk = fs_lock();
		n = vn_write(v, buf, (size_t)n, off);
		if (n > 0) {
			vf->written = true;
			if (seq)
				f->off = off + (uint64_t)n;
		}
		fs_unlock(lk);
	}
	fs_store_end();
	return n;
}

/* Linux writes at the end with O_APPEND, pwrite included. */
static long vf_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	struct vfile *vf = f->priv;
	gate(f);
	if (fs_store_begin_vnode(vf->v))
		return persist_write(f, buf, len, off, false);
	uint64_t lk = fs_lock();
	long n = vn_write(vf->v, buf, len, (f->flags & O_APPEND) ? vf->v->size : off);
	if (n > 0)
		vf->written = true;
	fs_unlock(lk);
	return n;
}

static long vf_write(struct file *f, const void *buf, size_t len)
{
	struct vfile *vf = f->priv;
	gate(f);
	if (fs_store_begin_vnode(vf->v))
		return persist_write(f, buf, len, 0, true);
	return file_write_seq(f, buf, len);
}

static int vf_truncate(struct file *f, uint64_t size)
{
	struct vfile *vf = f->priv;
	gate(f);
	bool persist = fs_store_begin_vnode(vf->v);
	int err = vn_is_dir(vf->v) ? -EINVAL : size > vf->v->fs->limit ? -EFBIG : 0;
	if (!err && persist)
		err = fs_store_truncate(vf->v, size);
	uint64_t lk = fs_lock();
	if (!err)
		err = vn_truncate(vf->v, size);
	if (!err)
		vf->written = true;
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	return err;
}

static long vf_lseek(struct file *f, int64_t off, int whence)
{
	gate(f);
	uint64_t lk = fs_lock();
	struct vnode *v = vnode_of(f);
	long r = file_seek(f, off, whence, vn_is_dir(v) ? 0 : v->size);
	fs_unlock(lk);
	return r;
}

static int vf_stat(struct file *f, struct kstat *st)
{
	gate(f);
	uint64_t lk = fs_lock();
	vn_stat(vnode_of(f), st);
	fs_unlock(lk);
	return 0;
}

/* Appends one record if it fits: its length, or 0 when it does not. */
static size_t put_dirent(void *buf, size_t room, uint64_t ino, int64_t next, uint8_t type, const char *name,
			 size_t namelen)
{
	size_t reclen = ALIGN_UP(offsetof(struct kdirent64, d_name) + namelen + 1, 8);
	if (reclen > room)
		return 0;
	struct kdirent64 *d = buf;
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, namelen);
	return reclen;
}

/* The directory a path's ".." names (a mounted root's is its mount point's parent). */
static struct vnode *dotdot(struct vnode *v)
{
	while (!v->parent && v->fs->covered)
		v = v->fs->covered;
	return v->parent ? v->parent : v;
}

/* Remembers c (or nothing) as where the listing resumes. */
static void keep_next(struct vfile *vf, struct vnode *c)
{
	if (c)
		vn_get(c);
	if (vf->next)
		vn_put(vf->next);
	vf->next = c;
}

/* Each record's d_off is the offset after it: 1, 2, then the entry's cookie + 1. */
/* The d_type of entry c (an alias: its file's type, which it keeps). */
static unsigned char dirent_type(const struct vnode *c)
{
	switch (c->mode & S_IFMT) {
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFIFO: return 1; /* DT_FIFO */
	case S_IFCHR: return 2; /* DT_CHR */
	case S_IFBLK: return 6; /* DT_BLK */
	case S_IFSOCK: return 12; /* DT_SOCK */
	}
	return DT_REG;
}

static long vf_getdents(struct file *f, void *buf, size_t len)
{
	gate(f);
	struct vfile *vf = f->priv;
	struct vnode *v = vf->v, *c = NULL, *hint = vf->next;
	size_t done = 0, n = 1;
	uint64_t lk = fs_lock();
	if (!vn_is_dir(v)) {
		fs_unlock(lk);
		return -ENOTDIR;
	}
	while (n) {
		char *at = (char *)buf + done;
		if (f->off == 0)
			n = put_dirent(at, len - done, v->ino, 1, DT_DIR, ".", 1);
		else if (f->off == 1)
			n = put_dirent(at, len - done, dotdot(v)->ino, 2, DT_DIR, "..", 2);
		else if ((c = dir_seek(v, f->off, hint)) != NULL)
			n = put_dirent(at, len - done, c->ino, (int64_t)(c->cookie + 1), dirent_type(c),
				       c->name, c->namelen);
		else
			break;
		if (n == 0)
			break;
		done += n;
		if (f->off < 2) {
			f->off++;
		} else {
			f->off = c->cookie + 1;
			hint = c->next;
			c = NULL;
		}
	}
	keep_next(vf, c); /* the entry that did not fit, or NULL */
	long r = done == 0 && n == 0 ? -EINVAL : (long)done;
	fs_unlock(lk);
	return r;
}

/* The path of the event the last close raises, kmalloc'd, or NULL for none.
 * Call with the fs lock held. */
static char *close_event_path(const struct vfile *vf)
{
	if (!vf->created && !vf->written)
		return NULL;
	char *path = kmalloc(PATH_MAX);
	if (path && vn_path(vf->v, path, PATH_MAX) < 0) {
		kfree(path);
		path = NULL;
	}
	return path;
}

static void vf_release(struct file *f)
{
	struct vfile *vf = f->priv;
	uint64_t lk = fs_lock();
	char *path = close_event_path(vf);
	keep_next(vf, NULL);
	vn_put(vf->v);
	fs_unlock(lk);
	if (path)
		fs_file_event(path, vf->created ? "created" : "written", proc_current_name());
	kfree(path);
	kfree(vf);
}

const struct file_ops vnode_file_ops = {
	.read = file_read_seq,
	.write = vf_write,
	.pread = vf_pread,
	.pwrite = vf_pwrite,
	.lseek = vf_lseek,
	.stat = vf_stat,
	.truncate = vf_truncate,
	.getdents = vf_getdents,
	.release = vf_release,
};

struct vnode *vfs_file_vnode(struct file *f)
{
	return f && f->ops == &vnode_file_ops ? vnode_of(f) : NULL;
}
