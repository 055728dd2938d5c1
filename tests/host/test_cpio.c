/*
 * test_cpio.c - the newc reader on archives written by a small encoder here
 * (well-formed, truncated at every byte, and broken field by field), and on
 * one written by GNU cpio when the build has it (HOST_HAVE_CPIO).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optios/abi/errno.h>
#include <optios/abi/stat.h>

#include "kernel/fs/cpio.h"
#include "unit.h"

#ifndef HOST_DATA_DIR
#define HOST_DATA_DIR "build/host/data"
#endif
#ifndef HOST_HAVE_CPIO
#define HOST_HAVE_CPIO 0
#endif

struct arc {
	uint8_t buf[8192];
	size_t len;
};

static void pad(struct arc *a)
{
	while (a->len & 3)
		a->buf[a->len++] = 0;
}

/* Appends a member the way GNU cpio -H newc does; namesize counts the NUL. */
static size_t add(struct arc *a, const char *name, uint32_t mode, const void *data, size_t size, uint32_t mtime)
{
	size_t at = a->len;
	char h[CPIO_HEADER_SIZE + 1];
	snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 7u, mode, 1000u,
		 100u, 1u, mtime, (unsigned)size, 8u, 1u, 0u, 0u, (unsigned)strlen(name) + 1, 0u);
	memcpy(a->buf + a->len, h, CPIO_HEADER_SIZE);
	a->len += CPIO_HEADER_SIZE;
	memcpy(a->buf + a->len, name, strlen(name) + 1);
	a->len += strlen(name) + 1;
	pad(a);
	memcpy(a->buf + a->len, data, size);
	a->len += size;
	pad(a);
	return at;
}

static void trailer(struct arc *a) { add(a, "TRAILER!!!", 0, "", 0, 0); }

/* Overwrites field i (0 = ino ... 12 = check) of the header at hdr. */
static void set_field(struct arc *a, size_t hdr, int i, const char *eight)
{
	memcpy(a->buf + hdr + 6 + 8 * i, eight, 8);
}

static void sample(struct arc *a)
{
	a->len = 0;
	add(a, ".", S_IFDIR | 0755, "", 0, 1);
	add(a, "etc", S_IFDIR | 0755, "", 0, 2);
	add(a, "etc/kernel.conf", S_IFREG | 0644, "foreground.max = 2\n", 19, 1700000000);
	add(a, "bin/sh", S_IFLNK | 0777, "/bin/busybox", 12, 4);
	add(a, "empty", S_IFREG | 0600, "", 0, 5);
	add(a, "abc", S_IFREG | 0644, "xyz", 3, 6);
	trailer(a);
}

/* Runs the iterator over a private copy of exactly len bytes, so ASan sees any
 * read past the end. Returns the final result and the count of entries. */
static int walk(const uint8_t *p, size_t len, int *count)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, p, len);
	struct cpio_iter it;
	struct cpio_entry e;
	int r;
	*count = 0;
	cpio_iter_init(&it, copy, len);
	while ((r = cpio_next(&it, &e)) == 1) {
		CHECK((const uint8_t *)e.data >= copy && (const uint8_t *)e.data + e.size <= copy + len);
		CHECK(e.name + e.namelen < (const char *)copy + len);
		(*count)++;
	}
	CHECK(r == 0 || *it.why);
	free(copy);
	return r;
}

TEST(cpio_reads_members)
{
	static struct arc a;
	sample(&a);
	struct cpio_iter it;
	struct cpio_entry e;
	cpio_iter_init(&it, a.buf, a.len);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, ".");
	CHECK_EQ(e.mode, S_IFDIR | 0755);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, "etc/kernel.conf");
	CHECK_EQ(e.namelen, 15);
	CHECK_EQ(e.mode, S_IFREG | 0644);
	CHECK_EQ(e.size, 19);
	CHECK(memcmp(e.data, "foreground.max = 2\n", 19) == 0);
	CHECK_EQ(e.mtime, 1700000000);
	CHECK_EQ(e.uid, 1000);
	CHECK_EQ(e.gid, 100);
	CHECK_EQ(e.ino, 7);
	CHECK_EQ(e.nlink, 1);
	CHECK_EQ(e.devmajor, 8);
	CHECK_EQ(e.devminor, 1);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, "bin/sh");
	CHECK_EQ(e.mode & S_IFMT, S_IFLNK);
	CHECK(e.size == 12 && memcmp(e.data, "/bin/busybox", 12) == 0);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(e.size, 0);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR(e.name, "abc");
	CHECK_EQ(cpio_next(&it, &e), 0);
	CHECK_EQ(cpio_next(&it, &e), 0); /* the end is sticky */
	CHECK_STR(it.why, "");
}

TEST(cpio_ignores_what_follows_the_trailer)
{
	static struct arc a;
	sample(&a);
	memset(a.buf + a.len, 'Z', 300); /* not even zeros */
	int n;
	CHECK_EQ(walk(a.buf, a.len + 300, &n), 0);
	CHECK_EQ(n, 6);
}

TEST(cpio_accepts_lowercase_hex)
{
	static struct arc a;
	a.len = 0;
	size_t h = add(&a, "f", S_IFREG | 0644, "0123456789ab", 12, 0);
	set_field(&a, h, 6, "0000000c");
	trailer(&a);
	int n;
	CHECK_EQ(walk(a.buf, a.len, &n), 0);
	CHECK_EQ(n, 1);
}

TEST(cpio_every_truncation_is_refused)
{
	static struct arc a;
	sample(&a);
	/* Any cut, even inside the trailer's padding, fails and never overruns. */
	for (size_t len = 0; len < a.len; len++) {
		int n;
		CHECK_EQ(walk(a.buf, len, &n), -EINVAL);
		CHECK(n <= 6);
	}
}

/* Breaks one thing in a good archive and expects -EINVAL with a reason. */
static void expect_bad(struct arc *a, const char *what)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int r;
	cpio_iter_init(&it, a->buf, a->len);
	while ((r = cpio_next(&it, &e)) == 1)
		;
	if (r != -EINVAL)
		printf("host:   expected -EINVAL for %s, got %d\n", what, r);
	CHECK_EQ(r, -EINVAL);
	CHECK(it.why[0] != '\0');
	CHECK_EQ(cpio_next(&it, &e), -EINVAL); /* sticky */
}

TEST(cpio_rejects_bad_fields)
{
	static struct arc a;
	static const char *bad[] = {"0000000g", "0000000 ", " 0000000", "-0000001", "0x000001", "000000\0" "0"};
	for (int f = 0; f < 13; f++) {
		for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
			a.len = 0;
			size_t h = add(&a, "x", S_IFREG | 0644, "data", 4, 0);
			trailer(&a);
			set_field(&a, h, f, bad[b]);
			expect_bad(&a, "a non-hex field");
		}
	}
	a.len = 0;
	size_t h = add(&a, "x", S_IFREG | 0644, "data", 4, 0);
	trailer(&a);
	memcpy(a.buf + h, "070702", 6);
	expect_bad(&a, "the crc magic");
	memcpy(a.buf + h, "070707", 6);
	expect_bad(&a, "the odc magic");
}

TEST(cpio_rejects_bad_names)
{
	static struct arc a;
	static const char *sizes[] = {"00000000", "00000001", "00000003", "FFFFFFFF", "00001001", "80000000"};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		a.len = 0;
		size_t h = add(&a, "x", S_IFREG | 0644, "", 0, 0); /* real namesize 2 */
		trailer(&a);
		set_field(&a, h, 11, sizes[i]);
		expect_bad(&a, "a wrong namesize");
	}
	a.len = 0;
	size_t h = add(&a, "abcdef", S_IFREG | 0644, "", 0, 0);
	trailer(&a);
	a.buf[h + CPIO_HEADER_SIZE + 6] = 'g'; /* NUL overwritten */
	expect_bad(&a, "a name without NUL");
	a.buf[h + CPIO_HEADER_SIZE + 6] = 0;
	a.buf[h + CPIO_HEADER_SIZE + 2] = 0;
	expect_bad(&a, "a NUL inside the name");
}

TEST(cpio_rejects_bad_sizes_and_modes)
{
	static struct arc a;
	static const char *sizes[] = {"FFFFFFFF", "7FFFFFFF", "00010000", "00000FF0"};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		a.len = 0;
		size_t h = add(&a, "x", S_IFREG | 0644, "abcd", 4, 0);
		trailer(&a);
		set_field(&a, h, 6, sizes[i]);
		expect_bad(&a, "a filesize past the end");
	}
	static const uint32_t modes[] = {0644, 0170644, 0200644, 0xffffffffu, S_IFDIR | 0755};
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		a.len = 0;
		size_t h = add(&a, "x", S_IFREG | 0644, "abcd", 4, 0);
		trailer(&a);
		char m[9];
		snprintf(m, sizeof m, "%08X", modes[i]);
		set_field(&a, h, 1, m); /* the last is a directory with data */
		expect_bad(&a, "a bad mode");
	}
	a.len = 0;
	add(&a, "x", S_IFREG | 0644, "abcd", 4, 0);
	expect_bad(&a, "a missing trailer");
	a.len = 0;
	expect_bad(&a, "an empty archive");
}

TEST(cpio_find_ignores_leading_dot_slash)
{
	static struct arc a;
	a.len = 0;
	add(&a, ".", S_IFDIR | 0755, "", 0, 0);
	add(&a, "./etc/kernel.conf", S_IFREG | 0644, "k", 1, 0);
	add(&a, "/abs", S_IFREG | 0644, "a", 1, 0);
	trailer(&a);
	struct cpio_entry e;
	CHECK_EQ(cpio_find(a.buf, a.len, "/etc/kernel.conf", &e), 0);
	CHECK_STR(e.name, "./etc/kernel.conf");
	CHECK_EQ(cpio_find(a.buf, a.len, "etc/kernel.conf", &e), 0);
	CHECK_EQ(cpio_find(a.buf, a.len, "abs", &e), 0);
	CHECK_EQ(cpio_find(a.buf, a.len, "etc", &e), -ENOENT);
	CHECK_EQ(cpio_find(a.buf, a.len, "TRAILER!!!", &e), -ENOENT);
	CHECK_EQ(cpio_find(a.buf, a.len - 124, "nothere", &e), -EINVAL);
	CHECK_EQ(cpio_find(NULL, 0, "x", &e), -EINVAL);
}

/* Compares one member with the file GNU cpio read it from. */
static void same_as_disk(const struct cpio_entry *e)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/tree/%s", HOST_DATA_DIR, e->name);
	CHECK(lstat(path, &st) == 0);
	CHECK_EQ(e->mode, st.st_mode);
	CHECK_EQ(e->mtime, st.st_mtime);
	CHECK_EQ(e->uid, st.st_uid);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && e->size == 0) {
		CHECK_EQ(e->nlink, st.st_nlink); /* a hard link: newc keeps the data with one name */
	} else if (S_ISREG(st.st_mode)) {
		size_t n = 0;
		uint8_t *want = unit_read_file(path, &n);
		CHECK(want && n == e->size && memcmp(want, e->data, n) == 0);
		free(want);
	} else if (S_ISLNK(st.st_mode)) {
		char target[256];
		ssize_t n = readlink(path, target, sizeof target);
		CHECK(n >= 0 && (size_t)n == e->size && memcmp(target, e->data, (size_t)n) == 0);
	} else {
		CHECK_EQ(e->size, 0);
	}
}

TEST(cpio_reads_gnu_cpio_archive)
{
	size_t len = 0;
	uint8_t *buf = unit_read_file(HOST_DATA_DIR "/tree.cpio", &len);
	if (!buf) {
		CHECK(!HOST_HAVE_CPIO); /* the build made one if it could */
		printf("host:   (no GNU cpio: %s/tree.cpio not built, skipped)\n", HOST_DATA_DIR);
		return;
	}
	struct cpio_iter it;
	struct cpio_entry e;
	int n = 0, r, types = 0;
	cpio_iter_init(&it, buf, len);
	while ((r = cpio_next(&it, &e)) == 1) {
		same_as_disk(&e);
		types |= 1 << ((e.mode & S_IFMT) >> 12);
		n++;
	}
	CHECK_EQ(r, 0);
	CHECK(n >= 5);
	CHECK(types & (1 << (S_IFREG >> 12)));
	CHECK(types & (1 << (S_IFDIR >> 12)));
	CHECK(types & (1 << (S_IFLNK >> 12)));
	CHECK_EQ(cpio_find(buf, len, "/etc/kernel.conf", &e), 0);
	free(buf);
}
