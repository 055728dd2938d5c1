/*
 * fs.c - the store's file layer (contract: store.h, "the file layer") and
 * the event log's records, both plain keys of the store.
 *
 * Keys of inode ino (obj STORE_OBJ(STORE_CLASS_FS, ino)):
 *   sub 0                          its attributes (struct store_fs_attr)
 *   sub STORE_FS_DIRENT + (h << 8) + i   a directory entry: h the name's
 *                                  48-bit hash, i 0..255 among names of
 *                                  that hash (struct disk_dirent + name)
 *   sub STORE_FS_PAGE + n          bytes [n*4096, n*4096 + len) of a file;
 *                                  len <= 4096, shorter only at the end;
 *                                  bytes of the size with no page are zero
 * and obj STORE_OBJ(STORE_CLASS_META, 0) sub 1: the next inode number.
 *
 * A symbolic link (STORE_FS_LNK) keeps its target as a file keeps its
 * bytes (one page: at most STORE_FS_LNK_MAX). A hard link is one more
 * entry naming the same inode: the inode is the file's identity, its
 * entries only names, and nlink counts them (store_fs_link adds one,
 * unlink and a replacing rename drop one; the inode goes with the last).
 *
 * Invariants (store_fs_check): the root (inode 1) is a directory; every
 * entry names an inode that exists, whose type it records; a file's (and a
 * link's) nlink is the number of entries naming it, at least 1; a
 * directory is named by exactly one entry (the root by none) in its
 * `parent`; a directory's size is its number of entries; following parents
 * from any directory reaches the root; no page lies past a file's size; a
 * link's size is 1..STORE_FS_LNK_MAX; no inode is unnamed. Every operation
 * keeps them inside one transaction, so every commit does.
 *
 * Host-buildable: yes (tests/host/test_store*.c, tools/optios_disk.c).
 */
#include "kernel/store/store_internal.h"

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "lib/lib.h"
#include "lib/logchain.h"

#define META_OBJ STORE_OBJ(STORE_CLASS_META, 0)
#define META_NEXT_INO 1
#define DEPTH_MAX 4096 /* a parent chain longer than this is a cycle */

struct disk_dirent {
	uint64_t ino;
	uint32_t type;
	uint32_t namelen;
	/* then the name's bytes */
};

static struct store_key attr_key(uint64_t ino)
{
	return (struct store_key){STORE_OBJ(STORE_CLASS_FS, ino), 0};
}

static struct store_key page_key(uint64_t ino, uint64_t n)
{
	return (struct store_key){STORE_OBJ(STORE_CLASS_FS, ino), STORE_FS_PAGE + n};
}

static uint64_t name_hash(const char *name, size_t len)
{
	return store_hash(name, len, 0x6469726e616d65ull) & ((1ull << 48) - 1);
}

static uint64_t bucket_of(const char *name, size_t len)
{
	return STORE_FS_DIRENT + (name_hash(name, len) << 8);
}

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len > STORE_FS_NAME_MAX || memchr(name, '/', len) || memchr(name, 0, len))
		return false;
	return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

int store_fs_stat(struct store_tx *tx, uint64_t ino, struct store_fs_attr *out)
{
	if (ino == 0 || ino >= (1ull << 56))
		return -ENOENT;
	int r = store_tx_get(tx, attr_key(ino), out, sizeof *out);
	if (r >= 0 && r != (int)sizeof *out)
		return -EIO; /* store_fs_check names it */
	return r < 0 ? r : 0;
}

static int attr_put(struct store_tx *tx, uint64_t ino, const struct store_fs_attr *a)
{
	return store_put(tx, attr_key(ino), a, sizeof *a);
}

static int dir_attr(struct store_tx *tx, uint64_t dir, struct store_fs_attr *a)
{
	int r = store_fs_stat(tx, dir, a);
	if (r == 0 && a->type != STORE_FS_DIR)
		return -ENOTDIR;
	return r;
}

/* A directory entry's value, decoded: 0, or -EIO when it is malformed. */
static int dirent_read(struct store_tx *tx, struct store_key k, struct store_fs_dirent *out)
{
	uint8_t v[sizeof(struct disk_dirent) + STORE_FS_NAME_MAX];
	struct disk_dirent d;
	int n = store_tx_get(tx, k, v, sizeof v);
	if (n < 0)
		return n;
	memcpy(&d, v, sizeof d);
	if ((size_t)n < sizeof d || d.namelen > STORE_FS_NAME_MAX || (size_t)n != sizeof d + d.namelen)
		return -EIO;
	out->ino = d.ino;
	out->type = d.type;
	memcpy(out->name, v + sizeof d, d.namelen);
	out->name[d.namelen] = 0;
	return 0;
}

/* Finds name in dir: 0 and its key and entry, or -ENOENT with *free_sub a
 * free slot of its bucket (-ENOSPC in *free_sub's stead when all 256 are
 * taken: then *free_sub is 0). */
static int dirent_find(struct store_tx *tx, uint64_t dir, const char *name, struct store_key *key,
		       struct store_fs_dirent *de, uint64_t *free_sub)
{
	size_t len = strlen(name);
	uint64_t base = bucket_of(name, len), obj = STORE_OBJ(STORE_CLASS_FS, dir);
	struct store_key k = {obj, base}, to = {obj, base + 255};
	uint64_t expect = base;
	if (free_sub)
		*free_sub = 0;
	while (store_tx_next(tx, k, to, &k) == 0) {
		if (free_sub && !*free_sub && k.sub != expect)
			*free_sub = expect; /* a gap before this one */
		expect = k.sub + 1;
		int r = dirent_read(tx, k, de);
		if (r < 0)
			return r;
		if (strcmp(de->name, name) == 0) {
			*key = k;
			return 0;
		}
		if (k.sub == base + 255)
			break;
		k.sub++;
	}
	if (free_sub && !*free_sub && expect <= base + 255)
		*free_sub = expect;
	return -ENOENT;
}

/* Name's entry in directory dir: 0 and its key and entry, or an error. */
static int entry_of(struct store_tx *tx, uint64_t dir, const char *name, struct store_key *k,
		    struct store_fs_dirent *de)
{
	struct store_fs_attr a;
	int r = dir_attr(tx, dir, &a);
	if (r < 0)
		return r;
	if (!name_ok(name, strlen(name)))
		return strlen(name) > STORE_FS_NAME_MAX ? -ENAMETOOLONG : -ENOENT;
	return dirent_find(tx, dir, name, k, de, NULL);
}

int store_fs_lookup(struct store_tx *tx, uint64_t dir, const char *name, uint64_t *ino)
{
	struct store_fs_dirent de;
	struct store_key k;
	int r = entry_of(tx, dir, name, &k, &de);
	if (r == 0)
		*ino = de.ino;
	return r;
}

int store_fs_resolve(struct store_tx *tx, const char *path, uint64_t *ino)
{
	char part[STORE_FS_NAME_MAX + 1];
	uint64_t cur = STORE_FS_ROOT;
	if (path[0] != '/')
		return -EINVAL;
	while (*path) {
		while (*path == '/')
			path++;
		size_t n = 0;
		while (path[n] && path[n] != '/')
			n++;
		if (n == 0)
			break;
		if (n > STORE_FS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(part, path, n);
		part[n] = 0;
		int r = store_fs_lookup(tx, cur, part, &cur);
		if (r < 0)
			return r;
		path += n;
	}
	*ino = cur;
	return 0;
}

static int dirent_put(struct store_tx *tx, uint64_t dir, uint64_t sub, const char *name, uint64_t ino,
		      uint32_t type)
{
	uint8_t v[sizeof(struct disk_dirent) + STORE_FS_NAME_MAX];
	struct disk_dirent d = {.ino = ino, .type = type, .namelen = (uint32_t)strlen(name)};
	memcpy(v, &d, sizeof d);
	memcpy(v + sizeof d, name, d.namelen);
	return store_put(tx, (struct store_key){STORE_OBJ(STORE_CLASS_FS, dir), sub}, v,
			 sizeof d + d.namelen);
}

/* Adds or removes one entry in dir's count and stamps its times. */
static int dir_count(struct store_tx *tx, uint64_t dir, int d, uint64_t now)
{
	struct store_fs_attr a;
	int r = dir_attr(tx, dir, &a);
	if (r < 0)
		return r;
	a.size += (uint64_t)(int64_t)d;
	a.mtime_ns = a.ctime_ns = now;
	return attr_put(tx, dir, &a);
}

static int alloc_ino(struct store_tx *tx, uint64_t *ino)
{
	uint64_t next = 0;
	int r = store_tx_get(tx, (struct store_key){META_OBJ, META_NEXT_INO}, &next, sizeof next);
	if (r != (int)sizeof next || next < 2 || next >= (1ull << 56) - 1)
		return r < 0 ? r : -EIO;
	*ino = next++;
	return store_put(tx, (struct store_key){META_OBJ, META_NEXT_INO}, &next, sizeof next);
}

int store_fs_create(struct store_tx *tx, uint64_t dir, const char *name, uint32_t type, uint32_t mode,
		    uint64_t now_ns, uint64_t *ino)
{
	struct store_fs_attr a;
	struct store_fs_dirent de;
	struct store_key k;
	uint64_t slot;
	size_t len = strlen(name);
	int r = dir_attr(tx, dir, &a);
	if (r < 0)
		return r;
	if (!name_ok(name, len))
		return len > STORE_FS_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
	if (type != STORE_FS_REG && type != STORE_FS_DIR && type != STORE_FS_LNK)
		return -EINVAL;
	r = dirent_find(tx, dir, name, &k, &de, &slot);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	if (!slot)
		return -ENOSPC; /* 256 names of one 48-bit hash */
	r = alloc_ino(tx, ino);
	if (r < 0)
		return r;
	struct store_fs_attr n = {.type = type,
				  .mode = type == STORE_FS_LNK ? 0777 : mode & 07777,
				  .nlink = 1,
				  .mtime_ns = now_ns,
				  .ctime_ns = now_ns,
				  .parent = type == STORE_FS_DIR ? dir : 0};
	r = attr_put(tx, *ino, &n);
	if (r == 0)
		r = dirent_put(tx, dir, slot, name, *ino, type);
	if (r == 0)
		r = dir_count(tx, dir, +1, now_ns);
	return r;
}

int store_fs_symlink(struct store_tx *tx, uint64_t dir, const char *name, const char *target, uint64_t now_ns,
		     uint64_t *ino)
{
	size_t len = strnlen(target, STORE_FS_LNK_MAX + 1);
	if (len == 0 || len > STORE_FS_LNK_MAX)
		return -EINVAL;
	int r = store_fs_create(tx, dir, name, STORE_FS_LNK, 0777, now_ns, ino);
	long n = r == 0 ? store_fs_write(tx, *ino, 0, target, len, now_ns) : r;
	return n < 0 ? (int)n : 0;
}

int store_fs_link(struct store_tx *tx, uint64_t ino, uint64_t dir, const char *name, uint64_t now_ns)
{
	struct store_fs_attr a, f;
	struct store_fs_dirent de;
	struct store_key k;
	uint64_t slot;
	size_t len = strlen(name);
	int r = dir_attr(tx, dir, &a);
	if (r == 0)
		r = store_fs_stat(tx, ino, &f);
	if (r < 0)
		return r;
	if (!name_ok(name, len))
		return len > STORE_FS_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
	if (f.type == STORE_FS_DIR)
		return -EPERM;
	if (f.nlink >= UINT32_MAX)
		return -EMLINK;
	r = dirent_find(tx, dir, name, &k, &de, &slot);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	if (!slot)
		return -ENOSPC; /* 256 names of one 48-bit hash */
	f.nlink++;
	f.ctime_ns = now_ns;
	r = attr_put(tx, ino, &f);
	if (r == 0)
		r = dirent_put(tx, dir, slot, name, ino, f.type);
	if (r == 0)
		r = dir_count(tx, dir, +1, now_ns);
	return r;
}

static bool dir_empty(struct store_tx *tx, uint64_t dir)
{
	struct store_key k, from = {STORE_OBJ(STORE_CLASS_FS, dir), STORE_FS_DIRENT},
			    to = {STORE_OBJ(STORE_CLASS_FS, dir), STORE_FS_PAGE - 1};
	return store_tx_next(tx, from, to, &k) == -ENOENT;
}

/* Drops one name of ino: a file's nlink, the inode with its last name. */
static int drop_name(struct store_tx *tx, uint64_t ino, uint64_t now)
{
	struct store_fs_attr a;
	int r = store_fs_stat(tx, ino, &a);
	if (r < 0)
		return r;
	if (a.type == STORE_FS_DIR || a.nlink <= 1)
		return store_del_range(tx, STORE_OBJ(STORE_CLASS_FS, ino), 0, UINT64_MAX);
	a.nlink--;
	a.ctime_ns = now;
	return attr_put(tx, ino, &a);
}

int store_fs_unlink(struct store_tx *tx, uint64_t dir, const char *name, uint64_t now_ns)
{
	struct store_fs_dirent de;
	struct store_key k;
	int r = entry_of(tx, dir, name, &k, &de);
	if (r < 0)
		return r;
	if (de.type == STORE_FS_DIR && !dir_empty(tx, de.ino))
		return -ENOTEMPTY;
	r = store_del(tx, k);
	if (r == 0)
		r = drop_name(tx, de.ino, now_ns);
	if (r == 0)
		r = dir_count(tx, dir, -1, now_ns);
	return r;
}

/* Is a an ancestor of (or equal to) dir d? */
static int is_ancestor(struct store_tx *tx, uint64_t a, uint64_t d)
{
	for (int depth = 0; depth < DEPTH_MAX; depth++) {
		struct store_fs_attr at;
		if (d == a)
			return 1;
		if (d == STORE_FS_ROOT)
			return 0;
		int r = dir_attr(tx, d, &at);
		if (r < 0)
			return r;
		d = at.parent;
	}
	return -EIO; /* a cycle: store_fs_check names it */
}

int store_fs_rename(struct store_tx *tx, uint64_t sdir, const char *sname, uint64_t ddir, const char *dname,
		    uint64_t now_ns)
{
	struct store_fs_attr a;
	struct store_fs_dirent src, dst;
	struct store_key sk, dk;
	uint64_t slot;
	int r = dir_attr(tx, sdir, &a);
	if (r == 0)
		r = dir_attr(tx, ddir, &a);
	if (r < 0)
		return r;
	if (!name_ok(sname, strlen(sname)) || !name_ok(dname, strlen(dname)))
		return -EINVAL;
	r = dirent_find(tx, sdir, sname, &sk, &src, NULL);
	if (r < 0)
		return r;
	if (src.type == STORE_FS_DIR && (r = is_ancestor(tx, src.ino, ddir)) != 0)
		return r < 0 ? r : -EINVAL;
	r = dirent_find(tx, ddir, dname, &dk, &dst, &slot);
	if (r == 0) {
		if (dst.ino == src.ino)
			return 0; /* the same file: POSIX does nothing */
		if (src.type == STORE_FS_DIR && dst.type != STORE_FS_DIR)
			return -ENOTDIR;
		if (src.type != STORE_FS_DIR && dst.type == STORE_FS_DIR)
			return -EISDIR;
		if (dst.type == STORE_FS_DIR && !dir_empty(tx, dst.ino))
			return -ENOTEMPTY;
		r = drop_name(tx, dst.ino, now_ns);
		slot = dk.sub;
		if (r == 0)
			r = dir_count(tx, ddir, -1, now_ns); /* the replaced entry */
	} else if (r == -ENOENT) {
		r = slot ? 0 : -ENOSPC;
	}
	if (r == 0)
		r = store_del(tx, sk);
	if (r == 0)
		r = dir_count(tx, sdir, -1, now_ns);
	if (r == 0)
		r = dirent_put(tx, ddir, slot, dname, src.ino, src.type);
	if (r == 0)
		r = dir_count(tx, ddir, +1, now_ns);
	if (r == 0 && src.type == STORE_FS_DIR && sdir != ddir) {
		struct store_fs_attr d;
		r = store_fs_stat(tx, src.ino, &d);
		d.parent = ddir;
		d.ctime_ns = now_ns;
		if (r == 0)
			r = attr_put(tx, src.ino, &d);
	}
	return r;
}

static int file_attr(struct store_tx *tx, uint64_t ino, struct store_fs_attr *a)
{
	int r = store_fs_stat(tx, ino, a);
	if (r == 0 && a->type == STORE_FS_DIR)
		return -EISDIR;
	return r;
}

/* Page n of a file into page (4096 bytes, zero past its value). */
static int page_get(struct store_tx *tx, uint64_t ino, uint64_t n, uint8_t *page)
{
	memset(page, 0, STORE_BLOCK);
	int r = store_tx_get(tx, page_key(ino, n), page, STORE_BLOCK);
	return r == -ENOENT ? 0 : r;
}

long store_fs_read(struct store_tx *tx, uint64_t ino, uint64_t off, void *buf, size_t len)
{
	struct store_fs_attr a;
	uint8_t *page = store_page_get(tx->st);
	int r = page ? file_attr(tx, ino, &a) : -ENOMEM;
	size_t done = 0;
	if (r == 0 && off < a.size)
		len = (size_t)MIN((uint64_t)len, a.size - off);
	else
		len = 0;
	while (r >= 0 && done < len) {
		uint64_t n = (off + done) / STORE_BLOCK, in = (off + done) % STORE_BLOCK;
		size_t chunk = (size_t)MIN((uint64_t)(len - done), STORE_BLOCK - in);
		r = page_get(tx, ino, n, page);
		if (r >= 0)
			memcpy((uint8_t *)buf + done, page + in, chunk);
		done += chunk;
	}
	if (page)
		store_page_put(tx->st, page);
	return r < 0 ? r : (long)done;
}

/* Puts page n of a file of `size` bytes: its value ends at the size. */
static int page_put(struct store_tx *tx, uint64_t ino, uint64_t n, const uint8_t *page, uint64_t size)
{
	uint64_t start = n * STORE_BLOCK;
	size_t len = (size_t)MIN((uint64_t)STORE_BLOCK, size - start);
	return store_put(tx, page_key(ino, n), page, len);
}

long store_fs_write(struct store_tx *tx, uint64_t ino, uint64_t off, const void *buf, size_t len,
		    uint64_t now_ns)
{
	struct store_fs_attr a;
	if (off + len < off || off + len > (STORE_FS_PAGE / 2))
		return -EFBIG;
	uint8_t *page = store_page_get(tx->st);
	int r = page ? file_attr(tx, ino, &a) : -ENOMEM;
	uint64_t size = r == 0 ? MAX(a.size, off + len) : 0;
	size_t done = 0;
	while (r >= 0 && done < len) {
		uint64_t n = (off + done) / STORE_BLOCK, in = (off + done) % STORE_BLOCK;
		size_t chunk = (size_t)MIN((uint64_t)(len - done), STORE_BLOCK - in);
		r = chunk == STORE_BLOCK ? 0 : page_get(tx, ino, n, page);
		if (r >= 0) {
			memcpy(page + in, (const uint8_t *)buf + done, chunk);
			r = page_put(tx, ino, n, page, size);
		}
		done += chunk;
	}
	if (r >= 0 && len) {
		a.size = size;
		a.mtime_ns = a.ctime_ns = now_ns;
		r = attr_put(tx, ino, &a);
	}
	if (page)
		store_page_put(tx->st, page);
	return r < 0 ? r : (long)len;
}

int store_fs_setattr(struct store_tx *tx, uint64_t ino, bool set_mode, uint32_t mode, bool set_mtime,
		     uint64_t mtime_ns, uint64_t now_ns)
{
	struct store_fs_attr a;
	int r = store_fs_stat(tx, ino, &a);
	if (r < 0)
		return r;
	if (set_mode)
		a.mode = mode & 07777;
	if (set_mtime)
		a.mtime_ns = mtime_ns;
	a.ctime_ns = now_ns;
	return attr_put(tx, ino, &a);
}

int store_fs_truncate(struct store_tx *tx, uint64_t ino, uint64_t size, uint64_t now_ns)
{
	struct store_fs_attr a;
	if (size > STORE_FS_PAGE / 2)
		return -EFBIG;
	int r = file_attr(tx, ino, &a);
	if (r < 0)
		return r;
	if (size < a.size) {
		uint64_t keep = (size + STORE_BLOCK - 1) / STORE_BLOCK;
		r = store_del_range(tx, STORE_OBJ(STORE_CLASS_FS, ino), STORE_FS_PAGE + keep,
				    STORE_FS_PAGE + STORE_FS_PAGE / 2);
		if (r == 0 && size % STORE_BLOCK) {
			/* the last page keeps its first size % 4096 bytes */
			uint8_t *page = store_page_get(tx->st);
			int len =
				page ? store_tx_get(tx, page_key(ino, keep - 1), page, STORE_BLOCK) : -ENOMEM;
			if (len > (int)(size % STORE_BLOCK))
				r = page_put(tx, ino, keep - 1, page, size);
			else if (len < 0 && len != -ENOENT)
				r = len;
			if (page)
				store_page_put(tx->st, page);
		}
	}
	if (r == 0) {
		a.size = size;
		a.mtime_ns = a.ctime_ns = now_ns;
		r = attr_put(tx, ino, &a);
	}
	return r;
}

int store_fs_readdir(struct store_tx *tx, uint64_t dir, uint64_t *cookie, struct store_fs_dirent *out)
{
	struct store_fs_attr a;
	int r = dir_attr(tx, dir, &a);
	if (r < 0)
		return r;
	uint64_t obj = STORE_OBJ(STORE_CLASS_FS, dir);
	struct store_key k = {obj, MAX(*cookie, STORE_FS_DIRENT)}, to = {obj, STORE_FS_PAGE - 1};
	if (k.sub >= STORE_FS_PAGE)
		return -ENOENT;
	r = store_tx_next(tx, k, to, &k);
	if (r < 0)
		return r;
	*cookie = k.sub + 1;
	return dirent_read(tx, k, out);
}

int store_fs_init(struct store_tx *tx)
{
	struct store_fs_attr root = {.type = STORE_FS_DIR, .mode = 0755, .nlink = 1, .parent = STORE_FS_ROOT};
	uint64_t next = STORE_FS_ROOT + 1;
	int r = attr_put(tx, STORE_FS_ROOT, &root);
	if (r == 0)
		r = store_put(tx, (struct store_key){META_OBJ, META_NEXT_INO}, &next, sizeof next);
	return r;
}

/* ---- the event log ---- */
int store_log_append(struct store_tx *tx, const struct optios_log_record *r)
{
	return store_put(tx, (struct store_key){STORE_OBJ(STORE_CLASS_LOG, 0), r->seq}, r, sizeof *r);
}

int store_log_owed(struct store_tx *tx, uint64_t *from)
{
	uint64_t u;
	int n = store_tx_get(tx, STORE_LOG_OWED, &u, sizeof u);
	if (n == -ENOENT)
		return 0;
	if (n != (int)sizeof u || u < 2)
		return n < 0 ? n : -EINVAL;
	*from = u;
	return 1;
}

int store_log_set_owed(struct store_tx *tx, uint64_t from)
{
	return from ? store_put(tx, STORE_LOG_OWED, &from, sizeof from) : store_del(tx, STORE_LOG_OWED);
}

static int log_get(struct store_tx *tx, uint64_t seq, struct optios_log_record *r)
{
	int n = store_tx_get(tx, (struct store_key){STORE_OBJ(STORE_CLASS_LOG, 0), seq}, r, sizeof *r);
	if (n < 0)
		return n;
	return n == (int)sizeof *r && r->seq == seq ? 0 : -EINVAL;
}

int store_log_relink(struct store_tx *tx, uint64_t from)
{
	struct optios_log_record prev, r;
	int n = 0, err = from > 1 ? log_get(tx, from - 1, &prev) : -EINVAL;
	if (err)
		return err == -ENOENT ? -EINVAL : err;
	for (uint64_t s = from; (err = log_get(tx, s, &r)) == 0; s++, n++) {
		logchain_hash(&prev, r.prev_hash);
		if ((err = store_log_append(tx, &r)) != 0)
			return err;
		prev = r;
	}
	if (err != -ENOENT)
		return err;
	err = store_log_set_owed(tx, 0);
	return err ? err : n;
}

int store_log_trim(struct store_tx *tx, uint64_t keep_from)
{
	return store_del_range(tx, STORE_OBJ(STORE_CLASS_LOG, 0), 0, keep_from);
}

uint64_t store_log_keep(const struct store *st)
{
	struct store_stats s;
	store_stats_get(st, &s);
	/* a record in a unit: its 24-byte header and the record itself */
	uint64_t per = 24 + sizeof(struct optios_log_record);
	return MAX(s.log_blocks * STORE_BLOCK / 8 / per, (uint64_t)64);
}

/* ---- the file layer's invariants (fsck) ---- */
struct fscheck {
	struct store_tx *tx;
	char *msg;
	size_t msgsize;
	int bad;
	struct index refs; /* key {ino, 0}: loc.pos counts the entries naming ino */
	uint64_t max_ino;
};

#define FS_FAIL(c, ...)                                                 \
	do {                                                            \
		if (!(c)->bad)                                          \
			ksnprintf((c)->msg, (c)->msgsize, __VA_ARGS__); \
		(c)->bad = 1;                                           \
	} while (0)

static void count_ref(struct fscheck *c, uint64_t ino)
{
	const struct store_env *env = &c->tx->st->env;
	struct store_key k = {ino, 0};
	struct loc *l = index_find(&c->refs, k), old;
	bool had;
	if (l)
		l->pos++;
	else if (index_set(&c->refs, env, k, (struct loc){.pos = 1}, &old, &had) < 0)
		FS_FAIL(c, "out of memory");
}

static void check_dirent(struct fscheck *c, uint64_t dir, struct store_key k)
{
	struct store_fs_dirent de;
	struct store_fs_attr t;
	size_t len;
	if (dirent_read(c->tx, k, &de) < 0) {
		FS_FAIL(c, "directory %llu: a malformed entry", (unsigned long long)dir);
		return;
	}
	len = strlen(de.name);
	if (!name_ok(de.name, len) || (k.sub & ~0xffull) != bucket_of(de.name, len)) {
		FS_FAIL(c, "directory %llu: entry \"%s\" invalid or misfiled", (unsigned long long)dir,
			de.name);
		return;
	}
	if (store_fs_stat(c->tx, de.ino, &t) < 0 || t.type != de.type) {
		FS_FAIL(c, "directory %llu: entry \"%s\" names a missing inode %llu", (unsigned long long)dir,
			de.name, (unsigned long long)de.ino);
		return;
	}
	if (t.type == STORE_FS_DIR && (t.parent != dir || de.ino == STORE_FS_ROOT))
		FS_FAIL(c, "directory %llu (\"%s\") names %llu as its parent, found in %llu",
			(unsigned long long)de.ino, de.name, (unsigned long long)t.parent,
			(unsigned long long)dir);
	count_ref(c, de.ino);
}

/* One inode: attributes, then entries or pages, all of obj. */
static void check_inode(struct fscheck *c, uint64_t ino, struct store_key *k, struct store_key to)
{
	struct store_fs_attr a;
	uint64_t entries = 0;
	bool has_pages;
	if (k->sub != 0 || store_fs_stat(c->tx, ino, &a) < 0 ||
	    (a.type != STORE_FS_REG && a.type != STORE_FS_DIR && a.type != STORE_FS_LNK) ||
	    (a.type != STORE_FS_DIR && a.nlink == 0)) {
		FS_FAIL(c, "inode %llu: no valid attributes", (unsigned long long)ino);
		return;
	}
	if (a.type == STORE_FS_LNK && (a.size == 0 || a.size > STORE_FS_LNK_MAX)) {
		FS_FAIL(c, "link %llu: a target of %llu bytes", (unsigned long long)ino,
			(unsigned long long)a.size);
		return;
	}
	has_pages = a.type != STORE_FS_DIR;
	c->max_ino = MAX(c->max_ino, ino);
	while (!c->bad && k->sub != UINT64_MAX && (k->sub++, store_tx_next(c->tx, *k, to, k) == 0) &&
	       k->obj == STORE_OBJ(STORE_CLASS_FS, ino)) {
		if (a.type == STORE_FS_DIR && k->sub >= STORE_FS_DIRENT && k->sub < STORE_FS_PAGE) {
			check_dirent(c, ino, *k);
			entries++;
		} else if (has_pages && k->sub >= STORE_FS_PAGE) {
			uint64_t n = k->sub - STORE_FS_PAGE;
			struct loc *l = index_find(&c->tx->st->index, *k);
			if (n >= (a.size + STORE_BLOCK - 1) / STORE_BLOCK || !l ||
			    l->len > a.size - n * STORE_BLOCK)
				FS_FAIL(c, "file %llu: page %llu past its size %llu", (unsigned long long)ino,
					(unsigned long long)n, (unsigned long long)a.size);
		} else {
			FS_FAIL(c, "inode %llu: a key of no kind (%llx)", (unsigned long long)ino,
				(unsigned long long)k->sub);
		}
	}
	if (!c->bad && a.type == STORE_FS_DIR && entries != a.size)
		FS_FAIL(c, "directory %llu: %llu entries, size says %llu", (unsigned long long)ino,
			(unsigned long long)entries, (unsigned long long)a.size);
}

/* Second pass: names counted against nlink, parents lead to the root. */
static void check_links(struct fscheck *c, uint64_t ino)
{
	struct store_fs_attr a;
	struct loc *l = index_find(&c->refs, (struct store_key){ino, 0});
	uint64_t names = l ? l->pos : 0;
	if (store_fs_stat(c->tx, ino, &a) < 0)
		return;
	uint64_t want = ino == STORE_FS_ROOT ? 0 : a.type == STORE_FS_DIR ? 1 : a.nlink;
	if (names != want)
		FS_FAIL(c, "inode %llu: %llu names, expected %llu", (unsigned long long)ino,
			(unsigned long long)names, (unsigned long long)want);
	if (a.type == STORE_FS_DIR && is_ancestor(c->tx, STORE_FS_ROOT, ino) != 1)
		FS_FAIL(c, "directory %llu: its parents do not lead to the root", (unsigned long long)ino);
}

static void check_log(struct fscheck *c)
{
	struct optios_log_record r, rec;
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), 0},
			 to = {STORE_OBJ(STORE_CLASS_LOG, 0), UINT64_MAX};
	while (!c->bad && store_tx_next(c->tx, k, to, &k) == 0) {
		int n = store_tx_get(c->tx, k, &r, sizeof r);
		if (n != (int)sizeof r || r.seq != k.sub)
			FS_FAIL(c, "log record %llu malformed", (unsigned long long)k.sub);
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	uint64_t owed;
	int m = store_log_owed(c->tx, &owed);
	if (m < 0)
		FS_FAIL(c, "the log's owed mark is malformed");
	else if (m > 0 && (log_get(c->tx, owed - 1, &rec) != 0 || log_get(c->tx, owed, &rec) != 0))
		FS_FAIL(c,
			"the log's owed mark names record %llu, but records %llu and %llu are not both "
			"stored",
			(unsigned long long)owed, (unsigned long long)owed - 1, (unsigned long long)owed);
}

int store_fs_check(struct store *st, char *msg, size_t msgsize)
{
	struct fscheck c = {.msg = msg, .msgsize = msgsize, .tx = store_tx_begin(st)};
	struct store_fs_attr root;
	uint64_t next = 0;
	if (!c.tx)
		return -ENOMEM;
	if (store_fs_stat(c.tx, STORE_FS_ROOT, &root) < 0 || root.type != STORE_FS_DIR ||
	    root.parent != STORE_FS_ROOT)
		FS_FAIL(&c, "no root directory");
	struct store_key k = {STORE_OBJ(STORE_CLASS_FS, 0), 0},
			 to = {STORE_OBJ(STORE_CLASS_FS, (1ull << 56) - 1), UINT64_MAX};
	for (int pass = 0; pass < 2; pass++) {
		k = (struct store_key){STORE_OBJ(STORE_CLASS_FS, 0), 0};
		while (!c.bad && store_tx_next(c.tx, k, to, &k) == 0) {
			uint64_t ino = k.obj & ((1ull << 56) - 1), obj = k.obj;
			if (pass == 0)
				check_inode(&c, ino, &k, to);
			else
				check_links(&c, ino);
			if (obj == to.obj)
				break;
			k = (struct store_key){obj + 1, 0};
		}
	}
	if (!c.bad && (store_tx_get(c.tx, (struct store_key){META_OBJ, META_NEXT_INO}, &next, sizeof next) !=
			       (int)sizeof next ||
		       next <= c.max_ino))
		FS_FAIL(&c, "the next inode number (%llu) is taken", (unsigned long long)next);
	check_log(&c);
	index_destroy(&c.refs, &st->env);
	store_tx_abort(c.tx);
	return c.bad ? -EINVAL : 0;
}
