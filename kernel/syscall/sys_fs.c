/*
 * sys_fs.c - the file system calls (Linux x86_64 semantics). The file system
 * is kernel/fs (vfs.h, file.h); its calls are here, above it, since they
 * need the current process, user memory and the permission check, which
 * kernel/fs does not include.
 *
 * Each call copies its user arguments in (kernel/proc/uaccess.h) and checks
 * them, then acts through vfs.h / file.h on kernel copies only. Data moves
 * through a kernel buffer of at most IO_CHUNK bytes at a time, so a large
 * read or write never needs a large allocation and never holds the fs lock
 * across a user copy. A read from a seekable file copies to the user before
 * the offset moves, so a bad buffer leaves the offset where it was.
 *
 * Permissions (kernel/perm): every call naming a path checks the normalised
 * path (path_check) before it acts: file.read to open for reading, stat,
 * access, readlink, chdir and to open a directory; file.write to open for
 * writing, create, truncate, unlink, rename (both names), mkdir and rmdir.
 * Calls on a descriptor are not checked again. The loader's reads of a
 * program are the kernel's own. The free devices (pseudofs_free_device:
 * /dev/null, zero, full, random, urandom, tty) need no grant.
 *
 * /dev and /proc (kernel/pseudofs) are not in the VFS: open, stat, access,
 * readlink and statfs of a path there go to pseudofs after the same check.
 *
 * Visibility (lib/policy.h): a path the program cannot see is absent to it:
 * -ENOENT, whether it exists or not, and so is a path written through a
 * directory it cannot see ("hidden/../mine"). A path it sees but may not act
 * on gets the errors Linux reports before a permission error (a missing
 * directory on the way, a missing file, EEXIST for mkdir), then -EACCES.
 * getdents drops the entries it cannot see. Every refusal is logged.
 *
 * A directory it sees without seeing everything below it (granted the
 * directory itself, "/data/box" without the slash, or an ancestor of a
 * grant) must not tell it about the entries it cannot see either: stat
 * reports such a directory's link count as 1 (Linux's "subdirectories not
 * counted") instead of 2 + its subdirectories, and removing it (rmdir) or
 * replacing it (rename onto it) is -EACCES, logged as the file.read of
 * everything below it that was missing, whether it is empty or not: its
 * emptiness would tell. Its times and a listing's d_off positions still
 * change when a hidden entry does (they count changes, not entries).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/console/console.h"
#include "kernel/fs/path.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/pseudofs/pseudofs.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

#define IO_CHUNK 16384
#define IO_MAX 0x7ffff000ul /* Linux's MAX_RW_COUNT: the most one call moves */
#define IOV_MAX 1024
#define DIRENT_CHUNK 32768

_Static_assert(PATH_MAX == POLICY_PATH_MAX, "permission checks take every path the file system does");

static struct fdtable *cur_fds(void)
{
	struct proc *p = proc_current();
	return p ? p->fds : NULL;
}

static const char *cur_cwd(void)
{
	struct proc *p = proc_current();
	return p && p->cwd ? p->cwd : "/";
}

/* The permission bits a new file or directory does not get (umask). */
static uint32_t cur_umask(void)
{
	struct proc *p = proc_current();
	return p ? p->umask : 022;
}

/* The transaction file changes go through (a handler run), or NULL: at once. */
static struct vfs_txn *cur_txn(void)
{
	struct proc *p = proc_current();
	return p ? p->txn : NULL;
}

/* ---- arguments ---- */

/* Linux's access_ok: the range lies in the user half (mapping is checked by the copy). */
static bool user_range_ok(uptr p, size_t n)
{
	return p + n >= p && p + n <= VM_USER_END;
}

/* A path argument, copied into a PATH_MAX buffer (vfs_pathbuf_alloc: free
 * it with vfs_pathbuf_free). */
static long path_in(uptr up, char **out)
{
	char *p = vfs_pathbuf_alloc();
	if (!p)
		return -ENOMEM;
	long n = strncpy_from_user(p, up, PATH_MAX);
	if (n < 0) {
		vfs_pathbuf_free(p);
		return n;
	}
	*out = p;
	return 0;
}

/* A path relative to a directory descriptor (the *at calls): the path and
 * the directory it starts from. */
struct at_path {
	char *path;
	char *base; /* vfs_pathbuf_alloc'd when it comes from a descriptor */
	const char *dir;
};

static long at_get_raw(int dirfd, uptr upath, struct at_path *at)
{
	memset(at, 0, sizeof *at);
	long err = path_in(upath, &at->path);
	if (err)
		return err;
	at->dir = cur_cwd();
	if (at->path[0] == '/' || dirfd == AT_FDCWD)
		return 0;
	struct file *f = fd_get(cur_fds(), dirfd);
	if (!f) {
		err = -EBADF;
	} else if (!(at->base = vfs_pathbuf_alloc())) {
		err = -ENOMEM;
	} else {
		int n = vfs_file_dir_path(f, at->base, PATH_MAX);
		if (n < 0)
			n = pseudofs_dir_path(f, at->base, PATH_MAX) < 0 ? n : 0; /* /dev, /proc */
		err = n < 0 ? n : 0;
		at->dir = at->base;
	}
	if (f)
		file_put(f);
	if (err) {
		vfs_pathbuf_free(at->path);
		vfs_pathbuf_free(at->base);
	}
	return err;
}

static void at_put(struct at_path *at)
{
	vfs_pathbuf_free(at->path);
	vfs_pathbuf_free(at->base);
}

static long left_dirs_visible(struct proc *p, const char *dir, const char *path, enum policy_cap kind,
			      char *norm);

/* vfs_resolve's question: may the caller follow the link at path (or
 * leave the directory at path by ".." after one)? Only if it sees it: a
 * link it cannot see is as absent as any hidden file (logged). */
/* Follows the symbolic links of at's path (vfs_resolve; the last one only
 * when follow). When one was followed, at's path becomes the path it names
 * (absolute), so every check after this sees where the call really goes.
 * The directories the written path leaves by ".." are checked visible
 * first, as path_check does (the resolved path has no ".." left). */
static long at_resolve(struct at_path *at, bool follow)
{
	struct proc *p = proc_current();
	char *out;
	long r = vfs_resolve(at->dir, at->path, follow, &out, perm_link_seen, p);
	char *scratch = r == 1 ? vfs_pathbuf_alloc() : NULL;
	if (r == 1)
		r = scratch ? left_dirs_visible(p, at->dir, at->path, CAP_FILE_READ, scratch) ?: 1 : -ENOMEM;
	vfs_pathbuf_free(scratch);
	if (r == 1) {
		vfs_pathbuf_free(at->path);
		vfs_pathbuf_free(at->base);
		at->base = NULL;
		at->path = out;
		at->dir = "/";
		return 0;
	}
	vfs_pathbuf_free(out);
	return r;
}

/* A path argument and the directory it starts from (dirfd: a descriptor
 * or AT_FDCWD), its symbolic links followed (the last one when follow). */
static long at_get(int dirfd, uptr upath, bool follow, struct at_path *at)
{
	long err = at_get_raw(dirfd, upath, at);
	if (err == 0 && (err = at_resolve(at, follow)) != 0)
		at_put(at);
	return err;
}

/* The first len bytes of path from directory dir, normal, into norm (PATH_MAX). */
static long normal(const char *dir, const char *path, size_t len, char *norm)
{
	long err = path_normalize(dir, strlen(dir), path, len, norm, PATH_MAX);
	return err == -ERANGE ? -ENAMETOOLONG : err < 0 ? err : 0;
}

/* The same into a new PATH_MAX buffer (vfs_pathbuf_free it). */
static long normal_alloc(const char *dir, const char *path, char **norm)
{
	*norm = vfs_pathbuf_alloc();
	if (!*norm)
		return -ENOMEM;
	long err = normal(dir, path, strlen(path), *norm);
	if (err)
		vfs_pathbuf_free(*norm);
	return err;
}

/* A path written with ".." walks through the directory it leaves, and the
 * lookup reports whether that exists: each such directory must be visible
 * (a ".." at the start leaves the working directory, seen when entered).
 * 0, or -ENOENT after logging the refusal of kind on the hidden one. */
static long left_dirs_visible(struct proc *p, const char *dir, const char *path, enum policy_cap kind,
			      char *norm)
{
	size_t len = strlen(path);
	for (size_t i = 1; i + 1 < len; i++) {
		if (path[i - 1] != '/' || path[i] != '.' || path[i + 1] != '.' ||
		    (i + 2 < len && path[i + 2] != '/'))
			continue;
		long err = normal(dir, path, i, norm);
		if (err)
			return err;
		if (!perm_sees(p, norm))
			return perm_check_file(p, kind, norm, NULL);
	}
	return 0;
}

/*
 * The permission check of a call naming path (from directory dir): kind on
 * its normal form, need saying what the call needs of it. 0; -ENOENT for a
 * path the program cannot see; for one it sees, the path's own error that
 * Linux reports first (vfs_precheck), else -EACCES. Refusals are logged.
 */
static long path_check(const char *dir, const char *path, enum policy_cap kind, enum vfs_need need)
{
	struct proc *p = proc_current();
	char *norm = vfs_pathbuf_alloc();
	if (!norm)
		return -ENOMEM;
	struct kstat st;
	long err = left_dirs_visible(p, dir, path, kind, norm);
	if (err == 0)
		err = normal(dir, path, strlen(path), norm);
	if (err == 0 && pseudofs_free_device(norm))
		perm_pass(p);
	else if (err == 0)
		err = perm_check_file(p, kind, norm, NULL);
	if (err == -EACCES && pseudofs_owns(norm)) {
		long first = need == VFS_EXISTING ? pseudofs_stat(norm, &st) : 0;
		err = first ? first : err;
	} else if (err == -EACCES) {
		long first = vfs_precheck(dir, path, need);
		err = first ? first : err;
	}
	vfs_pathbuf_free(norm);
	return err;
}

/* at_get, then path_check: 0 with *at to at_put, or an error (nothing held). */
static long at_get_checked(int dirfd, uptr upath, bool follow, enum policy_cap kind, enum vfs_need need,
			   struct at_path *at)
{
	long err = at_get(dirfd, upath, follow, at);
	if (err == 0 && (err = path_check(at->dir, at->path, kind, need)) != 0)
		at_put(at);
	return err;
}

/* The normal form of path (from dir) if it lies in /dev or /proc
 * (vfs_pathbuf_alloc'd: free it), else NULL: the VFS's. */
static char *pseudo_path(const char *dir, const char *path)
{
	char *norm;
	if (normal_alloc(dir, path, &norm))
		return NULL;
	if (pseudofs_owns(norm))
		return norm;
	vfs_pathbuf_free(norm);
	return NULL;
}

/* Does path (from dir) lie in /dev or /proc? */
static bool pseudofs_owns_path(const char *dir, const char *path)
{
	char *norm = pseudo_path(dir, path);
	bool owned = norm != NULL;
	vfs_pathbuf_free(norm);
	return owned;
}

/* Open flags that change the file or the name space need file.write. */
static bool open_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static long console_file_write(struct file *f, const void *buf, size_t len)
{
	(void)f;
	con_write(buf, len);
	return (long)len;
}

/* A process without a descriptor table (a build without the console
 * subsystem) still writes descriptors 1 and 2 to the kernel console. The
 * static reference keeps it from ever being freed. */
static const struct file_ops console_file_ops = {.write = console_file_write};
static struct file console_file = {.ops = &console_file_ops, .flags = O_WRONLY, .refs = 1};

/* The file at fd if it was opened for reading (want_write false) or writing. */
static struct file *file_for(int fd, bool want_write)
{
	if (!cur_fds() && want_write && (fd == 1 || fd == 2))
		return file_get(&console_file);
	struct file *f = fd_get(cur_fds(), fd);
	if (!f)
		return NULL;
	int acc = f->flags & O_ACCMODE;
	if ((want_write && acc == O_RDONLY) || (!want_write && acc == O_WRONLY)) {
		file_put(f);
		return NULL;
	}
	return f;
}

/* ---- moving data ---- */

static long read_chunk(struct file *f, void *buf, size_t n, bool positioned, uint64_t pos)
{
	if (positioned)
		return f->ops->pread ? f->ops->pread(f, buf, n, pos) : -ESPIPE;
	if (f->ops->pread) /* seekable: the offset moves after the copy out */
		return f->ops->pread(f, buf, n, f->off);
	return f->ops->read ? f->ops->read(f, buf, n) : -EINVAL;
}

static long write_chunk(struct file *f, const void *buf, size_t n, bool positioned, uint64_t pos)
{
	if (positioned)
		return f->ops->pwrite ? f->ops->pwrite(f, buf, n, pos) : -ESPIPE;
	return f->ops->write ? f->ops->write(f, buf, n) : -EINVAL;
}

/* A read that may sleep (a console: not seekable) checks its user buffer
 * first, so a bad one fails at once instead of after the input comes.
 * Zeroes the n bytes at ubuf (scratch: buf). 0 or -EFAULT. */
static int check_dest(uptr ubuf, char *buf, size_t n)
{
	memset(buf, 0, n);
	return copy_to_user(ubuf, buf, n);
}

/*
 * Moves up to count bytes between the user buffer at ubuf and f, IO_CHUNK
 * bytes at a time, at f's offset or (positioned) at pos. Stops at the first
 * short transfer. Returns the bytes moved, or the error if none were.
 */
static long xfer(struct file *f, uptr ubuf, size_t count, bool wr, bool positioned, uint64_t pos)
{
	count = MIN(count, IO_MAX);
	if (count == 0)
		return 0;
	size_t chunk = MIN(count, (size_t)IO_CHUNK), done = 0;
	char *buf = kmalloc(chunk);
	if (!buf)
		return -ENOMEM;
	long r = 0;
	while (done < count) {
		size_t n = MIN(count - done, chunk);
		if (wr) {
			r = copy_from_user(buf, ubuf + done, n);
			if (r == 0)
				r = write_chunk(f, buf, n, positioned, pos + done);
		} else {
			if (!f->ops->pread && (r = check_dest(ubuf + done, buf, n)) != 0)
				break;
			r = read_chunk(f, buf, n, positioned, pos + done);
			if (r > 0 && copy_to_user(ubuf + done, buf, (size_t)r) != 0)
				r = -EFAULT;
			if (r > 0 && !positioned && f->ops->pread)
				f->off += (uint64_t)r;
		}
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < n || (!wr && !positioned && !f->ops->pread))
			break; /* short, or a console: one read returns what there is */
	}
	kfree(buf);
	return done ? (long)done : r;
}

static long rw(int fd, uptr ubuf, size_t count, bool wr, bool positioned, int64_t pos)
{
	if (positioned && pos < 0)
		return -EINVAL;
	struct file *f = file_for(fd, wr);
	if (!f)
		return -EBADF;
	long r = user_range_ok(ubuf, count) ? xfer(f, ubuf, count, wr, positioned, (uint64_t)pos) : -EFAULT;
	file_put(f);
	return r;
}

/*
 * Copies up to count bytes from in to out in the kernel, IO_CHUNK at a time:
 * from in's offset (which moves) or, with off, from *off (which moves instead).
 * Stops at the end of in or a short write. Returns the bytes written, or the
 * error if none were.
 */
static long copy_files(struct file *in, struct file *out, size_t count, bool positioned, uint64_t *off)
{
	size_t chunk = MIN(MIN(count, IO_MAX), (size_t)IO_CHUNK), done = 0;
	char *buf = chunk ? kmalloc(chunk) : NULL;
	long r = 0;
	if (chunk && !buf)
		return -ENOMEM;
	count = MIN(count, IO_MAX);
	while (done < count) {
		size_t n = MIN(count - done, chunk);
		r = read_chunk(in, buf, n, positioned, *off);
		if (r <= 0)
			break;
		long w = write_chunk(out, buf, (size_t)r, false, 0);
		if (w > 0) {
			done += (size_t)w;
			*off += (uint64_t)w;
			if (!positioned && in->ops->pread)
				in->off += (uint64_t)w;
		}
		if (w <= 0 || w < r) {
			r = w;
			break;
		}
		if ((size_t)r < n || !in->ops->pread)
			break; /* end of file, or a console: what there is */
	}
	kfree(buf);
	return done ? (long)done : r;
}

/* sendfile(out_fd, in_fd, off, count): in must be open for reading, out for writing. */
long sys_sendfile(SYS_ARGS)
{
	struct file *out = file_for((int)a0, true), *in = file_for((int)a1, false);
	uint64_t off = 0;
	int64_t uoff = 0;
	long r = -EBADF;
	if (!in || !out)
		goto out;
	if (a2 && (r = copy_from_user(&uoff, (uptr)a2, sizeof uoff)) != 0)
		goto out;
	r = -EINVAL;
	if (uoff < 0)
		goto out;
	off = a2 ? (uint64_t)uoff : in->off;
	r = copy_files(in, out, (size_t)a3, a2 != 0, &off);
	uoff = (int64_t)off;
	if (r >= 0 && a2 && copy_to_user((uptr)a2, &uoff, sizeof uoff) != 0)
		r = -EFAULT;
out:
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

long sys_read(SYS_ARGS)
{
	return rw((int)a0, (uptr)a1, (size_t)a2, false, false, 0);
}

long sys_write(SYS_ARGS)
{
	return rw((int)a0, (uptr)a1, (size_t)a2, true, false, 0);
}

long sys_pread64(SYS_ARGS)
{
	return rw((int)a0, (uptr)a1, (size_t)a2, false, true, (int64_t)a3);
}

long sys_pwrite64(SYS_ARGS)
{
	return rw((int)a0, (uptr)a1, (size_t)a2, true, true, (int64_t)a3);
}

struct uiovec {
	uptr base;
	size_t len;
};

/* readv / writev: the vector is copied in and checked whole before any data moves. */
static long rwv(int fd, uptr uiov, long cnt, bool wr)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	struct file *f = file_for(fd, wr);
	if (!f)
		return -EBADF;
	struct uiovec *iov = kmalloc((size_t)cnt * sizeof *iov + 1);
	long r = iov ? copy_from_user(iov, uiov, (size_t)cnt * sizeof *iov) : -ENOMEM;
	size_t total = 0;
	for (long i = 0; r == 0 && i < cnt; i++) {
		if (iov[i].len > IO_MAX || total + iov[i].len > IO_MAX)
			r = -EINVAL;
		total += iov[i].len;
	}
	long done = 0;
	for (long i = 0; r == 0 && i < cnt; i++) {
		long n = xfer(f, iov[i].base, iov[i].len, wr, false, 0);
		if (n < 0) {
			r = done ? 0 : n;
			break;
		}
		done += n;
		if ((size_t)n < iov[i].len)
			break;
	}
	kfree(iov);
	file_put(f);
	return r ? r : done;
}

long sys_readv(SYS_ARGS)
{
	return rwv((int)a0, (uptr)a1, a2, false);
}

long sys_writev(SYS_ARGS)
{
	return rwv((int)a0, (uptr)a1, a2, true);
}

long sys_lseek(SYS_ARGS)
{
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	long r = f->ops->lseek ? f->ops->lseek(f, (int64_t)a1, (int)a2) : -ESPIPE;
	file_put(f);
	return r;
}

/* ---- opening and closing ---- */

long sys_openat(SYS_ARGS)
{
	struct at_path at;
	struct file *f;
	int flags = (int)a2;
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL); /* a link there: EEXIST */
	long err = at_get((int)a0, (uptr)a1, !(flags & O_NOFOLLOW) && !excl, &at);
	if (err)
		return err;
	enum vfs_need need = !(flags & O_CREAT) ? VFS_EXISTING : (flags & O_EXCL) ? VFS_ABSENT : VFS_PARENT;
	if ((flags & O_ACCMODE) != O_WRONLY)
		err = path_check(at.dir, at.path, CAP_FILE_READ, need);
	if (err == 0 && open_writes(flags))
		err = path_check(at.dir, at.path, CAP_FILE_WRITE, need);
	if (err) {
		at_put(&at);
		return err;
	}
	char *pseudo = pseudo_path(at.dir, at.path);
	if (pseudo)
		err = pseudofs_open(pseudo, flags, &f);
	else
		err = vfs_txn_open(cur_txn(), at.dir, at.path, flags, (uint32_t)a3 & ~cur_umask(), &f);
	vfs_pathbuf_free(pseudo);
	at_put(&at);
	if (err)
		return err;
	int fd = fd_install(cur_fds(), f, 0);
	if (fd < 0)
		file_put(f);
	else if (flags & O_CLOEXEC)
		fd_flags_set(cur_fds(), fd, FD_CLOEXEC);
	return fd;
}

long sys_open(SYS_ARGS)
{
	return sys_openat(AT_FDCWD, a0, a1, a2, 0, 0);
}

long sys_creat(SYS_ARGS)
{
	return sys_openat(AT_FDCWD, a0, O_CREAT | O_WRONLY | O_TRUNC, a1, 0, 0);
}

long sys_close(SYS_ARGS)
{
	struct fdtable *t = cur_fds();
	return t ? fd_close(t, (int)a0) : -EBADF;
}

/* dup3 semantics; dup2 (flags -1) allows oldfd == newfd. */
static long dup_to(int oldfd, int newfd, int flags)
{
	struct fdtable *t = cur_fds();
	if (flags != -1 && (flags & ~O_CLOEXEC))
		return -EINVAL;
	struct file *f = fd_get(t, oldfd);
	if (!f)
		return -EBADF;
	if (oldfd == newfd) {
		file_put(f);
		return flags == -1 ? newfd : -EINVAL;
	}
	long r = fd_install_at(t, f, newfd);
	if (r < 0)
		file_put(f);
	else if (flags > 0)
		fd_flags_set(t, newfd, FD_CLOEXEC);
	return r;
}

long sys_dup(SYS_ARGS)
{
	struct fdtable *t = cur_fds();
	struct file *f = fd_get(t, (int)a0);
	if (!f)
		return -EBADF;
	int fd = fd_install(t, f, 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_dup2(SYS_ARGS)
{
	return dup_to((int)a0, (int)a1, -1);
}

long sys_dup3(SYS_ARGS)
{
	return dup_to((int)a0, (int)a1, (int)a2);
}

/* ---- advisory locks (kernel/fs/lock.c) ---- */

struct k_flock { /* Linux x86_64 struct flock */
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
	int32_t pad;
};

static const void *lock_chan; /* F_SETLKW and flock sleepers wait here */

void fs_locks_changed(void)
{
	sched_wakeup(&lock_chan);
}

/* The byte range fl names in f: [*start, *end). 0, -EINVAL, -EOVERFLOW. */
static long lock_range(struct file *f, const struct k_flock *fl, uint64_t *start, uint64_t *end)
{
	int64_t base = 0;
	if (fl->whence == SEEK_CUR) {
		base = (int64_t)f->off;
	} else if (fl->whence == SEEK_END) {
		struct kstat st;
		if (!f->ops->stat || f->ops->stat(f, &st) != 0)
			return -EINVAL;
		base = st.st_size;
	} else if (fl->whence != SEEK_SET) {
		return -EINVAL;
	}
	if ((fl->start > 0 && base > INT64_MAX - fl->start) || base + fl->start < 0)
		return -EINVAL;
	int64_t s = base + fl->start;
	if (fl->len > 0) {
		if (s > INT64_MAX - fl->len)
			return -EOVERFLOW;
		*start = (uint64_t)s, *end = (uint64_t)(s + fl->len);
	} else if (fl->len < 0) { /* [s + len, s) */
		if (s + fl->len < 0)
			return -EINVAL;
		*start = (uint64_t)(s + fl->len), *end = (uint64_t)s;
	} else {
		*start = (uint64_t)s, *end = LOCK_EOF;
	}
	return 0;
}

/* Takes a lock, sleeping while another holder's conflicts (wait): 0, or
 * -EAGAIN (!wait), -EINTR (killed; -EAGAIN in a handler's run), -ENOMEM. */
static long lock_wait(int (*take)(const void *, const void *, int, int, uint64_t, uint64_t), const void *key,
		      const void *owner, int type, uint64_t start, uint64_t end, bool wait)
{
	int pid = proc_current()->pid;
	for (;;) {
		uint64_t f = irq_save();
		long r = take(key, owner, pid, type, start, end);
		if (r != -EAGAIN || !wait) {
			irq_restore(f);
			return r;
		}
		r = sched_sleep(&lock_chan);
		irq_restore(f);
		if (r)
			return r;
	}
}

static long fcntl_lock(struct fdtable *t, struct file *f, int cmd, uptr ufl)
{
	struct k_flock fl;
	uint64_t start, end;
	if (copy_from_user(&fl, ufl, sizeof fl))
		return -EFAULT;
	long r = lock_range(f, &fl, &start, &end);
	const void *key = file_lock_key(f);
	if (r)
		return r;
	if (!key)
		return -EINVAL; /* consoles, pipes: nothing to lock (Linux allows it; no program needs it) */
	int acc = f->flags & O_ACCMODE;
	int type = fl.type == F_RDLCK	? LOCK_READ
		   : fl.type == F_WRLCK ? LOCK_WRITE
		   : fl.type == F_UNLCK ? LOCK_UNLOCK
					: 0;
	if (!type)
		return -EINVAL;
	if (cmd == F_GETLK) {
		struct lock_info li;
		if (type == LOCK_UNLOCK)
			return -EINVAL;
		if (lock_posix_test(key, t, type, start, end, &li)) {
			fl.type = li.type == LOCK_WRITE ? F_WRLCK : F_RDLCK;
			fl.whence = SEEK_SET;
			fl.start = (int64_t)li.start;
			fl.len = li.end == LOCK_EOF ? 0 : (int64_t)(li.end - li.start);
			fl.pid = li.pid;
		} else {
			fl.type = F_UNLCK;
		}
		return copy_to_user(ufl, &fl, sizeof fl);
	}
	if ((type == LOCK_READ && acc == O_WRONLY) || (type == LOCK_WRITE && acc == O_RDONLY))
		return -EBADF;
	return lock_wait(lock_posix_set, key, t, type, start, end, cmd == F_SETLKW);
}

static int flock_take(const void *key, const void *owner, int pid, int type, uint64_t start, uint64_t end)
{
	(void)pid, (void)start, (void)end;
	return lock_flock(key, owner, type);
}

long sys_flock(SYS_ARGS)
{
	int op = (int)a1;
	int how = op & ~LOCK_NB;
	int type = how == LOCK_SH   ? LOCK_READ
		   : how == LOCK_EX ? LOCK_WRITE
		   : how == LOCK_UN ? LOCK_UNLOCK
				    : 0;
	if (!type)
		return -EINVAL;
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	const void *key = file_lock_key(f);
	long r = key ? lock_wait(flock_take, key, f, type, 0, LOCK_EOF, !(op & LOCK_NB)) : -EINVAL;
	file_put(f);
	return r;
}

long sys_fcntl(SYS_ARGS)
{
	struct fdtable *t = cur_fds();
	int fd = (int)a0, cmd = (int)a1;
	struct file *f = fd_get(t, fd);
	long r;
	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (a2 < 0 || a2 >= FD_MAX) {
			r = -EINVAL;
			break;
		}
		r = fd_install(t, file_get(f), (int)a2);
		if (r < 0)
			file_put(f);
		else if (cmd == F_DUPFD_CLOEXEC)
			fd_flags_set(t, (int)r, FD_CLOEXEC);
		break;
	case F_GETFD: r = fd_flags_get(t, fd); break;
	case F_SETFD: r = fd_flags_set(t, fd, (int)a2); break;
	case F_GETFL: r = f->flags; break;
	case F_SETFL:
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | ((int)a2 & (O_APPEND | O_NONBLOCK));
		r = 0;
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW: r = fcntl_lock(t, f, cmd, (uptr)a2); break;
	default: r = -EINVAL; break;
	}
	file_put(f);
	return r;
}

/* ---- directories with entries the program cannot see ---- */

/* The normal form of path (from directory dir) into a vfs_pathbuf_alloc'd
 * *norm: 0, or an error (nothing held). */
/* What stat says of directory path (normal) that p sees but not all
 * below: no count that includes hidden subdirectories. */
static void stat_hide(struct proc *p, const char *path, struct kstat *st)
{
	if ((st->st_mode & S_IFMT) == S_IFDIR && !perm_sees_below(p, path))
		st->st_nlink = 1;
}

static bool is_dir(const char *dir, const char *path)
{
	struct kstat st;
	return vfs_stat(dir, path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR;
}

/* Removing or replacing the directory at path (from dir) needs every entry
 * below it visible, else whether it is empty would tell about the hidden
 * ones. 0 when it is no directory (the call answers for itself) or p sees
 * below it; else -EACCES, logged as the file.read of "PATH/" it lacks. */
static long whole_dir_check(const char *dir, const char *path)
{
	struct proc *p = proc_current();
	char *norm;
	if (!is_dir(dir, path))
		return 0;
	long err = normal_alloc(dir, path, &norm);
	if (err)
		return err;
	size_t len = strlen(norm);
	if (!perm_sees_below(p, norm)) {
		if (norm[len - 1] != '/' && len + 1 < PATH_MAX)
			memcpy(norm + len, "/", 2); /* everything below it */
		err = perm_check(p, CAP_FILE_READ, norm, NULL);
		err = err ? err : -EACCES; /* a grant of PATH/ would have made it seen below */
	}
	vfs_pathbuf_free(norm);
	return err;
}

/* ---- status ---- */

/* What fstat reports for a file without a stat op (a console). */
static int file_stat(struct file *f, struct kstat *st)
{
	if (f->ops->stat)
		return f->ops->stat(f, st);
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0620;
	st->st_nlink = 1;
	st->st_blksize = 1024;
	st->st_rdev = (4ull << 8) | 1; /* like /dev/tty1 */
	return 0;
}

static long fstat_fd(int fd, uptr ust)
{
	struct kstat st;
	struct file *f = fd_get(cur_fds(), fd);
	char *dir = NULL;
	if (!f)
		return -EBADF;
	long r = file_stat(f, &st);
	if (r == 0 && (st.st_mode & S_IFMT) == S_IFDIR && (dir = vfs_pathbuf_alloc()) &&
	    vfs_file_dir_path(f, dir, PATH_MAX) >= 0)
		stat_hide(proc_current(), dir, &st);
	else if (r == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
		st.st_nlink = 1; /* removed, or no memory for its path: count nothing */
	vfs_pathbuf_free(dir);
	file_put(f);
	return r ? r : copy_to_user(ust, &st, sizeof st);
}

long sys_fstat(SYS_ARGS)
{
	return fstat_fd((int)a0, (uptr)a1);
}

long sys_newfstatat(SYS_ARGS)
{
	struct at_path at;
	struct kstat st;
	int flags = (int)a3;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */))
		return -EINVAL;
	long err = path_in((uptr)a1, &at.path);
	if (err)
		return err;
	bool empty = at.path[0] == '\0' && (flags & AT_EMPTY_PATH);
	vfs_pathbuf_free(at.path);
	if (empty && (int)a0 != AT_FDCWD) {
		perm_pass(proc_current()); /* a descriptor: checked when it was opened */
		return fstat_fd((int)a0, (uptr)a2);
	}
	if ((err = at_get((int)a0, (uptr)a1, !(flags & AT_SYMLINK_NOFOLLOW), &at)) != 0)
		return err;
	const char *path = empty ? "." : at.path;
	char *norm = NULL;
	err = path_check(at.dir, path, CAP_FILE_READ, VFS_EXISTING);
	if (err == 0 && (err = normal_alloc(at.dir, path, &norm)) == 0) {
		if (pseudofs_owns(norm) && (flags & AT_SYMLINK_NOFOLLOW))
			err = pseudofs_lstat(norm, &st);
		else if (pseudofs_owns(norm))
			err = pseudofs_stat(norm, &st);
		else if ((err = vfs_stat(at.dir, path, &st)) == 0)
			stat_hide(proc_current(), norm, &st);
	}
	vfs_pathbuf_free(norm);
	at_put(&at);
	return err ? err : copy_to_user((uptr)a2, &st, sizeof st);
}

long sys_stat(SYS_ARGS)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, 0, 0, 0);
}

long sys_lstat(SYS_ARGS)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW, 0, 0);
}

long sys_faccessat(SYS_ARGS)
{
	struct at_path at;
	long err = at_get_checked((int)a0, (uptr)a1, true, CAP_FILE_READ, VFS_EXISTING, &at);
	if (err)
		return err;
	struct kstat st;
	char *pseudo = pseudo_path(at.dir, at.path);
	if (pseudo)
		err = pseudofs_stat(pseudo, &st);
	else
		err = vfs_access(at.dir, at.path, (int)a2);
	vfs_pathbuf_free(pseudo);
	at_put(&at);
	return err;
}

long sys_access(SYS_ARGS)
{
	return sys_faccessat(AT_FDCWD, a0, a1, 0, 0, 0);
}

/* readlinkat(dirfd, path, buf, size): the target of the link at path (the
 * VFS's, or /proc's), not terminated, at most size bytes; an existing path
 * that is no link: -EINVAL. */
long sys_readlinkat(SYS_ARGS)
{
	struct at_path at;
	char *pseudo = NULL, *link;
	if ((long)a3 <= 0)
		return -EINVAL;
	long err = at_get_checked((int)a0, (uptr)a1, false, CAP_FILE_READ, VFS_EXISTING, &at);
	if (err)
		return err;
	size_t size = MIN((size_t)a3, (size_t)PATH_MAX);
	if (!(link = vfs_pathbuf_alloc()))
		err = -ENOMEM;
	else if ((pseudo = pseudo_path(at.dir, at.path)))
		err = pseudofs_readlink(pseudo, link, size);
	else
		err = vfs_readlink(at.dir, at.path, link, size);
	vfs_pathbuf_free(pseudo);
	at_put(&at);
	if (err > 0 && copy_to_user((uptr)a2, link, (size_t)err))
		err = -EFAULT;
	vfs_pathbuf_free(link);
	return err;
}

long sys_readlink(SYS_ARGS)
{
	return sys_readlinkat(AT_FDCWD, a0, a1, a2, 0, 0);
}

/* symlinkat(target, dirfd, path): target is any text (not checked, not a
 * path the caller reaches by making the link: following it later is
 * checked then); path needs file.write as any new name. */
long sys_symlinkat(SYS_ARGS)
{
	struct at_path at;
	char *target;
	long err = path_in((uptr)a0, &target);
	if (err)
		return err;
	if ((err = at_get_checked((int)a1, (uptr)a2, false, CAP_FILE_WRITE, VFS_ABSENT, &at)) == 0) {
		err = pseudofs_owns_path(at.dir, at.path) ? -EACCES
							  : vfs_symlink(cur_txn(), target, at.dir, at.path);
		at_put(&at);
	}
	vfs_pathbuf_free(target);
	return err;
}

long sys_symlink(SYS_ARGS)
{
	return sys_symlinkat(a0, AT_FDCWD, a1, 0, 0, 0);
}

/* linkat(olddirfd, oldpath, newdirfd, newpath, flags): a new name for a
 * file; oldpath's last link is followed only with AT_SYMLINK_FOLLOW (as
 * on Linux). Both names need file.write: the new name is a way to change
 * the file, and the old one could be reached, changed and removed by it. */
long sys_linkat(SYS_ARGS)
{
	struct at_path o, n;
	if (a4 & ~(long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (a4 & AT_EMPTY_PATH)
		return -ENOENT; /* linking a descriptor needs CAP_DAC_READ_SEARCH on Linux: no one here */
	long err =
		at_get_checked((int)a0, (uptr)a1, a4 & AT_SYMLINK_FOLLOW, CAP_FILE_WRITE, VFS_EXISTING, &o);
	if (err)
		return err;
	if ((err = at_get_checked((int)a2, (uptr)a3, false, CAP_FILE_WRITE, VFS_ABSENT, &n)) == 0) {
		bool pseudo = pseudofs_owns_path(o.dir, o.path) || pseudofs_owns_path(n.dir, n.path);
		err = pseudo ? -EXDEV : vfs_link(cur_txn(), o.dir, o.path, n.dir, n.path);
		at_put(&n);
	}
	at_put(&o);
	return err;
}

long sys_link(SYS_ARGS)
{
	return sys_linkat(AT_FDCWD, a0, AT_FDCWD, a1, 0, 0);
}

/* Drops from the n bytes of records in buf the entries of directory dir
 * (its path; PATH_MAX bytes of scratch follow it) that p cannot see. The
 * bytes left. */
static long drop_hidden(struct proc *p, char *dir, char *buf, long n)
{
	char *path = dir + PATH_MAX;
	long kept = 0;
	for (long at = 0; at < n;) {
		struct kdirent64 *d = (struct kdirent64 *)(buf + at);
		size_t reclen = d->d_reclen;
		bool dots = strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0;
		int len = ksnprintf(path, PATH_MAX, "%s/%s", dir[1] ? dir : "", d->d_name);
		if (dots || (len < PATH_MAX && perm_sees(p, path))) {
			memmove(buf + kept, buf + at, reclen);
			kept += (long)reclen;
		}
		at += (long)reclen;
	}
	return kept;
}

/* The path of directory f into *dir (kmalloc'd, 2 * PATH_MAX) when a
 * listing must drop entries p cannot see; NULL when p sees them all (or f
 * is not a directory, or was removed: empty). 0 or -ENOMEM. */
static long listing_filter(struct proc *p, struct file *f, char **dir)
{
	*dir = kmalloc(2 * PATH_MAX);
	if (!*dir)
		return -ENOMEM;
	bool named = vfs_file_dir_path(f, *dir, PATH_MAX) >= 0 || pseudofs_dir_path(f, *dir, PATH_MAX) >= 0;
	if (!named || perm_sees_below(p, *dir)) {
		kfree(*dir);
		*dir = NULL;
	}
	return 0;
}

/* The directory offset moves only if the records reach the user. Entries
 * the caller cannot see are left out (a chunk of only those is skipped). */
long sys_getdents64(SYS_ARGS)
{
	if (!user_range_ok((uptr)a1, (size_t)a2))
		return -EFAULT;
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	struct proc *p = proc_current();
	uint64_t off = f->off;
	size_t len = MIN((size_t)a2, (size_t)DIRENT_CHUNK);
	char *buf = f->ops->getdents ? kmalloc(len + 1) : NULL, *dir = NULL;
	long r = !f->ops->getdents ? -ENOTDIR : !buf ? -ENOMEM : listing_filter(p, f, &dir);
	while (r == 0) {
		long got = f->ops->getdents(f, buf, len);
		r = got > 0 && dir ? drop_hidden(p, dir, buf, got) : got;
		if (got <= 0)
			break;
	}
	if (r > 0 && copy_to_user((uptr)a1, buf, (size_t)r) != 0) {
		f->off = off;
		r = -EFAULT;
	}
	kfree(dir);
	kfree(buf);
	file_put(f);
	return r;
}

/* ---- the name space ---- */

long sys_mkdirat(SYS_ARGS)
{
	struct at_path at;
	long err = at_get_checked((int)a0, (uptr)a1, false, CAP_FILE_WRITE, VFS_ABSENT, &at);
	if (err)
		return err;
	err = vfs_txn_mkdir(cur_txn(), at.dir, at.path, (uint32_t)a2 & ~cur_umask());
	at_put(&at);
	return err;
}

/* mknodat(dirfd, path, mode, dev): named pipes and device nodes as Linux
 * lists them, nothing behind them (vfs_mknod); needs file.write. */
long sys_mknodat(SYS_ARGS)
{
	struct at_path at;
	long err = at_get_checked((int)a0, (uptr)a1, false, CAP_FILE_WRITE, VFS_ABSENT, &at);
	if (err)
		return err;
	uint32_t mode = (uint32_t)a2;
	mode = (mode & S_IFMT) | (mode & 07777 & ~cur_umask());
	err = pseudofs_owns_path(at.dir, at.path) ? -EACCES
						  : vfs_mknod(cur_txn(), at.dir, at.path, mode, (uint64_t)a3);
	at_put(&at);
	return err;
}

long sys_mknod(SYS_ARGS)
{
	return sys_mknodat(AT_FDCWD, a0, a1, a2, 0, 0);
}

long sys_mkdir(SYS_ARGS)
{
	return sys_mkdirat(AT_FDCWD, a0, a1, 0, 0, 0);
}

long sys_unlinkat(SYS_ARGS)
{
	struct at_path at;
	if (a2 & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	long err = at_get_checked((int)a0, (uptr)a1, false, CAP_FILE_WRITE, VFS_EXISTING, &at);
	if (err)
		return err;
	if ((a2 & AT_REMOVEDIR) && (err = whole_dir_check(at.dir, at.path)) == 0)
		err = vfs_txn_rmdir(cur_txn(), at.dir, at.path);
	else if (!(a2 & AT_REMOVEDIR))
		err = vfs_txn_unlink(cur_txn(), at.dir, at.path);
	at_put(&at);
	return err;
}

long sys_unlink(SYS_ARGS)
{
	return sys_unlinkat(AT_FDCWD, a0, 0, 0, 0, 0);
}

long sys_rmdir(SYS_ARGS)
{
	return sys_unlinkat(AT_FDCWD, a0, AT_REMOVEDIR, 0, 0, 0);
}

long sys_renameat(SYS_ARGS)
{
	struct at_path o, n;
	long err = at_get_checked((int)a0, (uptr)a1, false, CAP_FILE_WRITE, VFS_EXISTING, &o);
	if (err)
		return err;
	if ((err = at_get_checked((int)a2, (uptr)a3, false, CAP_FILE_WRITE, VFS_PARENT, &n)) == 0) {
		/* a directory replaces only an empty one: whether it is empty must not tell */
		if (!is_dir(o.dir, o.path) || (err = whole_dir_check(n.dir, n.path)) == 0)
			err = vfs_txn_rename(cur_txn(), o.dir, o.path, n.dir, n.path);
		at_put(&n);
	}
	at_put(&o);
	return err;
}

long sys_rename(SYS_ARGS)
{
	return sys_renameat(AT_FDCWD, a0, AT_FDCWD, a1, 0, 0);
}

/* Linux checks the length first, then the path (opened for writing). */
long sys_truncate(SYS_ARGS)
{
	struct file *f;
	struct at_path at;
	if (a1 < 0)
		return -EINVAL;
	long err = at_get_checked(AT_FDCWD, (uptr)a0, true, CAP_FILE_WRITE, VFS_EXISTING, &at);
	if (err)
		return err;
	err = vfs_txn_open(cur_txn(), at.dir, at.path, O_WRONLY, 0, &f);
	at_put(&at);
	if (err)
		return err;
	err = f->ops->truncate ? f->ops->truncate(f, (uint64_t)a1) : -EINVAL;
	file_put(f);
	return err;
}

/* Only a regular file open for writing can be truncated: else -EINVAL. */
long sys_ftruncate(SYS_ARGS)
{
	if (a1 < 0)
		return -EINVAL;
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	bool writable = (f->flags & O_ACCMODE) != O_RDONLY;
	long err = writable && f->ops->truncate ? f->ops->truncate(f, (uint64_t)a1) : -EINVAL;
	file_put(f);
	return err;
}

/* fsync and fdatasync: a file of /data (on the store) is durable once
 * every change committed so far is (one device flush, shared with every
 * caller waiting meanwhile: group commit); the directory entries that name
 * it are among those changes. Other files live in RAM: nothing to do. A
 * handler run's changes are durable with its commit (the output gate). */
long sys_fsync(SYS_ARGS)
{
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	bool store = vfs_file_persistent(f) && !cur_txn();
	file_put(f);
	return store ? persist_sync_all() : 0;
}

long sys_fdatasync(SYS_ARGS)
{
	return sys_fsync(a0, a1, a2, a3, a4, a5);
}

/* sync: everything committed durable and recorded in a superblock. */
long sys_sync(SYS_ARGS)
{
	if (cur_txn())
		return 0;
	persist_checkpoint();
	return 0;
}

/* ---- attributes: chmod, chown, utimensat families ----
 * Single user: every file is root's, so chown succeeds only to uid and gid 0
 * (or -1, unchanged) and changes nothing; anything else is -EPERM. A path
 * needs file.write (changing a file's attributes is writing it); a
 * descriptor must be open for writing (-EPERM otherwise: the write grant was
 * checked when it was opened, a reading one never had it). Not staged in a
 * handler's run yet: -EPERM there. The access time is not kept. */
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define NSEC_PER_SEC 1000000000l

static long path_setattr(int dirfd, uptr upath, bool follow, const struct vfs_attr *a)
{
	struct at_path at;
	if (cur_txn())
		return -EPERM;
	long err = at_get_checked(dirfd, upath, follow, CAP_FILE_WRITE, VFS_EXISTING, &at);
	if (err)
		return err;
	err = vfs_setattr(at.dir, at.path, a);
	at_put(&at);
	return err;
}

static long fd_setattr(int fd, const struct vfs_attr *a)
{
	perm_pass(proc_current()); /* a descriptor: checked when it was opened */
	if (cur_txn())
		return -EPERM;
	struct file *f = fd_get(cur_fds(), fd);
	if (!f)
		return -EBADF;
	long err = (f->flags & O_ACCMODE) != O_RDONLY ? vfs_file_setattr(f, a) : -EPERM;
	file_put(f);
	return err;
}

long sys_fchmodat(SYS_ARGS)
{
	struct vfs_attr a = {.set_mode = true, .mode = (uint32_t)a2 & 07777};
	return path_setattr((int)a0, (uptr)a1, true, &a);
}

long sys_chmod(SYS_ARGS)
{
	return sys_fchmodat(AT_FDCWD, a0, a1, 0, 0, 0);
}

long sys_fchmod(SYS_ARGS)
{
	struct vfs_attr a = {.set_mode = true, .mode = (uint32_t)a1 & 07777};
	return fd_setattr((int)a0, &a);
}

static bool root_ids(long uid, long gid)
{
	return ((uint32_t)uid == 0 || (uint32_t)uid == UINT32_MAX) &&
	       ((uint32_t)gid == 0 || (uint32_t)gid == UINT32_MAX);
}

long sys_fchownat(SYS_ARGS)
{
	struct vfs_attr none = {0};
	if (a4 & ~(long)AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	return root_ids(a2, a3) ? path_setattr((int)a0, (uptr)a1, !(a4 & AT_SYMLINK_NOFOLLOW), &none)
				: -EPERM;
}

long sys_chown(SYS_ARGS)
{
	return sys_fchownat(AT_FDCWD, a0, a1, a2, 0, 0);
}

long sys_lchown(SYS_ARGS)
{
	return sys_fchownat(AT_FDCWD, a0, a1, a2, AT_SYMLINK_NOFOLLOW, 0);
}

long sys_fchown(SYS_ARGS)
{
	struct vfs_attr none = {0};
	return root_ids(a1, a2) ? fd_setattr((int)a0, &none) : -EPERM;
}

/* The modification time of times[1] (seconds, then ns; or usec for a
 * timeval): set, now, or left (UTIME_OMIT). times NULL: now. */
static long times_in(uptr utimes, bool usec, struct vfs_attr *a)
{
	int64_t t[4];
	a->set_mtime = true;
	a->mtime_now = utimes == 0;
	if (!utimes)
		return 0;
	if (copy_from_user(t, utimes, sizeof t) != 0)
		return -EFAULT;
	for (int i = 1; i < 4; i += 2) {
		bool special = !usec && (t[i] == UTIME_NOW || t[i] == UTIME_OMIT);
		if (!special && (t[i] < 0 || t[i] >= (usec ? 1000000 : NSEC_PER_SEC) || t[i - 1] < 0))
			return -EINVAL;
	}
	if (!usec && t[3] == UTIME_OMIT)
		a->set_mtime = false;
	else if (!usec && t[3] == UTIME_NOW)
		a->mtime_now = true;
	else
		a->mtime_ns = (uint64_t)t[2] * NSEC_PER_SEC + (uint64_t)t[3] * (usec ? 1000 : 1);
	return 0;
}

/* utimensat(dirfd, path, times, flags); a NULL path is the descriptor dirfd (futimens). */
long sys_utimensat(SYS_ARGS)
{
	struct vfs_attr a = {0};
	if (a3 & ~(long)AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	long err = times_in((uptr)a2, false, &a);
	if (err)
		return err;
	return a1 ? path_setattr((int)a0, (uptr)a1, !(a3 & AT_SYMLINK_NOFOLLOW), &a)
		  : fd_setattr((int)a0, &a);
}

long sys_futimesat(SYS_ARGS)
{
	struct vfs_attr a = {0};
	long err = times_in((uptr)a2, true, &a);
	return err ? err : path_setattr((int)a0, (uptr)a1, true, &a);
}

long sys_utimes(SYS_ARGS)
{
	return sys_futimesat(AT_FDCWD, a0, a1, 0, 0, 0);
}

/* chdir into /dev or /proc (path normal): a kmalloc'd copy of it, if a directory. */
static long pseudo_chdir(const char *path, char **cwd)
{
	struct kstat st;
	long err = pseudofs_stat(path, &st);
	if (err == 0 && (st.st_mode & S_IFMT) != S_IFDIR)
		err = -ENOTDIR;
	if (err == 0 && !(*cwd = vfs_cwd_copy(path)))
		err = -ENOMEM;
	return err;
}

long sys_chdir(SYS_ARGS)
{
	struct proc *p = proc_current();
	struct at_path at;
	char *cwd;
	if (!p)
		return -ESRCH;
	long err = at_get_checked(AT_FDCWD, (uptr)a0, true, CAP_FILE_READ, VFS_EXISTING, &at);
	if (err)
		return err;
	char *pseudo = pseudo_path(at.dir, at.path);
	if (pseudo)
		err = pseudo_chdir(pseudo, &cwd);
	else
		err = vfs_chdir(at.dir, at.path, &cwd);
	vfs_pathbuf_free(pseudo);
	at_put(&at);
	if (err)
		return err;
	kfree(p->cwd);
	p->cwd = cwd;
	return 0;
}

/* Linux's getcwd returns the length including the NUL. */
long sys_getcwd(SYS_ARGS)
{
	const char *cwd = cur_cwd();
	size_t len = strlen(cwd) + 1;
	if ((size_t)a1 < len)
		return -ERANGE;
	long err = copy_to_user((uptr)a0, cwd, len);
	return err ? err : (long)len;
}

/* ---- ioctl: each known command's argument size and direction ---- */

struct ioctl_cmd {
	unsigned long cmd;
	uint16_t size;
	bool out; /* the kernel fills it (else: the user supplies it) */
};

static const struct ioctl_cmd ioctl_cmds[] = {
	/* TCGETS/TCSETS*: the kernel's struct termios, 36 bytes (4 flag words,
	 * c_line, 19 c_cc) as on Linux; musl's 60-byte struct starts with it. */
	{0x5401, 36, true}, /* TCGETS */
	{0x5402, 36, false}, /* TCSETS */
	{0x5403, 36, false}, /* TCSETSW */
	{0x5404, 36, false}, /* TCSETSF */
	{0x540F, 4, true}, /* TIOCGPGRP */
	{0x5410, 4, false}, /* TIOCSPGRP */
	{0x5413, 8, true}, /* TIOCGWINSZ: struct winsize */
	{0x5414, 8, false}, /* TIOCSWINSZ */
};

long sys_ioctl(SYS_ARGS)
{
	const struct ioctl_cmd *c = NULL;
	uint8_t arg[64];
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cmds); i++)
		if (ioctl_cmds[i].cmd == (unsigned long)(unsigned)a1)
			c = &ioctl_cmds[i];
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	long r = 0;
	if (!c || !f->ops->ioctl)
		r = -ENOTTY;
	memset(arg, 0, sizeof arg);
	if (r == 0 && !c->out)
		r = copy_from_user(arg, (uptr)a2, c->size);
	if (r == 0)
		r = f->ops->ioctl(f, c->cmd, arg);
	if (r >= 0 && c && c->out && copy_to_user((uptr)a2, arg, c->size) != 0)
		r = -EFAULT;
	file_put(f);
	return r;
}

/* ---- statfs ---- */

struct k_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct k_statfs) == 120, "struct statfs is 120 bytes on x86_64");

#define RAMFS_MAGIC 0x858458f6
#define ST_RDONLY 1
#define STATFS_BLOCK 4096

/* A VFS file system: blocks of 4 KiB; one with no limit (the root image)
 * is as big as what it holds, none free. */
static void statfs_vfs(const struct vfs_fsinfo *in, struct k_statfs *out)
{
	uint64_t used = (in->used + STATFS_BLOCK - 1) / STATFS_BLOCK;
	uint64_t total = in->limit == UINT64_MAX ? used : in->limit / STATFS_BLOCK;
	uint64_t free = total > used ? total - used : 0;
	memset(out, 0, sizeof *out);
	out->f_type = RAMFS_MAGIC;
	out->f_bsize = out->f_frsize = STATFS_BLOCK;
	out->f_blocks = total;
	out->f_bfree = out->f_bavail = free;
	out->f_fsid[0] = (int32_t)in->dev;
	out->f_namelen = 255;
	out->f_flags = in->readonly ? ST_RDONLY : 0;
}

/* /dev and /proc (by their st_dev), or any other file that is no VFS
 * file (a console, a pipe): no blocks. */
static void statfs_pseudo(uint64_t dev, struct k_statfs *out)
{
	memset(out, 0, sizeof *out);
	out->f_type = dev == PSEUDOFS_DEV_DEV	 ? PSEUDOFS_DEVFS_MAGIC
		      : dev == PSEUDOFS_DEV_PROC ? PSEUDOFS_PROC_MAGIC
						 : 0;
	out->f_bsize = out->f_frsize = STATFS_BLOCK;
	out->f_fsid[0] = (int32_t)dev;
	out->f_namelen = 255;
	out->f_flags = dev == PSEUDOFS_DEV_PROC ? ST_RDONLY : 0;
}

long sys_statfs(SYS_ARGS)
{
	struct k_statfs sf;
	struct vfs_fsinfo info;
	struct kstat st;
	struct at_path at;
	char *pseudo = NULL;
	long err = at_get_checked(AT_FDCWD, (uptr)a0, true, CAP_FILE_READ, VFS_EXISTING, &at);
	if (err)
		return err;
	if ((pseudo = pseudo_path(at.dir, at.path)) && (err = pseudofs_stat(pseudo, &st)) == 0)
		statfs_pseudo(st.st_dev, &sf);
	else if (!pseudo && (err = vfs_fsinfo(at.dir, at.path, &info)) == 0)
		statfs_vfs(&info, &sf);
	vfs_pathbuf_free(pseudo);
	at_put(&at);
	return err ? err : copy_to_user((uptr)a1, &sf, sizeof sf);
}

long sys_fstatfs(SYS_ARGS)
{
	struct k_statfs sf;
	struct vfs_fsinfo info;
	struct kstat st;
	struct file *f = fd_get(cur_fds(), (int)a0);
	if (!f)
		return -EBADF;
	if (vfs_file_fsinfo(f, &info) == 0)
		statfs_vfs(&info, &sf);
	else
		statfs_pseudo(file_stat(f, &st) == 0 ? st.st_dev : 0, &sf);
	file_put(f);
	return copy_to_user((uptr)a1, &sf, sizeof sf);
}
