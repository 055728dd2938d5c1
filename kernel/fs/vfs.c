/*
 * vfs.c - the vnode tree: file systems, directories, regular files.
 *
 * Theory of operation. Four layers, each on the one before:
 *
 *   tree     (this file) vnodes in memory. A directory lists its children
 *            (a singly linked list); a directory may have another file system
 *            mounted on it (v->mounted), and lookups step onto that file
 *            system's root. Every vnode belongs to one struct fs, which says
 *            whether it is read-only and charges the bytes it holds against a
 *            limit (-ENOSPC past it, never a kernel failure).
 *   paths    (vfs_path.c) a path is first made absolute and normal with
 *            path_normalize (".." is lexical: there are no symlinks), then
 *            walked from the root here.
 *   files    (vnode_file.c, file.c) an open file holds a reference to its
 *            vnode; descriptor tables hold references to files.
 *   calls    (fs_syscalls.c) copy user arguments in, then call the above.
 *
 * Contents. The root image's files point into the boot module (rodata), never
 * copied. A writable file is an array of page pointers; a NULL entry (a hole)
 * reads as zeros. A file system charges FS_PAGE per page plus each vnode's
 * size, and a file can never be larger than its file system's limit.
 *
 * Invariants (all under the fs lock):
 *   - a vnode is in its parent's list exactly while !unlinked; a root has no
 *     parent and is never unlinked;
 *   - a vnode is freed when it is unlinked and refs is 0; a directory is only
 *     unlinked when empty, so children never outlive their parent's memory;
 *   - rodata != NULL only in a read-only file system; pages only in writable ones;
 *   - fs->used is the sum of what its vnodes hold.
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
	v->mtime_ns = v->ctime_ns = fs_now_ns();
	fs->used += vnode_charge(namelen);
	return v;
}

static void vnode_free(struct vnode *v)
{
	vn_truncate(v, 0);
	kfree(v->pages);
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
	while (v->children) {
		struct vnode *c = v->children;
		v->children = c->next;
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
	for (struct vnode *c = dir->children; c; c = c->next)
		if (c->namelen == namelen && memcmp(c->name, name, namelen) == 0)
			return through_mounts(c);
	return NULL;
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

/* Children are kept in creation order (listings come out as created). */
static void append_child(struct vnode *dir, struct vnode *v)
{
	struct vnode **pp = &dir->children;
	while (*pp)
		pp = &(*pp)->next;
	*pp = v;
	v->next = NULL;
	v->parent = dir;
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
	append_child(dir, v);
	dir->mtime_ns = v->mtime_ns;
	if (out)
		*out = v;
	return 0;
}

static void unlink_from(struct vnode *dir, struct vnode *v)
{
	for (struct vnode **pp = &dir->children; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	v->next = NULL;
	v->parent = NULL;
	dir->mtime_ns = fs_now_ns();
}

/* The entry itself (not what is mounted on it). */
static struct vnode *raw_child(struct vnode *dir, const char *name, size_t namelen)
{
	for (struct vnode *c = dir->children; c; c = c->next)
		if (c->namelen == namelen && memcmp(c->name, name, namelen) == 0)
			return c;
	return NULL;
}

int vn_remove_check(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted)
{
	if (dir->fs->readonly)
		return -EROFS;
	struct vnode *v = raw_child(dir, name, namelen);
	if (!v)
		return -ENOENT;
	if (vn_is_dir(v) != dir_wanted)
		return dir_wanted ? -ENOTDIR : -EISDIR;
	if (v->mounted)
		return -EBUSY;
	if (v->children)
		return -ENOTEMPTY;
	return 0;
}

int vn_remove(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted)
{
	int err = vn_remove_check(dir, name, namelen, dir_wanted);
	if (err)
		return err;
	struct vnode *v = raw_child(dir, name, namelen);
	unlink_from(dir, v);
	v->unlinked = true;
	if (v->refs == 0)
		vnode_free(v);
	return 0;
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
	if (dst->children)
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
	append_child(newdir, v);
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
	if (!(rp->src = raw_child(odir, oname, olen)))
		return -ENOENT;
	rp->same = oplen == nplen && memcmp(oldpath, newpath, oplen) == 0;
	if (rp->same)
		return 0;
	if (path_has_prefix(newpath, nplen, oldpath, oplen))
		return -EINVAL;
	rp->dst = raw_child(rp->ndir, rp->nname, rp->nlen);
	if (rp->dst && path_has_prefix(oldpath, oplen, newpath, nplen))
		return -ENOTEMPTY;
	if (rp->src->mounted)
		return -EBUSY;
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
		vn_remove(rp.ndir, rp.nname, rp.nlen, vn_is_dir(rp.dst));
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
		size_t idx = (size_t)(pos / FS_PAGE), in = (size_t)(pos % FS_PAGE);
		size_t n = MIN(len - done, (size_t)FS_PAGE - in);
		if (idx < v->npages && v->pages[idx])
			memcpy((char *)buf + done, v->pages[idx] + in, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	return (long)len;
}

/* Makes the page array hold at least count entries. */
static int grow_index(struct vnode *v, size_t count)
{
	if (count <= v->npages)
		return 0;
	size_t n = v->npages ? v->npages : 4;
	while (n < count)
		n *= 2;
	uint8_t **p = krealloc(v->pages, n * sizeof *p);
	if (!p)
		return -ENOSPC;
	memset(p + v->npages, 0, (n - v->npages) * sizeof *p);
	v->pages = p;
	v->npages = n;
	return 0;
}

/* The page holding byte pos, allocated (and charged) if it is a hole. */
static uint8_t *page_for(struct vnode *v, uint64_t pos)
{
	size_t idx = (size_t)(pos / FS_PAGE);
	if (v->pages[idx])
		return v->pages[idx];
	if (v->fs->used + FS_PAGE > v->fs->limit)
		return NULL;
	uint8_t *pg = fs_page_alloc();
	if (!pg)
		return NULL;
	v->fs->used += FS_PAGE;
	v->pages[idx] = pg;
	return pg;
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
	int err = grow_index(v, (size_t)((off + len + FS_PAGE - 1) / FS_PAGE));
	if (err)
		return err;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in = (size_t)(pos % FS_PAGE), n = MIN(len - done, (size_t)FS_PAGE - in);
		uint8_t *pg = page_for(v, pos);
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
	size_t keep = (size_t)((size + FS_PAGE - 1) / FS_PAGE);
	for (size_t i = keep; i < v->npages; i++) {
		if (v->pages[i]) {
			fs_page_free(v->pages[i]);
			v->fs->used -= FS_PAGE;
			v->pages[i] = NULL;
		}
	}
	if (size % FS_PAGE && keep - 1 < v->npages && v->pages[keep - 1])
		memset(v->pages[keep - 1] + size % FS_PAGE, 0, FS_PAGE - size % FS_PAGE);
	if (size != v->size)
		v->mtime_ns = v->ctime_ns = fs_now_ns();
	v->size = size;
	return 0;
}

static unsigned subdir_count(const struct vnode *v)
{
	unsigned n = 0;
	for (const struct vnode *c = v->children; c; c = c->next)
		n += vn_is_dir(c);
	return n;
}

void vn_stat(struct vnode *v, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = v->fs->dev;
	st->st_ino = v->ino;
	st->st_mode = v->mode;
	st->st_nlink = vn_is_dir(v) ? 2 + subdir_count(v) : (v->unlinked ? 0 : 1);
	st->st_size = vn_is_dir(v) ? 0 : (int64_t)v->size;
	st->st_blksize = FS_PAGE;
	uint64_t pages = 0;
	for (size_t i = 0; i < v->npages; i++)
		pages += v->pages[i] != NULL;
	st->st_blocks = (int64_t)(v->rodata ? ALIGN_UP(v->size, 512) / 512 : pages * (FS_PAGE / 512));
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
