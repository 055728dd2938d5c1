/*
 * fuzz_path.c - libFuzzer target for path handling. The input is
 * "cwd\npath\nprefix" (missing parts are empty). Properties: a normalised
 * path is normal and normalises to itself; it is under "/", itself and its
 * parent; and path_has_prefix() agrees before and after normalisation
 * whenever it accepts the raw strings.
 */
#include <string.h>

#include <optios/abi/errno.h>

#include "fuzz.h"
#include "kernel/fs/path.h"

static char out[PATH_MAX], again[PATH_MAX], pre[PATH_MAX];

/* Splits off the next '\n'-terminated part of the input. */
static const char *part(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	*len = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return s;
}

static void check_normal(const char *p, size_t n)
{
	FUZZ_ASSERT(n >= 1 && strlen(p) == n && path_is_normal(p, n));
	FUZZ_ASSERT(path_normalize("/", 1, p, n, again, sizeof again) == (int)n && memcmp(again, p, n) == 0);
	FUZZ_ASSERT(path_has_prefix(p, n, "/", 1) && path_has_prefix(p, n, p, n));
	const char *slash = strrchr(p, '/');
	size_t plen = slash == p ? 1 : (size_t)(slash - p);
	FUZZ_ASSERT(path_has_prefix(p, n, p, plen)); /* the parent */
	if (n > 1)
		FUZZ_ASSERT(!path_has_prefix(p, plen, p, n)); /* but not the other way */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	size_t cwdlen, pathlen, prelen;
	const char *cwd = part(&p, end, &cwdlen);
	const char *path = part(&p, end, &pathlen);
	const char *prefix = part(&p, end, &prelen);

	int n = path_normalize(cwd, cwdlen, path, pathlen, out, sizeof out);
	FUZZ_ASSERT(n > 0 || n == -ENOENT || n == -EINVAL || n == -ENAMETOOLONG);
	if (n <= 0)
		return 0;
	check_normal(out, (size_t)n);

	bool raw = path_has_prefix(path, pathlen, prefix, prelen);
	int m = path_normalize("/", 1, prefix, prelen, pre, sizeof pre);
	if (raw) /* only clean absolute strings get a yes; normalising them keeps it */
		FUZZ_ASSERT(m > 0 && path_has_prefix(out, (size_t)n, pre, (size_t)m));
	if (m > 0 && path_has_prefix(out, (size_t)n, pre, (size_t)m))
		FUZZ_ASSERT(n >= m);

	struct path_iter it;
	const char *name;
	size_t len, total = 0;
	path_iter_init(&it, path, pathlen);
	while (path_iter_next(&it, &name, &len)) {
		FUZZ_ASSERT(len > 0 && name >= path && name + len <= path + pathlen && !memchr(name, '/', len));
		total += len;
	}
	FUZZ_ASSERT(total <= pathlen);
	return 0;
}
