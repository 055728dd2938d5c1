/*
 * topic.h - topic patterns (the rules for topics themselves are in
 * optios/abi/event.h). A pattern is one of
 *   "*"                      every topic;
 *   a prefix ending in '*'   "app:thermo.*": every topic starting with it;
 *   a file: path             "file:/data/inbox" or "file:/data/inbox/": that
 *                            file and everything below it, by whole
 *                            components ("file:/" is every file topic);
 *   any other topic          "timer:counter.tick": that topic only.
 * Shared by the event queues (subscriptions) and the policy (event: and
 * emit: capabilities compare patterns with each other).
 */
#ifndef LIB_TOPIC_H
#define LIB_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

/* Is pattern (NUL-terminated) a pattern as above: "*", a valid topic, or a
 * known kind and allowed characters ending in '*', file: paths normal? */
bool topic_pattern_valid(const char *pattern);
/* Does pattern match topic? false unless topic is valid. */
bool topic_matches(const char *pattern, const char *topic);
/* Does g match every topic c matches? false unless both are valid patterns. */
bool topic_covers(const char *g, const char *c);
/* Is there a topic both a and b may match? false unless both are valid patterns. */
bool topic_overlaps(const char *a, const char *b);
/* Is path[0..len) absolute and normal: no empty, "." or ".." component? A
 * trailing '/' is allowed (a directory); when partial_last, the last
 * component is cut short (a '*' followed it) and not checked. */
bool topic_path_normal(const char *path, size_t len, bool partial_last);

#endif
