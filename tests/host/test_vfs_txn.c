/*
 * test_vfs_txn.c - file transactions (vfs_txn.c) and file: events on the
 * host: staged changes stay invisible until commit, commit applies them in
 * order, destroy leaves the tree alone, errors are those of the direct path,
 * the byte bound holds, and the file: events (recorded here in place of the
 * kernel's event source) come from direct changes and commits only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/stat.h>

#include "kernel/fs/fs_internal.h"
#include "stubs.h"
#include "unit.h"

/* ---- the file: events, recorded by the fake source (stubs.c) ---- */

/* The events since the last call. */
static const char *events(void)
{
	static char copy[sizeof stub_fs_events];
	strcpy(copy, stub_fs_events);
	stub_fs_events[0] = '\0';
	return copy;
}

/* ---- the effects a commit reports, as "what path bytes err; ..." ---- */

static char effect_log[1024];

static void effect(void *arg, const char *what, const char *path, uint64_t bytes, int err)
{
	size_t n = strlen(effect_log);
	(void)arg;
	snprintf(effect_log + n, sizeof effect_log - n, "%s%s %s %llu %d", n ? "; " : "", what, path,
		 (unsigned long long)bytes, err);
}

static const char *effects(void)
{
	static char copy[sizeof effect_log];
	strcpy(copy, effect_log);
	effect_log[0] = '\0';
	return copy;
}

/* ---- the tree: a read-only root with /etc/conf, a ramfs at /data ---- */

static struct fs *data_fs;

static void setup(void)
{
	struct vnode *etc, *conf, *data;
	vfs_root_fs = fs_create("/", false, UINT64_MAX);
	CHECK_EQ(vn_create(vfs_root_fs->root, "etc", 3, S_IFDIR | 0755, &etc), 0);
	CHECK_EQ(vn_create(etc, "conf", 4, S_IFREG | 0644, &conf), 0);
	conf->rodata = (const uint8_t *)"ro";
	conf->size = 2;
	CHECK_EQ(vn_create(vfs_root_fs->root, "data", 4, S_IFDIR | 0755, &data), 0);
	vfs_root_fs->readonly = true;
	data_fs = fs_create("/data", false, 4u << 20);
	CHECK_EQ(fs_mount(data, data_fs), 0);
	stub_fs_source = "kernel";
	events();
	effects();
}

static void teardown(void)
{
	fs_unmount(data_fs->covered);
	fs_destroy(data_fs);
	fs_destroy(vfs_root_fs);
	vfs_root_fs = NULL;
}

/* Opens path in t (NULL: at once) and writes text: bytes or an error. */
static long write_file(struct vfs_txn *t, const char *path, int flags, const char *text)
{
	struct file *f;
	int err = vfs_txn_open(t, "/", path, flags, 0644, &f);
	if (err)
		return err;
	long n = f->ops->write(f, text, strlen(text));
	file_put(f);
	return n;
}

/* The file's contents as a string (static buffer), or "<errno>" on error. */
static const char *contents(const char *path)
{
	static char buf[512];
	struct file *f;
	int err = vfs_open("/", path, O_RDONLY, 0, &f);
	if (err) {
		snprintf(buf, sizeof buf, "<%d>", err);
		return buf;
	}
	long n = f->ops->read(f, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	file_put(f);
	return buf;
}

#define NEW (O_WRONLY | O_CREAT | O_TRUNC)

TEST(txn_staged_writes_invisible_until_commit)
{
	struct file *f, *g;
	struct kstat st;
	char buf[16];
	setup();
	CHECK_EQ(write_file(NULL, "/data/old", NEW, "old"), 3);
	events();
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(vfs_txn_open(t, "/data", "new", O_WRONLY | O_CREAT, 0600, &f), 0);
	CHECK_EQ(f->ops->write(f, "new data", 8), 8);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/old", O_RDWR, 0, &g), 0);
	CHECK_EQ(g->ops->read(g, buf, sizeof buf), 3); /* a copy of the contents */
	CHECK_EQ(g->ops->write(g, "+more", 5), 5);
	CHECK_EQ(g->ops->stat(g, &st), 0);
	CHECK_EQ(st.st_size, 8);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_STR(contents("/data/new"), "<-2>");
	CHECK_STR(contents("/data/old"), "old");
	CHECK_EQ(vfs_stat("/", "/data/new", &st), -ENOENT);
	CHECK_EQ(vfs_txn_changes(t), 2);
	file_put(f); /* closing does not apply */
	CHECK_STR(contents("/data/new"), "<-2>");
	CHECK_STR(events(), "");
	CHECK_EQ(vfs_txn_commit(t, "thermo", effect, NULL), 2);
	CHECK_STR(effects(), "create /data/new 8 0; write /data/old 8 0");
	CHECK_STR(events(), "created /data/new by thermo; written /data/old by thermo");
	CHECK_STR(contents("/data/new"), "new data");
	CHECK_STR(contents("/data/old"), "old+more");
	CHECK_EQ(vfs_stat("/", "/data/new", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_EQ(vfs_txn_changes(t), 0);
	CHECK_EQ(vfs_txn_commit(t, "thermo", effect, NULL), 0); /* nothing twice */
	/* g outlives the commit as scratch: it no longer reaches the tree */
	CHECK_EQ(g->ops->write(g, "!", 1), 1);
	file_put(g);
	CHECK_STR(contents("/data/old"), "old+more");
	vfs_txn_destroy(t);
	CHECK_STR(events(), "");
	teardown();
}

TEST(txn_commit_applies_in_order)
{
	struct file *f;
	setup();
	CHECK_EQ(write_file(NULL, "/data/x", NEW, "1"), 1);
	CHECK_EQ(write_file(NULL, "/data/a", NEW, "A"), 1);
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	events();
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(vfs_txn_unlink(t, "/", "/data/x"), 0);
	CHECK_EQ(write_file(t, "/data/x", NEW, "2"), 1); /* after the unlink: a new file */
	CHECK_EQ(vfs_txn_rename(t, "/data", "a", "/data", "b"), 0);
	CHECK_EQ(write_file(t, "/data/b", O_WRONLY | O_CREAT | O_APPEND, "+"), 1); /* onto the renamed a */
	CHECK_EQ(vfs_txn_rmdir(t, "/", "/data/d/"), 0);
	CHECK_EQ(vfs_txn_mkdir(t, "/", "/data/e", 0700), 0);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/unwritten", O_WRONLY, 0, &f), -ENOENT);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/a", O_WRONLY, 0, &f), 0); /* never written: no change */
	file_put(f);
	CHECK_EQ(vfs_txn_changes(t), 6);
	CHECK_STR(contents("/data/x"), "1");
	CHECK_EQ(vfs_txn_commit(t, "p", effect, NULL), 6);
	CHECK_STR(effects(),
		  "unlink /data/x 0 0; create /data/x 1 0; rename /data/b 0 0; append /data/b 1 0; "
		  "rmdir /data/d 0 0; mkdir /data/e 0 0");
	CHECK_STR(events(),
		  "removed /data/x by p; created /data/x by p; renamed /data/a /data/b by p; "
		  "removed /data/a by p; written /data/b by p; removed /data/d by p; created /data/e by p");
	CHECK_STR(contents("/data/x"), "2");
	CHECK_STR(contents("/data/b"), "A+");
	CHECK_STR(contents("/data/a"), "<-2>");
	struct kstat st;
	CHECK_EQ(vfs_stat("/", "/data/d", &st), -ENOENT);
	CHECK_EQ(vfs_stat("/", "/data/e", &st), 0);
	CHECK_EQ(st.st_mode, S_IFDIR | 0700);
	vfs_txn_destroy(t);
	teardown();
}

TEST(txn_destroy_leaves_the_tree_untouched)
{
	struct file *f;
	char buf[8];
	setup();
	CHECK_EQ(write_file(NULL, "/data/x", NEW, "keep"), 4);
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	events();
	uint64_t used = data_fs->used;
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(vfs_txn_mkdir(t, "/", "/data/n", 0755), 0);
	CHECK_EQ(vfs_txn_unlink(t, "/", "/data/x"), 0);
	CHECK_EQ(vfs_txn_rename(t, "/", "/data/d", "/", "/data/d2"), 0);
	CHECK_EQ(write_file(t, "/data/x", NEW, "lost"), 4);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/y", O_RDWR | O_CREAT, 0644, &f), 0);
	CHECK_EQ(f->ops->write(f, "scratch", 7), 7);
	CHECK_EQ(f->ops->truncate(f, 3), 0);
	CHECK_EQ(vfs_txn_changes(t), 5);
	vfs_txn_destroy(t);
	/* the staged file still open is private scratch now */
	CHECK_EQ(f->ops->write(f, "!", 1), 1);
	CHECK_EQ(f->ops->pread(f, buf, sizeof buf, 0), 8);
	CHECK(memcmp(buf, "scr", 3) == 0 && buf[3] == '\0' && buf[7] == '!');
	file_put(f);
	CHECK_STR(contents("/data/x"), "keep");
	CHECK_STR(contents("/data/y"), "<-2>");
	struct kstat st;
	CHECK_EQ(vfs_stat("/", "/data/n", &st), -ENOENT);
	CHECK_EQ(vfs_stat("/", "/data/d", &st), 0);
	CHECK_EQ(data_fs->used, used);
	CHECK_STR(events(), "");
	vfs_txn_destroy(NULL);
	teardown();
}

TEST(txn_append_adds_to_the_file_as_it_is_at_commit)
{
	struct file *f;
	struct kstat st;
	char buf[8];
	setup();
	CHECK_EQ(write_file(NULL, "/data/log", NEW, "abc"), 3);
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(vfs_txn_open(t, "/", "/data/log", O_RDWR | O_APPEND, 0, &f), 0);
	CHECK_EQ(f->ops->write(f, "12", 2), 2);
	CHECK_EQ(f->ops->pwrite(f, "3", 1, 0), 1); /* at the end, as on Linux */
	CHECK_EQ(f->ops->stat(f, &st), 0);
	CHECK_EQ(st.st_size, 3); /* only the appended bytes */
	CHECK_EQ(f->ops->pread(f, buf, sizeof buf, 0), 3);
	CHECK(memcmp(buf, "123", 3) == 0);
	file_put(f);
	CHECK_EQ(write_file(t, "/data/new.log", O_WRONLY | O_CREAT | O_APPEND, "n"), 1);
	CHECK_EQ(write_file(NULL, "/data/log", O_WRONLY | O_APPEND, "def"), 3); /* someone else, meanwhile */
	events();
	CHECK_EQ(vfs_txn_commit(t, "p", effect, NULL), 2);
	CHECK_STR(effects(), "append /data/log 3 0; create /data/new.log 1 0");
	CHECK_STR(events(), "written /data/log by p; created /data/new.log by p");
	CHECK_STR(contents("/data/log"), "abcdef123");
	CHECK_STR(contents("/data/new.log"), "n");
	vfs_txn_destroy(t);
	teardown();
}

/* ---- the same errors with and without a transaction ---- */

enum op { OPEN, MKDIR, UNLINK, RMDIR, RENAME };

struct error_case {
	enum op op;
	const char *a, *b; /* the path; a rename's new path */
	int flags;
	int want;
};

static const struct error_case error_cases[] = {
	{OPEN, "/data/x", NULL, O_WRONLY | O_CREAT | O_EXCL, -EEXIST},
	{OPEN, "/data/none/f", NULL, O_WRONLY | O_CREAT, -ENOENT},
	{OPEN, "/data/none", NULL, O_WRONLY, -ENOENT},
	{OPEN, "/etc/new", NULL, O_WRONLY | O_CREAT, -EROFS},
	{OPEN, "/etc/conf", NULL, O_RDWR, -EROFS},
	{OPEN, "/etc/conf", NULL, O_RDONLY | O_TRUNC, -EROFS},
	{OPEN, "/data/d", NULL, O_WRONLY, -EISDIR},
	{OPEN, "/data/d", NULL, O_RDONLY | O_CREAT, -EISDIR},
	{OPEN, "/data/none/", NULL, O_WRONLY | O_CREAT, -EISDIR},
	{OPEN, "/data/x", NULL, O_WRONLY | O_DIRECTORY, -ENOTDIR},
	{OPEN, "/data/x/y", NULL, O_WRONLY | O_CREAT, -ENOTDIR},
	{OPEN, "/data/x", NULL, O_ACCMODE, -EINVAL},
	{OPEN, "/data/x", NULL, O_WRONLY | O_TMPFILE, -EINVAL},
	{OPEN, "/data/x", NULL, O_WRONLY | O_TRUNC, 0},
	{OPEN, "/data/new", NULL, O_RDONLY | O_CREAT, 0},
	{MKDIR, "/data/x", NULL, 0, -EEXIST},
	{MKDIR, "/", NULL, 0, -EEXIST},
	{MKDIR, "/etc/d", NULL, 0, -EROFS},
	{MKDIR, "/data/none/d", NULL, 0, -ENOENT},
	{MKDIR, "/data/x/d", NULL, 0, -ENOTDIR},
	{MKDIR, "/data/new/", NULL, 0, 0},
	{UNLINK, "/data/d", NULL, 0, -EISDIR},
	{UNLINK, "/data/none", NULL, 0, -ENOENT},
	{UNLINK, "/etc/conf", NULL, 0, -EROFS},
	{UNLINK, "/etc/none", NULL, 0, -EROFS},
	{UNLINK, "/", NULL, 0, -EISDIR},
	{UNLINK, "/data/x/", NULL, 0, -ENOTDIR},
	{UNLINK, "/data/x", NULL, 0, 0},
	{RMDIR, "/data/x", NULL, 0, -ENOTDIR},
	{RMDIR, "/data/full", NULL, 0, -ENOTEMPTY},
	{RMDIR, "/", NULL, 0, -EBUSY},
	{RMDIR, "/data/d/.", NULL, 0, -EINVAL},
	{RMDIR, "/data", NULL, 0, -EROFS},
	{RMDIR, "/data/d", NULL, 0, 0},
	{RENAME, "/data/x", "/etc/x", 0, -EXDEV},
	{RENAME, "/etc/conf", "/etc/c", 0, -EROFS},
	{RENAME, "/data/none", "/data/y", 0, -ENOENT},
	{RENAME, "/data/d", "/data/d/sub", 0, -EINVAL},
	{RENAME, "/data/full/f", "/data/full", 0, -ENOTEMPTY},
	{RENAME, "/data/x", "/data/d", 0, -EISDIR},
	{RENAME, "/data/d", "/data/x", 0, -ENOTDIR},
	{RENAME, "/data/d", "/data/full", 0, -ENOTEMPTY},
	{RENAME, "/data/x", "/data/none/y", 0, -ENOENT},
	{RENAME, "/data/x", "/data/x", 0, 0},
	{RENAME, "/data/x", "/data/full/f", 0, 0},
};

static int run_case(struct vfs_txn *t, const struct error_case *c)
{
	struct file *f;
	int err = 0;
	switch (c->op) {
	case OPEN:
		if ((err = vfs_txn_open(t, "/", c->a, c->flags, 0644, &f)) == 0)
			file_put(f);
		break;
	case MKDIR: err = vfs_txn_mkdir(t, "/", c->a, 0755); break;
	case UNLINK: err = vfs_txn_unlink(t, "/", c->a); break;
	case RMDIR: err = vfs_txn_rmdir(t, "/", c->a); break;
	case RENAME: err = vfs_txn_rename(t, "/", c->a, "/", c->b); break;
	}
	return err;
}

TEST(txn_errors_are_those_of_the_direct_path)
{
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const struct error_case *c = &error_cases[i];
		char what[128];
		setup();
		CHECK_EQ(write_file(NULL, "/data/x", NEW, "x"), 1);
		CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
		CHECK_EQ(vfs_mkdir("/", "/data/full", 0755), 0);
		CHECK_EQ(write_file(NULL, "/data/full/f", NEW, "f"), 1);
		struct vfs_txn *t = vfs_txn_create();
		int staged = run_case(t, c);
		size_t changes = vfs_txn_changes(t);
		vfs_txn_destroy(t);
		int direct = run_case(NULL, c);
		snprintf(what, sizeof what, "case %zu (%s): staged %d, direct %d, want %d", i, c->a, staged,
			 direct, c->want);
		if (staged != c->want || direct != c->want)
			unit_fail(__FILE__, __LINE__, what);
		if (staged != 0 && changes != 0)
			unit_fail(__FILE__, __LINE__, "a failed call staged a change");
		teardown();
	}
}

TEST(txn_bytes_are_bounded)
{
	static char chunk[64 * 1024];
	struct file *f, *g;
	long n, total = 0;
	setup();
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(vfs_txn_open(t, "/", "/data/big", NEW, 0644, &f), 0);
	while ((n = f->ops->write(f, chunk, sizeof chunk)) > 0)
		total += n;
	CHECK_EQ(n, -ENOSPC);
	CHECK(total > (long)VFS_TXN_BYTES_MAX - 4096 && total < (long)VFS_TXN_BYTES_MAX);
	CHECK_EQ(vfs_txn_unlink(t, "/", "/data/big"), -ENOENT); /* checked against the tree first */
	CHECK_EQ(vfs_txn_mkdir(t, "/", "/data/d", 0755), -ENOSPC);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/g", NEW, 0644, &g), -ENOSPC);
	CHECK_EQ(f->ops->truncate(f, VFS_TXN_BYTES_MAX + 1ull), -EFBIG);
	CHECK_EQ(f->ops->truncate(f, 1000), 0); /* gives room back */
	CHECK_EQ(vfs_txn_mkdir(t, "/", "/data/d", 0755), 0);
	CHECK_EQ(write_file(t, "/data/g", NEW, "g"), 1);
	CHECK_EQ(f->ops->pwrite(f, chunk, 10, 2000), 10); /* a hole reads as zeros */
	file_put(f);
	CHECK_EQ(vfs_txn_commit(t, "p", effect, NULL), 3);
	CHECK_STR(effects(), "create /data/big 2010 0; mkdir /data/d 0 0; create /data/g 1 0");
	vfs_txn_destroy(t);
	/* a file larger than what a transaction may stage cannot be opened to change */
	CHECK_EQ(vfs_open("/", "/data/big", O_WRONLY, 0, &f), 0);
	CHECK_EQ(f->ops->pwrite(f, "z", 1, VFS_TXN_BYTES_MAX), 1);
	file_put(f);
	t = vfs_txn_create();
	CHECK_EQ(vfs_txn_open(t, "/", "/data/big", O_WRONLY, 0, &f), -ENOSPC);
	CHECK_EQ(vfs_txn_open(t, "/", "/data/big", O_WRONLY | O_APPEND, 0, &f), 0); /* no copy needed */
	file_put(f);
	vfs_txn_destroy(t);
	teardown();
}

TEST(txn_commit_reports_what_fails_now_and_applies_the_rest)
{
	static char chunk[8192];
	setup();
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	struct vfs_txn *t = vfs_txn_create();
	CHECK_EQ(write_file(t, "/data/d/f", NEW, "f"), 1);
	struct file *f;
	CHECK_EQ(vfs_txn_open(t, "/", "/data/big", NEW, 0644, &f), 0);
	CHECK_EQ(f->ops->write(f, chunk, sizeof chunk), (long)sizeof chunk);
	file_put(f);
	CHECK_EQ(write_file(t, "/data/small", NEW, ""), 0);
	CHECK_EQ(write_file(t, "/data/excl", NEW | O_EXCL, "mine"), 4);
	CHECK_EQ(write_file(NULL, "/data/excl", NEW | O_EXCL, "theirs"), 6); /* made meanwhile */
	CHECK_EQ(vfs_rmdir("/", "/data/d"), 0); /* the directory vanishes */
	CHECK_EQ(vfs_open("/", "/data/pad", NEW, 0644, &f), 0); /* so big is not over the limit alone */
	CHECK_EQ(f->ops->write(f, chunk, sizeof chunk), (long)sizeof chunk);
	file_put(f);
	/* and the disk fills: room for two vnodes and one page */
	data_fs->limit = data_fs->used + 2 * (sizeof(struct vnode) + 8) + FS_PAGE + 100;
	events();
	CHECK_EQ(vfs_txn_commit(t, "p", effect, NULL), 4);
	CHECK_STR(effects(), "write /data/d/f 1 -2; create /data/big 8192 -28; create /data/small 0 0; "
			     "write /data/excl 4 -17");
	CHECK_STR(events(), "created /data/small by p");
	CHECK_STR(contents("/data/small"), "");
	CHECK_STR(contents("/data/excl"), "theirs");
	CHECK_EQ(data_fs->used <= data_fs->limit, 1);
	vfs_txn_destroy(t);
	teardown();
}

TEST(file_events_for_direct_changes)
{
	struct file *f, *g;
	setup();
	stub_fs_source = "sh";
	CHECK_EQ(write_file(NULL, "/data/a", NEW, "1"), 1);
	CHECK_EQ(write_file(NULL, "/data/a", NEW, "2"), 1);
	CHECK_EQ(write_file(NULL, "/data/a", O_WRONLY | O_APPEND, "3"), 1);
	CHECK_STR(events(), "created /data/a by sh; written /data/a by sh; written /data/a by sh");
	CHECK_EQ(vfs_open("/", "/data/a", O_RDWR, 0, &f), 0); /* opened for writing, not written */
	file_put(f);
	CHECK_EQ(vfs_open("/", "/data/a", O_RDONLY, 0, &f), 0);
	file_put(f);
	CHECK_EQ(vfs_open("/", "/etc/conf", O_RDONLY, 0, &f), 0);
	file_put(f);
	CHECK_STR(events(), "");
	CHECK_EQ(vfs_open("/", "/data/a", O_WRONLY, 0, &f), 0);
	CHECK_EQ(f->ops->truncate(f, 0), 0);
	g = file_get(f); /* a dup: the event waits for the last close */
	file_put(f);
	CHECK_STR(events(), "");
	file_put(g);
	CHECK_STR(events(), "written /data/a by sh");
	CHECK_EQ(vfs_mkdir("/", "/data/d", 0755), 0);
	CHECK_EQ(vfs_rename("/data", "a", "/data/d", "b"), 0);
	CHECK_EQ(vfs_rename("/data", "d/b", "/data", "d/b"), 0); /* to itself: no change */
	CHECK_EQ(vfs_unlink("/", "/data/d/b"), 0);
	CHECK_EQ(vfs_rmdir("/", "/data/d"), 0);
	CHECK_STR(events(), "created /data/d by sh; renamed /data/a /data/d/b by sh; removed /data/a by sh; "
			    "removed /data/d/b by sh; removed /data/d by sh");
	CHECK_EQ(vfs_open("/", "/data/gone", O_WRONLY | O_CREAT, 0644, &f), 0);
	CHECK_EQ(vfs_unlink("/", "/data/gone"), 0);
	file_put(f); /* removed while open: no path, no event */
	CHECK_STR(events(), "removed /data/gone by sh");
	CHECK_EQ(vfs_mkdir("/", "/etc/d", 0755), -EROFS); /* failures raise nothing */
	CHECK_EQ(vfs_unlink("/", "/data/none"), -ENOENT);
	CHECK_STR(events(), "");
	teardown();
}
