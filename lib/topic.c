/*
 * topic.c - topic patterns: validating them, matching topics, and comparing
 * two patterns (covers, overlaps) for the policy.
 *
 * Every pattern has a shape and a stem, the bytes every topic it matches
 * starts with: ANY_AFTER (a '*' pattern: the stem is all but the '*'; "*"
 * has the empty stem), DIR (a file: pattern: the stem is the path without a
 * trailing '/', "file:/" being the root) or EXACT (the stem is the topic).
 * Matching, covering and overlapping are then comparisons of stems; only DIR
 * needs care, as its stem must be followed by nothing or a '/'.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "topic.h"

#include <optios/abi/event.h>

#include "lib.h"

#define TOPIC_MAX OPTIOS_EVENT_TOPIC_MAX
#define FILE_ROOT_LEN 6 /* "file:/" */

enum shape { ANY_AFTER, DIR, EXACT };

struct stem {
	enum shape shape;
	size_t len;
};

/* p[0..pl) is a pattern, pl > 0. */
static struct stem stem_of(const char *p, size_t pl)
{
	if (p[pl - 1] == '*')
		return (struct stem){ANY_AFTER, pl - 1};
	if (strncmp(p, "file:/", FILE_ROOT_LEN) == 0)
		return (struct stem){DIR, p[pl - 1] == '/' && pl > FILE_ROOT_LEN ? pl - 1 : pl};
	return (struct stem){EXACT, pl};
}

/* Does the pattern p (of stem s) match t[0..tl), a topic or another stem? */
static bool within(const char *p, struct stem s, const char *t, size_t tl)
{
	if (tl < s.len || memcmp(p, t, s.len) != 0)
		return false;
	if (s.shape == ANY_AFTER)
		return true;
	if (s.shape == DIR)
		return tl == s.len || t[s.len] == '/' || s.len == FILE_ROOT_LEN;
	return tl == s.len;
}

/* Is t[0..tl) strictly below the DIR pattern d: does every extension of it
 * stay inside d? (True when t continues d's stem with a '/'.) */
static bool below(const char *d, struct stem s, const char *t, size_t tl)
{
	if (tl < s.len || memcmp(d, t, s.len) != 0)
		return false;
	return s.len == FILE_ROOT_LEN || (tl > s.len && t[s.len] == '/');
}

bool topic_path_normal(const char *path, size_t len, bool partial_last)
{
	if (len == 0 || path[0] != '/')
		return false;
	size_t start = 1;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t n = i - start;
		if (i == len && (partial_last || n == 0))
			break;
		if (n == 0 || (n == 1 && path[start] == '.') ||
		    (n == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

bool topic_pattern_valid(const char *pattern)
{
	char buf[TOPIC_MAX];
	size_t len = strnlen(pattern, TOPIC_MAX);
	if (len == 0 || len == TOPIC_MAX)
		return false;
	bool star = pattern[len - 1] == '*';
	if (len == 1 && star)
		return true;
	memcpy(buf, pattern, len + 1);
	if (star)
		buf[len - 1] = 'x'; /* "app:*" is valid when "app:x" is a valid topic */
	if (!optios_event_topic_valid(buf, TOPIC_MAX))
		return false;
	if (strncmp(buf, "file:", 5) == 0 && !(star && len == 6)) /* "file:*" has no path */
		return topic_path_normal(buf + 5, len - 5 - star, star);
	return true;
}

bool topic_matches(const char *pattern, const char *topic)
{
	size_t pl = strnlen(pattern, TOPIC_MAX);
	size_t tl = strnlen(topic, TOPIC_MAX);
	if (!pl || pl == TOPIC_MAX || tl == TOPIC_MAX || !optios_event_topic_valid(topic, TOPIC_MAX))
		return false;
	return within(pattern, stem_of(pattern, pl), topic, tl);
}

bool topic_covers(const char *g, const char *c)
{
	if (!topic_pattern_valid(g) || !topic_pattern_valid(c))
		return false;
	struct stem gs = stem_of(g, strlen(g)), cs = stem_of(c, strlen(c));
	switch (gs.shape) {
	case ANY_AFTER: /* every topic c matches starts with c's stem */
		return cs.len >= gs.len && memcmp(g, c, gs.len) == 0;
	case DIR:
		if (cs.shape == ANY_AFTER)
			return below(g, gs, c, cs.len);
		return within(g, gs, c, cs.len);
	default: return cs.shape == EXACT && cs.len == gs.len && memcmp(g, c, gs.len) == 0;
	}
}

bool topic_overlaps(const char *a, const char *b)
{
	if (!topic_pattern_valid(a) || !topic_pattern_valid(b))
		return false;
	struct stem as = stem_of(a, strlen(a)), bs = stem_of(b, strlen(b));
	if (as.shape == EXACT)
		return topic_matches(b, a);
	if (bs.shape == EXACT)
		return topic_matches(a, b);
	if (as.shape == ANY_AFTER && bs.shape == ANY_AFTER)
		return memcmp(a, b, MIN(as.len, bs.len)) == 0;
	if (as.shape == DIR && bs.shape == DIR)
		return within(a, as, b, bs.len) || within(b, bs, a, as.len);
	if (as.shape == DIR) /* b is ANY_AFTER: a's own stem, or something b reaches below a */
		return within(b, bs, a, as.len) || below(a, as, b, bs.len);
	return within(a, as, b, bs.len) || below(b, bs, a, as.len);
}
