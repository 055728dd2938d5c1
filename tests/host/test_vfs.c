/*
 * test_vfs.c - the vnode tree, path operations, open files and descriptor
 * tables on the host: a root image built from an in-memory cpio archive (and
 * GNU cpio's, when the build has it), a ramfs mounted at /data with a small
 * limit, and the Linux error for each misuse. LeakSanitizer checks that
 * everything is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/stat.h>

#include "kernel/fs/fs_internal.h"
#include "kernel/fs/path.h"
#include "stubs.h"
#include "unit.h"

#ifndef HOST_DATA_DIR
#define HOST_DATA_DIR "build/host/data"
#endif
#ifndef HOST_HAVE_CPIO
#define HOST_HAVE_CPIO 0
#endif

#define DATA_LIMIT (64 * 1024)

static char image[4096];
static size_t image_len;

/* A member with inode number ino and link count nlink. */
static void add_linked(const char *name, uint32_t mode, uint32_t ino, uint32_t nlink, const char *data)
{
	size_t nlen = strlen(name) + 1, dlen = strlen(data);
	char h[111];
	snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0u, 0u,
		 nlink, 1600000000u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
	memcpy(image + image_len, h, 110);
	memcpy(image + image_len + 110, name, nlen);
	image_len = (image_len + 110 + nlen + 3) & ~(size_t)3;
	memcpy(image + image_len, data, dlen);
	image_len = (image_len + dlen + 3) & ~(size_t)3;
}

static void add(const char *name, uint32_t mode, const char *data)
{
	add_linked(name, mode, 1, 1, data);
}

static struct fs *data_fs;
static uint64_t data_base; /* what an empty /data holds */

/* Root image: /etc/kernel.conf, /bin/hello, /data (mount point); ramfs at /data. */
static void setup(void)
{
	struct initramfs_stats st;
	struct vnode *dir;
	memset(image, 0, sizeof image);
	image_len = 0;
	add(".", S_IFDIR | 0755, "");
	add("./etc", S_IFDIR | 0755, "");
	add("./etc/kernel.conf", S_IFREG | 0644, "foreground.max = 2\n");
	add("bin/hello", S_IFREG | 0755, "\177ELF...");
	add("data", S_IFDIR | 0755, "");
	add("TRAILER!!!", 0, "");
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	CHECK_EQ(initramfs_load(vfs_root_fs, image, image_len, &st), 0);
	CHECK_EQ(st.files, 2);
	CHECK_EQ(st.dirs, 2); /* bin is made, not a member */
	data_fs = fs_create("/data", false, DATA_LIMIT);
	CHECK_EQ(vn_lookup("/data", &dir), 0);
	CHECK_EQ(fs_mount(dir, data_fs), 0);
	data_base = data_fs->used;
}

static void teardown(void)
{
	fs_unmount(data_fs->covered);
	fs_destroy(data_fs);
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

static long put(const char *path, const char *text)
{
	struct file *f;
	int err = vfs_open("/", path, O_WRONLY | O_CREAT | O_TRUNC, 0666, &f);
	if (err)
		return err;
	long n = f->ops->write(f, text, strlen(text));
	file_put(f);
	return n;
}

/* The file's contents as a string (static buffer), or "" on error. */
static const char *get(const char *path)
{
	static char buf[512];
	struct file *f;
	buf[0] = '\0';
	if (vfs_open("/", path, O_RDONLY, 0, &f))
		return buf;
	long n = f->ops->read(f, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	file_put(f);
	return buf;
}

TEST(vfs_image_reads_and_is_read_only)
{
	struct kstat st;
	struct file *f;
	setup();
	CHECK_STR(get("/etc/kernel.conf"), "foreground.max = 2\n");
	CHECK_STR(get("/etc/../bin//./hello"), "\177ELF...");
	CHECK_EQ(vfs_stat("/etc", "kernel.conf", &st), 0);
	CHECK_EQ(st.st_size, 19);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_mtime_sec, 1600000000);
	CHECK_EQ(vfs_stat("/", "etc", &st), 0);
	CHECK(S_IFDIR == (st.st_mode & S_IFMT));
	CHECK_EQ(put("/etc/new", "x"), -EROFS);
	CHECK_EQ(vfs_open("/", "/etc/kernel.conf", O_RDWR, 0, &f), -EROFS);
	CHECK_EQ(vfs_open("/", "/etc/kernel.conf", O_RDONLY | O_TRUNC, 0, &f), -EROFS);
	CHECK_EQ(vfs_mkdir("/", "/etc/d", 0755), -EROFS);
	CHECK_EQ(vfs_mkdir("/", "/etc", 0755), -EEXIST);
	CHECK_EQ(vfs_unlink("/", "/etc/kernel.conf"), -EROFS);
	CHECK_EQ(vfs_rmdir("/", "/data"), -EROFS);
	CHECK_EQ(vfs_rename("/", "/etc/kernel.conf", "/", "/etc/k"), -EROFS);
	CHECK_EQ(vfs_access("/", "/etc/kernel.conf", W_OK), -EROFS);
	CHECK_EQ(vfs_access("/", "/etc/kernel.conf", X_OK), -EACCES);
	CHECK_EQ(vfs_access("/", "/bin/hello", X_OK | R_OK), 0);
	CHECK_EQ(vfs_stat("/", "/etc/kernel.conf/", &st), -ENOTDIR);
	CHECK_EQ(vfs_stat("/", "/etc/kernel.conf/x", &st), -ENOTDIR);
	CHECK_EQ(vfs_stat("/", "/nope", &st), -ENOENT);
	CHECK_EQ(vfs_stat("/", "", &st), -ENOENT);
	teardown();
}

TEST(vfs_ramfs_create_write_read_rename_unlink)
{
	struct kstat st;
	setup();
	CHECK_EQ(put("/data/a", "hello"), 5);
	CHECK_STR(get("/data/a"), "hello");
	CHECK_EQ(put("/data/a", "hi"), 2); /* O_TRUNC */
	CHECK_STR(get("/data/a"), "hi");
	CHECK_EQ(vfs_rename("/data", "a", "/data", "b"), 0);
	CHECK_EQ(vfs_stat("/", "/data/a", &st), -ENOENT);
	CHECK_STR(get("/data/b"), "hi");
	CHECK_EQ(put("/data/c", "other"), 5);
	CHECK_EQ(vfs_rename("/", "/data/c", "/", "/data/b"), 0); /* replaces */
	CHECK_STR(get("/data/b"), "other");
	CHECK_EQ(vfs_rename("/", "/data/b", "/", "/etc/b"), -EXDEV);
	CHECK_EQ(vfs_unlink("/", "/data/b"), 0);
	CHECK_EQ(vfs_unlink("/", "/data/b"), -ENOENT);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

TEST(vfs_directories)
{
	struct kstat st;
	char *cwd = NULL;
	setup();
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	CHECK_EQ(vfs_mkdir("/data", "d/e/", 0755), 0);
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir("/", "/data/x/y", 0755), -ENOENT);
	CHECK_EQ(put("/data/d/e/f", "1"), 1);
	CHECK_EQ(vfs_mkdir("/", "/data/d/e/f/g", 0755), -ENOTDIR);
	CHECK_EQ(vfs_rmdir("/", "/data/d"), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir("/", "/data/d/e/f"), -ENOTDIR);
	CHECK_EQ(vfs_unlink("/", "/data/d/e"), -EISDIR);
	CHECK_EQ(vfs_unlink("/", "/data/d/e/f/"), -ENOTDIR);
	CHECK_EQ(vfs_rename("/", "/data/d", "/", "/data/d/e/z"), -EINVAL);
	CHECK_EQ(vfs_rename("/", "/data/d/e", "/", "/data/d"), -ENOTEMPTY);
	CHECK_EQ(vfs_rename("/", "/data/d/e/f", "/", "/data/d/e"), -ENOTEMPTY); /* an ancestor */
	CHECK_EQ(vfs_rename("/", "/data/d/e", "/", "/data/d/e/f"), -EINVAL);
	CHECK_EQ(vfs_rename("/", "/data/d", "/", "/data/m"), 0);
	CHECK_STR(get("/data/m/e/f"), "1");
	CHECK_EQ(vfs_stat("/", "/data/m", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(vfs_chdir("/data/m", "e/../e/.", &cwd), 0);
	CHECK_STR(cwd, "/data/m/e");
	free(cwd);
	CHECK_EQ(vfs_chdir("/", "/data/m/e/f", &cwd), -ENOTDIR);
	CHECK_EQ(vfs_rmdir("/data/m", "e/."), -EINVAL);
	CHECK_EQ(vfs_rmdir("/data/m/e", ".."), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir("/", "/"), -EBUSY);
	/* regression: "f/." normalised to "f" and unlink removed the file */
	CHECK_EQ(vfs_unlink("/data/m/e", "f/."), -ENOTDIR);
	CHECK_EQ(vfs_rmdir("/data/m/e", "f/.."), -ENOTDIR);
	CHECK_EQ(vfs_stat("/data/m/e", "f/.", &st), -ENOTDIR);
	CHECK_EQ(vfs_unlink("/data/m", "e/."), -EISDIR);
	CHECK_STR(get("/data/m/e/f"), "1");
	CHECK_EQ(vfs_rename("/", "/data", "/", "/data2"), -EROFS);
	CHECK_EQ(vfs_unlink("/", "/data/m/e/f"), 0);
	CHECK_EQ(vfs_rmdir("/", "/data/m/e"), 0);
	CHECK_EQ(vfs_rmdir("/", "/data/m"), 0);
	teardown();
}

/* Names listed by getdents on an open directory, space-separated. */
static void list(struct file *d, char *out, size_t outsz, size_t bufsz)
{
	char buf[256];
	out[0] = '\0';
	long n;
	while ((n = d->ops->getdents(d, buf, bufsz)) > 0) {
		for (long at = 0; at < n;) {
			struct kdirent64 *e = (struct kdirent64 *)(buf + at);
			snprintf(out + strlen(out), outsz - strlen(out), "%s%s%s", out[0] ? " " : "",
				 e->d_name, e->d_type == DT_DIR ? "/" : "");
			CHECK_EQ(e->d_reclen % 8, 0);
			at += e->d_reclen;
		}
	}
	CHECK_EQ(n, 0);
}

TEST(vfs_getdents_and_dir_paths)
{
	struct file *d;
	char names[256], path[128];
	setup();
	CHECK_EQ(vfs_mkdir("/", "/data/sub", 0755), 0);
	CHECK_EQ(put("/data/file", "x"), 1);
	CHECK_EQ(vfs_open("/", "/data", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	list(d, names, sizeof names, sizeof names);
	CHECK_STR(names, "./ ../ sub/ file");
	CHECK_EQ(d->ops->lseek(d, 0, SEEK_SET), 0);
	list(d, names, sizeof names, 32); /* one record per call */
	CHECK_STR(names, "./ ../ sub/ file");
	CHECK_EQ(d->ops->lseek(d, 0, SEEK_SET), 0);
	CHECK_EQ(d->ops->getdents(d, names, 8), -EINVAL); /* too small for one record */
	CHECK_EQ(vfs_file_dir_path(d, path, sizeof path), 5);
	CHECK_STR(path, "/data");
	file_put(d);
	CHECK_EQ(vfs_open("/", "/data/sub", O_RDONLY, 0, &d), 0);
	CHECK_EQ(vfs_file_dir_path(d, path, sizeof path), 9);
	CHECK_STR(path, "/data/sub");
	CHECK_EQ(vfs_rmdir("/", "/data/sub"), 0); /* open: freed at the last put */
	CHECK_EQ(vfs_file_dir_path(d, path, sizeof path), -ENOENT);
	file_put(d);
	CHECK_EQ(vfs_open("/", "/", O_RDONLY, 0, &d), 0);
	list(d, names, sizeof names, sizeof names);
	CHECK_STR(names, "./ ../ etc/ bin/ data/");
	CHECK_EQ(vfs_file_dir_path(d, path, sizeof path), 1);
	file_put(d);
	CHECK_EQ(vfs_open("/", "/data/file", O_RDONLY, 0, &d), 0);
	CHECK_EQ(vfs_file_dir_path(d, path, sizeof path), -ENOTDIR);
	file_put(d);
	CHECK_EQ(vfs_open("/", "/data/sub2", O_RDWR | O_CREAT | O_DIRECTORY, 0, &d), -ENOTDIR);
	CHECK_EQ(vfs_open("/", "/data", O_WRONLY, 0, &d), -EISDIR);
	CHECK_EQ(vfs_open("/", "/data/file", O_RDONLY | O_DIRECTORY, 0, &d), -ENOTDIR);
	CHECK_EQ(vfs_open("/", "/data/file", O_RDONLY | O_CREAT | O_EXCL, 0, &d), -EEXIST);
	CHECK_EQ(vfs_open("/", "/data/new/", O_RDWR | O_CREAT, 0, &d), -EISDIR);
	teardown();
}

TEST(vfs_open_file_outlives_unlink)
{
	struct file *f;
	char buf[8];
	setup();
	CHECK_EQ(put("/data/t", "keep"), 4);
	CHECK_EQ(vfs_open("/", "/data/t", O_RDWR, 0, &f), 0);
	CHECK_EQ(vfs_unlink("/", "/data/t"), 0);
	CHECK_EQ(f->ops->pread(f, buf, sizeof buf, 0), 4);
	CHECK(memcmp(buf, "keep", 4) == 0);
	CHECK_EQ(f->ops->pwrite(f, "K", 1, 0), 1);
	CHECK_EQ(f->ops->pread(f, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'K');
	file_put(f);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

TEST(vfs_sparse_append_seek_and_enospc)
{
	struct file *f;
	char buf[FS_PAGE];
	static char big[DATA_LIMIT];
	setup();
	CHECK_EQ(vfs_open("/", "/data/s", O_RDWR | O_CREAT, 0644, &f), 0);
	CHECK_EQ(f->ops->pwrite(f, "end", 3, 3 * FS_PAGE), 3);
	CHECK_EQ(f->ops->lseek(f, 0, SEEK_END), 3 * FS_PAGE + 3);
	CHECK_EQ(f->ops->pread(f, buf, sizeof buf, FS_PAGE), FS_PAGE);
	CHECK(buf[0] == 0 && buf[FS_PAGE - 1] == 0);
	CHECK_EQ(f->ops->lseek(f, -1, SEEK_SET), -EINVAL);
	CHECK_EQ(f->ops->lseek(f, 0, 7), -EINVAL);
	CHECK_EQ(f->ops->pwrite(f, "x", 1, (uint64_t)DATA_LIMIT * 4), -EFBIG);
	f->flags |= O_APPEND;
	CHECK_EQ(f->ops->lseek(f, 0, SEEK_SET), 0);
	CHECK_EQ(f->ops->write(f, "!", 1), 1);
	CHECK_EQ(f->off, 3 * FS_PAGE + 4);
	file_put(f);
	/* fill up: a short write, then -ENOSPC, never more than the limit */
	CHECK_EQ(vfs_open("/", "/data/big", O_WRONLY | O_CREAT, 0644, &f), 0);
	long n = f->ops->write(f, big, sizeof big);
	CHECK(n > 0 && n < (long)sizeof big);
	CHECK_EQ(f->ops->write(f, big, FS_PAGE), -ENOSPC);
	CHECK(data_fs->used <= data_fs->limit);
	CHECK_EQ(put("/data/more", ""), 0); /* a vnode still fits */
	file_put(f);
	CHECK_EQ(vfs_unlink("/", "/data/big"), 0);
	CHECK_EQ(put("/data/more", "now it fits"), 11);
	CHECK_EQ(vfs_unlink("/", "/data/more"), 0);
	CHECK_EQ(vfs_unlink("/", "/data/s"), 0);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

static long nop_release_count;
static void nop_release(struct file *f)
{
	(void)f;
	nop_release_count++;
}
static const struct file_ops nop_ops = {.release = nop_release};

TEST(vfs_fdtable_dup_close)
{
	struct fdtable *t = fdtable_create();
	struct file *f = file_create(&nop_ops, NULL, O_RDWR);
	nop_release_count = 0;
	CHECK_EQ(fd_install(t, f, 0), 0);
	CHECK_EQ(fd_install(t, file_get(f), 0), 1);
	CHECK_EQ(fd_install(t, file_get(f), 5), 5);
	CHECK_EQ(fd_install_at(t, file_get(f), 1), 1); /* replaces itself: still one ref per slot */
	CHECK_EQ(f->refs, 3);
	CHECK_EQ(fd_install_at(t, file_get(f), FD_MAX), -EBADF);
	file_put(f);
	CHECK_EQ(fd_flags_set(t, 5, FD_CLOEXEC), 0);
	CHECK_EQ(fd_flags_get(t, 5), FD_CLOEXEC);
	CHECK_EQ(fd_flags_get(t, 4), -EBADF);
	struct fdtable *c = fdtable_clone(t, 3);
	CHECK_EQ(fd_count(c), 2);
	CHECK_EQ(f->refs, 5);
	CHECK_EQ(fd_close(t, 0), 0);
	CHECK_EQ(fd_close(t, 0), -EBADF);
	CHECK_EQ(fd_close(t, -1), -EBADF);
	CHECK(fd_get(t, 0) == NULL);
	struct file *g = fd_get(t, 1);
	CHECK(g == f);
	file_put(g);
	fdtable_destroy(t);
	CHECK_EQ(nop_release_count, 0);
	fdtable_destroy(c);
	CHECK_EQ(nop_release_count, 1);
	t = fdtable_create();
	for (int i = 0; i < FD_MAX; i++)
		CHECK_EQ(fd_install(t, file_create(&nop_ops, NULL, 0), 0), i);
	f = file_create(&nop_ops, NULL, 0);
	CHECK_EQ(fd_install(t, f, 0), -EMFILE);
	file_put(f);
	fdtable_destroy(t);
	CHECK_EQ(nop_release_count, 2 + FD_MAX);
}

TEST(vfs_read_file_copies)
{
	void *data;
	size_t len;
	setup();
	CHECK_EQ(vfs_read_file("/bin/hello", &data, &len), 0);
	CHECK_EQ(len, 7);
	CHECK(memcmp(data, "\177ELF...", 7) == 0);
	free(data);
	CHECK_EQ(vfs_read_file("/bin", &data, &len), -EISDIR);
	CHECK_EQ(vfs_read_file("/bin/none", &data, &len), -ENOENT);
	teardown();
}

/* Reads path's whole contents into buf (NUL-terminated); returns its size. */
static long read_all(const char *path, char *buf, size_t cap)
{
	struct kstat ks;
	struct vnode *v;
	CHECK_EQ(vfs_stat("/", path, &ks), 0);
	CHECK_EQ(vn_lookup(path, &v), 0);
	if ((size_t)ks.st_size >= cap)
		return -1;
	memcpy(buf, v->rodata ? (const char *)v->rodata : "", (size_t)ks.st_size);
	buf[ks.st_size] = 0;
	return (long)ks.st_size;
}

TEST(vfs_damaged_image_keeps_what_came_before)
{
	struct initramfs_stats st;
	struct vnode *v;
	image_len = 0;
	add("a", S_IFREG | 0644, "A");
	add("b", S_IFREG | 0644, "B");
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	CHECK_EQ(initramfs_load(vfs_root_fs, image, image_len - 4, &st), -EINVAL);
	CHECK(st.why != NULL);
	CHECK_EQ(st.files, 1);
	CHECK_EQ(vn_lookup("/a", &v), 0);
	CHECK_EQ(vn_lookup("/b", &v), -ENOENT);
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

TEST(vfs_gnu_cpio_image)
{
	if (!HOST_HAVE_CPIO)
		return;
	FILE *fp = fopen(HOST_DATA_DIR "/tree.cpio", "rb");
	CHECK(fp != NULL);
	if (!fp)
		return;
	static char arc[1 << 16];
	size_t len = fread(arc, 1, sizeof arc, fp);
	fclose(fp);
	struct initramfs_stats st;
	struct kstat ks;
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	CHECK_EQ(initramfs_load(vfs_root_fs, arc, len, &st), 0);
	CHECK_EQ(st.skipped, 0); /* the symlink is one (it was skipped before links existed) */
	CHECK_EQ(vfs_stat("/", "/empty", &ks), 0);
	CHECK_EQ(ks.st_mode, S_IFDIR | 0700);
	CHECK_EQ(vfs_stat("/", "/etc/zero", &ks), 0);
	CHECK_EQ(ks.st_size, 0);
	char buf[256];
	CHECK_EQ(vfs_stat("/", "/conf-link", &ks), 0);
	CHECK_EQ(ks.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(vfs_readlink("/", "/conf-link", buf, sizeof buf), 15);
	CHECK(memcmp(buf, "etc/kernel.conf", 15) == 0);
	long n = read_all("/bin/readme.txt", buf, sizeof buf);
	CHECK(n > 0);
	CHECK_EQ(read_all("/etc/readme-link", buf, sizeof buf), n); /* GNU cpio's hard link */
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

/* Was: newc keeps a hard-link set's data with one member only, and the root
 * image read the others as empty files (BusyBox's applet names). */
TEST(vfs_image_hard_links_share_their_data)
{
	struct initramfs_stats st;
	char buf[64];
	image_len = 0;
	add_linked("bin/busybox", S_IFREG | 0755, 7, 3, ""); /* GNU cpio: data with the last */
	add_linked("bin/grep", S_IFREG | 0755, 7, 3, "");
	add_linked("sbin/sed", S_IFREG | 0755, 7, 3, "BB");
	add_linked("a", S_IFREG | 0644, 9, 2, "first"); /* another writer: data with the first */
	add_linked("b", S_IFREG | 0644, 9, 2, "");
	add_linked("c", S_IFREG | 0644, 11, 2, ""); /* replaced below: no longer in its set */
	add_linked("c", S_IFREG | 0644, 12, 1, "own");
	add_linked("d", S_IFREG | 0644, 11, 2, "late");
	add("e", S_IFREG | 0644, ""); /* nlink 1: empty, joins nothing */
	add("TRAILER!!!", 0, "");
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	CHECK_EQ(initramfs_load(vfs_root_fs, image, image_len, &st), 0);
	CHECK_EQ(st.unjoined, 0);
	CHECK_EQ(read_all("/bin/busybox", buf, sizeof buf), 2);
	CHECK(strcmp(buf, "BB") == 0);
	CHECK_EQ(read_all("/bin/grep", buf, sizeof buf), 2);
	CHECK_EQ(read_all("/b", buf, sizeof buf), 5);
	CHECK(strcmp(buf, "first") == 0);
	CHECK_EQ(read_all("/c", buf, sizeof buf), 3);
	CHECK(strcmp(buf, "own") == 0);
	CHECK_EQ(read_all("/e", buf, sizeof buf), 0);
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

/* ---- random operations: the books always balance ---- */

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* What v and everything below it hold, recomputed (vfs.c's charging rule). */
static uint64_t held(const struct vnode *v, int depth)
{
	uint64_t sum = sizeof(struct vnode) + v->namelen + 1;
	sum += (v->data.pages + v->data.nodes) * FS_PAGE + v->dir.nbuckets * sizeof(struct vnode *);
	CHECK(depth < 200); /* renames can nest deeper than paths reach; a cycle would not end */
	if (depth >= 200)
		return 0;
	for (const struct vnode *c = v->dir.first; c; c = c->next) {
		CHECK(c->parent == v && !c->unlinked && c->fs == v->fs);
		sum += held(c, depth + 1);
	}
	return sum;
}

/* A random path of up to three components from a small alphabet, under /data. */
static void rand_path(char *out, size_t outsz)
{
	static const char *names[] = {"a", "b", "c", "..", ".", "dd"};
	int n = snprintf(out, outsz, "/data");
	for (unsigned i = 0, k = 1 + rnd(3); i < k; i++)
		n += snprintf(out + n, outsz - (size_t)n, "/%s", names[rnd(6)]);
	if (rnd(8) == 0)
		snprintf(out + n, outsz - (size_t)n, "/");
}

/* Random calls, at once or within a transaction (committed or dropped at
 * random, its staged files closed before or after): the books balance and
 * LeakSanitizer and ASan see every staged file freed once. */
TEST(vfs_random_operations_keep_the_books)
{
	static char buf[3 * FS_PAGE];
	struct file *open_files[8] = {0};
	struct vfs_txn *txn = vfs_txn_create();
	char p[64], q[64];
	int flags, applied = 0;
	setup();
	for (int step = 0; step < 20000; step++) {
		rand_path(p, sizeof p);
		rand_path(q, sizeof q);
		struct file **slot = &open_files[rnd(8)];
		struct vfs_txn *t = rnd(2) ? txn : NULL;
		switch (rnd(10)) {
		case 0: vfs_txn_mkdir(t, "/", p, 0755); break;
		case 1: vfs_txn_rmdir(t, "/", p); break;
		case 2: vfs_txn_unlink(t, "/", p); break;
		case 3: vfs_txn_rename(t, "/", p, "/", q); break;
		case 4:
			if (*slot)
				file_put(*slot);
			*slot = NULL;
			flags = O_RDWR | (rnd(2) ? O_CREAT : 0) | (rnd(4) ? 0 : O_TRUNC) |
				(rnd(4) ? 0 : O_APPEND);
			vfs_txn_open(t, "/", p, flags, 0644, slot);
			break;
		case 5:
			if (*slot)
				(*slot)->ops->pwrite(*slot, buf, rnd(sizeof buf), rnd(8 * FS_PAGE));
			break;
		case 6:
			if (*slot)
				(*slot)->ops->pread(*slot, buf, sizeof buf, rnd(8 * FS_PAGE));
			break;
		case 7:
			if (*slot)
				(*slot)->ops->truncate(*slot, rnd(8 * FS_PAGE));
			break;
		case 8:
			if (rnd(2)) {
				applied += vfs_txn_commit(txn, "random", NULL, NULL);
			} else {
				vfs_txn_destroy(txn);
				txn = vfs_txn_create();
			}
			break;
		default:
			if (*slot)
				file_put(*slot);
			*slot = NULL;
		}
		CHECK(data_fs->used <= data_fs->limit);
	}
	applied += vfs_txn_commit(txn, "random", NULL, NULL);
	CHECK(applied > 50); /* the transactions did change the tree (142 when written) */
	for (int i = 0; i < 8; i++)
		if (open_files[i])
			file_put(open_files[i]);
	vfs_txn_destroy(txn);
	CHECK_EQ(held(data_fs->root, 0), data_fs->used);
	teardown();
}

/* ---- regressions of issue 9 ---- */

/* Bug: one byte written at offset 62,000,000 grew a kernel page-pointer
 * array by ~128 KiB while /data was charged 4 KiB; ~1,850 such files
 * exhausted the kernel heap until reboot. Now the file holds a radix tree
 * whose nodes are charged: one byte costs three pages (two nodes, the data),
 * files fill the limit with -ENOSPC, and removing them gives it all back. */
TEST(vfs_sparse_files_cannot_exhaust_kernel_memory)
{
	struct file *f;
	char path[32], c = 0;
	int files = 0;
	long r = 0;
	setup();
	data_fs->limit = data_base + 64 * 1024 * 1024; /* /data of a 256 MiB machine */
	CHECK_EQ(vfs_open("/", "/data/sparse", O_RDWR | O_CREAT, 0644, &f), 0);
	CHECK_EQ(f->ops->pwrite(f, "x", 1, 62000000), 1);
	struct vnode *v = vfs_file_vnode(f);
	CHECK_EQ(v->data.pages, 1);
	CHECK_EQ(v->data.nodes, 2);
	CHECK_EQ(data_fs->used - data_base, 3 * FS_PAGE + sizeof(struct vnode) + sizeof "sparse" +
						    data_fs->root->dir.nbuckets * sizeof(struct vnode *));
	CHECK_EQ(f->ops->pread(f, &c, 1, 62000000), 1);
	CHECK_EQ(c, 'x');
	CHECK_EQ(f->ops->pread(f, &c, 1, 31000000), 1);
	CHECK_EQ(c, 0);
	CHECK_EQ(f->ops->truncate(f, 1), 0); /* the tree goes with the pages */
	CHECK_EQ(v->data.pages + v->data.nodes, 0);
	CHECK_EQ(f->ops->pwrite(f, "y", 1, 62000000), 1);
	file_put(f);
	for (files = 0; files < 10000; files++) {
		snprintf(path, sizeof path, "/data/s%d", files);
		if (vfs_open("/", path, O_WRONLY | O_CREAT, 0644, &f) != 0)
			break;
		r = f->ops->pwrite(f, "x", 1, 62000000);
		file_put(f);
		if (r != 1)
			break;
	}
	CHECK_EQ(r, -ENOSPC);
	CHECK(files > 5000 && files < 5400); /* 64 MiB / (3 pages + a vnode): 5,311 when written */
	CHECK(data_fs->used <= data_fs->limit);
	CHECK_EQ(held(data_fs->root, 0), data_fs->used);
	for (int i = 0; i <= files; i++) {
		snprintf(path, sizeof path, "/data/s%d", i);
		CHECK_EQ(vfs_unlink("/", path), 0);
	}
	CHECK_EQ(vfs_unlink("/", "/data/sparse"), 0);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Creates n files in /data/big; the seconds it took. */
static double create_many(int n)
{
	char path[32];
	struct file *f;
	CHECK_EQ(vfs_mkdir("/", "/data/big", 0755), 0);
	double t0 = seconds();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/data/big/f%d", i);
		CHECK_EQ(vfs_open("/", path, O_WRONLY | O_CREAT | O_EXCL, 0644, &f), 0);
		file_put(f);
	}
	double t = seconds() - t0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/data/big/f%d", i);
		CHECK_EQ(vfs_unlink("/", path), 0);
	}
	CHECK_EQ(vfs_rmdir("/", "/data/big"), 0);
	return t;
}

/* Bug: creating files in a large directory was quadratic (each create
 * scanned the list of entries: 5,000 files 1.1 s, 20,000 11.7 s in QEMU).
 * 16 times the files must take far less than 256 times as long. */
TEST(vfs_create_in_large_directory_is_not_quadratic)
{
	setup();
	data_fs->limit = UINT64_MAX / 2;
	create_many(2000); /* warm up the allocator */
	double small = create_many(4000), large = create_many(64000);
	printf("host: create 4000 files %.3f s, 64000 files %.3f s (x%.1f for x16)\n", small, large,
	       large / small);
	CHECK(large / small < 64);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

/* A directory's hash table (charged to /data) grows with its entries and
 * shrinks as they go, so what it is charged follows what it holds. */
TEST(vfs_directory_table_follows_its_entries)
{
	char path[32];
	struct file *f;
	struct vnode *d;
	setup();
	data_fs->limit = 16 * 1024 * 1024;
	CHECK_EQ(vfs_mkdir("/", "/data/t", 0755), 0);
	CHECK_EQ(vn_lookup("/data/t", &d), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof path, "/data/t/f%d", i);
		CHECK_EQ(vfs_open("/", path, O_WRONLY | O_CREAT, 0644, &f), 0);
		file_put(f);
	}
	CHECK(d->dir.nbuckets >= 1000 && d->dir.nbuckets <= 2048);
	for (int i = 10; i < 1000; i++) {
		snprintf(path, sizeof path, "/data/t/f%d", i);
		CHECK_EQ(vfs_unlink("/", path), 0);
	}
	CHECK(d->dir.nbuckets <= 64);
	CHECK_EQ(held(data_fs->root, 0), data_fs->used);
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof path, "/data/t/f%d", i);
		CHECK(vn_child(d, path + 8, strlen(path + 8)) != NULL); /* all still found */
		CHECK_EQ(vfs_unlink("/", path), 0);
	}
	CHECK_EQ(d->dir.nbuckets, 0);
	CHECK_EQ(vfs_rmdir("/", "/data/t"), 0);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

/* Lists d (/data/d) in chunks of bufsz bytes, unlinking each entry f<i>
 * but every third right after it is read; counts into seen[i] how often
 * each was returned. */
static void list_and_remove(struct file *d, size_t bufsz, int *seen, int n)
{
	char buf[512], path[48];
	long got;
	while ((got = d->ops->getdents(d, buf, bufsz)) > 0) {
		for (long at = 0; at < got;) {
			struct kdirent64 *e = (struct kdirent64 *)(buf + at);
			int i;
			at += e->d_reclen;
			if (sscanf(e->d_name, "f%d", &i) != 1 || i < 0 || i >= n)
				continue;
			seen[i]++;
			snprintf(path, sizeof path, "/data/d/%s", e->d_name);
			if (i % 3 != 0) /* keep every third */
				CHECK_EQ(vfs_unlink("/", path), 0);
		}
	}
	CHECK_EQ(got, 0);
}

/* Bug: rm -r of a directory of 100 or more entries failed with "Directory
 * not empty" (each pass removed about half): the getdents offset was an
 * index, so every unlink shifted the entries not yet listed back past it.
 * Offsets are cookies now: each entry not removed comes back exactly once. */
TEST(vfs_getdents_offsets_survive_unlinks_for_rm_r)
{
	enum { N = 300 };
	static int seen[N];
	struct file *d, *f;
	char path[48];
	setup();
	data_fs->limit = 16 * 1024 * 1024;
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof path, "/data/d/f%d", i);
		CHECK_EQ(vfs_open("/", path, O_WRONLY | O_CREAT, 0644, &f), 0);
		file_put(f);
	}
	for (size_t bufsz = 40; bufsz <= 512; bufsz += 472) {
		memset(seen, 0, sizeof seen);
		CHECK_EQ(vfs_open("/", "/data/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
		list_and_remove(d, bufsz, seen, N);
		file_put(d);
		for (int i = 0; i < N; i++)
			CHECK_EQ(seen[i], bufsz == 40 || i % 3 == 0 ? 1 : 0);
	}
	/* a listing's d_off resumes after lseek, also once its entry is gone */
	CHECK_EQ(vfs_open("/", "/data/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	char buf[64];
	CHECK(d->ops->getdents(d, buf, 40) > 0); /* "." */
	CHECK(d->ops->getdents(d, buf, 40) > 0); /* ".." */
	CHECK(d->ops->getdents(d, buf, 40) > 0); /* f0 */
	struct kdirent64 *e = (struct kdirent64 *)buf;
	CHECK_STR(e->d_name, "f0");
	int64_t after_f0 = e->d_off;
	CHECK_EQ(vfs_unlink("/", "/data/d/f0"), 0);
	CHECK_EQ(vfs_unlink("/", "/data/d/f3"), 0);
	CHECK_EQ(d->ops->lseek(d, after_f0, SEEK_SET), after_f0);
	CHECK(d->ops->getdents(d, buf, 40) > 0);
	CHECK_STR(e->d_name, "f6");
	file_put(d);
	for (int i = 6; i < N; i += 3) {
		snprintf(path, sizeof path, "/data/d/f%d", i);
		CHECK_EQ(vfs_unlink("/", path), 0);
	}
	CHECK_EQ(vfs_rmdir("/", "/data/d"), 0);
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}

/* Bug: once sparse files had exhausted the kernel heap, the files could not
 * be removed. Removing needs no allocation in the tree, and its path
 * buffers come from a reserve when the heap has none. */
TEST(vfs_remove_works_with_the_heap_exhausted)
{
	struct file *f;
	setup();
	CHECK_EQ(put("/data/a", "x"), 1);
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	CHECK_EQ(put("/data/d/b", "y"), 1);
	stub_heap_exhausted = true;
	CHECK(vfs_open("/", "/data/c", O_WRONLY | O_CREAT, 0644, &f) < 0); /* creating needs memory */
	CHECK_EQ(vfs_unlink("/", "/data/a"), 0);
	CHECK_EQ(vfs_unlink("/", "/data/d/b"), 0);
	CHECK_EQ(vfs_rmdir("/", "/data/d"), 0);
	char *held[8];
	int n = 0;
	while (n < 8 && (held[n] = vfs_pathbuf_alloc()) != NULL)
		n++;
	CHECK_EQ(n, 6); /* the reserve, and no more */
	while (n > 0)
		vfs_pathbuf_free(held[--n]);
	stub_heap_exhausted = false;
	CHECK_EQ(data_fs->used, data_base);
	teardown();
}
