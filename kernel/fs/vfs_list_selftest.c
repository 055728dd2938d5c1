/*
 * vfs_list_selftest.c - vfs_dir_names on the tree mounted at boot: names in
 * byte order whatever order they were made in, "." and ".." left out, the
 * errors; everything made in /tmp is removed again.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/mm.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"

static const char *const made[] = {"b", "a.policy", "C", ".hidden", "a"}; /* not in order */
static const char *const sorted[] = {".hidden", "C", "a", "a.policy", "b"};

static int make_file(const char *path)
{
	struct file *f;
	int err = vfs_open("/", path, O_WRONLY | O_CREAT, 0644, &f);
	if (!err)
		file_put(f);
	return err;
}

SELFTEST(vfs_dir_names_in_byte_order)
{
	char path[64], **names;
	size_t n;
	int ok = 1;
	ST_CHECK(vfs_mkdir("/", "/tmp/stl", 0755) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		ksnprintf(path, sizeof path, "/tmp/stl/%s", made[i]);
		ST_CHECK(make_file(path) == 0);
	}
	ST_CHECK(vfs_dir_names("/tmp/stl", &names, &n) == 0);
	ok = n == ARRAY_SIZE(sorted);
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(names[i], sorted[i]) == 0;
	kfree(names);
	ST_CHECK(ok);
	ST_CHECK(vfs_dir_names("/tmp/stl/a", &names, &n) == -ENOTDIR && !names && n == 0);
	ST_CHECK(vfs_dir_names("/tmp/nosuch", &names, &n) == -ENOENT);
	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		ksnprintf(path, sizeof path, "/tmp/stl/%s", made[i]);
		ST_CHECK(vfs_unlink("/", path) == 0);
	}
	ST_CHECK(vfs_dir_names("/tmp/stl", &names, &n) == 0 && n == 0);
	kfree(names);
	ST_CHECK(vfs_rmdir("/", "/tmp/stl") == 0);
	return 0;
}
