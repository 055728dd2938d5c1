/* topic.c - matching a subscription pattern against an event topic. */
#include "event.h"

#include "lib/lib.h"

bool event_topic_matches(const char *pattern, const char *topic)
{
	size_t pl = strnlen(pattern, OPTIOS_EVENT_TOPIC_MAX);
	size_t tl = strnlen(topic, OPTIOS_EVENT_TOPIC_MAX);
	if (!pl || pl == OPTIOS_EVENT_TOPIC_MAX || tl == OPTIOS_EVENT_TOPIC_MAX ||
	    !optios_event_topic_valid(topic, OPTIOS_EVENT_TOPIC_MAX))
		return false;
	if (pattern[pl - 1] == '*')
		return tl >= pl - 1 && memcmp(pattern, topic, pl - 1) == 0;
	if (strncmp(pattern, "file:/", 6) == 0) {
		/* component-aware: "file:/a/b" and "file:/a/b/" cover "file:/a/b" and below */
		size_t dl = pattern[pl - 1] == '/' && pl > 6 ? pl - 1 : pl;
		if (tl < dl || memcmp(pattern, topic, dl) != 0)
			return false;
		return tl == dl || topic[dl] == '/' || dl == 6;
	}
	return pl == tl && memcmp(pattern, topic, pl) == 0;
}
