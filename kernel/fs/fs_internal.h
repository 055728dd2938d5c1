/*
 * fs_internal.h - the VFS's vnode tree, shared by the files of kernel/fs only.
 *
 * vfs.c has the theory of operation. The tree code (vfs.c, vnode_file.c,
 * initramfs.c, file.c) needs no hardware and is also built for the host unit
 * tests; what it needs from the kernel (pages, the lock, the clock) is below,
 * with host versions under HOST_TEST.
 */
#ifndef KERNEL_FS_FS_INTERNAL_H
#define KERNEL_FS_FS_INTERNAL_H

#include <optios/abi/fcntl.h>
#include <optios/abi/stat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file.h"
#include "vfs.h"

#define FS_PAGE 4096
#define VN_LINK_MAX 65000 /* names of one file (Linux's ext4 limit) */
#define VN_SYMLINKS_MAX 40 /* links one path resolution follows (Linux's MAXSYMLINKS) */

/* A mounted file system. */
struct fs {
	const char *name;
	bool readonly;
	bool persistent; /* backed by the store (/data): changes go through vfs_store.c */
	uint64_t dev; /* st_dev */
	uint64_t used, limit; /* bytes charged (pages, vnodes) and the most allowed */
	struct vnode *root;
	struct vnode *covered; /* the directory it is mounted on; NULL for "/" */
};

/* The contents of a writable file: a radix tree of page pointers (ptree.c,
 * invariants there). Every node and page is charged FS_PAGE to the file system. */
struct ptree {
	void **root; /* NULL: no pages; else a node of height levels */
	unsigned height;
	uint64_t pages, nodes; /* data pages and tree nodes held */
};

/* The entries of a directory (dir.c, invariants there): a list in cookie
 * order (creation order) for listings, and a hash table of names for lookups. */
struct dir {
	struct vnode *first, *last; /* by cookie */
	struct vnode **buckets; /* NULL, or nbuckets (a power of two) chains by name hash */
	size_t nbuckets;
	size_t count, subdirs; /* entries, and those that are directories */
	uint64_t next_cookie; /* the next entry's cookie: 2, 3, ... (0 ".", 1 "..") */
};

/* A file or directory. All fields are protected by the fs lock. */
struct vnode {
	/* place in the tree */
	struct fs *fs;
	struct vnode *parent; /* NULL for a file system's root, or once unlinked */
	struct vnode *next, *prev; /* siblings in parent->dir, by cookie */
	struct vnode *hnext; /* next in its parent's hash chain */
	uint64_t cookie; /* its getdents offset in parent: never reused there */
	struct fs *mounted; /* directories: the file system mounted here */
	char *name; /* kmalloc'd; "" for a root */
	size_t namelen;

	/* attributes */
	uint32_t mode; /* S_IFDIR, S_IFREG, S_IFLNK or a special node (mknod) | permissions */
	uint64_t rdev; /* a device node's (S_IFCHR, S_IFBLK) number, as mknod gave it */
	uint64_t ino;
	uint64_t sino; /* a persistent file system's: the store's inode, 0 not known yet (found by path) */
	uint64_t mtime_ns, ctime_ns;

	/* hard links (vfs.c): a file's second and later names are alias entries
	 * (link_to: the file; they hold nothing else and are never opened);
	 * lookups step from an alias onto its file. The file counts its names
	 * in nlink (1 + its aliases; 0 once unlinked) and lists its aliases
	 * through aliases/alias_next. When the file's own entry is removed and
	 * aliases remain, the file takes over an alias's place (name, parent). */
	struct vnode *link_to;
	struct vnode *aliases, *alias_next;
	uint32_t nlink;

	/* lifetime: freed when unlinked and refs reaches 0 */
	int refs; /* open files and kernel users */
	bool unlinked;

	struct dir dir; /* directories */

	/* regular files: contents; a symbolic link: its target (size bytes, no NUL) */
	uint64_t size;
	const uint8_t *rodata; /* read-only image: size bytes inside the boot module */
	struct ptree data; /* writable: page i holds [i*FS_PAGE, (i+1)*FS_PAGE); a hole reads as 0 */
};

static inline bool vn_is_dir(const struct vnode *v)
{
	return (v->mode & S_IFMT) == S_IFDIR;
}

static inline bool vn_is_link(const struct vnode *v)
{
	return (v->mode & S_IFMT) == S_IFLNK;
}

/* A node mknod made: a FIFO, a device or a socket (no contents, never opened). */
static inline bool vn_is_special(const struct vnode *v)
{
	uint32_t t = v->mode & S_IFMT;
	return t == S_IFIFO || t == S_IFCHR || t == S_IFBLK || t == S_IFSOCK;
}

/* ---- what the tree needs from the kernel ---- */
#ifdef HOST_TEST
/* The host tests' fakes (tests/host/stubs.c). */
void *fs_page_alloc(void);
void fs_page_free(void *p);
uint64_t fs_lock(void);
void fs_unlock(uint64_t f);
uint64_t fs_now_ns(void);
uint64_t fs_hash_seed(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);
#else
#include "arch.h"
#include "kernel/mm/mm.h"
/* A zeroed page reached through the direct map, or NULL. */
void *fs_page_alloc(void);
void fs_page_free(void *p);
/* The fs lock: one CPU, so interrupts off. Held only around tree and
 * memory work on kernel buffers, never across a sleep or a user copy. */
static inline uint64_t fs_lock(void)
{
	return irq_save();
}
static inline void fs_unlock(uint64_t f)
{
	irq_restore(f);
}
/* Wall-clock estimate for timestamps: the image's newest mtime plus uptime. */
uint64_t fs_now_ns(void);
/* The seed of directory name hashes: random per boot, so no program can
 * choose names that collide (a long chain is walked with interrupts off). */
uint64_t fs_hash_seed(void);
#endif

/* ---- the tree (vfs.c); call with the fs lock held ---- */

extern struct fs *vfs_root_fs;

/* A file system whose root is a new directory; NULL if out of memory. */
struct fs *fs_create(const char *name, bool readonly, uint64_t limit);
/* Frees a file system with no open files (tests). */
void fs_destroy(struct fs *fs);
/* Mounts fs on directory dir. 0, -ENOTDIR, -EBUSY. */
int fs_mount(struct vnode *dir, struct fs *fs);
void fs_unmount(struct vnode *dir);

/* Resolves a normalised absolute path. 0, -ENOENT, -ENOTDIR. */
int vn_lookup(const char *path, struct vnode **out);
/* Resolves all but the last component: the parent directory and the last
 * name (pointing into path). -EEXIST for "/" itself. */
int vn_lookup_parent(const char *path, struct vnode **dir, const char **name, size_t *namelen);
/* Checks that the components of path before its last are directories (cwd:
 * where a relative path starts). 0, -ENOENT, -ENOTDIR. */
int vn_prefix_check(const char *cwd, const char *path, size_t len);
/* The directory ".." of directory v names (a mounted root's: its mount
 * point's parent; the root's: itself). */
struct vnode *vn_parent(struct vnode *v);
/* The child of dir called name (following a mount), or NULL. */
struct vnode *vn_child(struct vnode *dir, const char *name, size_t namelen);

/* ---- directory entries (dir.c); call with the fs lock held ---- */
/* The entry called name (not following a mount), or NULL. */
struct vnode *dir_find(struct vnode *dir, const char *name, size_t namelen);
/* Adds v (not in any directory) as the last entry, with the next cookie.
 * Never fails: the hash table grows when it can (charged), else chains lengthen. */
void dir_insert(struct vnode *dir, struct vnode *v);
/* Removes entry v. Never fails (the hash table halves only if memory allows). */
void dir_remove(struct vnode *dir, struct vnode *v);
/* The first entry whose cookie is >= cookie, or NULL; hint (an entry or
 * NULL) is tried first, so a listing that resumes costs O(1). */
struct vnode *dir_seek(struct vnode *dir, uint64_t cookie, struct vnode *hint);
/* Frees the hash table of a directory being freed (dir.count == 0). */
void dir_release(struct vnode *dir);

/* ---- file contents (ptree.c); call with the fs lock held ---- */
/* The page holding page index idx, or NULL for a hole. */
uint8_t *ptree_find(const struct ptree *t, uint64_t idx);
/* The page at idx, allocated with the nodes on its way (each charged
 * FS_PAGE to fs) if it is a hole; NULL when fs's limit or memory is reached. */
uint8_t *ptree_get(struct ptree *t, struct fs *fs, uint64_t idx);
/* Frees the pages at indices >= keep and the nodes left empty (uncharging
 * them). Never allocates. */
void ptree_truncate(struct ptree *t, struct fs *fs, uint64_t keep);
/* A new directory entry; checks read-only, existence, space. */
int vn_create(struct vnode *dir, const char *name, size_t namelen, uint32_t mode, struct vnode **out);
/* Removes an entry: dir_wanted true is rmdir, false unlink. */
int vn_remove(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted);
int vn_rename(const char *oldpath, const char *newpath);
/* The errors the three above would return, without acting (transactions
 * stage a change once its check passes). vn_create_check cannot see -ENOSPC. */
int vn_create_check(struct vnode *dir, const char *name, size_t namelen);
int vn_remove_check(struct vnode *dir, const char *name, size_t namelen, bool dir_wanted);
int vn_rename_check(const char *oldpath, const char *newpath);
/* A symbolic link called name in dir with target (1..PATH_MAX-1 bytes). */
int vn_symlink(struct vnode *dir, const char *name, size_t namelen, const char *target, struct vnode **out);
/* The target of link v into buf (at most size bytes, no NUL): its length,
 * or -EINVAL when v is no symbolic link. */
long vn_readlink(struct vnode *v, char *buf, size_t size);
/* A new name for file v (a hard link) in dir: -EPERM for a directory,
 * -EXDEV across file systems, -EEXIST, -EROFS, -EMLINK, -ENOSPC. The
 * check alone (without -ENOSPC) is vn_link_check. */
int vn_link_check(struct vnode *v, struct vnode *dir, const char *name, size_t namelen);
int vn_link(struct vnode *v, struct vnode *dir, const char *name, size_t namelen);
/* Contents of a regular file. */
long vn_read(struct vnode *v, void *buf, size_t len, uint64_t off);
long vn_write(struct vnode *v, const void *buf, size_t len, uint64_t off);
int vn_truncate(struct vnode *v, uint64_t size);
void vn_stat(struct vnode *v, struct kstat *st);
void vn_get(struct vnode *v);
void vn_put(struct vnode *v);
/* The absolute path of v into out (PATH_MAX bytes): its length, or -ENOENT
 * if v was removed, -ENAMETOOLONG. */
int vn_path(struct vnode *v, char *out, size_t outsz);

/* ---- open files on vnodes (vnode_file.c) ---- */
extern const struct file_ops vnode_file_ops;
/* The open flags a struct file keeps. */
#define FILE_KEPT_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY)
/* A new open file on v (taking a reference to v) for an open with flags;
 * created: this open made v, so its last close raises "created" rather than
 * "written". Call with the fs lock held. NULL if out of memory. */
struct file *vnode_file_create(struct vnode *v, int flags, bool created);
/* The vnode behind f, or NULL if f is not a VFS file. */
struct vnode *vfs_file_vnode(struct file *f);
/* For files with pread, pwrite and lseek ops (file.c): lseek for a file of
 * size bytes (sets and returns f->off, or -EINVAL); read and write at f->off
 * (the end with O_APPEND), moving it, under the fs lock (taken again by the
 * ops: it nests). */
long file_seek(struct file *f, int64_t off, int whence, uint64_t size);
long file_read_seq(struct file *f, void *buf, size_t len);
long file_write_seq(struct file *f, const void *buf, size_t len);

/* ---- file: events ----
 * Only the writable file systems change, so only they raise events. The
 * kernel's versions are in fs_events.c; the host tests record the calls. */
/* Raises file:<path> (absolute, normal) with what ("created", "written",
 * "removed", "renamed <from>") on behalf of source. */
void fs_file_event(const char *path, const char *what, const char *source);
/* The two events of a rename: "renamed <from>" for to, "removed" for from
 * (vfs_path.c), raised, or (emit not NULL) handed to emit(arg, ...). */
void fs_rename_events(const char *from, const char *to, const char *source, vfs_event_fn emit, void *arg);

/* ---- transactions (vfs_txn.c); call with the fs lock held ---- */
enum txn_kind { TXN_FILE, TXN_UNLINK, TXN_RENAME, TXN_MKDIR, TXN_RMDIR };
/* Records a checked change: path (and from, for a rename) absolute and
 * normal, copied; mode for mkdir. 0, -ENOSPC (over VFS_TXN_BYTES_MAX), -ENOMEM. */
int vfs_txn_record(struct vfs_txn *t, enum txn_kind kind, const char *path, const char *from, uint32_t mode);
/* A staged file for a checked open of path for writing: v is the file as
 * it is (NULL: to be created, O_CREAT); its contents are copied unless
 * flags has O_TRUNC or O_APPEND. 0, -ENOSPC, -ENOMEM. */
int vfs_txn_stage(struct vfs_txn *t, const char *path, struct vnode *v, int flags, uint32_t mode,
		  struct file **out);

/* ---- /data on the store (vfs_store.c; kernel only, the host tests' stubs
 * say no store) ----
 * A change on a persistent file system is made in three steps: the checks
 * on the tree (fs lock), the store's transaction (no fs lock: it may sleep
 * on the disk), then the same change on the tree, which can no longer fail
 * (or is undone in the store when it does). fs_store_begin takes the
 * store's lock for the three (so no other change of /data comes between
 * them, and the store sees the changes in the tree's order) when path is
 * on a persistent file system: true, and fs_store_end releases it; false:
 * an ordinary change. Never called with the fs lock held. */
bool fs_store_begin(const char *path);
/* Is path on the persistent file system (and that writable)? Its path in
 * the store ("/data/a" -> "/a"). */
bool fs_store_covers(const char *path);
const char *fs_store_path(const char *path);
/* The store inode of the directory holding spath (a store path) and its
 * last name, copied into name (STORE_FS_NAME_MAX + 1 bytes) (vfs_txn.c). */
struct store_tx;
int fs_store_parent(struct store_tx *tx, const char *spath, uint64_t *dir, char *name);
/* Drops t's records, as vfs_txn_commit does after applying them (vfs_txn.c). */
void vfs_txn_destroy_records(struct vfs_txn *t);
bool fs_store_begin_vnode(const struct vnode *v);
/* The data gate (vfs_store.c, theory at its top). fs_store_gate: a program
 * about to look at /data (path: a normal absolute path; NULL: a vnode of
 * /data) waits until every handler run's change of /data applied to the
 * tree is durable; a run, and everyone when no such change is pending, pass
 * at once. Call it with no lock held. fs_store_hold: a run's changes of
 * /data, commit seq, are about to be applied to the tree. */
void fs_store_gate(const char *path);
/* statfs of /data: the store's size (its log) and what its live values
 * take, not the RAM tree's; read-only once the disk failed. No lock held. */
void fs_store_fsinfo(struct vfs_fsinfo *out);
void fs_store_hold(uint64_t seq);
void fs_store_end(void);
/* The store's side of each change (paths absolute and normal, on the
 * persistent file system; called between begin and end, without the fs
 * lock). 0 or a negative errno; nothing changed in the store on failure. */
int fs_store_create(const char *path, uint32_t mode, uint64_t *sino);
int fs_store_remove(const char *path);
int fs_store_rename(const char *from, const char *to);
int fs_store_symlink(const char *path, const char *target, uint64_t *sino);
/* A second name `to` for the file at `from`. */
int fs_store_link(const char *from, const char *to);
int fs_store_truncate(struct vnode *v, uint64_t size);
int fs_store_setattr(struct vnode *v, const struct vfs_attr *a);
long fs_store_write(struct vnode *v, uint64_t off, const void *buf, size_t len);
/* Boot: the store's tree into the file system mounted on mountpoint, which
 * becomes persistent (read-only when the store's files do not fit). */
void vfs_store_load(struct vnode *mountpoint);

/* ---- the root image (initramfs.c) ---- */
struct initramfs_stats {
	size_t files, dirs, skipped;
	size_t unjoined; /* hard-linked names past the join table: read as empty */
	uint64_t bytes;
	uint64_t newest_mtime; /* seconds */
	const char *why; /* the archive's error, or NULL */
};
/* Adds the archive's members under fs's root (data not copied; hard links
 * joined). Returns 0, or the archive's -EINVAL after adding what preceded the
 * fault, or -ENOMEM. */
int initramfs_load(struct fs *fs, const void *archive, size_t len, struct initramfs_stats *st);

#endif
