/*
 * path.c - lexical path handling.
 *
 * Theory of operation. A path is a byte string of components separated by
 * one or more '/'. Nothing here touches a file system: ".." is resolved
 * lexically (the parent of "/a/b" is "/a" whatever "b" is), which is what
 * OptiOS's VFS means by "..", as in Plan 9.
 *
 * path_normalize() builds its result in the caller's buffer with a small
 * builder. Invariants of the builder between steps:
 *   - buf[0..len) is a normal absolute path ("/" or "/c1/.../cn", each ci a
 *     non-empty component other than "." and ".."), and buf[len] == '\0';
 *   - len + 1 <= MIN(outsz, PATH_MAX): the result always fits, with its NUL.
 * Each component either leaves the builder unchanged ("."), truncates it at
 * its last '/' (".."), or appends "/name" after checking both limits first,
 * so no step ever writes past the buffer.
 *
 * path_has_prefix() compares component by component and refuses anything
 * with "." or "..": a permission check that matched "/data/../etc" textually
 * against "/data" would be a hole, so the helper fails closed instead.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "path.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

struct builder {
	char *buf;
	size_t len;
	size_t size; /* bytes the caller gave us */
};

static bool has_nul(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\0')
			return true;
	return false;
}

static bool is_dot(const char *name, size_t n) { return n == 1 && name[0] == '.'; }
static bool is_dotdot(const char *name, size_t n) { return n == 2 && name[0] == '.' && name[1] == '.'; }

void path_iter_init(struct path_iter *it, const char *path, size_t len)
{
	it->path = path;
	it->len = path ? len : 0;
	it->pos = 0;
}

bool path_iter_next(struct path_iter *it, const char **name, size_t *namelen)
{
	while (it->pos < it->len && it->path[it->pos] == '/')
		it->pos++;
	if (it->pos == it->len)
		return false;
	size_t start = it->pos;
	while (it->pos < it->len && it->path[it->pos] != '/')
		it->pos++;
	*name = it->path + start;
	*namelen = it->pos - start;
	return true;
}

static void pop(struct builder *b)
{
	while (b->len > 1 && b->buf[b->len - 1] != '/')
		b->len--;
	if (b->len > 1)
		b->len--; /* the separator before the removed component */
	b->buf[b->len] = '\0';
}

/* Applies one component to the builder; the builder is unchanged on error. */
static int push(struct builder *b, const char *name, size_t n)
{
	if (is_dot(name, n))
		return 0;
	if (is_dotdot(name, n)) {
		pop(b);
		return 0;
	}
	if (n > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	size_t sep = b->len > 1 ? 1 : 0;
	size_t need = b->len + sep + n + 1; /* with the NUL; cannot overflow: all < 2 * PATH_MAX */
	if (need > PATH_MAX)
		return -ENAMETOOLONG;
	if (need > b->size)
		return -ERANGE;
	if (sep)
		b->buf[b->len++] = '/';
	memcpy(b->buf + b->len, name, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

static int push_all(struct builder *b, const char *p, size_t len)
{
	struct path_iter it;
	const char *name;
	size_t n;
	path_iter_init(&it, p, len);
	while (path_iter_next(&it, &name, &n)) {
		int err = push(b, name, n);
		if (err)
			return err;
	}
	return 0;
}

/* Checks a path argument before any of it is used. */
static int check_input(const char *p, size_t len)
{
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (has_nul(p, len))
		return -EINVAL;
	return 0;
}

int path_normalize(const char *cwd, size_t cwdlen, const char *path, size_t len, char *out, size_t outsz)
{
	int err;
	if (outsz > 0)
		out[0] = '\0';
	if (!path || len == 0)
		return -ENOENT;
	if ((err = check_input(path, len)) != 0)
		return err;
	if (outsz < 2)
		return -ERANGE;
	struct builder b = {out, 1, outsz};
	out[0] = '/';
	out[1] = '\0';
	if (path[0] != '/') {
		if (!cwd || cwdlen == 0 || cwd[0] != '/') {
			err = -EINVAL;
			goto out;
		}
		if ((err = check_input(cwd, cwdlen)) != 0 || (err = push_all(&b, cwd, cwdlen)) != 0)
			goto out;
	}
	err = push_all(&b, path, len);
out:
	if (err) {
		out[0] = '\0';
		return err;
	}
	return (int)b.len;
}

bool path_is_normal(const char *p, size_t len)
{
	if (!p || len == 0 || len >= PATH_MAX || p[0] != '/' || has_nul(p, len))
		return false;
	if (len == 1)
		return true;
	size_t start = 1;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t n = i - start;
		if (n == 0 || n > PATH_NAME_MAX || is_dot(p + start, n) || is_dotdot(p + start, n))
			return false;
		start = i + 1;
	}
	return true;
}

/* Absolute, NUL-free, within the limits, no "." or ".." component: what
 * path_normalize() would only tidy, so safe to compare by components. */
static bool clean_absolute(const char *p, size_t len)
{
	if (!p || len == 0 || len >= PATH_MAX || p[0] != '/' || has_nul(p, len))
		return false;
	struct path_iter it;
	const char *name;
	size_t n;
	path_iter_init(&it, p, len);
	while (path_iter_next(&it, &name, &n))
		if (n > PATH_NAME_MAX || is_dot(name, n) || is_dotdot(name, n))
			return false;
	return true;
}

bool path_has_prefix(const char *path, size_t len, const char *prefix, size_t plen)
{
	if (!clean_absolute(path, len) || !clean_absolute(prefix, plen))
		return false;
	struct path_iter ip, ipre;
	const char *a, *b;
	size_t na, nb;
	path_iter_init(&ip, path, len);
	path_iter_init(&ipre, prefix, plen);
	while (path_iter_next(&ipre, &b, &nb)) {
		if (!path_iter_next(&ip, &a, &na))
			return false; /* path is shorter than the prefix */
		if (na != nb || memcmp(a, b, na) != 0)
			return false;
	}
	return true;
}
