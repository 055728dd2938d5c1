/*
 * initramfs.c - the root image: the members of a cpio "newc" archive become
 * vnodes of a (then read-only) file system. File contents stay in the
 * archive (rodata), so the archive must stay mapped for good.
 *
 * Names may be "etc/x", "./etc/x" or "/etc/x"; missing parent directories are
 * made; a later member of the same name replaces an earlier file. Symlinks,
 * devices, FIFOs and sockets are skipped (counted). Hard links are not
 * joined: newc stores the data with the last member of a set only, so the
 * others read as empty files (the build never makes hard links).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "cpio.h"
#include "fs_internal.h"
#include "lib/lib.h"
#include "path.h"

/* The directory at path, made (with its parents) where missing. */
static int make_dirs(struct fs *fs, const char *path, size_t len, struct vnode **out)
{
	struct vnode *v = fs->root;
	struct path_iter it;
	const char *name;
	size_t nlen;
	path_iter_init(&it, path, len);
	while (path_iter_next(&it, &name, &nlen)) {
		struct vnode *c = vn_child(v, name, nlen);
		if (!c) {
			int err = vn_create(v, name, nlen, S_IFDIR | 0755, &c);
			if (err)
				return err;
		}
		if (!vn_is_dir(c))
			return -ENOTDIR;
		v = c;
	}
	*out = v;
	return 0;
}

/* Adds one member under its normal path p. */
static int add_member(struct fs *fs, const struct cpio_entry *e, const char *p, size_t plen,
		      struct initramfs_stats *st)
{
	size_t slash = plen;
	while (slash > 0 && p[slash - 1] != '/')
		slash--;
	struct vnode *dir, *v;
	int err = make_dirs(fs, p, slash, &dir);
	if (err)
		return err;
	const char *name = p + slash;
	size_t nlen = plen - slash;
	struct vnode *old = vn_child(dir, name, nlen);
	if ((e->mode & S_IFMT) == S_IFDIR) {
		if (old && vn_is_dir(old)) {
			old->mode = e->mode;
			return 0;
		}
		if (old && (err = vn_remove(dir, name, nlen, false)) != 0)
			return err;
		err = vn_create(dir, name, nlen, e->mode, &v);
		st->dirs += err == 0;
	} else {
		if (old && (err = vn_remove(dir, name, nlen, vn_is_dir(old))) != 0)
			return err;
		if ((err = vn_create(dir, name, nlen, e->mode, &v)) != 0)
			return err;
		v->rodata = e->data;
		v->size = e->size;
		st->files++;
		st->bytes += e->size;
	}
	if (!err)
		v->mtime_ns = v->ctime_ns = (uint64_t)e->mtime * 1000000000u;
	return err;
}

int initramfs_load(struct fs *fs, const void *archive, size_t len, struct initramfs_stats *st)
{
	struct cpio_iter it;
	struct cpio_entry e;
	char *p = kmalloc(PATH_MAX);
	int r, err = 0;
	memset(st, 0, sizeof *st);
	if (!p)
		return -ENOMEM;
	bool ro = fs->readonly;
	fs->readonly = false; /* filled here, then read-only */
	cpio_iter_init(&it, archive, len);
	while ((r = cpio_next(&it, &e)) == 1) {
		uint32_t type = e.mode & S_IFMT;
		int n = path_normalize("/", 1, e.name, e.namelen, p, PATH_MAX);
		if (n <= 1 || (type != S_IFDIR && type != S_IFREG)) {
			st->skipped += n != 1; /* "." is the root itself */
			continue;
		}
		if (e.mtime > st->newest_mtime)
			st->newest_mtime = e.mtime;
		if (add_member(fs, &e, p, (size_t)n, st) != 0)
			st->skipped++;
	}
	if (r < 0) {
		st->why = it.why;
		err = r;
	}
	fs->readonly = ro;
	kfree(p);
	return err;
}
