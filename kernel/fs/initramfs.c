/*
 * initramfs.c - the root image: the members of a cpio "newc" archive become
 * vnodes of a (then read-only) file system. File contents stay in the
 * archive (rodata), so the archive must stay mapped for good.
 *
 * Names may be "etc/x", "./etc/x" or "/etc/x"; missing parent directories are
 * made; a later member of the same name replaces an earlier file. Symbolic links
 * become links (their target is their data); devices, FIFOs and sockets are
 * skipped (counted).
 *
 * Hard links are joined: newc stores a set's data with one member only (GNU
 * cpio: the last; others write it with the first), the rest with size 0 and
 * the same inode number and nlink > 1. Every name of the set reads those
 * bytes (each name its own vnode pointing into the archive: no copy). The
 * image's /bin/busybox and its applet names are such a set (docs/USERLAND.md).
 * The members with nlink > 1 are remembered in a table of at most LINKS_MAX
 * (inode, vnode) pairs while the archive is read; past that a name stays
 * empty and is counted in st->unjoined.
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

#define LINKS_MAX 1024

/* The regular members with nlink > 1 seen so far (see the top). */
struct link {
	uint32_t ino;
	struct vnode *v;
};
struct links {
	struct link *tab; /* LINKS_MAX entries, allocated at the first link */
	size_t n;
};

/* Drops v (about to be replaced by a later member of its name) from the table. */
static void forget_link(struct links *l, const struct vnode *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->tab[i].v == v)
			l->tab[i--] = l->tab[--l->n];
}

/* Joins v, just added from member e, with the members of its set seen before:
 * the one that has the data gives it to those that have none. */
static int join_link(struct links *l, const struct cpio_entry *e, struct vnode *v, struct initramfs_stats *st)
{
	if (!l->tab && !(l->tab = kmalloc(LINKS_MAX * sizeof *l->tab)))
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct vnode *o = l->tab[i].v;
		if (l->tab[i].ino != e->ino)
			continue;
		if (v->size == 0 && o->size != 0) {
			v->rodata = o->rodata;
			v->size = o->size;
		} else if (v->size != 0 && o->size == 0) {
			o->rodata = v->rodata;
			o->size = v->size;
		}
	}
	if (l->n == LINKS_MAX) {
		st->unjoined++;
		return 0;
	}
	l->tab[l->n].ino = e->ino;
	l->tab[l->n++].v = v;
	return 0;
}

/* Adds one member under its normal path p; *out is its vnode. */
static int add_member(struct fs *fs, const struct cpio_entry *e, const char *p, size_t plen,
		      struct initramfs_stats *st, struct links *l, struct vnode **out)
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
	if (old)
		forget_link(l, old);
	if ((e->mode & S_IFMT) == S_IFDIR) {
		if (old && vn_is_dir(old)) {
			old->mode = e->mode;
			*out = old;
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
	if (!err) {
		v->mtime_ns = v->ctime_ns = (uint64_t)e->mtime * 1000000000u;
		*out = v;
	}
	return err;
}

int initramfs_load(struct fs *fs, const void *archive, size_t len, struct initramfs_stats *st)
{
	struct cpio_iter it;
	struct cpio_entry e;
	char *p = kmalloc(PATH_MAX);
	struct links links = {0};
	struct vnode *v = NULL;
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
		bool link_ok = type == S_IFLNK && e.size > 0 && e.size < PATH_MAX; /* a target, its data */
		if (n <= 1 || (type != S_IFDIR && type != S_IFREG && !link_ok)) {
			st->skipped += n != 1; /* "." is the root itself */
			continue;
		}
		if (e.mtime > st->newest_mtime)
			st->newest_mtime = e.mtime;
		if (add_member(fs, &e, p, (size_t)n, st, &links, &v) != 0) {
			st->skipped++;
			continue;
		}
		if (type == S_IFREG && e.nlink > 1 && (err = join_link(&links, &e, v, st)) != 0)
			break;
	}
	if (r < 0 && !err) {
		st->why = it.why;
		err = r;
	}
	fs->readonly = ro;
	kfree(links.tab);
	kfree(p);
	return err;
}
