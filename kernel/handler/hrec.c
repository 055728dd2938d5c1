/*
 * hrec.c - a handler's persisted registration, encoded (hrec.h).
 *
 * Layout, little endian: magic "OHR1" (4), format 1 (4), version (4),
 * ntimers (4), hash (32), runs (8), failures (8), name length (2), path
 * length (2), name bytes, path bytes, ntimers x timer_left_ns (8). Every
 * length is checked against what is left before it is used; names and
 * paths are checked as the kernel would have accepted them.
 *
 * Host-buildable: yes (tests/host/test_hrec.c).
 */
#include "kernel/handler/hrec.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define HREC_MAGIC 0x3152484fu /* "OHR1" */
#define HREC_FORMAT 1u
#define HREC_FIXED 68

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

size_t hrec_encode(const struct hrec *r, uint8_t *buf)
{
	size_t nl = strlen(r->name), pl = strlen(r->path), nt = MIN(r->ntimers, MANIFEST_TIMERS_MAX);
	put32(buf, HREC_MAGIC);
	put32(buf + 4, HREC_FORMAT);
	put32(buf + 8, r->version);
	put32(buf + 12, (uint32_t)nt);
	memcpy(buf + 16, r->hash, 32);
	put64(buf + 48, r->runs);
	put64(buf + 56, r->failures);
	buf[64] = (uint8_t)nl, buf[65] = 0;
	buf[66] = (uint8_t)pl, buf[67] = 0;
	uint8_t *p = buf + HREC_FIXED;
	memcpy(p, r->name, nl);
	memcpy(p + nl, r->path, pl);
	p += nl + pl;
	for (size_t i = 0; i < nt; i++, p += 8)
		put64(p, r->timer_left_ns[i]);
	return (size_t)(p - buf);
}

static int refuse(char *msg, size_t msgsize, const char *why)
{
	ksnprintf(msg, msgsize, "handler record refused: %s", why);
	return -EINVAL;
}

/* A handler name as a manifest allows it, a path as handler add takes it:
 * printable bytes, no NUL inside. */
static int text_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

int hrec_decode(const void *buf, size_t len, struct hrec *out, char *msg, size_t msgsize)
{
	const uint8_t *b = buf;
	if (len < HREC_FIXED)
		return refuse(msg, msgsize, "shorter than its fixed fields");
	if (get32(b) != HREC_MAGIC || get32(b + 4) != HREC_FORMAT)
		return refuse(msg, msgsize, "bad magic or unknown format");
	memset(out, 0, sizeof *out);
	out->version = get32(b + 8);
	out->ntimers = get32(b + 12);
	memcpy(out->hash, b + 16, 32);
	out->runs = get64(b + 48);
	out->failures = get64(b + 56);
	size_t nl = (size_t)b[64] | (size_t)b[65] << 8, pl = (size_t)b[66] | (size_t)b[67] << 8;
	if (out->ntimers > MANIFEST_TIMERS_MAX)
		return refuse(msg, msgsize, "too many timers");
	if (nl == 0 || nl >= MANIFEST_NAME_MAX || pl < 2 || pl >= HREC_PATH_MAX)
		return refuse(msg, msgsize, "name or path length out of bounds");
	if (len != HREC_FIXED + nl + pl + 8 * (size_t)out->ntimers)
		return refuse(msg, msgsize, "length does not match its fields");
	const uint8_t *p = b + HREC_FIXED;
	if (!text_ok(p, nl) || !text_ok(p + nl, pl) || p[nl] != '/')
		return refuse(msg, msgsize, "name or path not printable, or path not absolute");
	memcpy(out->name, p, nl);
	memcpy(out->path, p + nl, pl);
	p += nl + pl;
	for (uint32_t i = 0; i < out->ntimers; i++, p += 8)
		out->timer_left_ns[i] = get64(p);
	return 0;
}

int hrec_event_check(const struct hrec_event *e, size_t len, uint32_t nsubs, int inbox, char *msg,
		     size_t msgsize)
{
	const char *why = NULL;
	if (len != sizeof *e)
		why = "not the size of one";
	else if (e->ev.payload_len > OPTIOS_EVENT_PAYLOAD_MAX)
		why = "payload longer than an event's";
	else if (!optios_event_topic_valid(e->ev.topic, sizeof e->ev.topic))
		why = "topic not valid";
	else if (!memchr(e->ev.source, 0, sizeof e->ev.source))
		why = "source not terminated";
	else if (!inbox && e->sub >= nsubs)
		why = "subscription out of range";
	if (!why)
		return 0;
	ksnprintf(msg, msgsize, "stored event refused: %s", why);
	return -EINVAL;
}

uint64_t hrec_id(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	h &= 0x00ffffffffffffffull;
	return h ? h : 1;
}
