/*
 * event.h - the event record shared by the kernel and user space, and the
 * rules a topic must follow. A topic is "<kind>:<name>", kind one of timer,
 * file, sensor, net:udp, net:tcp, app, sys; the name is non-empty and uses only
 * [A-Za-z0-9._/-]. Fixed sizes: the record is copied as-is across the ABI.
 */
#ifndef OPTIOS_ABI_EVENT_H
#define OPTIOS_ABI_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTIOS_EVENT_TOPIC_MAX 96    /* bytes, NUL included */
#define OPTIOS_EVENT_SOURCE_MAX 32   /* bytes, NUL included */
#define OPTIOS_EVENT_PAYLOAD_MAX 256 /* bytes */

struct optios_event {
	uint64_t seq;     /* global, unique, increasing in raise order */
	uint64_t time_ns; /* monotonic time of the raise */
	char topic[OPTIOS_EVENT_TOPIC_MAX];   /* NUL-terminated, see optios_event_topic_valid */
	char source[OPTIOS_EVENT_SOURCE_MAX]; /* the raiser: "kernel" or a program name */
	uint32_t payload_len;                 /* <= OPTIOS_EVENT_PAYLOAD_MAX */
	uint32_t retry; /* earlier attempts of this event that rolled back (0: its first run) */
	uint8_t payload[OPTIOS_EVENT_PAYLOAD_MAX];
};

_Static_assert(sizeof(struct optios_event) == 408, "event record size is ABI");

/* Returns the length of a known kind prefix ("timer:" ...) at the start of t, or 0. */
static inline size_t optios_event_kind_len(const char *t)
{
	static const char *const kinds[] = {"timer:", "file:", "sensor:", "net:udp:", "net:tcp:", "app:", "sys:"};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t i = 0;
		while (kinds[k][i] && t[i] == kinds[k][i])
			i++;
		if (!kinds[k][i])
			return i;
	}
	return 0;
}

/* The one topic rule: known kind, non-empty name of allowed characters, and
 * the whole topic (NUL included) fits OPTIOS_EVENT_TOPIC_MAX within max bytes. */
static inline bool optios_event_topic_valid(const char *t, size_t max)
{
	size_t kind = optios_event_kind_len(t), i;
	if (!kind)
		return false;
	for (i = kind; i < max && i < OPTIOS_EVENT_TOPIC_MAX && t[i]; i++) {
		char c = t[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-' || c == '/';
		if (!ok)
			return false;
	}
	return i > kind && i < max && i < OPTIOS_EVENT_TOPIC_MAX && !t[i];
}

#endif
