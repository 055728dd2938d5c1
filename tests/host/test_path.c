/*
 * test_path.c - path normalisation, iteration and the component-aware prefix
 * test that later permission checks depend on.
 */
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/fs/path.h"
#include "unit.h"

static char out[PATH_MAX];

/* Normalises (cwd, path) and returns the text, or "ERR<n>" on error. */
static const char *norm(const char *cwd, const char *path)
{
	static char res[PATH_MAX + 16];
	int n = path_normalize(cwd, cwd ? strlen(cwd) : 0, path, strlen(path), out, sizeof out);
	if (n < 0) {
		snprintf(res, sizeof res, "ERR%d", -n);
		return res;
	}
	if ((size_t)n != strlen(out))
		return "BADLEN";
	return out;
}

static bool under(const char *p, const char *prefix)
{
	return path_has_prefix(p, strlen(p), prefix, strlen(prefix));
}

TEST(path_normalize_basic)
{
	CHECK_STR(norm("/", "/"), "/");
	CHECK_STR(norm("/", "/a/b/c"), "/a/b/c");
	CHECK_STR(norm("/", "//a///b//"), "/a/b");
	CHECK_STR(norm("/", "/a/./b/."), "/a/b");
	CHECK_STR(norm("/", "/a/b/../c"), "/a/c");
	CHECK_STR(norm("/", "/a/b/../../.."), "/");
	CHECK_STR(norm("/", "/../../x"), "/x");
	CHECK_STR(norm("/", "/.."), "/");
	CHECK_STR(norm("/", "/..."), "/...");
	CHECK_STR(norm("/", "/.a/..b/a."), "/.a/..b/a.");
	CHECK_STR(norm("/home/u", "x/y"), "/home/u/x/y");
	CHECK_STR(norm("/home/u/", "../v"), "/home/v");
	CHECK_STR(norm("/home/u", "."), "/home/u");
	CHECK_STR(norm("/home/u", "../../../.."), "/");
	CHECK_STR(norm("//home//./u/..", "z"), "/home/z");
	CHECK_STR(norm("/ignored", "/abs"), "/abs");
	CHECK_STR(norm("relative", "/abs"), "/abs"); /* cwd unused for an absolute path */
}

TEST(path_normalize_errors)
{
	CHECK_STR(norm("/", ""), "ERR2");       /* ENOENT */
	CHECK_STR(norm(NULL, "a"), "ERR22");    /* EINVAL: no cwd */
	CHECK_STR(norm("", "a"), "ERR22");
	CHECK_STR(norm("home", "a"), "ERR22");  /* cwd must be absolute */
	CHECK_EQ(path_normalize("/", 1, "/a\0b", 4, out, sizeof out), -EINVAL);
	CHECK_EQ(out[0], 0);
	CHECK_EQ(path_normalize("/a\0", 3, "b", 1, out, sizeof out), -EINVAL);
	CHECK_EQ(path_normalize("/", 1, NULL, 0, out, sizeof out), -ENOENT);
	/* too small an output buffer is -ERANGE, never an overflow */
	char small[4] = "zzz";
	CHECK_EQ(path_normalize("/", 1, "/abc", 4, small, sizeof small), -ERANGE);
	CHECK_EQ(small[0], '\0');
	CHECK_EQ(path_normalize("/", 1, "/ab", 3, small, sizeof small), 3);
	CHECK_STR(small, "/ab");
	CHECK_EQ(path_normalize("/", 1, "/", 1, small, 1), -ERANGE);
	CHECK_EQ(path_normalize("/", 1, "/", 1, small, 0), -ERANGE);
	CHECK_EQ(path_normalize("/", 1, "/", 1, small, 2), 1);
}

TEST(path_normalize_limits)
{
	char *p = malloc(PATH_MAX + 2);
	/* a component of exactly PATH_NAME_MAX bytes is fine, one more is not */
	p[0] = '/';
	memset(p + 1, 'n', PATH_NAME_MAX);
	CHECK_EQ(path_normalize("/", 1, p, PATH_NAME_MAX + 1, out, sizeof out), PATH_NAME_MAX + 1);
	p[PATH_NAME_MAX + 1] = 'n';
	CHECK_EQ(path_normalize("/", 1, p, PATH_NAME_MAX + 2, out, sizeof out), -ENAMETOOLONG);
	/* too long a component in cwd counts too */
	CHECK_EQ(path_normalize(p, PATH_NAME_MAX + 2, "x", 1, out, sizeof out), -ENAMETOOLONG);

	/* "/a/a/.../a": a path of length PATH_MAX - 1 is accepted, PATH_MAX is not */
	for (int i = 0; i < PATH_MAX; i += 2) {
		p[i] = '/';
		p[i + 1] = 'a';
	}
	/* the trailing '/' is dropped */
	CHECK_EQ(path_normalize("/", 1, p, PATH_MAX - 1, out, sizeof out), PATH_MAX - 2);
	CHECK_EQ(path_normalize("/", 1, p, PATH_MAX - 2, out, sizeof out), PATH_MAX - 2);
	CHECK_EQ(path_normalize("/", 1, p, PATH_MAX, out, sizeof out), -ENAMETOOLONG);
	/* the result, not just the input, is bounded: cwd + relative path */
	CHECK_EQ(path_normalize(p, PATH_MAX - 2, "b", 1, out, sizeof out), -ENAMETOOLONG);
	CHECK_EQ(path_normalize(p, PATH_MAX - 2, "../b", 4, out, sizeof out), PATH_MAX - 2);
	CHECK_EQ(out[PATH_MAX - 3], 'b');
	/* a result of exactly PATH_MAX - 1 bytes fills the buffer with its NUL */
	p[PATH_MAX - 2] = 'a'; /* "/a/a/.../aa", PATH_MAX - 1 bytes */
	CHECK_EQ(path_normalize("/", 1, p, PATH_MAX - 1, out, sizeof out), PATH_MAX - 1);
	CHECK_EQ(strlen(out), PATH_MAX - 1);
	CHECK_EQ(path_normalize("/", 1, p + 1, PATH_MAX - 2, out, sizeof out), PATH_MAX - 1);
	CHECK_EQ(path_normalize("/x", 2, p + 1, PATH_MAX - 2, out, sizeof out), -ENAMETOOLONG);
	CHECK_EQ(out[0], '\0');
	free(p);
}

TEST(path_iterates_components)
{
	const char *s = "//usr/./lib//x/";
	const char *want[] = {"usr", ".", "lib", "x"};
	struct path_iter it;
	const char *name;
	size_t n;
	int i = 0;
	path_iter_init(&it, s, strlen(s));
	while (path_iter_next(&it, &name, &n)) {
		CHECK(i < 4);
		if (i < 4) {
			CHECK_EQ(n, strlen(want[i]));
			CHECK(memcmp(name, want[i], n) == 0);
		}
		i++;
	}
	CHECK_EQ(i, 4);
	CHECK(!path_iter_next(&it, &name, &n)); /* stays at the end */
	path_iter_init(&it, "///", 3);
	CHECK(!path_iter_next(&it, &name, &n));
	path_iter_init(&it, NULL, 5);
	CHECK(!path_iter_next(&it, &name, &n));
	path_iter_init(&it, "rel", 3);
	CHECK(path_iter_next(&it, &name, &n) && n == 3);
}

TEST(path_is_normal_matches_normalize)
{
	CHECK(path_is_normal("/", 1));
	CHECK(path_is_normal("/a/b", 4));
	CHECK(path_is_normal("/...", 4));
	CHECK(!path_is_normal("", 0));
	CHECK(!path_is_normal("a", 1));
	CHECK(!path_is_normal("/a/", 3));
	CHECK(!path_is_normal("//a", 3));
	CHECK(!path_is_normal("/a/./b", 6));
	CHECK(!path_is_normal("/a/..", 5));
	CHECK(!path_is_normal("/a\0", 3));
	const char *inputs[] = {"/", "a/../..", "./x//y/", "/../a/./b/../c//", "...", "x/.../..."};
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		int n = path_normalize("/cwd/dir", 8, inputs[i], strlen(inputs[i]), out, sizeof out);
		CHECK(n > 0);
		CHECK(path_is_normal(out, (size_t)n));
	}
}

TEST(path_prefix_is_component_aware)
{
	CHECK(under("/data/x", "/data"));
	CHECK(under("/data/x", "/data/"));
	CHECK(under("/data/x", "/data//"));
	CHECK(under("/data/x/y/z", "/data/x"));
	CHECK(under("/data", "/data"));
	CHECK(under("/data", "/data/"));
	CHECK(under("/data/", "/data"));
	CHECK(under("//data//x", "/data"));
	CHECK(under("/anything", "/"));
	CHECK(under("/", "/"));
	CHECK(under("/", "//"));
	CHECK(!under("/database", "/data"));
	CHECK(!under("/database", "/data/"));
	CHECK(!under("/data", "/database"));
	CHECK(!under("/dat", "/data"));
	CHECK(!under("/data", "/data/x"));
	CHECK(!under("/", "/data"));
	CHECK(!under("/Data/x", "/data"));
	CHECK(!under("/etc/data/x", "/data"));
	CHECK(!under("/data-x", "/data"));
	CHECK(!under("/data.x", "/data"));
	CHECK(!under("/data\\x", "/data"));
	CHECK(!under("/x/data", "/x/dat"));
	CHECK(!under("/x/data", "/x/datax"));
}

TEST(path_prefix_fails_closed)
{
	CHECK(!under("/data/../etc/passwd", "/data"));
	CHECK(!under("/data/./x", "/data"));
	CHECK(!under("/data/..", "/data"));
	CHECK(!under("/data/x", "/data/."));
	CHECK(!under("/etc", "/data/.."));
	CHECK(!under("data/x", "data"));
	CHECK(!under("/data/x", "data"));
	CHECK(!under("data/x", "/"));
	CHECK(!under("", "/"));
	CHECK(!under("/x", ""));
	CHECK(!path_has_prefix("/data/x\0/y", 10, "/data", 5));
	CHECK(!path_has_prefix("/data/x", 7, "/data\0", 6));
	CHECK(!path_has_prefix(NULL, 0, "/", 1));
	CHECK(!path_has_prefix("/", 1, NULL, 0));
	/* names that merely contain dots are ordinary names */
	CHECK(under("/data/...", "/data"));
	CHECK(under("/data/..x/y", "/data/..x"));
	CHECK(under("/data/.x", "/data"));
}

/* Normalising a path keeps it under a prefix exactly when its normal form is. */
TEST(path_prefix_after_normalize)
{
	static const struct {
		const char *cwd, *path, *prefix;
		bool want;
	} cases[] = {
		{"/data", "x", "/data", true},
		{"/data", "../etc", "/data", false},
		{"/data/a", "../../data/b", "/data", true},
		{"/data/a", "../../database", "/data", false},
		{"/", "/data/x/../../data", "/data", true},
		{"/", "/data/x/../..", "/data", false},
		{"/data", "../../../../data/./y", "/data/", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *cwd = cases[i].cwd, *path = cases[i].path, *prefix = cases[i].prefix;
		int n = path_normalize(cwd, strlen(cwd), path, strlen(path), out, sizeof out);
		CHECK(n > 0);
		CHECK_EQ(path_has_prefix(out, (size_t)n, prefix, strlen(prefix)), cases[i].want);
	}
}

TEST(path_prefix_refuses_what_normalize_refuses)
{
	char *p = malloc(PATH_MAX + 8);
	p[0] = '/';
	memset(p + 1, 'n', PATH_NAME_MAX + 1);
	CHECK(!path_has_prefix(p, PATH_NAME_MAX + 2, "/", 1));
	CHECK(path_has_prefix(p, PATH_NAME_MAX + 1, "/", 1));
	memset(p, '/', PATH_MAX);
	CHECK(path_has_prefix(p, PATH_MAX - 1, "/", 1));
	CHECK(!path_has_prefix(p, PATH_MAX, "/", 1));
	free(p);
}
