/*
 * vfs_store.c - /data on the store: the files and directories of /data are
 * the store's file layer (kernel/store/fs.c, through kernel/persist), with
 * the ramfs tree in front of it as the cache every read is served from.
 *
 * Theory of operation. At boot (vfs_store_load) the store's tree is copied
 * into the /data ramfs: every directory, every file and symbolic link with
 * its pages (holes stay holes), its mode and times; each vnode remembers
 * its store inode (vnode.sino); a file's later names (hard links: one store
 * inode named by several entries) become aliases of its vnode. From then on every change of /data is made on both, the
 * store first: vfs_path.c and vnode_file.c check a change against the tree,
 * call fs_store_* here (one transaction, committed without a flush), then
 * apply it to the tree. fs_store_begin/end hold the store's lock over the
 * three steps, so the store sees the changes of /data in the tree's order
 * and no other change of /data can come between the check and the apply.
 * A change the store refuses (-ENOSPC: the disk is full; -EIO: the disk
 * failed, the store takes no more changes) is refused to the program and
 * the tree is left as it was: nothing is half done. A change the tree
 * refuses after the store took it (only a create can: memory) is undone in
 * the store by a second transaction.
 *
 * Reads never touch the store: the tree holds every byte of /data. So /data
 * must fit in the RAM its ramfs may use (a quarter of the RAM free at
 * boot); a store holding more is loaded as far as it fits and /data is then
 * read-only for that boot, with a log line saying so (the disk is left
 * intact; optios-disk on the host gets everything out). Paging the cache
 * (evicting clean pages, reading them back on a miss) is the next step.
 *
 * Durability: a change is committed, not flushed. fsync/fdatasync/sync
 * (kernel/syscall) call persist_sync: everything committed so far becomes
 * durable in one flush, shared with everyone waiting (group commit).
 *
 * A write of more than one page is one transaction per call of the file's
 * write (at most 16 KiB: sys_fs.c's buffer), so a crash during a large
 * write that was not synced leaves a prefix of it, whole 16 KiB pieces in
 * order; a synced write is all there.
 *
 * The data gate (issue 10's output gate, for files). A handler run's
 * changes of /data are applied to the tree at its commit (under the store's
 * lock, in the store's order, as every change) but its transaction is
 * durable only at the flush the runner issues after it (group commit). Until
 * then no one else may see them: a program that saw them could lose what it
 * saw at a power cut. So held_seq is the newest commit whose run changed
 * /data (fs_store_hold, from vfs_txn_hold before the tree is touched); while
 * the store's durable seq is below it, every access to /data by anyone but
 * a run - a path resolved on /data (vfs_path.c's npath_make), any call on a
 * descriptor of a /data file (vnode_file.c), the checks of a change
 * (fs_store_begin) - first waits for persist_sync(held_seq): it shares the
 * runner's flush or issues it. Runs pass: a run that reads an earlier run's
 * change commits after it (commits are in order and recovery yields a
 * prefix), and its own outputs are held until its own commit is durable.
 * The gate is the whole of /data, not the changed paths: a wait lasts one
 * flush at most, and only while a run's change is in flight. The run's
 * file: events are held with its emitted events (kernel/handler/runner.c).
 * If the store fails, nothing becomes durable any more: the gate opens (the
 * system goes on in memory, as the event gate does).
 *
 * Invariants (with the store's lock held and nothing in flight):
 *   - every vnode of /data not unlinked names the same file as the store's
 *     inode sino, when sino != 0, and the path to it names it in the store;
 *   - the sizes, the bytes and the directory entries of both agree.
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "kernel/log/klog.h"
#include "kernel/persist/persist.h"
#include "lib/lib.h"
#include "path.h"

#define DATA "/data"

static struct fs *data_fs; /* /data, once loaded from the store */
static uint64_t held_seq; /* the data gate: a run's /data commit not known durable (0: none) */

/* The path inside the store of a path of /data ("/data/a" -> "/a"). */
const char *fs_store_path(const char *path)
{
	const char *p = path + sizeof DATA - 1;
	return *p ? p : "/";
}

static bool on_data(const char *path)
{
	return strncmp(path, DATA, sizeof DATA - 1) == 0 &&
	       (path[sizeof DATA - 1] == '/' || path[sizeof DATA - 1] == 0);
}

bool fs_store_covers(const char *path)
{
	return data_fs && !data_fs->readonly && on_data(path);
}

/* Is the data gate closed for the caller? */
static bool gate_closed(void)
{
	if (!held_seq)
		return false;
	if (persist_durable_seq() >= held_seq || persist_failed()) {
		held_seq = 0;
		return false;
	}
	return !proc_current_in_run();
}

void fs_store_hold(uint64_t seq)
{
	if (seq > held_seq)
		held_seq = seq;
}

void fs_store_gate(const char *path)
{
	while (gate_closed() && (!path || on_data(path)))
		persist_sync(held_seq); /* -EIO: the store failed, the gate opens */
}

/* The store's lock, once no run's change of /data is in flight: a run may
 * commit while we wait for the lock. */
static void lock_gated(void)
{
	persist_lock();
	while (gate_closed()) {
		persist_unlock();
		fs_store_gate(NULL);
		persist_lock();
	}
}

bool fs_store_begin(const char *path)
{
	if (!fs_store_covers(path))
		return false;
	lock_gated();
	return true;
}

bool fs_store_begin_vnode(const struct vnode *v)
{
	if (!data_fs || v->fs != data_fs || data_fs->readonly)
		return false;
	lock_gated();
	return true;
}

void fs_store_end(void)
{
	persist_unlock();
}

/* A store error as a program sees it: the store's own refusals, or -EIO
 * when the tree and the store disagree (logged: a kernel bug). */
static int program_error(int64_t r, const char *what, const char *path)
{
	if (r == -ENOSPC || r == -EIO || r == -ENOMEM || r == -EFBIG)
		return (int)r;
	if (r == -EROFS)
		return -EIO;
	klog(KLOG_ERROR, "vfs: /data%s: the store refused %s (%d) that the tree allowed", path, what, (int)r);
	return -EIO;
}

/* ---- the changes ---- */
struct change {
	const char *path, *to; /* store paths */
	const struct vfs_attr *attr; /* setattr: mtime_now already resolved */
	uint32_t mode; /* create: S_IFDIR or S_IFREG | permissions */
	uint64_t ino, off, size;
	const void *buf; /* a write's bytes; a symlink's target */
	size_t len;
	uint64_t now;
	char name[STORE_FS_NAME_MAX + 1], name2[STORE_FS_NAME_MAX + 1];
};

static int build_create(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	uint64_t dir;
	int r = fs_store_parent(tx, c->path, &dir, c->name);
	if (r == 0)
		r = store_fs_create(tx, dir, c->name,
				    (c->mode & S_IFMT) == S_IFDIR ? STORE_FS_DIR : STORE_FS_REG,
				    c->mode & 07777, c->now, &c->ino);
	return r;
}

static int build_remove(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	uint64_t dir;
	int r = fs_store_parent(tx, c->path, &dir, c->name);
	return r ? r : store_fs_unlink(tx, dir, c->name, c->now);
}

static int build_rename(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	uint64_t sdir, ddir;
	int r = fs_store_parent(tx, c->path, &sdir, c->name);
	if (r == 0)
		r = fs_store_parent(tx, c->to, &ddir, c->name2);
	return r ? r : store_fs_rename(tx, sdir, c->name, ddir, c->name2, c->now);
}

static int build_symlink(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	uint64_t dir;
	int r = fs_store_parent(tx, c->path, &dir, c->name);
	return r ? r : store_fs_symlink(tx, dir, c->name, c->buf, c->now, &c->ino);
}

static int build_link(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	uint64_t ino, dir;
	int r = store_fs_resolve(tx, c->path, &ino);
	if (r == 0)
		r = fs_store_parent(tx, c->to, &dir, c->name);
	return r ? r : store_fs_link(tx, ino, dir, c->name, c->now);
}

static int build_truncate(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	return store_fs_truncate(tx, c->ino, c->size, c->now);
}

static int build_setattr(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	const struct vfs_attr *a = c->attr;
	return store_fs_setattr(tx, c->ino, a->set_mode, a->mode, a->set_mtime, a->mtime_ns, c->now);
}

static int build_write(struct store_tx *tx, void *arg)
{
	struct change *c = arg;
	long n = store_fs_write(tx, c->ino, c->off, c->buf, c->len, c->now);
	return n < 0 ? (int)n : (size_t)n == c->len ? 0 : -EIO;
}

static int commit(struct change *c, persist_build_fn build, const char *what)
{
	c->now = fs_now_ns();
	int64_t r = persist_commit_locked(build, c);
	return r < 0 ? program_error(r, what, c->path) : 0;
}

int fs_store_create(const char *path, uint32_t mode, uint64_t *sino)
{
	struct change c = {.path = fs_store_path(path), .mode = mode};
	int r = commit(&c, build_create, "a create");
	*sino = c.ino;
	return r;
}

int fs_store_remove(const char *path)
{
	struct change c = {.path = fs_store_path(path)};
	return commit(&c, build_remove, "a removal");
}

int fs_store_rename(const char *from, const char *to)
{
	struct change c = {.path = fs_store_path(from), .to = fs_store_path(to)};
	return commit(&c, build_rename, "a rename");
}

int fs_store_symlink(const char *path, const char *target, uint64_t *sino)
{
	struct change c = {.path = fs_store_path(path), .buf = target};
	int r = commit(&c, build_symlink, "a symlink");
	*sino = c.ino;
	return r;
}

int fs_store_link(const char *from, const char *to)
{
	struct change c = {.path = fs_store_path(from), .to = fs_store_path(to)};
	return commit(&c, build_link, "a link");
}

/* The store inode of v (found by its path and remembered when not known:
 * a file a handler run made). 0, or -ENOENT (v was removed). */
static int inode_of(struct vnode *v, uint64_t *ino)
{
	uint64_t lk = fs_lock();
	*ino = v->sino;
	bool gone = v->unlinked;
	fs_unlock(lk);
	if (gone)
		return -ENOENT;
	if (*ino)
		return 0;
	char *path = vfs_pathbuf_alloc();
	if (!path)
		return -ENOMEM;
	lk = fs_lock();
	int r = vn_path(v, path, PATH_MAX);
	fs_unlock(lk);
	struct store_tx *tx = r >= 0 ? store_tx_begin(persist_store()) : NULL;
	if (r >= 0)
		r = tx ? store_fs_resolve(tx, fs_store_path(path), ino) : -ENOMEM;
	if (tx)
		store_tx_abort(tx);
	vfs_pathbuf_free(path);
	if (r < 0)
		return r == -ENOMEM ? r : program_error(r, "a lookup", path);
	lk = fs_lock();
	v->sino = *ino;
	fs_unlock(lk);
	return 0;
}

int fs_store_truncate(struct vnode *v, uint64_t size)
{
	struct change c = {.path = "", .size = size};
	int r = inode_of(v, &c.ino);
	if (r == -ENOENT)
		return 0; /* removed while open: only the tree keeps it */
	return r ? r : commit(&c, build_truncate, "a truncate");
}

int fs_store_setattr(struct vnode *v, const struct vfs_attr *a)
{
	struct change c = {.path = "", .attr = a};
	int r = inode_of(v, &c.ino);
	if (r == -ENOENT)
		return 0; /* removed while open: only the tree keeps it */
	return r ? r : commit(&c, build_setattr, "a chmod or utimes");
}

long fs_store_write(struct vnode *v, uint64_t off, const void *buf, size_t len)
{
	struct change c = {.path = "", .off = off, .buf = buf, .len = len};
	int r = inode_of(v, &c.ino);
	if (r == -ENOENT)
		return (long)len; /* removed while open: only the tree keeps it */
	if (r == 0)
		r = commit(&c, build_write, "a write");
	return r ? r : (long)len;
}

/* ---- boot: the store's tree into /data ---- */
struct load_item {
	uint64_t ino;
	struct vnode *dir;
};

/* The files with more than one name loaded so far (by store inode): their
 * later names become aliases of the first (vn_link). */
struct linked {
	uint64_t ino;
	struct vnode *v;
};
struct load {
	struct linked *linked;
	size_t nlinked, cap;
};

static struct vnode *linked_find(const struct load *l, uint64_t ino)
{
	for (size_t i = 0; i < l->nlinked; i++)
		if (l->linked[i].ino == ino)
			return l->linked[i].v;
	return NULL;
}

static int linked_add(struct load *l, uint64_t ino, struct vnode *v)
{
	if (l->nlinked == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct linked *bigger = krealloc(l->linked, sizeof *bigger * cap);
		if (!bigger)
			return -ENOMEM;
		l->linked = bigger;
		l->cap = cap;
	}
	l->linked[l->nlinked++] = (struct linked){ino, v};
	return 0;
}

static int load_pages(struct store_tx *tx, uint64_t ino, struct vnode *v, const struct store_fs_attr *a,
		      void *page)
{
	uint64_t obj = STORE_OBJ(STORE_CLASS_FS, ino);
	struct store_key k = {obj, STORE_FS_PAGE}, end = {obj, UINT64_MAX};
	while (store_tx_next(tx, k, end, &k) == 0) {
		int n = store_tx_get(tx, k, page, FS_PAGE);
		if (n < 0)
			return n;
		uint64_t lk = fs_lock();
		long w = vn_write(v, page, (size_t)n, (k.sub - STORE_FS_PAGE) * FS_PAGE);
		fs_unlock(lk);
		if (w < 0)
			return (int)w;
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	uint64_t lk = fs_lock();
	v->size = a->size;
	fs_unlock(lk);
	return 0;
}

/* One directory entry of the store as a vnode under dir. */
static int load_entry(struct store_tx *tx, struct vnode *dir, const struct store_fs_dirent *e, void *page,
		      struct load *l, struct vnode **out)
{
	struct store_fs_attr a;
	size_t n = strlen(e->name);
	if (n == 0 || strchr(e->name, '/') || strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
		return -EINVAL; /* a damaged image: never a name the tree could hold */
	int r = store_fs_stat(tx, e->ino, &a);
	if (r < 0)
		return r;
	uint32_t type = a.type == STORE_FS_DIR ? S_IFDIR : a.type == STORE_FS_LNK ? S_IFLNK : S_IFREG;
	uint32_t mode = type | (a.mode & 07777);
	struct vnode *v = a.type != STORE_FS_DIR && a.nlink > 1 ? linked_find(l, e->ino) : NULL;
	uint64_t lk = fs_lock();
	if (v) { /* a later name of a file already loaded */
		r = vn_link(v, dir, e->name, n);
		fs_unlock(lk);
		*out = v;
		return r;
	}
	r = vn_create(dir, e->name, n, mode, &v);
	if (r == 0)
		v->sino = e->ino;
	fs_unlock(lk);
	if (r == 0 && a.type != STORE_FS_DIR)
		r = load_pages(tx, e->ino, v, &a, page);
	if (r == 0) { /* after the pages: writing them set the times to now */
		lk = fs_lock();
		v->mtime_ns = a.mtime_ns;
		v->ctime_ns = a.ctime_ns;
		fs_unlock(lk);
	}
	if (r == 0 && a.type != STORE_FS_DIR && a.nlink > 1)
		r = linked_add(l, e->ino, v);
	*out = v;
	return r;
}

/* Copies the store's tree under root, breadth first. Bounded by the
 * store's keys (a damaged directory graph cannot loop forever). */
static int load_tree(struct store_tx *tx, struct vnode *root, uint64_t max_items, uint64_t *files)
{
	struct load_item *q = kmalloc(sizeof *q * 64);
	struct store_fs_dirent *e = kmalloc(sizeof *e);
	void *page = kmalloc(FS_PAGE);
	struct load l = {0};
	size_t cap = 64, head = 0, tail = 0;
	int r = q && e && page ? 0 : -ENOMEM;
	if (r == 0)
		q[tail++] = (struct load_item){STORE_FS_ROOT, root};
	while (r == 0 && head < tail) {
		struct load_item it = q[head++];
		uint64_t cookie = 0;
		while (r == 0 && store_fs_readdir(tx, it.ino, &cookie, e) == 0) {
			struct vnode *v;
			if (++*files > max_items)
				r = -EINVAL;
			else
				r = load_entry(tx, it.dir, e, page, &l, &v);
			if (r || e->type != STORE_FS_DIR)
				continue;
			if (tail == cap) {
				struct load_item *bigger = krealloc(q, sizeof *q * cap * 2);
				if (!bigger) {
					r = -ENOMEM;
					break;
				}
				q = bigger;
				cap *= 2;
			}
			q[tail++] = (struct load_item){e->ino, v};
		}
	}
	kfree(q);
	kfree(e);
	kfree(page);
	kfree(l.linked);
	return r;
}

void vfs_store_load(struct vnode *mountpoint)
{
	struct store *st = persist_store();
	if (!st || !mountpoint->mounted)
		return;
	struct fs *fs = mountpoint->mounted;
	persist_lock();
	struct store_tx *tx = store_tx_begin(st);
	struct store_stats ss;
	store_stats_get(st, &ss);
	uint64_t files = 0;
	int r = tx ? load_tree(tx, fs->root, ss.keys, &files) : -ENOMEM;
	if (tx)
		store_tx_abort(tx);
	persist_unlock();
	fs->root->sino = STORE_FS_ROOT;
	fs->persistent = true;
	data_fs = fs;
	if (r == 0) {
		klog(KLOG_INFO, "vfs: /data on the store: %lu entries, %lu KiB", (unsigned long)files,
		     (unsigned long)(fs->used / 1024));
		return;
	}
	fs->readonly = true;
	if (r == -ENOSPC || r == -ENOMEM || r == -EFBIG)
		klog(KLOG_ERROR,
		     "vfs: /data on the store holds more than the %lu KiB of RAM it may use: loaded %lu "
		     "entries; "
		     "/data is read-only this boot (the disk is intact: optios-disk gets everything out)",
		     (unsigned long)(fs->limit / 1024), (unsigned long)files);
	else
		klog(KLOG_ERROR,
		     "vfs: /data: the store's files could not be read (%d) after %lu entries; "
		     "/data is read-only this boot (check the image with optios-disk fsck)",
		     r, (unsigned long)files);
}

static int build_txn(struct store_tx *tx, void *arg)
{
	return vfs_txn_store(arg, tx);
}

int vfs_txn_commit(struct vfs_txn *t, const char *source, vfs_effect_fn fn, void *arg)
{
	if (!vfs_txn_covers_store(t))
		return vfs_txn_apply(t, source, fn, arg);
	persist_lock();
	int64_t r = persist_commit_locked(build_txn, t);
	int n = 0;
	if (r >= 0)
		n = vfs_txn_apply(t, source, fn,
				  arg); /* the same hold of the lock: the tree in the store's order */
	persist_unlock();
	if (r < 0) {
		klog(KLOG_WARN, "vfs: %s: the store refused its file changes (%d): none applied", source,
		     (int)r);
		vfs_txn_destroy_records(t);
	}
	return n;
}

bool vfs_file_persistent(struct file *f)
{
	struct vnode *v = vfs_file_vnode(f);
	return v && data_fs && v->fs == data_fs;
}

void fs_store_fsinfo(struct vfs_fsinfo *out)
{
	struct store *st = persist_store();
	struct store_stats s;
	if (!st)
		return;
	persist_lock();
	store_stats_get(st, &s);
	persist_unlock();
	out->limit = s.log_blocks * STORE_BLOCK;
	out->used = s.live_blocks * STORE_BLOCK;
	out->readonly = out->readonly || persist_failed();
}

void vfs_data_usage(struct vfs_usage *u, bool *readonly)
{
	uint64_t lk = fs_lock();
	*u = (struct vfs_usage){0, 0};
	*readonly = false;
	if (data_fs) {
		*u = (struct vfs_usage){data_fs->used, data_fs->limit};
		*readonly = data_fs->readonly;
	}
	fs_unlock(lk);
}
