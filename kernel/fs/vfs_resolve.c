/*
 * vfs_resolve.c - symbolic links in paths: vfs_resolve turns a path as a
 * program wrote it into the path it names, every symbolic link on the way
 * followed (the contract is in vfs.h).
 *
 * Theory of operation. The walk goes component by component from the
 * working directory (or the root), keeping:
 *   - out: the caller's PATH_MAX buffer, the path resolved so far, always
 *     absolute and normal and free of symbolic links (so ".." is a pop: the
 *     physical parent, as on Linux);
 *   - v: the vnode out names, or NULL past the VFS (in a directory /dev or
 *     /proc answers: foreign) or at a missing last component;
 *   - rest: the components still to walk. Until the first link, the written
 *     path itself; then a kmalloc'd buffer (two PATH_MAX halves: the rest,
 *     and the scratch a target is read into) rebuilt at each link as
 *     target + "/" + what remained. No allocation happens on a path without
 *     links.
 * A link met before the last component (or as the last one, when the call
 * follows it) is read under the fs lock, reported to the caller's `seen`
 * (a permission layer refuses links it does not see), popped from out, and
 * its target put before the rest: an absolute target restarts out at "/".
 * At most VN_SYMLINKS_MAX links per resolution (-ELOOP past it).
 *
 * Invariants between components: out[len] == 0 and out is normal; v is
 * NULL or the vnode of out (looked up again after anything that drops the
 * fs lock: a callback may sleep); links <= VN_SYMLINKS_MAX.
 *
 * Foreign directories are only asked about when the VFS has no entry: the
 * VFS holds /dev and /proc as empty directories, so a path without links
 * pays nothing for them.
 *
 * Cost: a first walk (needs_walk) looks at the vnodes only, without
 * building any path or allocating; only a path that meets a link to
 * follow (or a name missing from an empty directory: maybe /proc's) is
 * walked again as above, into a path buffer.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "lib/lib.h"
#include "path.h"

struct walk {
	char *out;
	size_t len;
	struct vnode *v;
	bool foreign;
	char *work; /* NULL until the first link: [0, PATH_MAX) rest, [PATH_MAX, 2 * PATH_MAX) scratch */
	const char *rest;
	size_t restlen, pos;
	int links;
	bool refused; /* the error is seen's own */
};

static bool is_name(const char *name, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(name, lit, n) == 0;
}

static int push(struct walk *w, const char *name, size_t n)
{
	size_t sep = w->len > 1;
	if (n > PATH_NAME_MAX || w->len + sep + n + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	if (sep)
		w->out[w->len++] = '/';
	memcpy(w->out + w->len, name, n);
	w->len += n;
	w->out[w->len] = '\0';
	return 0;
}

static void pop(struct walk *w)
{
	while (w->len > 1 && w->out[w->len - 1] != '/')
		w->len--;
	if (w->len > 1)
		w->len--;
	w->out[w->len] = '\0';
}

/* v again from out (fs lock held), after the lock was dropped or out popped. */
static void relookup(struct walk *w)
{
	w->v = NULL;
	w->foreign = vfs_foreign_owns(w->out);
	if (!w->foreign && vn_lookup(w->out, &w->v) != 0)
		w->v = NULL;
}

/* Is there a component after the one that ends at w->pos? */
static bool more_after(const struct walk *w)
{
	for (size_t i = w->pos; i < w->restlen; i++)
		if (w->rest[i] != '/')
			return true;
	return false;
}

/* The rest becomes target (n bytes in the scratch half) + "/" + what
 * remained after the link. */
static int splice(struct walk *w, size_t n)
{
	char *scratch = w->work + PATH_MAX;
	size_t left = w->restlen - w->pos;
	if (n + 1 + left >= PATH_MAX)
		return -ENAMETOOLONG;
	scratch[n] = '/';
	memcpy(scratch + n + 1, w->rest + w->pos, left);
	memcpy(w->work, scratch, n + 1 + left);
	w->rest = w->work;
	w->restlen = n + 1 + left;
	w->pos = 0;
	return 0;
}

/* Follows the link out names (its target, n bytes, is in the scratch half):
 * 0, or why not. Called with the fs lock dropped. */
static int follow_link(struct walk *w, size_t n, vfs_seen_fn seen, void *arg)
{
	if (++w->links > VN_SYMLINKS_MAX)
		return -ELOOP;
	if (n == 0)
		return -ENOENT;
	int err = seen ? seen(arg, w->out) : 0;
	w->refused = err != 0;
	if (err)
		return err;
	pop(w);
	if (w->work[PATH_MAX] == '/') {
		w->len = 1;
		w->out[1] = '\0';
	}
	return splice(w, n);
}

/* One component (not "." or "..") in directory v (or a foreign one): 0
 * with out and v moved on; 1 when it is
 * a link to follow (target read into the scratch half, *n bytes); or an
 * error. Called with the fs lock held. */
static int step(struct walk *w, const char *name, size_t nlen, bool follow, size_t *n)
{
	struct vnode *dir = w->v;
	int err = push(w, name, nlen);
	if (err)
		return err;
	struct vnode *c = dir ? vn_child(dir, name, nlen) : NULL;
	w->v = c;
	if (!c && !w->foreign)
		w->foreign = vfs_foreign_owns(w->out);
	bool wanted = follow || more_after(w);
	if (c && vn_is_link(c) && wanted) {
		if (!w->work && !(w->work = kmalloc(2 * PATH_MAX)))
			return -ENOMEM;
		*n = (size_t)vn_readlink(c, w->work + PATH_MAX, PATH_MAX - 1);
		w->work[PATH_MAX + *n] = '\0';
		return 1;
	}
	return 0;
}

/* A foreign component: is it a link (its target into the scratch half)? */
static int foreign_link(struct walk *w, bool follow, size_t *n)
{
	if (!w->foreign || !(follow || more_after(w)))
		return 0;
	char buf[64]; /* foreign links are short: /proc/self */
	long r = vfs_foreign_readlink(w->out, buf, sizeof buf - 1);
	if (r < 0)
		return 0;
	if (!w->work && !(w->work = kmalloc(2 * PATH_MAX)))
		return -ENOMEM;
	memcpy(w->work + PATH_MAX, buf, (size_t)r);
	w->work[PATH_MAX + r] = '\0';
	*n = (size_t)r;
	return 1;
}

static int walk_all(struct walk *w, bool follow, vfs_seen_fn seen, void *arg)
{
	const char *name;
	size_t nlen, n = 0;
	uint64_t lk = fs_lock();
	relookup(w);
	for (;;) {
		struct path_iter it = {w->rest, w->restlen, w->pos};
		if (!path_iter_next(&it, &name, &nlen))
			break;
		w->pos = it.pos;
		int r = 0;
		bool stepped = false;
		if (!w->v && !w->foreign)
			r = -ENOENT; /* a missing directory on the way */
		else if (w->v && !vn_is_dir(w->v))
			r = -ENOTDIR;
		else if (is_name(name, nlen, ".."))
			r = w->links && seen ? 2 : 3;
		else if (!is_name(name, nlen, ".")) {
			r = step(w, name, nlen, follow, &n);
			stepped = true;
		}
		if (r == 0 && stepped && w->foreign && !w->v) {
			fs_unlock(lk);
			r = foreign_link(w, follow, &n);
			lk = fs_lock();
		}
		if (r < 0) {
			fs_unlock(lk);
			return r;
		}
		if (r == 0)
			continue;
		fs_unlock(lk);
		if (r == 1)
			r = follow_link(w, n, seen, arg);
		else if (r == 2) /* ".." after a link: the directory left must be seen */
			w->refused = (r = seen(arg, w->out)) != 0;
		else
			r = 0;
		if (r)
			return r;
		lk = fs_lock();
		if (is_name(name, nlen, ".."))
			pop(w);
		relookup(w);
	}
	fs_unlock(lk);
	return 0;
}

/* Does the walk of path (from start) meet a link it must follow, or a name
 * missing from an empty directory (a foreign one's, maybe a link)? The
 * vnodes alone, fs lock held. A path that fails otherwise is the call's to
 * report: false. */
static bool needs_walk(struct vnode *v, const char *path, size_t len, bool follow)
{
	struct path_iter it, peek;
	const char *name, *next;
	size_t n, nn;
	path_iter_init(&it, path, len);
	while (path_iter_next(&it, &name, &n)) {
		if (!vn_is_dir(v))
			return false;
		peek = it;
		bool last = !path_iter_next(&peek, &next, &nn);
		if (is_name(name, n, ".")) {
			continue;
		} else if (is_name(name, n, "..")) {
			v = vn_parent(v);
			continue;
		}
		struct vnode *c = vn_child(v, name, n);
		if (!c)
			return v->dir.count == 0;
		if (vn_is_link(c) && (follow || !last))
			return true;
		v = c;
	}
	return false;
}

int vfs_resolve(const char *cwd, const char *path, bool follow, char **resolved, vfs_seen_fn seen, void *arg)
{
	struct vnode *start;
	size_t len = strnlen(path, PATH_MAX);
	*resolved = NULL;
	if (len == 0 || len == PATH_MAX)
		return 0; /* the call's own error */
	if (!cwd || path[0] == '/')
		cwd = "/";
	bool dir_only = path[len - 1] == '/';
	uint64_t lk = fs_lock();
	bool walk = vn_lookup(cwd, &start) == 0 && needs_walk(start, path, len, follow || dir_only);
	fs_unlock(lk);
	size_t clen = strlen(cwd);
	if (!walk || clen >= PATH_MAX || !path_is_normal(cwd, clen))
		return 0;
	char *out = vfs_pathbuf_alloc();
	if (!out)
		return -ENOMEM;
	struct walk w = {.out = out, .len = clen, .rest = path, .restlen = len};
	memcpy(out, cwd, clen + 1);
	int err = walk_all(&w, follow || dir_only, seen, arg);
	kfree(w.work);
	if (!w.links)
		err = 0; /* nothing followed: the path as written names it */
	else if (err && seen && !w.refused && err != -ELOOP && err != -ENAMETOOLONG) {
		int hidden = seen(arg, w.out);
		err = hidden ? hidden : err;
	}
	if (err || !w.links) {
		vfs_pathbuf_free(out);
		return err;
	}
	if (dir_only && w.len + 2 <= PATH_MAX)
		memcpy(out + w.len, "/", 2);
	*resolved = out;
	return 1;
}
