/*
 * vfs.c - the vnode tree: file systems, directories, regular files.
 *
 * Theory of operation. Four layers, each on the one before:
 *
 *   tree     (this file) vnodes in memory. A directory's entries are in
 *            dir.c (a hash table of names, and a list in creation order
 *            whose getdents offsets survive unlinks); a directory may have
 *            another file system mounted on it (v->mounted), and lookups
 *            step onto that file system's root. Every vnode belongs to one
 *            struct fs, which says whether it is read-only and charges the
 *            bytes it holds against a limit (-ENOSPC past it, never a
 *            kernel failure).
 *   paths    (vfs_path.c) a path is first made absolute and normal with
 *            path_normalize (".." is lexical: there are no symlinks), then
 *            walked from the root here.
 *   files    (vnode_file.c, file.c) an open file holds a reference to its
 *            vnode; descriptor tables hold references to files.
 *   calls    (kernel/syscall/sys_fs.c) copy user arguments in, then call the above.
 *
 * Contents. The root image's files point into the boot module (rodata), never
 * copied. A writable file is a radix tree of page pointers (ptree.c); a hole
 * reads as zeros. A file system charges FS_PAGE per page and per tree node,
 * each vnode's size and each directory's hash table, so everything a program
 * makes a file system hold is bounded by its limit; a file can never be larger
 * than that limit, and removing a file needs no allocation (a directory's
 * hash table shrinks only if memory allows).
 *
 * Invariants (all under the fs lock):
 *   - a vnode is in its parent's entries exactly while !unlinked; a root has no
 *     parent and is never unlinked;
 *   - a vnode is freed when it is unlinked and refs is 0; a directory is only
 *     unlinked when empty, so children never outlive their parent's memory;
 *   - hard links: an alias (link_to != NULL) is in exactly one directory, on
 *     its file's aliases list, and its file is not unlinked; a file's nlink is
 *     1 + the length of that list while it has an entry, 0 once unlinked;
 *     aliases name regular files and symbolic links only, on their file's fs;
 *   - a symbolic link holds its target as its contents (1..PATH_MAX-1 bytes);
 *   - rodata != NULL only in a read-only file system; pages only in writable ones;
 *   - fs->used is the sum of what its vnodes hold: their size and name, their
 *     pages and page-tree nodes, their directories' hash tables.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "lib/lib.h"
#include "path.h"

struct fs *vfs_root_fs;
static uint64_t next_ino = 1;
static uint64_t next_dev = 1;

static size_t vnode_charge(size_t namelen)
{
	return sizeof(struct vnode) + namelen + 1;
}

static struct vnode *vnode_alloc(struct fs *fs, const char *name, size_t namelen, uint32_t mode)
{
	if (fs->used + vnode_charge(namelen) > fs->limit)
		return NULL;
	struct vnode *v = kzalloc(sizeof *v);
	char *n = kmalloc(namelen + 1);
	if (!v || !n) {
		kfree(v);
		kfree(n);
		return NULL;
	}
	memcpy(n, name, namelen);
	n[namelen] = '\0';
	v->fs = fs;
	v->name = n;
	v->namelen = namelen;
	v->mode = mode;
	v->ino = next_ino++;
	v->nlink = 1;
	v->mtime_ns = v->ctime_ns = fs_now_ns();
	fs->used += vnode_charge(namelen);
	return v;
}

static void vnode_free(struct vnode *v)
{
	if (!vn_is_dir(v))
		vn_truncate(v, 0);
	dir_release(v);
	v->fs->used -= vnode_charge(v->namelen);
	kfree(v->name);
	kfree(v);
}

struct fs *fs_create(const char *name, bool readonly, uint64_t limit)
{
	struct fs *fs = kzalloc(sizeof *fs);
	if (!fs)
		return NULL;
	fs->name = name;
	fs->limit = limit;
	fs->dev = next_dev++;
	fs->root = vnode_alloc(fs, "", 0, S_IFDIR | 0755);
	if (!fs->root) {
		kfree(fs);
		return NULL;
	}
	fs->readonly = readonly;
	return fs;
}

/* Frees v and everything below it (fs_destroy; nothing may be open). */
static void free_subtree(struct vnode *v)
{
	while (v->dir.first) {
		struct vnode *c = v->dir.first;
		dir_remove(v, c);
		free_subtree(c);
	}
	vnode_free(v);
}

void fs_destroy(struct fs *fs)
{
	free_subtree(fs->root);
	kfree(fs);
}

int fs_mount(struct vnode *dir, struct fs *fs)
{
	if (!vn_is_dir(dir))
		return -ENOTDIR;
	if (dir->mounted || fs->covered)
		return -EBUSY;
	dir->mounted = fs;
	fs->covered = dir;
	return 0;
}

void fs_unmount(struct vnode *dir)
{
	if (dir->mounted) {
		dir->mounted->covered = NULL;
		dir->mounted = NULL;
	}
}

/* A directory as lookups see it: the root of what is mounted on it, if anything. */
static struct vnode *through_mounts(struct vnode *v)
{
	while (v->mounted)
		v = v->mounted->root;
	return v;
}

struct vnode *vn_child(struct vnode *dir, const char *name, size_t namelen)
{
	struct vnode *c = dir_find(dir, name, namelen);
	if (c && c->link_to)
		return c->link_to;
	return c ? through_mounts(c) : NULL;
}

/* Walks len bytes of a normal absolute path from the root. */
static int walk(const char *path, size_t len, struct vnode **out)
{
	struct vnode *v = through_mounts(vfs_root_fs->root);
	struct path_iter it;
	const char *name;
	size_t nlen;
	path_iter_init(&it, path, len);
	while (path_iter_next(&it, &name, &nlen)) {
		if (!vn_is_dir(v))
			return -ENOTDIR;
		v = vn_child(v, name, nlen);
		if (!v)
			return -ENOENT;
	}
	*out = v;
	return 0;
}

int vn_lookup(const char *path, struct vnode **out)
{
	return walk(path, strlen(path), out);
}

int vn_lookup_parent(const char *path, struct vnode **dir, const char **name, size_t *namelen)
{
	size_t len = strlen(path), slash = len;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	if (slash == len) /* "/" */
		return -EEXIST;
	int err = walk(path, slash, dir);
	if (err)
		return err;
	if (!vn_is_dir(*dir))
		return -ENOTDIR;
	*name = path + slash;
	*namelen = len - slash;
	return 0;
}

int vn_create_check(struct vnode *dir, const char *name, size_t namelen)
{
	if (!vn_is_dir(dir))
		return -ENOTDIR;
	if (vn_child(dir, name, namelen))
		return -EEXIST;
	if (dir->fs->readonly)
		return -EROFS;
	if (dir->unlinked)
		return -ENOENT;
	return 0;
}

int vn_create(struct vnode *dir, const char *name, size_t namelen, uint32_t mode, struct vnode **out)
{
	int err = vn_create_check(dir, name, namelen);
	if (err)
		return err;
	struct vnode *v = vnode_alloc(dir->fs, name, namelen, mode);
	if (!v)
		return -ENOSPC;
	dir_insert(dir, v);
	dir->mtime_ns = v->mtime_ns;
	if (out)
		*out = v;
	return 0;
}

static void unlink_from(struct vnode *dir, struct vnode *v)
{
	dir_remove(dir, v);
	dir->mtime_ns = fs_now_ns();
}

int vn_remove_check(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted)
{
	if (dir->fs->readonly)
		return -EROFS;
	struct vnode *v = dir_find(dir, name, namelen);
	if (!v)
		return -ENOENT;
	if (vn_is_dir(v) != dir_wanted)
		return dir_wanted ? -ENOTDIR : -EISDIR;
	if (v->mounted)
		return -EBUSY;
	if (v->dir.count)
		return -ENOTEMPTY;
	return 0;
}

/* Takes alias a off its file's list. */
static void alias_drop(struct vnode *a)
{
	struct vnode **pp = &a->link_to->aliases;
	while (*pp != a)
		pp = &(*pp)->alias_next;
	*pp = a->alias_next;
	a->alias_next = NULL;
}

/* File v loses its own entry while aliases remain: it takes the place of
 * its first alias (whose name it swaps for its own, so each vnode stays
 * charged for the name it holds), and that alias goes. */
static void take_alias_place(struct vnode *v)
{
	struct vnode *a = v->aliases, *dir = a->parent;
	alias_drop(a);
	unlink_from(v->parent, v);
	unlink_from(dir, a);
	char *name = v->name;
	size_t len = v->namelen;
	v->fs->used = v->fs->used - len + a->namelen;
	v->name = a->name;
	v->namelen = a->namelen;
	a->fs->used = a->fs->used - a->namelen + len;
	a->name = name;
	a->namelen = len;
	dir_insert(dir, v);
	a->link_to = NULL;
	vnode_free(a);
}

/* Removes entry v of dir: an alias, or a file's own name (the file goes
 * with its last name, or when no one has it open). */
static void remove_entry(struct vnode *dir, struct vnode *v)
{
	if (v->link_to) {
		struct vnode *f = v->link_to;
		alias_drop(v);
		unlink_from(dir, v);
		f->nlink--;
		f->ctime_ns = fs_now_ns();
		v->link_to = NULL;
		vnode_free(v);
		return;
	}
	if (v->aliases) {
		take_alias_place(v);
		v->nlink--;
		v->ctime_ns = dir->mtime_ns = fs_now_ns();
		return;
	}
	unlink_from(dir, v);
	v->unlinked = true;
	v->nlink = 0;
	if (v->refs == 0)
		vnode_free(v);
}

int vn_remove(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted)
{
	int err = vn_remove_check(dir, name, namelen, dir_wanted);
	if (err)
		return err;
	remove_entry(dir, dir_find(dir, name, namelen));
	return 0;
}

int vn_link_check(struct vnode *v, struct vnode *dir, const char *name, size_t namelen)
{
	int err = vn_create_check(dir, name, namelen);
	if (err)
		return err;
	if (vn_is_dir(v))
		return -EPERM;
	if (v->fs != dir->fs)
		return -EXDEV;
	if (v->unlinked)
		return -ENOENT;
	if (v->nlink >= VN_LINK_MAX)
		return -EMLINK;
	return 0;
}

int vn_link(struct vnode *v, struct vnode *dir, const char *name, size_t namelen)
{
	int err = vn_link_check(v, dir, name, namelen);
	if (err)
		return err;
	struct vnode *a = vnode_alloc(dir->fs, name, namelen, v->mode & S_IFMT);
	if (!a)
		return -ENOSPC;
	a->link_to = v;
	a->ino = v->ino;
	a->alias_next = v->aliases;
	v->aliases = a;
	v->nlink++;
	dir_insert(dir, a);
	v->ctime_ns = dir->mtime_ns = a->mtime_ns;
	return 0;
}

int vn_symlink(struct vnode *dir, const char *name, size_t namelen, const char *target, struct vnode **out)
{
	size_t len = strlen(target);
	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	struct vnode *v;
	int err = vn_create(dir, name, namelen, S_IFLNK | 0777, &v);
	if (err)
		return err;
	long n = vn_write(v, target, len, 0);
	if (n != (long)len) {
		vn_remove(dir, name, namelen, false);
		return n < 0 ? (int)n : -ENOSPC;
	}
	if (out)
		*out = v;
	return 0;
}

long vn_readlink(struct vnode *v, char *buf, size_t size)
{
	if (!vn_is_link(v))
		return -EINVAL;
	return vn_read(v, buf, (size_t)MIN((uint64_t)size, v->size), 0);
}

/* Whether an existing target may be replaced by src (rename). */
static int replace_check(struct vnode *src, struct vnode *dst)
{
	if (dst->mounted || dst == dst->fs->root)
		return -EBUSY;
	if (vn_is_dir(src) && !vn_is_dir(dst))
		return -ENOTDIR;
	if (!vn_is_dir(src) && vn_is_dir(dst))
		return -EISDIR;
	if (dst->dir.count)
		return -ENOTEMPTY;
	return 0;
}

/* Renames a vnode to a new parent and name; newname is copied. */
static int move(struct vnode *v, struct vnode *newdir, const char *newname, size_t newlen)
{
	char *n = kmalloc(newlen + 1);
	if (!n)
		return -ENOSPC;
	memcpy(n, newname, newlen);
	n[newlen] = '\0';
	unlink_from(v->parent, v);
	v->fs->used = v->fs->used - v->namelen + newlen;
	kfree(v->name);
	v->name = n;
	v->namelen = newlen;
	dir_insert(newdir, v);
	v->ctime_ns = newdir->mtime_ns = fs_now_ns();
	return 0;
}

/* What a rename acts on, found by rename_plan. */
struct rename_plan {
	struct vnode *src, *ndir, *dst; /* dst: the target replaced, or NULL */
	const char *nname;
	size_t nlen;
	bool same; /* oldpath is newpath: nothing to do */
};

/*
 * Checks a rename of oldpath to newpath (both normal and absolute) in the
 * order Linux reports errors: the parents, file systems (EXDEV), read-only,
 * the source, a directory into itself (EINVAL), a target above the source
 * (ENOTEMPTY), then the target's kind. Changes nothing.
 */
static int rename_plan(const char *oldpath, const char *newpath, struct rename_plan *rp)
{
	struct vnode *odir;
	const char *oname;
	size_t olen, oplen = strlen(oldpath), nplen = strlen(newpath);
	rp->dst = NULL;
	int err = vn_lookup_parent(oldpath, &odir, &oname, &olen);
	if (err)
		return err == -EEXIST ? -EBUSY : err;
	if ((err = vn_lookup_parent(newpath, &rp->ndir, &rp->nname, &rp->nlen)) != 0)
		return err == -EEXIST ? -EBUSY : err;
	if (odir->fs != rp->ndir->fs)
		return -EXDEV;
	if (odir->fs->readonly)
		return -EROFS;
	if (!(rp->src = dir_find(odir, oname, olen)))
		return -ENOENT;
	rp->same = oplen == nplen && memcmp(oldpath, newpath, oplen) == 0;
	if (rp->same)
		return 0;
	if (path_has_prefix(newpath, nplen, oldpath, oplen))
		return -EINVAL;
	rp->dst = dir_find(rp->ndir, rp->nname, rp->nlen);
	if (rp->dst && path_has_prefix(oldpath, oplen, newpath, nplen))
		return -ENOTEMPTY;
	if (rp->src->mounted)
		return -EBUSY;
	if (rp->dst && (rp->dst->link_to ? rp->dst->link_to : rp->dst) ==
			       (rp->src->link_to ? rp->src->link_to : rp->src))
		rp->same = true; /* two names of one file: POSIX does nothing */
	return rp->dst ? replace_check(rp->src, rp->dst) : 0;
}

int vn_rename_check(const char *oldpath, const char *newpath)
{
	struct rename_plan rp;
	return rename_plan(oldpath, newpath, &rp);
}

/* Renames oldpath to newpath, replacing a target of the same kind (a
 * directory only if empty); errors as vn_rename_check. */
int vn_rename(const char *oldpath, const char *newpath)
{
	struct rename_plan rp;
	int err = rename_plan(oldpath, newpath, &rp);
	if (err || rp.same)
		return err;
	if (rp.dst)
		remove_entry(rp.ndir, rp.dst);
	return move(rp.src, rp.ndir, rp.nname, rp.nlen);
}

/* ---- contents ---- */

long vn_read(struct vnode *v, void *buf, size_t len, uint64_t off)
{
	if (vn_is_dir(v))
		return -EISDIR;
	if (off >= v->size)
		return 0;
	len = (size_t)MIN((uint64_t)len, v->size - off);
	if (v->rodata) {
		memcpy(buf, v->rodata + off, len);
		return (long)len;
	}
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		uint64_t idx = pos / FS_PAGE;
		size_t in = (size_t)(pos % FS_PAGE);
		size_t n = MIN(len - done, (size_t)FS_PAGE - in);
		const uint8_t *pg = ptree_find(&v->data, idx);
		if (pg)
			memcpy((char *)buf + done, pg + in, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	return (long)len;
}

/*
 * Writes len bytes at off, growing the file. Returns the bytes written,
 * fewer than len (or -ENOSPC when none) if the file system filled up, -EFBIG
 * if off + len exceeds what the file system could ever hold.
 */
long vn_write(struct vnode *v, const void *buf, size_t len, uint64_t off)
{
	if (vn_is_dir(v))
		return -EISDIR;
	if (v->fs->readonly || v->rodata)
		return -EROFS;
	if (len == 0)
		return 0;
	if (off > v->fs->limit || len > v->fs->limit - off)
		return -EFBIG;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in = (size_t)(pos % FS_PAGE), n = MIN(len - done, (size_t)FS_PAGE - in);
		uint8_t *pg = ptree_get(&v->data, v->fs, pos / FS_PAGE);
		if (!pg)
			break;
		memcpy(pg + in, (const char *)buf + done, n);
		done += n;
	}
	if (done == 0)
		return -ENOSPC;
	if (off + done > v->size)
		v->size = off + done;
	v->mtime_ns = v->ctime_ns = fs_now_ns();
	return (long)done;
}

/* Sets the size; pages wholly past the end are freed, the tail of the last one zeroed. */
int vn_truncate(struct vnode *v, uint64_t size)
{
	if (vn_is_dir(v))
		return -EISDIR;
	if (v->rodata)
		return size == v->size ? 0 : -EROFS;
	if (size > v->fs->limit)
		return -EFBIG;
	uint64_t keep = (size + FS_PAGE - 1) / FS_PAGE;
	ptree_truncate(&v->data, v->fs, keep);
	uint8_t *last = size % FS_PAGE ? ptree_find(&v->data, keep - 1) : NULL;
	if (last)
		memset(last + size % FS_PAGE, 0, FS_PAGE - size % FS_PAGE);
	if (size != v->size)
		v->mtime_ns = v->ctime_ns = fs_now_ns();
	v->size = size;
	return 0;
}

void vn_stat(struct vnode *v, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = v->fs->dev;
	st->st_ino = v->ino;
	st->st_mode = v->mode;
	st->st_rdev = v->rdev;
	st->st_nlink = vn_is_dir(v) ? 2 + (uint64_t)v->dir.subdirs : v->nlink;
	st->st_size = vn_is_dir(v) ? 0 : (int64_t)v->size;
	st->st_blksize = FS_PAGE;
	st->st_blocks = (int64_t)(v->rodata ? ALIGN_UP(v->size, 512) / 512 : v->data.pages * (FS_PAGE / 512));
	st->st_mtime_sec = (int64_t)(v->mtime_ns / 1000000000u);
	st->st_mtime_nsec = (int64_t)(v->mtime_ns % 1000000000u);
	st->st_ctime_sec = (int64_t)(v->ctime_ns / 1000000000u);
	st->st_ctime_nsec = (int64_t)(v->ctime_ns % 1000000000u);
	st->st_atime_sec = st->st_mtime_sec;
	st->st_atime_nsec = st->st_mtime_nsec;
}

void vn_get(struct vnode *v)
{
	v->refs++;
}

void vn_put(struct vnode *v)
{
	if (--v->refs == 0 && v->unlinked)
		vnode_free(v);
}

/* The parent as paths see it: a root's parent is what its mount point's is. */
static struct vnode *path_parent(struct vnode *v, struct vnode **named)
{
	while (!v->parent && v->fs->covered)
		v = v->fs->covered;
	*named = v;
	return v->parent;
}

struct vnode *vn_parent(struct vnode *v)
{
	struct vnode *named, *p = path_parent(v, &named);
	return p ? p : through_mounts(vfs_root_fs->root);
}

int vn_path(struct vnode *v, char *out, size_t outsz)
{
	if (v->unlinked)
		return -ENOENT;
	/* Build backwards from the end of out, then move to the front. */
	size_t pos = outsz - 1;
	out[pos] = '\0';
	struct vnode *named, *p;
	while ((p = path_parent(v, &named)) != NULL) {
		if (named->namelen + 1 > pos)
			return -ENAMETOOLONG;
		pos -= named->namelen;
		memcpy(out + pos, named->name, named->namelen);
		out[--pos] = '/';
		v = p;
	}
	if (pos == outsz - 1)
		out[--pos] = '/';
	size_t len = outsz - 1 - pos;
	memmove(out, out + pos, len + 1);
	return (int)len;
}

/*
 * What the lexical normalisation cannot see: walks path (as written, from
 * cwd or the root) and checks that every component but the last names an
 * existing directory, so "file/..", "file/." and "missing/../x" fail as on
 * Linux (-ENOTDIR, -ENOENT) instead of naming the directory around them.
 */
int vn_prefix_check(const char *cwd, const char *path, size_t len)
{
	struct vnode *v, *named;
	const char *name, *next;
	size_t nlen, nextlen;
	struct path_iter it;
	int err = vn_lookup(len && path[0] == '/' ? "/" : cwd, &v);
	if (err)
		return err;
	path_iter_init(&it, path, len);
	if (!path_iter_next(&it, &name, &nlen))
		return 0;
	for (;;) {
		if (!vn_is_dir(v))
			return -ENOTDIR;
		if (!path_iter_next(&it, &next, &nextlen))
			return 0; /* the last component is the operation's business */
		if (nlen == 2 && name[0] == '.' && name[1] == '.') {
			struct vnode *p = path_parent(v, &named);
			v = p ? p : v;
		} else if (!(nlen == 1 && name[0] == '.')) {
			v = vn_child(v, name, nlen);
			if (!v)
				return -ENOENT;
		}
		name = next;
		nlen = nextlen;
	}
}
