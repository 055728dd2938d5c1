/*
 * path.h - path names: normalisation, component iteration, and the
 * component-aware "is under" test that permission checks rely on.
 *
 * Paths are passed as (pointer, length): a NUL inside the length is an error,
 * never a silent end of the string. Results are NUL-terminated.
 */
#ifndef KERNEL_FS_PATH_H
#define KERNEL_FS_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Linux limits: a whole path counting its terminating NUL, and one component. */
#define PATH_MAX 4096
#define PATH_NAME_MAX 255

/*
 * Makes the absolute, normal form of path: relative paths start from cwd
 * (used only when path is relative; it must then be absolute), repeated
 * slashes collapse, "." disappears, ".." removes the previous component
 * (lexically: there are no symlinks to follow here) and stays at "/" at the
 * root, a trailing slash is dropped. out receives e.g. "/a/b" or "/".
 *
 * Returns the length of the result (>= 1), or
 *   -ENOENT        path is empty
 *   -EINVAL        NUL inside path or cwd, or a relative path without an absolute cwd
 *   -ENAMETOOLONG  path, cwd or any intermediate result needs more than PATH_MAX
 *                  bytes, or a component is longer than PATH_NAME_MAX
 *   -ERANGE        the result fits PATH_MAX but not outsz
 * On error out holds "" (when outsz > 0).
 */
int path_normalize(const char *cwd, size_t cwdlen, const char *path, size_t len, char *out, size_t outsz);

/* True if p is what path_normalize produces: absolute, no empty, "." or ".."
 * component, no trailing slash (except "/" itself), no NUL, within the limits. */
bool path_is_normal(const char *p, size_t len);

/*
 * True if path is prefix or lies below it, comparing whole components:
 * "/data/x" is under "/data" and "/data/", "/data" is under itself,
 * "/database" is not under "/data", everything absolute is under "/".
 * Repeated and trailing slashes do not matter. Fails closed: false if either
 * is relative, empty, contains NUL, exceeds PATH_MAX or PATH_NAME_MAX, or has
 * a "." or ".." component (normalise first), so a path can never talk its
 * way out of a prefix.
 */
bool path_has_prefix(const char *path, size_t len, const char *prefix, size_t plen);

/* Iterates the non-empty components of a path ("." and ".." included, as written). */
struct path_iter {
	const char *path;
	size_t len;
	size_t pos;
};

void path_iter_init(struct path_iter *it, const char *path, size_t len);
/* Sets *name, *namelen to the next component; false when there is none left. */
bool path_iter_next(struct path_iter *it, const char **name, size_t *namelen);

#endif
