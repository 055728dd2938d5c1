/*
 * test_vfs_link.c - symbolic and hard links in the vnode tree and path
 * resolution (kernel/fs/vfs.c, vfs_path.c, vfs_resolve.c) on the host: a
 * ramfs root with a ramfs at /tmp, and a root image with a link in it.
 * LeakSanitizer checks that every alias and link is freed.
 */
#include <stdio.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/stat.h>

#include "kernel/fs/fs_internal.h"
#include "kernel/fs/path.h"
#include "stubs.h"
#include "unit.h"

static struct fs *tmp_fs, *data_fs;

/* A writable root with /tmp, /data (two more file systems) and /proc (empty: foreign). */
static void setup(void)
{
	struct vnode *d;
	vfs_root_fs = fs_create("/", false, 1 << 20);
	tmp_fs = fs_create("/tmp", false, 1 << 20);
	data_fs = fs_create("/data", false, 1 << 20);
	CHECK_EQ(vfs_mkdir("/", "/tmp", 0755), 0);
	CHECK_EQ(vfs_mkdir("/", "/data", 0755), 0);
	CHECK_EQ(vfs_mkdir("/", "/proc", 0555), 0);
	CHECK_EQ(vn_lookup("/tmp", &d), 0);
	CHECK_EQ(fs_mount(d, tmp_fs), 0);
	CHECK_EQ(vn_lookup("/data", &d), 0);
	CHECK_EQ(fs_mount(d, data_fs), 0);
}

static void teardown(void)
{
	fs_unmount(tmp_fs->covered);
	fs_unmount(data_fs->covered);
	fs_destroy(tmp_fs);
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

static const char *get(const char *path)
{
	static char buf[256];
	struct file *f;
	buf[0] = '\0';
	if (vfs_open("/", path, O_RDONLY, 0, &f))
		return buf;
	long n = f->ops->read(f, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	file_put(f);
	return buf;
}

/* vfs_resolve's answer for path from cwd: "=" when no link was followed,
 * the resolved path, or "E<errno>". */
static char seen_log[512];
static int seen_refuse_prefix_len;
static const char *seen_refuse_prefix;

static int seen(void *arg, const char *path)
{
	(void)arg;
	size_t n = strlen(seen_log);
	snprintf(seen_log + n, sizeof seen_log - n, "%s%s", n ? " " : "", path);
	if (seen_refuse_prefix && strncmp(path, seen_refuse_prefix, (size_t)seen_refuse_prefix_len) == 0)
		return -ENOENT;
	return 0;
}

static const char *resolve(const char *cwd, const char *path, bool follow)
{
	static char answer[PATH_MAX + 8];
	char *out;
	seen_log[0] = '\0';
	int r = vfs_resolve(cwd, path, follow, &out, seen, NULL);
	if (r < 0)
		snprintf(answer, sizeof answer, "E%d", -r);
	else
		snprintf(answer, sizeof answer, "%s", r == 0 ? "=" : out);
	CHECK(r == 1 ? out != NULL : out == NULL);
	vfs_pathbuf_free(out);
	return answer;
}

TEST(vfs_symlink_readlink_and_stat)
{
	struct kstat st;
	char buf[64];
	setup();
	CHECK_EQ(vfs_symlink(NULL, "target/x", "/", "/tmp/l"), 0);
	CHECK_EQ(vfs_readlink("/", "/tmp/l", buf, sizeof buf), 8);
	CHECK(memcmp(buf, "target/x", 8) == 0);
	CHECK_EQ(vfs_readlink("/", "/tmp/l", buf, 3), 3); /* truncated, as Linux */
	CHECK_EQ(vfs_stat("/", "/tmp/l", &st), 0);
	CHECK_EQ(st.st_mode, S_IFLNK | 0777);
	CHECK_EQ(st.st_size, 8);
	CHECK_EQ(vfs_symlink(NULL, "y", "/", "/tmp/l"), -EEXIST);
	CHECK_EQ(vfs_symlink(NULL, "", "/", "/tmp/e"), -ENOENT);
	CHECK_EQ(vfs_symlink(NULL, "y", "/", "/tmp/nodir/e"), -ENOENT);
	CHECK_EQ(put("/tmp/f", "data"), 4);
	CHECK_EQ(vfs_readlink("/", "/tmp/f", buf, sizeof buf), -EINVAL);
	CHECK_EQ(vfs_readlink("/", "/tmp/none", buf, sizeof buf), -ENOENT);
	/* the VFS itself does not follow: opening a link is ELOOP, a link on the way ENOTDIR */
	struct file *f;
	CHECK_EQ(vfs_open("/", "/tmp/l", O_RDONLY, 0, &f), -ELOOP);
	CHECK_EQ(vfs_symlink(NULL, "/tmp", "/", "/tmp/up"), 0);
	CHECK_EQ(vfs_open("/", "/tmp/up/f", O_RDONLY, 0, &f), -ENOTDIR);
	CHECK_EQ(vfs_unlink("/", "/tmp/l"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/up"), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/l", &st), -ENOENT);
	CHECK_EQ(vfs_unlink("/", "/tmp/f"), 0);
	teardown();
}

TEST(vfs_resolve_follows_links_on_the_way)
{
	setup();
	CHECK_EQ(vfs_mkdir("/", "/tmp/a", 0755), 0);
	CHECK_EQ(vfs_mkdir("/", "/tmp/a/b", 0755), 0);
	CHECK_EQ(put("/tmp/a/b/f", "hello"), 5);
	CHECK_EQ(vfs_symlink(NULL, "a/b", "/", "/tmp/rel"), 0); /* relative: from /tmp */
	CHECK_EQ(vfs_symlink(NULL, "/tmp/a", "/", "/tmp/abs"), 0);
	CHECK_EQ(vfs_symlink(NULL, "f", "/", "/tmp/a/b/lf"), 0);
	CHECK_EQ(vfs_symlink(NULL, "../..", "/", "/tmp/a/b/up"), 0);
	CHECK_EQ(vfs_symlink(NULL, "missing", "/", "/tmp/dangling"), 0);
	CHECK_STR(resolve("/", "/tmp/a/b/f", true), "="); /* no link: as written */
	CHECK_STR(resolve("/", "/tmp/rel/f", true), "/tmp/a/b/f");
	CHECK_STR(resolve("/tmp", "abs/b/lf", true), "/tmp/a/b/f");
	CHECK_STR(resolve("/tmp", "abs/b/lf", false), "/tmp/a/b/lf"); /* the last one kept */
	CHECK_STR(resolve("/", "/tmp/rel/up/abs/b", true), "/tmp/a/b");
	CHECK_STR(seen_log, "/tmp/rel /tmp/a/b/up /tmp/a/b /tmp/a /tmp/abs"); /* links, and dirs ".." left */
	CHECK_STR(resolve("/", "/tmp/rel/../f", true), "/tmp/a/f"); /* ".." is physical, not /tmp/f */
	CHECK_STR(resolve("/", "/tmp/rel/..", true), "/tmp/a");
	CHECK_STR(resolve("/", "/tmp/dangling", true), "/tmp/missing"); /* O_CREAT makes it */
	CHECK_STR(resolve("/", "/tmp/dangling/x", true), "E2");
	CHECK_STR(resolve("/", "/tmp/abs/", false), "/tmp/a/"); /* a trailing slash follows */
	CHECK_STR(resolve("/", "/tmp/rel/f/x", true), "E20");
	CHECK_STR(get("/tmp/a/b/f"), "hello");
	/* /proc/self is the foreign file system's link ("42", the stubs') */
	CHECK_STR(resolve("/", "/proc/self/stat", true), "/proc/42/stat");
	CHECK_STR(resolve("/", "/proc/self", false), "=");
	CHECK_STR(resolve("/", "/proc/1/stat", true), "=");
	teardown();
}

/* Paths with "." and ".." and no link resolve to themselves ("=": as written). */
TEST(vfs_resolve_dots_without_links)
{
	setup();
	CHECK_EQ(vfs_mkdir("/", "/tmp/a", 0755), 0);
	CHECK_EQ(put("/tmp/a/f", "x"), 1);
	CHECK_STR(resolve("/tmp/a", "./f", true), "=");
	CHECK_STR(resolve("/tmp/a", ".", true), "=");
	CHECK_STR(resolve("/tmp/a", "..", true), "=");
	CHECK_STR(resolve("/tmp/a", "../a/./f", true), "=");
	CHECK_STR(resolve("/tmp/a", "./missing/../f", true), "=");
	CHECK_STR(resolve("/", "/", true), "=");
	CHECK_STR(resolve("/", "//tmp//a//", true), "=");
	CHECK_STR(resolve("/tmp/a", "f/", true), "=");
	CHECK_STR(resolve("/proc", "self", true), "/proc/42");
	CHECK_STR(resolve("/proc", "./self/", true), "/proc/42/");
	teardown();
}

/* A program must not reach through a link what it may not see: every link
 * followed is shown to `seen`, and its refusal ends the resolution. */
TEST(vfs_resolve_asks_before_following_each_link)
{
	setup();
	CHECK_EQ(vfs_mkdir("/", "/data/secret", 0700), 0);
	CHECK_EQ(put("/data/secret/key", "k"), 1);
	CHECK_EQ(vfs_symlink(NULL, "/data/secret/key", "/", "/tmp/steal"), 0);
	CHECK_EQ(vfs_symlink(NULL, "/tmp/steal", "/", "/data/secret/hop"), 0);
	CHECK_EQ(vfs_symlink(NULL, "/data/secret/hop", "/", "/tmp/via"), 0);
	/* the resolved path is what a permission check then sees */
	CHECK_STR(resolve("/", "/tmp/steal", true), "/data/secret/key");
	seen_refuse_prefix = "/data/secret";
	seen_refuse_prefix_len = 12;
	CHECK_STR(resolve("/", "/tmp/via", true), "E2"); /* the hop inside it is not followed */
	CHECK_STR(seen_log, "/tmp/via /data/secret/hop");
	/* an error after a link is reported only where the caller sees */
	CHECK_EQ(vfs_symlink(NULL, "/data/secret/none/x", "/", "/tmp/probe"), 0);
	CHECK_STR(resolve("/", "/tmp/probe", true), "E2");
	seen_refuse_prefix = NULL;
	CHECK_STR(resolve("/", "/tmp/probe", true), "E2");
	teardown();
}

/* Bug guard: a loop of links must end (ELOOP), also a long chain of 41. */
TEST(vfs_resolve_loop_is_eloop)
{
	char name[32], target[32];
	setup();
	CHECK_EQ(vfs_symlink(NULL, "b", "/", "/tmp/a"), 0);
	CHECK_EQ(vfs_symlink(NULL, "a", "/", "/tmp/b"), 0);
	CHECK_STR(resolve("/", "/tmp/a", true), "E40");
	CHECK_STR(resolve("/", "/tmp/a", false), "=");
	CHECK_EQ(vfs_symlink(NULL, "/tmp/self/x", "/", "/tmp/self"), 0);
	CHECK_STR(resolve("/", "/tmp/self", true), "E40");
	CHECK_EQ(put("/tmp/c0", "end"), 3);
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof name, "/tmp/c%d", i);
		snprintf(target, sizeof target, "c%d", i - 1);
		CHECK_EQ(vfs_symlink(NULL, target, "/", name), 0);
	}
	CHECK_STR(resolve("/", "/tmp/c40", true), "/tmp/c0"); /* 40 links: allowed */
	CHECK_STR(resolve("/", "/tmp/c41", true), "E40");
	teardown();
}

TEST(vfs_hard_links_share_one_file)
{
	struct kstat st, st2;
	setup();
	CHECK_EQ(vfs_mkdir("/", "/tmp/d", 0755), 0);
	CHECK_EQ(put("/tmp/a", "one"), 3);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/a", "/", "/tmp/d/b"), 0);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/a", "/tmp", "c"), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/a", &st), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/d/b", &st2), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_EQ(put("/tmp/d/b", "two"), 3); /* one file: every name sees it */
	CHECK_STR(get("/tmp/a"), "two");
	CHECK_STR(get("/tmp/c"), "two");
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/a", "/", "/tmp/c"), -EEXIST);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/d", "/", "/tmp/e"), -EPERM);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/a", "/", "/data/a"), -EXDEV);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/none", "/", "/tmp/e"), -ENOENT);
	/* removing the first name: the file lives on under the others */
	CHECK_EQ(vfs_unlink("/", "/tmp/a"), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/d/b", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_STR(get("/tmp/c"), "two");
	/* rename of one name onto another of the same file does nothing */
	CHECK_EQ(vfs_rename("/", "/tmp/c", "/", "/tmp/d/b"), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/c", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	/* rename over a name of another file drops that name only */
	CHECK_EQ(put("/tmp/x", "x"), 1);
	CHECK_EQ(vfs_rename("/", "/tmp/x", "/", "/tmp/c"), 0);
	CHECK_EQ(vfs_stat("/", "/tmp/d/b", &st), 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_STR(get("/tmp/c"), "x");
	CHECK_EQ(vfs_unlink("/", "/tmp/d/b"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/c"), 0);
	CHECK_EQ(vfs_rmdir("/", "/tmp/d"), 0);
	teardown();
}

/* A file open while its names go is freed at the last close; nlink 0 meanwhile. */
TEST(vfs_hard_link_open_file_outlives_its_names)
{
	struct file *f;
	struct kstat st;
	setup();
	uint64_t base = tmp_fs->used;
	CHECK_EQ(put("/tmp/a", "abc"), 3);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/a", "/", "/tmp/b"), 0);
	CHECK_EQ(vfs_open("/", "/tmp/b", O_RDWR, 0, &f), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/b"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/a"), 0);
	CHECK_EQ(f->ops->stat(f, &st), 0);
	CHECK_EQ(st.st_nlink, 0);
	char buf[8];
	CHECK_EQ(f->ops->pread(f, buf, sizeof buf, 0), 3);
	file_put(f);
	CHECK_EQ(tmp_fs->used, base); /* names, file and pages all charged back */
	teardown();
}

/* The names of a file are listed each with the file's inode and type. */
TEST(vfs_links_in_listings)
{
	struct file *d;
	char buf[512];
	setup();
	CHECK_EQ(put("/tmp/f", "1"), 1);
	CHECK_EQ(vfs_link(NULL, "/", "/tmp/f", "/", "/tmp/g"), 0);
	CHECK_EQ(vfs_symlink(NULL, "f", "/", "/tmp/s"), 0);
	CHECK_EQ(vfs_open("/", "/tmp", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	long n = d->ops->getdents(d, buf, sizeof buf);
	CHECK(n > 0);
	uint64_t ino_f = 0, ino_g = 1;
	int types = 0;
	for (long at = 0; at < n;) {
		struct kdirent64 *e = (struct kdirent64 *)(buf + at);
		if (strcmp(e->d_name, "f") == 0)
			ino_f = e->d_ino, types += e->d_type == DT_REG;
		if (strcmp(e->d_name, "g") == 0)
			ino_g = e->d_ino, types += e->d_type == DT_REG;
		if (strcmp(e->d_name, "s") == 0)
			types += e->d_type == DT_LNK;
		at += e->d_reclen;
	}
	CHECK_EQ(ino_f, ino_g);
	CHECK_EQ(types, 3);
	file_put(d);
	teardown();
}

/* The root image's symbolic links (cpio members of type S_IFLNK) are links. */
TEST(vfs_image_symlink_from_cpio)
{
	static char image[1024];
	size_t len = 0;
	struct initramfs_stats st;
	const char *names[] = {"bin/prog", "bin/alias", "TRAILER!!!"};
	const uint32_t modes[] = {S_IFREG | 0755, S_IFLNK | 0777, 0};
	const char *data[] = {"ELF", "prog", ""};
	for (int i = 0; i < 3; i++) {
		size_t nlen = strlen(names[i]) + 1, dlen = strlen(data[i]);
		char h[111];
		snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", i + 1u,
			 modes[i], 0u, 0u, 1u, 1600000000u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen,
			 0u);
		memcpy(image + len, h, 110);
		memcpy(image + len + 110, names[i], nlen);
		len = (len + 110 + nlen + 3) & ~(size_t)3;
		memcpy(image + len, data[i], dlen);
		len = (len + dlen + 3) & ~(size_t)3;
	}
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	CHECK_EQ(initramfs_load(vfs_root_fs, image, len, &st), 0);
	CHECK_EQ(st.files, 2);
	CHECK_EQ(st.skipped, 0);
	CHECK_STR(resolve("/", "/bin/alias", true), "/bin/prog");
	char buf[16];
	CHECK_EQ(vfs_readlink("/", "/bin/alias", buf, sizeof buf), 4);
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

/* Bug (BusyBox's test suite, diff and makedevs): mkfifo and mknod were
 * ENOSYS. Named pipes and device nodes are now made, listed and stat'ed as
 * on Linux (type, rdev); opening one is ENXIO: nothing is behind it. */
TEST(vfs_mknod_was_enosys_for_busybox_diff_and_makedevs)
{
	struct kstat st;
	struct file *f;
	setup();
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/fifo", S_IFIFO | 0644, 0), 0);
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/tty", S_IFCHR | 0620, (4u << 8) | 1), 0);
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/disk", S_IFBLK | 0600, (3u << 8) | 1), 0);
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/file", 0644, 0), 0);
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/fifo", S_IFIFO | 0644, 0), -EEXIST);
	CHECK_EQ(vfs_mknod(NULL, "/", "/tmp/dir", S_IFDIR | 0755, 0), -EINVAL);
	CHECK_EQ(vfs_stat("/", "/tmp/fifo", &st), 0);
	CHECK_EQ(st.st_mode, S_IFIFO | 0644);
	CHECK_EQ(vfs_stat("/", "/tmp/tty", &st), 0);
	CHECK_EQ(st.st_mode, S_IFCHR | 0620);
	CHECK_EQ(st.st_rdev, (4u << 8) | 1);
	CHECK_EQ(vfs_stat("/", "/tmp/file", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(vfs_open("/", "/tmp/fifo", O_RDONLY, 0, &f), -ENXIO);
	CHECK_EQ(vfs_open("/", "/tmp/disk", O_RDWR, 0, &f), -ENXIO);
	CHECK_EQ(vfs_unlink("/", "/tmp/fifo"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/tty"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/disk"), 0);
	CHECK_EQ(vfs_unlink("/", "/tmp/file"), 0);
	teardown();
}
