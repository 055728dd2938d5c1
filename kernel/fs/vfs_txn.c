/*
 * vfs_txn.c - transactions: the file changes of a handler run, staged, then
 * applied together or dropped (the contract is at the end of vfs.h).
 *
 * Theory of operation. The path layer (vfs_path.c) checks every change
 * against the tree exactly as it would before acting; with a transaction it
 * then hands the change here instead of acting. vfs_txn_record keeps a name
 * change (unlink, rename, mkdir, rmdir) as a record; vfs_txn_stage opens a
 * staged file - a struct file over a private kmalloc'd buffer - and keeps a
 * record of it. Records form one list in the order the calls were made.
 * Commit walks the list, applies each record with the tree functions of
 * vfs.c and raises the file: events a direct change would raise; then, like
 * destroy, it lets every record go.
 *
 * A staged file is shared by its record and its open file (refs). When its
 * record goes, the staged file is detached (txn NULL): it stays a private
 * scratch file, bounded on its own, until its last descriptor is closed.
 *
 * Invariants (under the fs lock):
 *   - t->bytes is the sum of t's records' charges plus the lengths of the
 *     staged files attached to t, and never exceeds VFS_TXN_BYTES_MAX;
 *   - a staged file is attached (sf->txn == t) exactly while a record of t
 *     holds it; sf->len <= sf->cap <= VFS_TXN_BYTES_MAX.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "fs_internal.h"
#include "kernel/store/store.h"
#include "lib/lib.h"

/* A staged file: f->priv of its open file. */
struct staged {
	struct vfs_txn *txn; /* charged for len; NULL once detached */
	int refs; /* its record (while attached) and its open file */
	uint8_t *buf;
	size_t len, cap;
	bool append; /* opened O_APPEND: buf holds only the appended bytes */
	bool create; /* opened O_CREAT: commit makes the file if it is missing */
	bool excl; /* opened O_CREAT | O_EXCL: commit fails if the file exists */
	bool changed; /* new at open, truncated or written: commit applies it */
	uint32_t mode; /* S_IFREG | permissions, for fstat and creation */
	uint64_t dev, ino; /* the file's at open (fstat); 0 for a new file */
};

/* One change, in the order made. path (and from) are stored after it. */
struct change {
	struct change *next;
	enum txn_kind kind;
	const char *path; /* the file changed; a rename's new path */
	const char *from; /* a rename's old path, else NULL */
	uint32_t mode; /* mkdir */
	struct staged *sf; /* TXN_FILE */
	size_t charge; /* bytes charged for the record itself */
	char names[];
};

struct vfs_txn {
	struct change *head, **tail;
	size_t bytes;
	vfs_event_fn hold; /* vfs_txn_hold: the file: events go here; NULL: raised */
	void *hold_arg;
};

/* What each kind reports: the effect (vfs_effect_fn) and the file: event
 * (TXN_FILE and TXN_RENAME decide theirs when applied). */
static const struct {
	const char *effect, *event;
} kinds[] = {
	[TXN_FILE] = {"write", "written"},  [TXN_UNLINK] = {"unlink", "removed"},
	[TXN_RENAME] = {"rename", NULL},    [TXN_MKDIR] = {"mkdir", "created"},
	[TXN_RMDIR] = {"rmdir", "removed"},
};

struct vfs_txn *vfs_txn_create(void)
{
	struct vfs_txn *t = kzalloc(sizeof *t);
	if (t)
		t->tail = &t->head;
	return t;
}

/* ---- staged files ---- */

static void staged_put(struct staged *sf)
{
	if (--sf->refs > 0)
		return;
	kfree(sf->buf);
	kfree(sf);
}

/* The most bytes sf may hold: what its transaction has left, or once
 * detached VFS_TXN_BYTES_MAX. */
static size_t staged_room(const struct staged *sf)
{
	if (!sf->txn)
		return VFS_TXN_BYTES_MAX;
	return sf->len + (VFS_TXN_BYTES_MAX - sf->txn->bytes);
}

/* Makes sf hold newlen bytes (new ones read as zero), charging its
 * transaction for the difference. 0, -EFBIG (past VFS_TXN_BYTES_MAX),
 * -ENOSPC (past what the transaction has left), -ENOMEM. */
static int staged_resize(struct staged *sf, uint64_t newlen)
{
	if (newlen > VFS_TXN_BYTES_MAX)
		return -EFBIG;
	if (newlen > staged_room(sf))
		return -ENOSPC;
	if (newlen > sf->cap) {
		size_t cap =
			MIN(MAX(MAX(sf->cap * 2, (size_t)256), (size_t)newlen), (size_t)VFS_TXN_BYTES_MAX);
		uint8_t *b = krealloc(sf->buf, cap);
		if (!b)
			return -ENOMEM;
		sf->buf = b;
		sf->cap = cap;
	}
	if (newlen > sf->len)
		memset(sf->buf + sf->len, 0, (size_t)newlen - sf->len);
	if (sf->txn)
		sf->txn->bytes = sf->txn->bytes - sf->len + (size_t)newlen;
	sf->len = (size_t)newlen;
	return 0;
}

static long sf_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	const struct staged *sf = f->priv;
	long n = 0;
	uint64_t lk = fs_lock();
	if (off < sf->len) {
		n = (long)MIN(len, sf->len - (size_t)off);
		memcpy(buf, sf->buf + off, (size_t)n);
	}
	fs_unlock(lk);
	return n;
}

/* Writes at off (the end with O_APPEND, as on Linux); short where the room
 * ends, -ENOSPC if none is left. */
static long sf_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	struct staged *sf = f->priv;
	uint64_t lk = fs_lock();
	if (f->flags & O_APPEND)
		off = sf->len;
	size_t room = staged_room(sf);
	long n = len == 0 ? 0 : off >= room ? -ENOSPC : (long)MIN(len, room - (size_t)off);
	if (n > 0 && off + (size_t)n > sf->len) {
		int err = staged_resize(sf, off + (size_t)n);
		if (err)
			n = err;
	}
	if (n > 0) {
		memcpy(sf->buf + off, buf, (size_t)n);
		sf->changed = true;
	}
	fs_unlock(lk);
	return n;
}

static int sf_truncate(struct file *f, uint64_t size)
{
	struct staged *sf = f->priv;
	uint64_t lk = fs_lock();
	int err = staged_resize(sf, size);
	if (!err)
		sf->changed = true;
	fs_unlock(lk);
	return err;
}

static long sf_lseek(struct file *f, int64_t off, int whence)
{
	uint64_t lk = fs_lock();
	long r = file_seek(f, off, whence, ((struct staged *)f->priv)->len);
	fs_unlock(lk);
	return r;
}

static int sf_stat(struct file *f, struct kstat *st)
{
	struct staged *sf = f->priv;
	uint64_t now = fs_now_ns();
	memset(st, 0, sizeof *st);
	uint64_t lk = fs_lock();
	st->st_dev = sf->dev;
	st->st_ino = sf->ino;
	st->st_mode = sf->mode;
	st->st_nlink = 1;
	st->st_size = (int64_t)sf->len;
	st->st_blocks = (int64_t)(ALIGN_UP(sf->len, 512) / 512);
	fs_unlock(lk);
	st->st_blksize = FS_PAGE;
	st->st_mtime_sec = st->st_ctime_sec = st->st_atime_sec = (int64_t)(now / 1000000000u);
	st->st_mtime_nsec = st->st_ctime_nsec = st->st_atime_nsec = (int64_t)(now % 1000000000u);
	return 0;
}

static void sf_release(struct file *f)
{
	uint64_t lk = fs_lock();
	staged_put(f->priv);
	fs_unlock(lk);
}

static const struct file_ops staged_file_ops = {
	.read = file_read_seq,
	.write = file_write_seq,
	.pread = sf_pread,
	.pwrite = sf_pwrite,
	.lseek = sf_lseek,
	.stat = sf_stat,
	.truncate = sf_truncate,
	.release = sf_release,
};

bool vfs_txn_file(const struct file *f)
{
	return f->ops == &staged_file_ops;
}

/* ---- records ---- */

/* Appends a record (sf: a staged file's, taking its reference). */
static int record_add(struct vfs_txn *t, enum txn_kind kind, const char *path, const char *from,
		      uint32_t mode, struct staged *sf)
{
	size_t plen = strlen(path) + 1, flen = from ? strlen(from) + 1 : 0;
	size_t charge = sizeof(struct change) + plen + flen + (sf ? sizeof *sf + sizeof(struct file) : 0);
	if (charge > VFS_TXN_BYTES_MAX - t->bytes)
		return -ENOSPC;
	struct change *c = kzalloc(sizeof *c + plen + flen);
	if (!c)
		return -ENOMEM;
	memcpy(c->names, path, plen);
	c->path = c->names;
	if (from) {
		memcpy(c->names + plen, from, flen);
		c->from = c->names + plen;
	}
	c->kind = kind;
	c->mode = mode;
	c->sf = sf;
	c->charge = charge;
	t->bytes += charge;
	*t->tail = c;
	t->tail = &c->next;
	return 0;
}

int vfs_txn_record(struct vfs_txn *t, enum txn_kind kind, const char *path, const char *from, uint32_t mode)
{
	return record_add(t, kind, path, from, mode, NULL);
}

int vfs_txn_stage(struct vfs_txn *t, const char *path, struct vnode *v, int flags, uint32_t mode,
		  struct file **out)
{
	bool copy = v && !(flags & (O_TRUNC | O_APPEND));
	struct staged *sf = kzalloc(sizeof *sf);
	struct file *f = sf ? file_create(&staged_file_ops, sf, flags & FILE_KEPT_FLAGS) : NULL;
	if (!f) {
		kfree(sf);
		return -ENOMEM;
	}
	sf->txn = t;
	sf->refs = 2;
	sf->append = flags & O_APPEND;
	sf->create = flags & O_CREAT;
	sf->excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	sf->changed = !v || (flags & O_TRUNC);
	sf->mode = v ? v->mode : mode;
	sf->dev = v ? v->fs->dev : 0;
	sf->ino = v ? v->ino : 0;
	int err = copy ? staged_resize(sf, v->size) : 0;
	if (err == -EFBIG)
		err = -ENOSPC;
	if (!err && copy)
		vn_read(v, sf->buf, sf->len, 0);
	if (!err)
		err = record_add(t, TXN_FILE, path, NULL, 0, sf);
	if (err) {
		t->bytes -= sf->len;
		kfree(sf->buf);
		kfree(sf);
		kfree(f);
		return err;
	}
	*out = f;
	return 0;
}

/* Lets every record go: staged files are detached. */
static void records_drop(struct vfs_txn *t)
{
	uint64_t lk = fs_lock();
	while (t->head) {
		struct change *c = t->head;
		t->head = c->next;
		t->bytes -= c->charge;
		if (c->sf) {
			t->bytes -= c->sf->len;
			c->sf->txn = NULL;
			staged_put(c->sf);
		}
		kfree(c);
	}
	t->tail = &t->head;
	fs_unlock(lk);
}

static bool record_counts(const struct change *c)
{
	return c->kind != TXN_FILE || c->sf->changed;
}

void vfs_txn_destroy_records(struct vfs_txn *t)
{
	records_drop(t);
}

size_t vfs_txn_changes(const struct vfs_txn *t)
{
	size_t n = 0;
	uint64_t lk = fs_lock();
	for (const struct change *c = t->head; c; c = c->next)
		n += record_counts(c);
	fs_unlock(lk);
	return n;
}

void vfs_txn_destroy(struct vfs_txn *t)
{
	if (!t)
		return;
	records_drop(t);
	kfree(t);
}

/* ---- commit ---- */

/* Replaces the contents of the file at path with sf's bytes (or, for an
 * O_APPEND open, adds them at its end), creating it if it is missing and
 * sf->create (-EEXIST if it appeared meanwhile and sf->excl). *created says
 * whether it was made. */
static int apply_file(const char *path, const struct staged *sf, bool *created)
{
	struct vnode *v, *dir;
	const char *name;
	size_t nlen;
	int err = vn_lookup(path, &v);
	*created = false;
	if (err == 0 && sf->excl)
		return -EEXIST;
	if (err == -ENOENT && sf->create && (err = vn_lookup_parent(path, &dir, &name, &nlen)) == 0) {
		err = vn_create(dir, name, nlen, sf->mode, &v);
		*created = err == 0;
	}
	if (err)
		return err;
	if (vn_is_dir(v))
		return -EISDIR;
	/* write over the old contents, then cut what is left of them: a commit
	 * that runs out of space leaves the old bytes past the new ones, never
	 * an emptied file */
	long n = sf->len ? vn_write(v, sf->buf, sf->len, sf->append ? v->size : 0) : 0;
	if (n < 0 || (size_t)n < sf->len)
		return n < 0 ? (int)n : -ENOSPC;
	return !sf->append && v->size > sf->len ? vn_truncate(v, sf->len) : 0;
}

/* unlink (dir false) and rmdir of path. */
static int apply_remove(const char *path, bool dir)
{
	struct vnode *parent;
	const char *name;
	size_t nlen;
	int err = vn_lookup_parent(path, &parent, &name, &nlen);
	return err ? err : vn_remove(parent, name, nlen, dir);
}

static int apply_mkdir(const char *path, uint32_t mode)
{
	struct vnode *parent;
	const char *name;
	size_t nlen;
	int err = vn_lookup_parent(path, &parent, &name, &nlen);
	return err ? err : vn_create(parent, name, nlen, mode, NULL);
}

/* Applies c, raises its file: events (or hands them to t's hold) and
 * reports it through fn. */
static void apply(const struct vfs_txn *t, const struct change *c, const char *source, vfs_effect_fn fn,
		  void *arg)
{
	const char *effect = kinds[c->kind].effect, *event = kinds[c->kind].event;
	bool created = false;
	int err = 0;
	uint64_t lk = fs_lock();
	uint64_t bytes = c->sf ? c->sf->len : 0;
	switch (c->kind) {
	case TXN_FILE: err = apply_file(c->path, c->sf, &created); break;
	case TXN_UNLINK: err = apply_remove(c->path, false); break;
	case TXN_RMDIR: err = apply_remove(c->path, true); break;
	case TXN_MKDIR: err = apply_mkdir(c->path, c->mode); break;
	case TXN_RENAME: err = vn_rename(c->from, c->path); break;
	}
	fs_unlock(lk);
	if (c->kind == TXN_FILE && created) {
		effect = "create";
		event = "created";
	} else if (c->kind == TXN_FILE && c->sf->append) {
		effect = "append";
	}
	if (!err && c->kind == TXN_RENAME)
		fs_rename_events(c->from, c->path, source, t->hold, t->hold_arg);
	else if (!err && t->hold)
		t->hold(t->hold_arg, c->path, event, source);
	else if (!err)
		fs_file_event(c->path, event, source);
	if (fn)
		fn(arg, effect, c->path, bytes, err);
}

/* ---- the store's side (/data): the records as store_fs_* calls ---- */

int fs_store_parent(struct store_tx *tx, const char *spath, uint64_t *dir, char *name)
{
	const char *slash = spath;
	for (const char *p = spath; *p; p++)
		if (*p == '/')
			slash = p;
	size_t n = strlen(slash + 1);
	if (n == 0 || n > STORE_FS_NAME_MAX)
		return -EINVAL;
	memcpy(name, slash + 1, n + 1);
	if (slash == spath) {
		*dir = STORE_FS_ROOT;
		return 0;
	}
	char *parent = kmalloc((size_t)(slash - spath) + 1);
	if (!parent)
		return -ENOMEM;
	memcpy(parent, spath, (size_t)(slash - spath));
	parent[slash - spath] = 0;
	int err = store_fs_resolve(tx, parent, dir);
	kfree(parent);
	return err;
}

/* A staged file into the store, as apply_file does in the tree. */
static int store_file(struct store_tx *tx, const char *spath, const struct staged *sf, uint64_t now, char *name)
{
	uint64_t ino, dir;
	struct store_fs_attr a;
	int err = store_fs_resolve(tx, spath, &ino);
	if (err == 0 && sf->excl)
		return -EEXIST;
	if (err == -ENOENT && sf->create && (err = fs_store_parent(tx, spath, &dir, name)) == 0)
		err = store_fs_create(tx, dir, name, STORE_FS_REG, sf->mode & 07777, now, &ino);
	if (err == 0)
		err = store_fs_stat(tx, ino, &a);
	if (err)
		return err;
	if (a.type != STORE_FS_REG)
		return -EISDIR;
	long n = sf->len ? store_fs_write(tx, ino, sf->append ? a.size : 0, sf->buf, sf->len, now) : 0;
	if (n < 0)
		return (int)n;
	return !sf->append && a.size > sf->len ? store_fs_truncate(tx, ino, sf->len, now) : 0;
}

static int store_change(struct store_tx *tx, const struct change *c, uint64_t now, char *name, char *name2)
{
	const char *sp = fs_store_path(c->path);
	uint64_t dir, dir2, ino;
	int err;
	switch (c->kind) {
	case TXN_FILE: return store_file(tx, sp, c->sf, now, name);
	case TXN_UNLINK:
	case TXN_RMDIR:
		err = fs_store_parent(tx, sp, &dir, name);
		return err ? err : store_fs_unlink(tx, dir, name, now);
	case TXN_MKDIR:
		err = fs_store_parent(tx, sp, &dir, name);
		return err ? err : store_fs_create(tx, dir, name, STORE_FS_DIR, c->mode & 07777, now, &ino);
	case TXN_RENAME:
		err = fs_store_parent(tx, fs_store_path(c->from), &dir, name);
		if (!err)
			err = fs_store_parent(tx, sp, &dir2, name2);
		return err ? err : store_fs_rename(tx, dir, name, dir2, name2, now);
	}
	return -EINVAL;
}

bool vfs_txn_covers_store(const struct vfs_txn *t)
{
	bool any = false;
	uint64_t lk = fs_lock();
	for (const struct change *c = t->head; c && !any; c = c->next)
		any = record_counts(c) && fs_store_covers(c->path);
	fs_unlock(lk);
	return any;
}

int vfs_txn_store(struct vfs_txn *t, struct store_tx *tx)
{
	char *names = kmalloc(2 * (STORE_FS_NAME_MAX + 1));
	if (!names)
		return -ENOMEM;
	uint64_t now = fs_now_ns();
	int err = 0;
	for (const struct change *c = t->head; c && !err; c = c->next) {
		uint64_t lk = fs_lock();
		bool counts = record_counts(c);
		fs_unlock(lk);
		if (!counts || !fs_store_covers(c->path))
			continue;
		err = store_change(tx, c, now, names, names + STORE_FS_NAME_MAX + 1);
		if (err != -ENOSPC && err != -ENOMEM && err != -EIO && err != -EFBIG)
			err = 0; /* the tree refuses it the same way at commit, and reports it */
	}
	kfree(names);
	return err;
}

void vfs_txn_hold(struct vfs_txn *t, uint64_t seq, vfs_event_fn fn, void *arg)
{
	t->hold = fn;
	t->hold_arg = arg;
	if (vfs_txn_covers_store(t))
		fs_store_hold(seq);
}

int vfs_txn_apply(struct vfs_txn *t, const char *source, vfs_effect_fn fn, void *arg)
{
	int n = 0;
	for (const struct change *c = t->head; c; c = c->next) {
		uint64_t lk = fs_lock();
		bool counts = record_counts(c);
		fs_unlock(lk);
		if (counts) {
			apply(t, c, source, fn, arg);
			n++;
		}
	}
	records_drop(t);
	t->hold = NULL;
	return n;
}
