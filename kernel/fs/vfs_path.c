/*
 * vfs_path.c - the path-level operations of vfs.h: normalise the path against
 * the working directory, take the fs lock, act on the tree (vfs.c).
 *
 * A path written with a trailing slash ("x/") must name a directory, as on
 * Linux. ".." is lexical ("file/.." is the directory holding file).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "lib/lib.h"
#include "path.h"

/* The reserve of vfs_pathbuf_alloc. A call holds at most five at a time
 * (a rename: per path its argument and the directory of a descriptor it is
 * relative to or its resolved form; one normal form) and, on one CPU, only a call that sleeps in a user copy lets
 * another in. */
#define PATHBUF_RESERVE 6
static char pathbuf_reserve[PATHBUF_RESERVE][PATH_MAX];
static bool pathbuf_taken[PATHBUF_RESERVE]; /* under the fs lock */

char *vfs_pathbuf_alloc(void)
{
	char *p = kmalloc(PATH_MAX);
	if (p)
		return p;
	uint64_t lk = fs_lock();
	for (size_t i = 0; !p && i < PATHBUF_RESERVE; i++) {
		if (!pathbuf_taken[i]) {
			pathbuf_taken[i] = true;
			p = pathbuf_reserve[i];
		}
	}
	fs_unlock(lk);
	return p;
}

void vfs_pathbuf_free(char *p)
{
	uintptr_t at = (uintptr_t)p, first = (uintptr_t)pathbuf_reserve[0];
	if (at < first || at >= first + sizeof pathbuf_reserve) {
		kfree(p);
		return;
	}
	uint64_t lk = fs_lock();
	pathbuf_taken[(at - first) / PATH_MAX] = false;
	fs_unlock(lk);
}

/* A path made absolute and normal, in a PATH_MAX buffer (vfs_pathbuf_alloc). */
struct npath {
	char *p;
	bool dir_only; /* written "x/", "x/." or "x/..": must be a directory */
	int last_dots; /* last component written "." (1) or ".." (2) */
};

static int npath_make(struct npath *np, const char *cwd, const char *path)
{
	size_t len = strnlen(path, PATH_MAX);
	memset(np, 0, sizeof *np);
	if (len == PATH_MAX)
		return -ENAMETOOLONG;
	if (!cwd)
		cwd = "/";
	np->p = vfs_pathbuf_alloc();
	if (!np->p)
		return -ENOMEM;
	int n = path_normalize(cwd, strlen(cwd), path, len, np->p, PATH_MAX);
	if (n < 0) {
		vfs_pathbuf_free(np->p);
		np->p = NULL;
		return n == -ERANGE ? -ENAMETOOLONG : n;
	}
	uint64_t lk = fs_lock();
	int err = vn_prefix_check(cwd, path, len);
	fs_unlock(lk);
	if (err) {
		vfs_pathbuf_free(np->p);
		np->p = NULL;
		return err;
	}
	fs_store_gate(np->p); /* a run's change of /data shows only once durable */
	np->dir_only = len > 0 && path[len - 1] == '/';
	size_t s = len;
	while (s > 0 && path[s - 1] != '/')
		s--;
	if (len - s == 1 && path[s] == '.')
		np->last_dots = 1;
	else if (len - s == 2 && path[s] == '.' && path[s + 1] == '.')
		np->last_dots = 2;
	if (np->last_dots) /* "f/." names no file: f must be a directory */
		np->dir_only = true;
	return 0;
}

static void npath_free(struct npath *np)
{
	vfs_pathbuf_free(np->p);
}

/* Looks up an existing path; fails with -ENOTDIR if it was written "x/" and is not a directory. */
static int lookup(const struct npath *np, struct vnode **v)
{
	int err = vn_lookup(np->p, v);
	if (!err && np->dir_only && !vn_is_dir(*v))
		return -ENOTDIR;
	return err;
}

/* The mode of a new file or directory (no umask yet: 022). */
static uint32_t new_mode(uint32_t type, uint32_t mode)
{
	return type | (mode & 07777 & ~022u);
}

/* What an open acts on: an existing vnode, or (v NULL) the place where
 * O_CREAT makes a file, its creation checked. */
struct open_target {
	struct vnode *v;
	struct vnode *dir;
	const char *name;
	size_t nlen;
};

/* Finds the vnode to open, or checks that O_CREAT may create it. */
static int open_find(const struct npath *np, int flags, struct open_target *ot)
{
	memset(ot, 0, sizeof *ot);
	if (!(flags & O_CREAT))
		return lookup(np, &ot->v);
	int err = vn_lookup_parent(np->p, &ot->dir, &ot->name, &ot->nlen);
	if (err == -EEXIST) { /* "/" */
		err = vn_lookup("/", &ot->v);
		return err ? err : (flags & O_EXCL) ? -EEXIST : 0;
	}
	if (err)
		return err;
	ot->v = vn_child(ot->dir, ot->name, ot->nlen);
	if (ot->v)
		return (flags & O_EXCL) ? -EEXIST : 0;
	if (np->dir_only)
		return -EISDIR;
	return vn_create_check(ot->dir, ot->name, ot->nlen);
}

/* What the open flags allow on v (NULL: a new regular file). */
static int open_check(const struct vnode *v, int flags)
{
	int acc = flags & O_ACCMODE;
	bool writes = acc == O_WRONLY || acc == O_RDWR;
	if (acc == O_ACCMODE)
		return -EINVAL;
	if (v && vn_is_link(v))
		return -ELOOP; /* O_NOFOLLOW, or a link that appeared after resolving */
	if (v && vn_is_special(v))
		return -ENXIO; /* a named pipe or device node: nothing behind it (docs/VFS.md) */
	if (v && vn_is_dir(v)) {
		if (writes || (flags & O_CREAT))
			return -EISDIR;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (v && (writes || (flags & O_TRUNC)) && (v->fs->readonly || v->rodata))
		return -EROFS;
	return 0;
}

/* Does a checked open change the file (so a transaction stages it)? */
static bool open_changes(const struct vnode *v, int flags)
{
	int acc = flags & O_ACCMODE;
	if (!v)
		return true;
	return !vn_is_dir(v) && (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC));
}

/* Opens a checked target at once: creates or truncates it as flags say. */
static int open_now(struct open_target *ot, int flags, uint32_t mode, struct file **out)
{
	bool created = !ot->v;
	int err = 0;
	if (created)
		err = vn_create(ot->dir, ot->name, ot->nlen, new_mode(S_IFREG, mode), &ot->v);
	if (!err && (flags & O_TRUNC) && !vn_is_dir(ot->v))
		err = vn_truncate(ot->v, 0);
	if (err)
		return err;
	*out = vnode_file_create(ot->v, flags, created);
	return *out ? 0 : -ENOMEM;
}

/* open_now on a persistent file system: the store creates or truncates
 * first (the fs lock dropped meanwhile, *lk taken again), then the tree. */
static int open_persist(const struct npath *np, struct open_target *ot, int flags, uint32_t mode,
			struct file **out, uint64_t *lk)
{
	bool created = !ot->v, trunc = (flags & O_TRUNC) && ot->v && !vn_is_dir(ot->v);
	if (!created && !trunc)
		return open_now(ot, flags, mode, out);
	uint64_t sino = 0;
	fs_unlock(*lk);
	int err = created ? fs_store_create(np->p, new_mode(S_IFREG, mode), &sino) : fs_store_truncate(ot->v, 0);
	*lk = fs_lock();
	if (err)
		return err;
	err = open_now(ot, flags, mode, out);
	if (err && created) { /* the tree had no room: take it back from the store */
		fs_unlock(*lk);
		fs_store_remove(np->p);
		*lk = fs_lock();
	} else if (created) {
		ot->v->sino = sino;
	}
	return err;
}

int vfs_txn_open(struct vfs_txn *t, const char *cwd, const char *path, int flags, uint32_t mode,
		 struct file **out)
{
	struct npath np;
	struct open_target ot;
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	bool persist = !t && (flags & (O_CREAT | O_TRUNC)) && fs_store_begin(np.p);
	uint64_t lk = fs_lock();
	if ((err = open_find(&np, flags, &ot)) == 0 && (err = open_check(ot.v, flags)) == 0) {
		if (t && open_changes(ot.v, flags))
			err = vfs_txn_stage(t, np.p, ot.v, flags, new_mode(S_IFREG, mode), out);
		else if (persist)
			err = open_persist(&np, &ot, flags, mode, out, &lk);
		else
			err = open_now(&ot, flags, mode, out);
	}
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	npath_free(&np);
	return err;
}

int vfs_open(const char *cwd, const char *path, int flags, uint32_t mode, struct file **out)
{
	return vfs_txn_open(NULL, cwd, path, flags, mode, out);
}

int vfs_stat(const char *cwd, const char *path, struct kstat *st)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = lookup(&np, &v)) == 0)
		vn_stat(v, st);
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

static int setattr(struct vnode *v, const struct vfs_attr *a)
{
	if (v->fs->readonly)
		return -EROFS;
	if (a->set_mode)
		v->mode = (v->mode & S_IFMT) | (a->mode & 07777);
	if (a->set_mtime)
		v->mtime_ns = a->mtime_now ? fs_now_ns() : a->mtime_ns;
	v->ctime_ns = fs_now_ns();
	return 0;
}

/* setattr of v (a reference held, no lock): on /data the store first, as
 * every change (vfs_store.c), with the same mtime on both. */
static int setattr_ref(struct vnode *v, const struct vfs_attr *a)
{
	struct vfs_attr b = *a;
	if (b.set_mtime && b.mtime_now) {
		b.mtime_ns = fs_now_ns();
		b.mtime_now = false;
	}
	bool persist = fs_store_begin_vnode(v);
	int err = persist ? fs_store_setattr(v, &b) : 0;
	uint64_t lk = fs_lock();
	if (!err)
		err = setattr(v, &b);
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	return err;
}

int vfs_setattr(const char *cwd, const char *path, const struct vfs_attr *a)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = lookup(&np, &v)) == 0)
		vn_get(v);
	fs_unlock(lk);
	npath_free(&np);
	if (err)
		return err;
	err = setattr_ref(v, a);
	lk = fs_lock();
	vn_put(v);
	fs_unlock(lk);
	return err;
}

int vfs_file_setattr(struct file *f, const struct vfs_attr *a)
{
	struct vnode *v = vfs_file_vnode(f);
	return v ? setattr_ref(v, a) : -EBADF; /* the open file holds v */
}

int vfs_access(const char *cwd, const char *path, int amode)
{
	struct npath np;
	struct vnode *v;
	if (amode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = lookup(&np, &v)) == 0) {
		if ((amode & W_OK) && v->fs->readonly)
			err = -EROFS;
		else if ((amode & X_OK) && !vn_is_dir(v) && !(v->mode & 0111))
			err = -EACCES;
	}
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

int vfs_txn_mkdir(struct vfs_txn *t, const char *cwd, const char *path, uint32_t mode)
{
	struct npath np;
	struct vnode *dir, *v;
	const char *name;
	size_t nlen;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	bool persist = !t && fs_store_begin(np.p);
	uint64_t lk = fs_lock();
	if ((err = vn_lookup_parent(np.p, &dir, &name, &nlen)) == 0) {
		if (persist && (err = vn_create_check(dir, name, nlen)) == 0) {
			uint64_t sino;
			fs_unlock(lk);
			err = fs_store_create(np.p, new_mode(S_IFDIR, mode), &sino);
			lk = fs_lock();
			if (!err && (err = vn_create(dir, name, nlen, new_mode(S_IFDIR, mode), &v)) != 0) {
				fs_unlock(lk); /* the tree had no room: take it back from the store */
				fs_store_remove(np.p);
				lk = fs_lock();
			} else if (!err)
				v->sino = sino;
		} else if (!t && !persist)
			err = vn_create(dir, name, nlen, new_mode(S_IFDIR, mode), NULL);
		else if (t && (err = vn_create_check(dir, name, nlen)) == 0)
			err = vfs_txn_record(t, TXN_MKDIR, np.p, NULL, new_mode(S_IFDIR, mode));
	}
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	if (!err && !t)
		fs_file_event(np.p, "created", proc_current_name());
	npath_free(&np);
	return err;
}

int vfs_mkdir(const char *cwd, const char *path, uint32_t mode)
{
	return vfs_txn_mkdir(NULL, cwd, path, mode);
}


/* rmdir and unlink of a path written "x/", "x/." or "x/..": x must be a
 * directory, and only "x/" may be removed (by rmdir), as on Linux. */
static int dotted_check(const struct npath *np, bool dir)
{
	struct vnode *v;
	int err = lookup(np, &v);
	if (err)
		return err;
	if (np->last_dots)
		return !dir ? -EISDIR : np->last_dots == 1 ? -EINVAL : -ENOTEMPTY;
	return dir ? 0 : -EISDIR;
}

/* rmdir (dir true) and unlink. */
static int remove_entry(struct vfs_txn *t, const char *cwd, const char *path, bool dir)
{
	struct npath np;
	struct vnode *parent;
	const char *name;
	size_t nlen;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	bool persist = !t && fs_store_begin(np.p);
	uint64_t lk = fs_lock();
	err = vn_lookup_parent(np.p, &parent, &name, &nlen);
	if (err == -EEXIST) /* "/" */
		err = dir ? -EBUSY : -EISDIR;
	else if (!err && np.dir_only)
		err = dotted_check(&np, dir);
	if (!err && persist && (err = vn_remove_check(parent, name, nlen, dir)) == 0) {
		fs_unlock(lk);
		err = fs_store_remove(np.p);
		lk = fs_lock();
	}
	if (!err && !t)
		err = vn_remove(parent, name, nlen, dir);
	else if (!err && (err = vn_remove_check(parent, name, nlen, dir)) == 0)
		err = vfs_txn_record(t, dir ? TXN_RMDIR : TXN_UNLINK, np.p, NULL, 0);
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	if (!err && !t)
		fs_file_event(np.p, "removed", proc_current_name());
	npath_free(&np);
	return err;
}

int vfs_txn_rmdir(struct vfs_txn *t, const char *cwd, const char *path)
{
	return remove_entry(t, cwd, path, true);
}

int vfs_txn_unlink(struct vfs_txn *t, const char *cwd, const char *path)
{
	return remove_entry(t, cwd, path, false);
}

int vfs_rmdir(const char *cwd, const char *path)
{
	return remove_entry(NULL, cwd, path, true);
}

int vfs_unlink(const char *cwd, const char *path)
{
	return remove_entry(NULL, cwd, path, false);
}

void fs_rename_events(const char *from, const char *to, const char *source, vfs_event_fn emit, void *arg)
{
	size_t n = strlen(from) + sizeof "renamed ";
	char *what = kmalloc(n);
	if (what) {
		ksnprintf(what, n, "renamed %s", from);
		if (emit)
			emit(arg, to, what, source);
		else
			fs_file_event(to, what, source);
		kfree(what);
	}
	if (emit)
		emit(arg, from, "removed", source);
	else
		fs_file_event(from, "removed", source);
}

int vfs_txn_rename(struct vfs_txn *t, const char *oldcwd, const char *oldpath, const char *newcwd,
		   const char *newpath)
{
	struct npath o, n;
	struct vnode *v;
	int err = npath_make(&o, oldcwd, oldpath);
	if (err)
		return err;
	if ((err = npath_make(&n, newcwd, newpath)) != 0) {
		npath_free(&o);
		return err;
	}
	bool same = strcmp(o.p, n.p) == 0;
	bool persist = !t && fs_store_begin(o.p);
	uint64_t lk = fs_lock();
	if ((o.dir_only || n.dir_only) && lookup(&o, &v) == 0 && !vn_is_dir(v))
		err = -ENOTDIR;
	else if (o.last_dots || n.last_dots)
		err = -EBUSY;
	else if (t)
		err = vn_rename_check(o.p, n.p);
	else {
		if (persist && !same && (err = vn_rename_check(o.p, n.p)) == 0) {
			fs_unlock(lk); /* one file system (checked): both on the store */
			err = fs_store_rename(o.p, n.p);
			lk = fs_lock();
		}
		if (!err)
			err = vn_rename(o.p, n.p);
	}
	if (!err && t && !same)
		err = vfs_txn_record(t, TXN_RENAME, n.p, o.p, 0);
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	if (!err && !t && !same)
		fs_rename_events(o.p, n.p, proc_current_name(), NULL, NULL);
	npath_free(&o);
	npath_free(&n);
	return err;
}

long vfs_readlink(const char *cwd, const char *path, char *buf, size_t size)
{
	struct npath np;
	struct vnode *v;
	long err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = lookup(&np, &v)) == 0)
		err = vn_readlink(v, buf, size);
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

/* The place a new name goes (symlink, link): its directory and name, the
 * name checked free. */
static int new_name(const struct npath *np, struct vnode **dir, const char **name, size_t *nlen)
{
	int err = vn_lookup_parent(np->p, dir, name, nlen);
	if (err == -EEXIST || (!err && np->dir_only && vn_child(*dir, *name, *nlen)))
		return -EEXIST; /* "/", or "x/" naming what exists */
	if (!err && np->dir_only)
		return -ENOENT;
	return err ? err : vn_create_check(*dir, *name, *nlen);
}

int vfs_symlink(struct vfs_txn *t, const char *target, const char *cwd, const char *path)
{
	struct npath np;
	struct vnode *dir, *v;
	const char *name;
	size_t nlen, tlen = strnlen(target, PATH_MAX);
	if (tlen == 0)
		return -ENOENT;
	if (tlen == PATH_MAX)
		return -ENAMETOOLONG;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	bool persist = !t && fs_store_begin(np.p);
	uint64_t lk = fs_lock();
	if ((err = new_name(&np, &dir, &name, &nlen)) == 0 && t)
		err = -EPERM;
	if (!err && persist) {
		uint64_t sino = 0;
		fs_unlock(lk);
		err = fs_store_symlink(np.p, target, &sino);
		lk = fs_lock();
		if (!err && (err = vn_symlink(dir, name, nlen, target, &v)) != 0) {
			fs_unlock(lk); /* the tree had no room: take it back from the store */
			fs_store_remove(np.p);
			lk = fs_lock();
		} else if (!err) {
			v->sino = sino;
		}
	} else if (!err) {
		err = vn_symlink(dir, name, nlen, target, NULL);
	}
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	if (!err)
		fs_file_event(np.p, "created", proc_current_name());
	npath_free(&np);
	return err;
}

int vfs_link(struct vfs_txn *t, const char *oldcwd, const char *oldpath, const char *newcwd,
	     const char *newpath)
{
	struct npath o, n;
	struct vnode *v, *dir;
	const char *name;
	size_t nlen;
	int err = npath_make(&o, oldcwd, oldpath);
	if (err)
		return err;
	if ((err = npath_make(&n, newcwd, newpath)) != 0) {
		npath_free(&o);
		return err;
	}
	bool persist = !t && fs_store_begin(n.p);
	uint64_t lk = fs_lock();
	if ((err = lookup(&o, &v)) == 0 && (err = new_name(&n, &dir, &name, &nlen)) == 0)
		err = t ? -EPERM : vn_link_check(v, dir, name, nlen);
	if (!err && persist) {
		fs_unlock(lk); /* one file system (checked): both on the store */
		err = fs_store_link(o.p, n.p);
		lk = fs_lock();
		if (!err && (err = vn_link(v, dir, name, nlen)) != 0) {
			fs_unlock(lk); /* the tree had no room: take it back from the store */
			fs_store_remove(n.p);
			lk = fs_lock();
		}
	} else if (!err) {
		err = vn_link(v, dir, name, nlen);
	}
	fs_unlock(lk);
	if (persist)
		fs_store_end();
	if (!err)
		fs_file_event(n.p, "created", proc_current_name());
	npath_free(&o);
	npath_free(&n);
	return err;
}

int vfs_mknod(struct vfs_txn *t, const char *cwd, const char *path, uint32_t mode, uint64_t rdev)
{
	struct npath np;
	struct vnode *dir, *v;
	const char *name;
	size_t nlen;
	uint32_t type = mode & S_IFMT;
	if (type == 0 || type == S_IFREG) {
		struct file *f;
		int err = vfs_txn_open(t, cwd, path, O_WRONLY | O_CREAT | O_EXCL, mode, &f);
		if (err == 0)
			file_put(f);
		return err;
	}
	if (type != S_IFIFO && type != S_IFCHR && type != S_IFBLK && type != S_IFSOCK)
		return -EINVAL;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = new_name(&np, &dir, &name, &nlen)) == 0 && (t || dir->fs->persistent))
		err = -EPERM; /* not staged in a run; the store keeps no special nodes */
	if (!err && (err = vn_create(dir, name, nlen, type | (mode & 07777), &v)) == 0)
		v->rdev = type == S_IFCHR || type == S_IFBLK ? rdev : 0;
	fs_unlock(lk);
	if (!err)
		fs_file_event(np.p, "created", proc_current_name());
	npath_free(&np);
	return err;
}

int vfs_rename(const char *oldcwd, const char *oldpath, const char *newcwd, const char *newpath)
{
	return vfs_txn_rename(NULL, oldcwd, oldpath, newcwd, newpath);
}

int vfs_precheck(const char *cwd, const char *path, enum vfs_need need)
{
	struct npath np;
	struct vnode *v, *dir;
	const char *name;
	size_t nlen;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if (need == VFS_EXISTING) {
		err = lookup(&np, &v);
	} else {
		err = vn_lookup_parent(np.p, &dir, &name, &nlen);
		if (err == -EEXIST) /* "/" */
			err = need == VFS_ABSENT ? -EEXIST : 0;
		else if (!err && need == VFS_ABSENT && vn_child(dir, name, nlen))
			err = -EEXIST;
	}
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

int vfs_chdir(const char *cwd, const char *path, char **newcwd)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	err = lookup(&np, &v);
	if (!err && !vn_is_dir(v))
		err = -ENOTDIR;
	fs_unlock(lk);
	if (!err) {
		*newcwd = vfs_cwd_copy(np.p);
		if (!*newcwd)
			err = -ENOMEM;
	}
	npath_free(&np);
	return err;
}

char *vfs_cwd_copy(const char *cwd)
{
	if (!cwd)
		cwd = "/";
	size_t n = strlen(cwd) + 1;
	char *c = kmalloc(n);
	if (c)
		memcpy(c, cwd, n);
	return c;
}

int vfs_file_dir_path(struct file *f, char *out, size_t outsz)
{
	struct vnode *v = vfs_file_vnode(f);
	if (!v)
		return -ENOTDIR;
	uint64_t lk = fs_lock();
	int n = vn_is_dir(v) ? vn_path(v, out, outsz) : -ENOTDIR;
	fs_unlock(lk);
	return n;
}

int vfs_read_file(const char *path, void **data, size_t *len)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, NULL, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	err = lookup(&np, &v);
	if (!err && vn_is_dir(v))
		err = -EISDIR;
	if (!err) {
		void *buf = kmalloc((size_t)v->size);
		if (buf) {
			*len = (size_t)vn_read(v, buf, (size_t)v->size, 0);
			*data = buf;
		} else {
			err = -ENOMEM;
		}
	}
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

int vfs_file_bytes(const char *path, const void **data, size_t *len, void **copy, bool *writable)
{
	struct npath np;
	struct vnode *v;
	*copy = NULL;
	*writable = false;
	int err = npath_make(&np, NULL, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	err = lookup(&np, &v);
	if (!err && vn_is_dir(v))
		err = -EISDIR;
	bool ro = !err && v->rodata;
	*writable = !err && !v->fs->readonly;
	if (ro) {
		*data = v->rodata;
		*len = (size_t)v->size;
	}
	fs_unlock(lk);
	npath_free(&np);
	if (err || ro)
		return err;
	err = vfs_read_file(path, copy, len);
	*data = *copy;
	return err;
}

int vfs_usage(const char *path, struct vfs_usage *u)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, NULL, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	err = lookup(&np, &v);
	if (!err && v->fs->readonly)
		err = -EROFS;
	if (!err) {
		u->used = v->fs->used;
		u->limit = v->fs->limit;
	}
	fs_unlock(lk);
	npath_free(&np);
	return err;
}

/* The one place statfs reads a file system's size (fs lock held); a
 * disk-backed file system (kernel/store) then reports its store's instead
 * (fs_store_fsinfo, after the fs lock: it takes the store's). */
static void fsinfo(const struct fs *fs, struct vfs_fsinfo *out)
{
	*out = (struct vfs_fsinfo){.used = fs->used,
				   .limit = fs->limit,
				   .dev = fs->dev,
				   .readonly = fs->readonly,
				   .persistent = fs->persistent};
}

int vfs_fsinfo(const char *cwd, const char *path, struct vfs_fsinfo *out)
{
	struct npath np;
	struct vnode *v;
	int err = npath_make(&np, cwd, path);
	if (err)
		return err;
	uint64_t lk = fs_lock();
	if ((err = lookup(&np, &v)) == 0)
		fsinfo(v->fs, out);
	fs_unlock(lk);
	npath_free(&np);
	if (!err && out->persistent)
		fs_store_fsinfo(out);
	return err;
}

int vfs_file_fsinfo(struct file *f, struct vfs_fsinfo *out)
{
	struct vnode *v = vfs_file_vnode(f);
	if (!v)
		return -EBADF;
	uint64_t lk = fs_lock();
	fsinfo(v->fs, out);
	fs_unlock(lk);
	if (out->persistent)
		fs_store_fsinfo(out);
	return 0;
}
