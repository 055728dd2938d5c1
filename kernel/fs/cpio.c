/*
 * cpio.c - iterate a cpio "newc" archive in memory.
 *
 * Theory of operation. A newc archive is a sequence of members, each
 *
 *   header  110 bytes: "070701" then 13 fields of 8 hex digits
 *           (ino mode uid gid nlink mtime filesize devmajor devminor
 *            rdevmajor rdevminor namesize check)
 *   name    namesize bytes, the last one NUL; header + name padded with
 *           NULs to a multiple of 4 from the start of the archive
 *   data    filesize bytes, padded likewise to a multiple of 4
 *
 * ending with a member named "TRAILER!!!"; tools pad the whole archive
 * (GNU cpio to 512 bytes), which is ignored.
 *
 * The archive is hostile input. The iterator keeps one offset, it->off, with
 * the invariant it->off <= it->len whenever state is 1 (running); every length
 * read from a header is checked against the bytes left *before* it is added to
 * an offset, so no sum can wrap and no read leaves [base, base + len). The
 * first error stops the iteration for good (state < 0) with a reason.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "cpio.h"

#include <optios/abi/errno.h>
#include <optios/abi/stat.h>

#include "lib/lib.h"

#define MAGIC "070701"
#define TRAILER "TRAILER!!!"

enum field { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR, F_DEVMINOR,
	     F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK, F_COUNT };

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
	it->base = archive;
	it->len = archive ? len : 0;
	it->off = 0;
	it->state = 1;
	it->why = "";
	it->why_off = 0;
}

static int fail(struct cpio_iter *it, const char *why)
{
	it->state = -EINVAL;
	it->why = why;
	it->why_off = it->off;
	return it->state;
}

/* Eight hex digits to a number; -1 if any is not a hex digit. */
static int parse_hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Bytes of padding that bring offset off to a multiple of 4. */
static size_t pad4(size_t off) { return (4 - (off & 3)) & 3; }

static bool known_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

/* Decodes the header at it->off into f[]; the 110 bytes are known to be there. */
static int read_header(struct cpio_iter *it, uint32_t f[F_COUNT])
{
	const uint8_t *h = it->base + it->off;
	if (memcmp(h, MAGIC, 6) != 0)
		return fail(it, "bad magic (not a newc 070701 header)");
	for (int i = 0; i < F_COUNT; i++)
		if (parse_hex8(h + 6 + 8 * i, &f[i]) != 0)
			return fail(it, "header field is not 8 hex digits");
	return 0;
}

/* Checks the name that follows the header; sets e->name and e->namelen. */
static int read_name(struct cpio_iter *it, uint32_t namesize, struct cpio_entry *e)
{
	size_t at = it->off + CPIO_HEADER_SIZE;
	if (namesize < 2)
		return fail(it, "empty name");
	if (namesize > CPIO_NAME_MAX)
		return fail(it, "name too long");
	if (namesize > it->len - at)
		return fail(it, "name runs past the end of the archive");
	const char *name = (const char *)it->base + at;
	if (name[namesize - 1] != '\0')
		return fail(it, "name not NUL-terminated");
	if (strnlen(name, namesize) != namesize - 1)
		return fail(it, "NUL inside name");
	e->name = name;
	e->namelen = namesize - 1;
	return 0;
}

static void fill_entry(struct cpio_entry *e, const uint32_t f[F_COUNT])
{
	e->ino = f[F_INO];
	e->mode = f[F_MODE];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->devmajor = f[F_DEVMAJOR];
	e->devminor = f[F_DEVMINOR];
	e->rdevmajor = f[F_RDEVMAJOR];
	e->rdevminor = f[F_RDEVMINOR];
	e->size = f[F_FILESIZE];
}

/* Checks what a member's mode and size say against each other. */
static int check_member(struct cpio_iter *it, const struct cpio_entry *e)
{
	if (e->mode & ~(uint32_t)(S_IFMT | 07777))
		return fail(it, "mode has unknown bits");
	if (!known_type(e->mode))
		return fail(it, "unknown file type in mode");
	uint32_t type = e->mode & S_IFMT;
	if (type != S_IFREG && type != S_IFLNK && e->size != 0)
		return fail(it, "directory or special file with data");
	return 0;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	uint32_t f[F_COUNT];
	int err;
	if (it->state <= 0)
		return it->state;
	if (it->off == it->len)
		return fail(it, "archive ends without TRAILER!!!");
	if (it->len - it->off < CPIO_HEADER_SIZE)
		return fail(it, "truncated header");
	if ((err = read_header(it, f)) != 0 || (err = read_name(it, f[F_NAMESIZE], e)) != 0)
		return err;
	fill_entry(e, f);
	size_t data = it->off + CPIO_HEADER_SIZE + f[F_NAMESIZE]; /* <= len: read_name checked */
	if (pad4(data) > it->len - data)
		return fail(it, "name padding runs past the end of the archive");
	data += pad4(data);
	if (e->size > it->len - data)
		return fail(it, "data runs past the end of the archive");
	e->data = it->base + data;
	if (strcmp(e->name, TRAILER) == 0) {
		it->state = 0;
		return 0;
	}
	if ((err = check_member(it, e)) != 0)
		return err;
	size_t end = data + e->size;
	it->off = end + MIN(pad4(end), it->len - end); /* missing padding at the very end: caught next time */
	return 1;
}

/* Skips leading "/" and "./" so "./etc/x", "/etc/x" and "etc/x" compare equal. */
static const char *strip_lead(const char *s)
{
	for (;;) {
		if (s[0] == '/')
			s++;
		else if (s[0] == '.' && s[1] == '/')
			s += 2;
		else
			return s;
	}
}

int cpio_find(const void *archive, size_t len, const char *path, struct cpio_entry *e)
{
	struct cpio_iter it;
	const char *want = strip_lead(path);
	int r;
	cpio_iter_init(&it, archive, len);
	while ((r = cpio_next(&it, e)) == 1)
		if (strcmp(strip_lead(e->name), want) == 0)
			return 0;
	return r == 0 ? -ENOENT : r;
}
