/*
 * vnode_file.c - open files on vnodes: the file_ops of regular files and
 * directories. f->priv is the vnode (one reference); f->off is the byte
 * offset of a regular file, or for a directory the index of the next entry
 * (0 ".", 1 "..", 2 + i the i-th child).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "fs_internal.h"
#include "lib/lib.h"

static long vf_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	uint64_t lk = fs_lock();
	long n = vn_read(f->priv, buf, len, off);
	fs_unlock(lk);
	return n;
}

static long vf_read(struct file *f, void *buf, size_t len)
{
	uint64_t lk = fs_lock();
	long n = vn_read(f->priv, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	fs_unlock(lk);
	return n;
}

/* Linux writes at the end with O_APPEND, pwrite included. */
static long vf_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	uint64_t lk = fs_lock();
	struct vnode *v = f->priv;
	long n = vn_write(v, buf, len, (f->flags & O_APPEND) ? v->size : off);
	fs_unlock(lk);
	return n;
}

static long vf_write(struct file *f, const void *buf, size_t len)
{
	uint64_t lk = fs_lock();
	struct vnode *v = f->priv;
	if (f->flags & O_APPEND)
		f->off = v->size;
	long n = vn_write(v, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	fs_unlock(lk);
	return n;
}

static long vf_lseek(struct file *f, int64_t off, int whence)
{
	uint64_t lk = fs_lock();
	struct vnode *v = f->priv;
	int64_t base;
	long r;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->off; break;
	case SEEK_END: base = vn_is_dir(v) ? 0 : (int64_t)v->size; break;
	default: base = -1; break;
	}
	if (base < 0 || (off > 0 && base > INT64_MAX - off) || base + off < 0) {
		r = -EINVAL;
	} else {
		f->off = (uint64_t)(base + off);
		r = (long)f->off;
	}
	fs_unlock(lk);
	return r;
}

static int vf_stat(struct file *f, struct kstat *st)
{
	uint64_t lk = fs_lock();
	vn_stat(f->priv, st);
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

static long vf_getdents(struct file *f, void *buf, size_t len)
{
	uint64_t lk = fs_lock();
	struct vnode *v = f->priv, *c = v->children;
	size_t done = 0, n = 1;
	long r;
	if (!vn_is_dir(v)) {
		fs_unlock(lk);
		return -ENOTDIR;
	}
	for (uint64_t i = 2; c && i < f->off; i++)
		c = c->next;
	while (n) {
		uint64_t at = f->off;
		if (at == 0)
			n = put_dirent((char *)buf + done, len - done, v->ino, 1, DT_DIR, ".", 1);
		else if (at == 1)
			n = put_dirent((char *)buf + done, len - done, dotdot(v)->ino, 2, DT_DIR, "..", 2);
		else if (c)
			n = put_dirent((char *)buf + done, len - done, c->ino, (int64_t)at + 1,
				       vn_is_dir(c) ? DT_DIR : DT_REG, c->name, c->namelen);
		else
			break;
		if (n) {
			done += n;
			f->off++;
			if (at >= 2)
				c = c->next;
		}
	}
	r = (done == 0 && (f->off < 2 || c)) ? -EINVAL : (long)done;
	fs_unlock(lk);
	return r;
}

static void vf_release(struct file *f)
{
	uint64_t lk = fs_lock();
	vn_put(f->priv);
	fs_unlock(lk);
}

const struct file_ops vnode_file_ops = {
	.read = vf_read,
	.write = vf_write,
	.pread = vf_pread,
	.pwrite = vf_pwrite,
	.lseek = vf_lseek,
	.stat = vf_stat,
	.getdents = vf_getdents,
	.release = vf_release,
};

struct vnode *vfs_file_vnode(struct file *f)
{
	return f && f->ops == &vnode_file_ops ? f->priv : NULL;
}
