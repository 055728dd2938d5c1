/*
 * fs_selftest.c - the cpio reader and path handling as built into the kernel
 * (freestanding flags, kernel string functions).
 */
#include <optios/abi/errno.h>
#include <optios/abi/stat.h>

#include "cpio.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"
#include "path.h"

/* Appends one newc member (header, name, data, padding) at *len. */
static void add(char *buf, size_t *len, const char *name, uint32_t mode, const char *data)
{
	size_t nlen = strlen(name) + 1, dlen = strlen(data);
	/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	*len += ksnprintf(buf + *len, 111, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			  1u, mode, 0u, 0u, 1u, 0u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
	memcpy(buf + *len, name, nlen);
	*len = ALIGN_UP(*len + nlen, 4);
	memcpy(buf + *len, data, dlen);
	*len = ALIGN_UP(*len + dlen, 4);
}

SELFTEST(cpio_in_kernel)
{
	static char buf[512];
	size_t len = 0;
	struct cpio_entry e;
	memset(buf, 0, sizeof buf);
	add(buf, &len, "etc", S_IFDIR | 0755, "");
	add(buf, &len, "etc/kernel.conf", S_IFREG | 0644, "foreground.max = 2\n");
	add(buf, &len, "TRAILER!!!", 0, "");
	ST_CHECK(cpio_find(buf, len, "/etc/kernel.conf", &e) == 0);
	ST_CHECK(e.size == 19 && memcmp(e.data, "foreground.max", 14) == 0);
	ST_CHECK(cpio_find(buf, len, "/etc/passwd", &e) == -ENOENT);
	ST_CHECK(cpio_find(buf, len - 4, "/etc/passwd", &e) == -EINVAL);
	return 0;
}

SELFTEST(path_in_kernel)
{
	static char out[PATH_MAX];
	ST_CHECK(path_normalize("/home/u", 7, "../v/./w//", 10, out, sizeof out) == 9);
	ST_CHECK(strcmp(out, "/home/v/w") == 0);
	ST_CHECK(path_normalize("/", 1, "", 0, out, sizeof out) == -ENOENT);
	ST_CHECK(path_has_prefix("/data/x", 7, "/data/", 6));
	ST_CHECK(!path_has_prefix("/database", 9, "/data", 5));
	ST_CHECK(!path_has_prefix("/data/../etc", 12, "/data", 5));
	return 0;
}
