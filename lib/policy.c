/*
 * policy.c - capabilities, the policy file, a program's permissions and the
 * static questions (contract and capability syntax: policy.h).
 *
 * Theory of operation. Everything is decided on capability strings. A
 * capability splits into a kind and an object; the kind fixes the object's
 * type: none ("console"), a path ("file.write:/data/") or a topic pattern
 * ("emit:app:thermo.*"). One relation does the work, "g covers c": same
 * kind, and g's object reaches everything c's does:
 *   paths     "/data/" covers "/data" itself and everything below by whole
 *             components ("/data/x", "/data/x/"), never "/datax"; "/data"
 *             covers only "/data"; "/" covers every path;
 *   patterns  topic_covers (lib/topic.h): "app:*" covers "app:x.*" and
 *             "app:x"; "file:/data/" covers "file:/data/inbox/"; "app:x"
 *             covers only itself.
 * A use (kind, object) is a capability too, so policy_cap_allows is covering. A
 * grant gives what it covers; a program's effective permissions are the
 * capabilities its manifest declares that a grant to it (or to "*") covers:
 * a declared capability is granted whole or not at all.
 *
 * Invariants: a struct policy holds n <= POLICY_GRANTS_MAX grants, each a
 * valid program name (or "*") and a valid capability, no two the same;
 * the capabilities lie back to back in cap_text in grant order (grant 0's
 * at 0, each after the previous one's NUL; cap_bytes in all, the rest
 * zero), so a revoke closes the gap by moving the later ones down; the
 * bytes after each program name and the unused grants are zero; every
 * change adds one to generation. A policy_set's declared capabilities lie
 * the same way in its cap_text; only path capabilities are long, so the
 * queries copy none onto the stack (event capabilities, the only ones they
 * make up, are short: EVENT_CAP_MAX). Nothing here allocates or keeps a
 * pointer it was given; the queries use at most a few KiB of stack.
 *
 * The answers of the queries (also docs/ABI.md "Permissions"). Programs are
 * listed by manifest name, then path; NAME (PATH) names one; a list of
 * capabilities is one per line, indented, or "(none)".
 *
 *   policy_show, for each program whose name (or path) is NAME, a blank line
 *   between two:
 *     NAME (PATH): version V, CONTEXT[, budget 10ms][, memory 256 pages]
 *     declared:      what the manifest asks for: its events, then outputs
 *     granted:       the grants to NAME or to * ("CAP (to *)"), in policy order
 *     effective:     the declared capabilities that are granted
 *     missing:       the others, "CAP (policy grant NAME CAP)", or for a
 *                    declared capability that is not valid "CAP (invalid: WHY)"
 *   or "no such program: NAME".
 *
 *   policy_who_can:
 *     who can CAP:
 *       NAME (PATH) by EFFECTIVE-CAP       the first of its that covers CAP
 *       NAME (PATH) by EFFECTIVE-CAP (part of it)   network kinds: one that
 *                                          does some of CAP (net.send:udp:*:*
 *                                          asks who may send any datagram)
 *       NAME (PATH) by net.reply:udp:P (replies to whoever sends to it)
 *                                          for net.send:udp:... queries
 *       any program without a manifest     when "console" covers CAP
 *   or "  nobody" under the first line; "invalid capability: CAP".
 *
 *   policy_on (TOPIC a topic, or a pattern: then handlers of any topic it
 *   may match):
 *     on TOPIC:
 *       NAME (PATH) runs (by EVENT-CAP)
 *         EFFECTIVE-CAP ...
 *       NAME (PATH) may then run (by EVENT-CAP, after EMIT-CAP of NAME)
 *         EFFECTIVE-CAP ...
 *   The first lines are the handlers (background programs) an effective
 *   event capability of which matches TOPIC. Then, round by round, every
 *   handler not listed yet with an effective event capability that overlaps
 *   an effective emit capability of one listed in the round before "may then
 *   run", naming the first such pair; each program appears once. With no
 *   handler: "on TOPIC: no handler runs"; "invalid topic: TOPIC".
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "policy.h"

#include <optios/abi/errno.h>

#include "lib.h"
#include "span.h"
#include "topic.h"

/* ---- capabilities ---- */

enum object_type { OBJ_NONE, OBJ_PATH, OBJ_PATTERN, OBJ_NET_PORT, OBJ_NET_HOSTPORT };

/* Programs raise app: events only; sys:, timer: and file: events are the
 * kernel's (a grant of emit:* would let a program fake sys:boot). */
#define EMIT_KIND "app:"
#define EMIT_RULE \
	"only app: topics may be emitted (sys:, timer: and file: events are raised by the kernel alone)"

#define NET_UDP 1
#define NET_TCP 2

static const struct {
	const char *name;
	enum object_type obj;
	unsigned protos; /* network kinds: NET_UDP | NET_TCP allowed */
} kinds[CAP_KINDS] = {
	[CAP_FILE_READ] = {"file.read", OBJ_PATH, 0},
	[CAP_FILE_WRITE] = {"file.write", OBJ_PATH, 0},
	[CAP_EMIT] = {"emit", OBJ_PATTERN, 0},
	[CAP_EVENT] = {"event", OBJ_PATTERN, 0},
	[CAP_SPAWN] = {"spawn", OBJ_PATH, 0},
	[CAP_CONSOLE] = {"console", OBJ_NONE, 0},
	[CAP_DISPLAY] = {"display", OBJ_NONE, 0},
	[CAP_LOG_READ] = {"log.read", OBJ_NONE, 0},
	[CAP_HANDLER_MANAGE] = {"handler.manage", OBJ_NONE, 0},
	[CAP_POLICY_MANAGE] = {"policy.manage", OBJ_NONE, 0},
	[CAP_POWER] = {"power", OBJ_NONE, 0},
	[CAP_DEV_BLOCK] = {"dev.block", OBJ_NONE, 0},
	[CAP_NET_PING] = {"net.ping", OBJ_NONE, 0},
	[CAP_NET_RESOLVE] = {"net.resolve", OBJ_NONE, 0},
	[CAP_NET_LISTEN] = {"net.listen", OBJ_NET_PORT, NET_UDP | NET_TCP},
	[CAP_NET_SEND] = {"net.send", OBJ_NET_HOSTPORT, NET_UDP},
	[CAP_NET_CONNECT] = {"net.connect", OBJ_NET_HOSTPORT, NET_TCP},
	[CAP_NET_REPLY] = {"net.reply", OBJ_NET_PORT, NET_UDP | NET_TCP},
	[CAP_SENSOR_FAST] = {"sensor.fast", OBJ_NONE, 0},
};

/* ---- network objects: "udp:PORT", "tcp:HOST:PORT" ---- */

/* A network object split into its fields (each a span of the object). */
struct net_obj {
	unsigned proto; /* NET_UDP or NET_TCP */
	struct span host, port; /* host.len 0: no host field */
};

/* "*", or a decimal number in [1, max] (0 allowed when min0) without leading zeros. */
static bool net_number(struct span f, unsigned long max, bool min0)
{
	if (f.len == 1 && f.p[0] == '*')
		return true;
	if (f.len == 0 || f.len > 5 || (f.p[0] == '0' && (f.len > 1 || !min0)))
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < f.len; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(f.p[i] - '0');
	}
	return v <= max;
}

static bool net_host(struct span f)
{
	if (f.len == 1 && f.p[0] == '*')
		return true;
	size_t start = 0, dots = 0;
	for (size_t i = 0; i <= f.len; i++) {
		if (i < f.len && f.p[i] != '.')
			continue;
		struct span part = {f.p + start, i - start};
		if ((part.len == 1 && part.p[0] == '*') || !net_number(part, 255, true))
			return false;
		dots += i < f.len;
		start = i + 1;
	}
	return dots == 3;
}

/* Splits object o of type t ("udp:7", "udp:10.0.2.2:53"); false if malformed. */
static bool net_split(enum object_type t, const char *o, struct net_obj *out)
{
	if (strncmp(o, "udp:", 4) == 0)
		out->proto = NET_UDP;
	else if (strncmp(o, "tcp:", 4) == 0)
		out->proto = NET_TCP;
	else
		return false;
	const char *rest = o + 4, *colon = strchr(rest, ':');
	out->host = (struct span){rest, 0};
	if (t == OBJ_NET_HOSTPORT) {
		if (!colon)
			return false;
		out->host = (struct span){rest, (size_t)(colon - rest)};
		rest = colon + 1;
		if (!net_host(out->host))
			return false;
	}
	out->port = (struct span){rest, strlen(rest)};
	return net_number(out->port, 65535, false);
}

static bool span_eq(struct span a, struct span b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static bool field_covers(struct span g, struct span c)
{
	return (g.len == 1 && g.p[0] == '*') || span_eq(g, c);
}

static bool field_overlaps(struct span a, struct span b)
{
	return field_covers(a, b) || field_covers(b, a);
}

/* A path, of a capability or being checked: as long as the file system allows. */
static bool path_valid(const char *path)
{
	size_t len = strnlen(path, POLICY_PATH_MAX);
	return len < POLICY_PATH_MAX && topic_path_normal(path, len, false);
}

static bool object_valid(enum object_type t, const char *object)
{
	struct net_obj n;
	if (t == OBJ_PATH)
		return path_valid(object);
	if (t == OBJ_PATTERN)
		return topic_pattern_valid(object);
	if (t == OBJ_NET_PORT || t == OBJ_NET_HOSTPORT)
		return net_split(t, object, &n);
	return !object[0];
}

/* Both network objects valid for t: does g reach everything c does? */
static bool net_covers(enum object_type t, const char *g, const char *c)
{
	struct net_obj a, b;
	net_split(t, g, &a);
	net_split(t, c, &b);
	return a.proto == b.proto && field_covers(a.host, b.host) && field_covers(a.port, b.port);
}

/* Both objects valid for their type. */
static bool object_covers(enum object_type t, const char *g, const char *c)
{
	if (t == OBJ_PATTERN)
		return topic_covers(g, c);
	if (t == OBJ_NONE)
		return true;
	if (t == OBJ_NET_PORT || t == OBJ_NET_HOSTPORT)
		return net_covers(t, g, c);
	size_t gl = strlen(g), cl = strlen(c);
	if (g[gl - 1] != '/')
		return strcmp(g, c) == 0;
	return (cl >= gl && memcmp(g, c, gl) == 0) || (cl == gl - 1 && memcmp(g, c, cl) == 0);
}

static int kind_find(const char *name, size_t len)
{
	for (int k = 0; k < CAP_KINDS; k++)
		if (strlen(kinds[k].name) == len && memcmp(kinds[k].name, name, len) == 0)
			return k;
	return -1;
}

/* policy_cap_parse, saying in *why what is wrong. */
static int cap_check(const char *c, enum policy_cap *kind, const char **object, const char **why)
{
	size_t len = c ? strnlen(c, CAP_MAX) : 0;
	*why = len == 0 ? "empty" : len == CAP_MAX ? "too long" : NULL;
	for (size_t i = 0; !*why && i < len; i++)
		if ((unsigned char)c[i] <= ' ' || (unsigned char)c[i] > '~')
			*why = "not printable ASCII without blanks";
	if (*why)
		return -EINVAL;
	const char *colon = memchr(c, ':', len);
	int k = kind_find(c, colon ? (size_t)(colon - c) : len);
	const char *obj = colon ? colon + 1 : c + len;
	if (k < 0)
		*why = "unknown kind";
	else if (kinds[k].obj == OBJ_NONE && colon)
		*why = "this kind takes no object";
	else if (kinds[k].obj != OBJ_NONE && !obj[0])
		*why = "this kind needs an object";
	else if (kinds[k].obj == OBJ_PATH && strnlen(obj, POLICY_PATH_MAX) == POLICY_PATH_MAX)
		*why = "path longer than PATH_MAX - 1 (4095) bytes";
	else if (!object_valid(kinds[k].obj, obj))
		*why = kinds[k].obj == OBJ_PATH	      ? "not a normal absolute path"
		       : kinds[k].obj == OBJ_NET_PORT ? "not PROTO:PORT (udp or tcp, a port 1-65535 or *)"
		       : kinds[k].obj == OBJ_NET_HOSTPORT
			       ? "not PROTO:HOST:PORT (HOST a.b.c.d or *, a port 1-65535 or *)"
			       : "not a topic pattern";
	else if (kinds[k].protos && !(kinds[k].protos & (strncmp(obj, "udp:", 4) == 0 ? NET_UDP : NET_TCP)))
		*why = k == CAP_NET_SEND ? "net.send is for udp (a TCP connection: net.connect:tcp:HOST:PORT)"
				       : "net.connect is for tcp (datagrams: net.send:udp:HOST:PORT)";
	else if (k == CAP_EMIT && strncmp(obj, EMIT_KIND, strlen(EMIT_KIND)) != 0)
		*why = EMIT_RULE;
	if (*why)
		return -EINVAL;
	if (kind)
		*kind = (enum policy_cap)k;
	if (object)
		*object = obj;
	return 0;
}

int policy_cap_parse(const char *c, enum policy_cap *kind, const char **object)
{
	const char *why;
	return cap_check(c, kind, object, &why);
}

const char *policy_cap_problem(const char *c)
{
	const char *why;
	return cap_check(c, NULL, NULL, &why) ? why : NULL;
}

const char *policy_cap_kind_name(enum policy_cap kind)
{
	return (unsigned)kind < CAP_KINDS ? kinds[kind].name : "?";
}

bool policy_cap_covers(const char *g, const char *c)
{
	enum policy_cap gk, ck;
	const char *go, *co;
	if (policy_cap_parse(g, &gk, &go) || policy_cap_parse(c, &ck, &co) || gk != ck)
		return false;
	return object_covers(kinds[gk].obj, go, co);
}

bool policy_cap_allows(const char *c, enum policy_cap kind, const char *object)
{
	enum policy_cap ck;
	const char *co;
	if (policy_cap_parse(c, &ck, &co) || ck != kind)
		return false;
	if (!object)
		object = ""; /* bare kinds: no object */
	return object_valid(kinds[ck].obj, object) && object_covers(kinds[ck].obj, co, object);
}

/* ---- the policy ---- */

/* A manifest name (1-31 chars of [a-z0-9_-]) or "*". */
static bool program_valid(const char *name)
{
	size_t len = strnlen(name, MANIFEST_NAME_MAX);
	if (len == 0 || len == MANIFEST_NAME_MAX)
		return false;
	if (strcmp(name, "*") == 0)
		return true;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static const struct policy_grant *grant_find(const struct policy *p, const char *program, const char *cap)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->grants[i].program, program) == 0 && strcmp(policy_grant_cap(p, i), cap) == 0)
			return &p->grants[i];
	return NULL;
}

int policy_grant(struct policy *p, const char *program, const char *cap)
{
	if (!program || !cap || !program_valid(program) || policy_cap_parse(cap, NULL, NULL))
		return -EINVAL;
	if (grant_find(p, program, cap))
		return -EEXIST;
	if (p->n == POLICY_GRANTS_MAX)
		return -ENOSPC;
	size_t len = strlen(cap) + 1;
	if (len > POLICY_CAPS_BYTES - p->cap_bytes)
		return -E2BIG;
	struct policy_grant *g = &p->grants[p->n++];
	memset(g, 0, sizeof *g);
	memcpy(g->program, program, strlen(program) + 1);
	g->cap_at = (uint16_t)p->cap_bytes;
	memcpy(p->cap_text + p->cap_bytes, cap, len);
	p->cap_bytes += len;
	p->generation++;
	return 0;
}

int policy_revoke(struct policy *p, const char *program, const char *cap)
{
	const struct policy_grant *g = program && cap ? grant_find(p, program, cap) : NULL;
	if (!g)
		return -ENOENT;
	size_t i = (size_t)(g - p->grants), at = g->cap_at, len = strlen(p->cap_text + at) + 1;
	memmove(p->cap_text + at, p->cap_text + at + len, p->cap_bytes - at - len);
	p->cap_bytes -= len;
	memset(p->cap_text + p->cap_bytes, 0, len);
	memmove(&p->grants[i], &p->grants[i + 1], (p->n - i - 1) * sizeof p->grants[0]);
	memset(&p->grants[--p->n], 0, sizeof p->grants[0]);
	for (size_t k = i; k < p->n; k++) /* the later capabilities moved down */
		p->grants[k].cap_at = (uint16_t)(p->grants[k].cap_at - len);
	p->generation++;
	return 0;
}

bool policy_granted(const struct policy *p, const char *program, const char *cap)
{
	for (size_t i = 0; p && program && i < p->n; i++) {
		const struct policy_grant *g = &p->grants[i];
		if ((strcmp(g->program, program) == 0 || strcmp(g->program, "*") == 0) &&
		    policy_cap_covers(policy_grant_cap(p, i), cap))
			return true;
	}
	return false;
}

struct reader {
	struct policy *p;
	uint8_t source; /* what the grants read get */
	unsigned line;
	size_t bad_lines;
	policy_bad_fn *bad;
	void *arg;
};

/* Reports the current line as bad (line 0: the whole text). */
static void complain(struct reader *rd, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void complain(struct reader *rd, const char *fmt, ...)
{
	char why[POLICY_WHY_MAX];
	va_list ap;
	rd->bad_lines++;
	if (!rd->bad)
		return;
	va_start(ap, fmt);
	kvsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	rd->bad(rd->arg, rd->line, why);
}

#define GRANT_USAGE "expected 'grant PROGRAM CAPABILITY'"

/* Copies token t into dst[size] as a string; false if it does not fit. */
static bool token_copy(char *dst, size_t size, struct span t)
{
	if (t.len >= size)
		return false;
	memcpy(dst, t.p, t.len);
	dst[t.len] = '\0';
	return true;
}

/* For "'%.*s'": a token, cut to 40 bytes. */
#define QUOTE(t) (int)MIN((t).len, 40), (t).p

/* grant PROGRAM CAPABILITY: tok[1] and tok[2] are the arguments. */
static void read_grant(struct reader *rd, const struct span *tok)
{
	char program[MANIFEST_NAME_MAX], cap[CAP_MAX];
	const char *why = "too long";
	if (!token_copy(program, sizeof program, tok[1]) || !program_valid(program))
		return complain(rd, "bad program name '%.*s' (1-%d chars of a-z 0-9 _ -, or *)",
				QUOTE(tok[1]), MANIFEST_NAME_MAX - 1);
	if (!token_copy(cap, sizeof cap, tok[2]) || cap_check(cap, NULL, NULL, &why))
		return complain(rd, "bad capability '%.*s': %s", QUOTE(tok[2]), why);
	int r = policy_grant(rd->p, program, cap);
	if (r == 0)
		rd->p->grants[rd->p->n - 1].source = rd->source;
	if (r == -EEXIST)
		complain(rd, "'grant %s %s' is there already", program, cap);
	else if (r == -ENOSPC)
		complain(rd, "more than %d grants", POLICY_GRANTS_MAX);
	else if (r == -E2BIG)
		complain(rd, "the policy's capabilities take more than %d bytes", POLICY_CAPS_BYTES);
}

static void read_line(struct reader *rd, struct span line)
{
	struct span tok[3];
	size_t bad = span_bad_byte(line);
	if (line.len > POLICY_LINE_MAX)
		return complain(rd, "line longer than %d bytes", POLICY_LINE_MAX);
	if (bad < line.len)
		return complain(rd, "control character 0x%02x", (unsigned char)line.p[bad]);
	unsigned n = span_tokens(line, tok, 3);
	if (n == 0)
		return;
	if (!span_is(tok[0], "grant"))
		return complain(rd, "unknown directive '%.*s' (" GRANT_USAGE ")", QUOTE(tok[0]));
	if (n != 3)
		return complain(rd, GRANT_USAGE);
	read_grant(rd, tok);
}

/* The source number of file in p (1 + its index), added if new; 0 if none. */
static uint8_t source_of(struct policy *p, const char *file)
{
	if (!file || strnlen(file, POLICY_SOURCE_MAX) == POLICY_SOURCE_MAX)
		return 0;
	for (size_t i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i], file) == 0)
			return (uint8_t)(i + 1);
	if (p->nsources == POLICY_SOURCES_MAX)
		return 0;
	memcpy(p->sources[p->nsources], file, strlen(file) + 1);
	return (uint8_t)++p->nsources;
}

size_t policy_load(struct policy *p, const char *file, const char *text, size_t len, policy_bad_fn *bad,
		   void *arg)
{
	struct reader rd = {.p = p, .source = source_of(p, file), .bad = bad, .arg = arg};
	struct span line;
	if (!text)
		len = 0;
	if (len > POLICY_TEXT_MAX) {
		complain(&rd, "policy longer than %d bytes", POLICY_TEXT_MAX);
		return rd.bad_lines;
	}
	for (size_t pos = 0; span_next_line(text, len, &pos, &line);) {
		rd.line++;
		read_line(&rd, line);
	}
	return rd.bad_lines;
}

bool policy_dropin_name(const char *name)
{
	static const char suffix[] = ".policy";
	size_t len = strlen(name), slen = sizeof suffix - 1;
	return len > slen && name[0] != '.' && strcmp(name + len - slen, suffix) == 0;
}

struct first_error {
	char *err;
	size_t errlen;
	bool seen;
};

/* Keeps the first bad line as "line N: why" (the message alone at line 0). */
static void keep_first(void *arg, unsigned line, const char *why)
{
	struct first_error *fe = arg;
	if (fe->seen || !fe->err || !fe->errlen)
		return;
	fe->seen = true;
	int n = line ? ksnprintf(fe->err, fe->errlen, "line %u: ", line) : 0;
	if ((size_t)n < fe->errlen)
		ksnprintf(fe->err + n, fe->errlen - (size_t)n, "%s", why);
}

int policy_parse(const char *text, size_t len, struct policy *p, char *err, size_t errlen)
{
	struct first_error fe = {err, errlen, false};
	uint64_t generation = p->generation;
	memset(p, 0, sizeof *p);
	if (err && errlen)
		err[0] = '\0';
	size_t bad = policy_load(p, NULL, text, len, keep_first, &fe);
	p->generation = generation + 1;
	return bad ? -EINVAL : 0;
}

/* ---- text answers ---- */

struct text {
	char *out;
	size_t size, len; /* len: what the whole answer needs, NUL not counted */
};

static void say(struct text *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room = t->len < t->size ? t->size - t->len : 0;
	va_start(ap, fmt);
	int n = kvsnprintf(room ? t->out + t->len : NULL, room, fmt, ap);
	va_end(ap);
	t->len += n > 0 ? (size_t)n : 0;
}

static struct text text_start(char *out, size_t size)
{
	if (out && size)
		out[0] = '\0';
	return (struct text){out, out ? size : 0, 0};
}

size_t policy_list(const struct policy *p, char *out, size_t size)
{
	struct text t = text_start(out, size);
	for (size_t i = 0; i < p->n; i++)
		say(&t, "grant %s %s\n", p->grants[i].program, policy_grant_cap(p, i));
	return t.len;
}

/* ---- a program's permissions ---- */

/* bytes of an event capability, NUL included: "event:" and a pattern */
#define EVENT_CAP_MAX (sizeof "event:" - 1 + OPTIOS_EVENT_TOPIC_MAX)

/* The i-th capability m declares (its events, then its outputs): an event
 * one made up in ev, an output m's own; NULL past the last. */
static const char *declared(const struct manifest *m, size_t i, char ev[EVENT_CAP_MAX])
{
	size_t nev = MIN(m->nevents, MANIFEST_EVENTS_MAX), nout = MIN(m->noutputs, MANIFEST_OUTPUTS_MAX);
	if (i < nev) {
		ksnprintf(ev, EVENT_CAP_MAX, "event:%.*s", OPTIOS_EVENT_TOPIC_MAX - 1, m->events[i].pattern);
		return ev;
	}
	return i - nev < nout ? manifest_output(m, (uint32_t)(i - nev)) : NULL;
}

/* Is declared capability cap of m effective (valid and granted)? */
static bool effective(const struct policy *p, const struct manifest *m, const char *cap)
{
	return policy_cap_parse(cap, NULL, NULL) == 0 && policy_granted(p, m->name, cap);
}

void policy_set_compute(struct policy_set *out, const struct manifest *m, const struct policy *p)
{
	char ev[EVENT_CAP_MAX];
	const char *cap;
	size_t used = 0;
	memset(out, 0, sizeof *out);
	out->generation = p ? p->generation : 0;
	if (!m) {
		out->contexts = MANIFEST_CTX_FOREGROUND;
		memcpy(out->cap_text, "console", sizeof "console");
		out->granted[0] = true;
		out->n = 1;
		return;
	}
	memcpy(out->name, m->name, sizeof out->name);
	out->name[sizeof out->name - 1] = '\0';
	out->contexts = m->contexts;
	out->memory_pages = m->memory_pages;
	out->budget_ns = m->budget_ns;
	/* fits: PERM_CAPS_BYTES holds every event capability and output_text */
	for (; out->n < PERM_CAPS_MAX && (cap = declared(m, out->n, ev)); out->n++) {
		size_t len = strlen(cap) + 1;
		out->cap_at[out->n] = (uint16_t)used;
		memcpy(out->cap_text + used, cap, len);
		used += len;
		out->granted[out->n] = effective(p, m, cap);
	}
}

bool policy_set_allows(const struct policy_set *s, enum policy_cap kind, const char *object)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->granted[i] && policy_cap_allows(policy_set_cap(s, i), kind, object))
			return true;
	return false;
}

/* The path of the i-th capability of s if it is a granted file capability, else NULL. */
static const char *granted_file_path(const struct policy_set *s, size_t i)
{
	enum policy_cap kind;
	const char *path;
	if (!s->granted[i] || policy_cap_parse(policy_set_cap(s, i), &kind, &path))
		return NULL;
	return kind == CAP_FILE_READ || kind == CAP_FILE_WRITE ? path : NULL;
}

/* Is dir an ancestor directory of path g ("/" of every path)? */
static bool above(const char *dir, const char *g)
{
	size_t dl = strlen(dir);
	return (dl == 1 && dir[0] == '/') || (strncmp(g, dir, dl) == 0 && g[dl] == '/');
}

bool policy_set_sees(const struct policy_set *s, const char *path)
{
	if (!path || !path_valid(path))
		return false;
	for (size_t i = 0; i < s->n; i++) {
		const char *g = granted_file_path(s, i);
		if (g && (object_covers(OBJ_PATH, g, path) || above(path, g)))
			return true;
	}
	return false;
}

bool policy_set_sees_below(const struct policy_set *s, const char *dir)
{
	if (!dir || !path_valid(dir))
		return false;
	for (size_t i = 0; i < s->n; i++) {
		const char *g = granted_file_path(s, i);
		if (g && g[strlen(g) - 1] == '/' && object_covers(OBJ_PATH, g, dir))
			return true;
	}
	return false;
}

size_t policy_set_missing(const struct policy_set *s)
{
	size_t missing = 0;
	for (size_t i = 0; i < s->n; i++)
		missing += !s->granted[i];
	return missing;
}

/* ---- the programs, in answer order ---- */

const struct policy_program *policy_program_find(const struct policy_program *progs, size_t n,
						 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (progs[i].m && (strcmp(progs[i].m->name, name) == 0 || strcmp(progs[i].path, name) == 0))
			return &progs[i];
	return NULL;
}

/* The programs with a manifest, among the first POLICY_PROGRAMS_MAX, in
 * answer order (manifest name, then path): the same order whatever order
 * the caller found them in. */
struct ranking {
	size_t n;
	uint16_t at[POLICY_PROGRAMS_MAX]; /* indices into progs */
};

static int order(const struct policy_program *a, const struct policy_program *b)
{
	int c = strcmp(a->m->name, b->m->name);
	return c ? c : strcmp(a->path, b->path);
}

static void rank(const struct policy_program *progs, size_t n, struct ranking *r)
{
	r->n = 0;
	for (size_t i = 0; i < MIN(n, POLICY_PROGRAMS_MAX); i++) {
		if (!progs[i].m || !progs[i].path)
			continue;
		size_t k = r->n++;
		for (; k > 0 && order(&progs[r->at[k - 1]], &progs[i]) > 0; k--)
			r->at[k] = r->at[k - 1];
		r->at[k] = (uint16_t)i;
	}
}

static bool named(const struct policy_program *pp, const char *name)
{
	return strcmp(pp->m->name, name) == 0 || strcmp(pp->path, name) == 0;
}

/* ---- policy_show ---- */

static const char *context_name(uint32_t contexts)
{
	static const char *const names[] = {"no context", "foreground", "background", "both"};
	return names[contexts & 3];
}

static void say_duration(struct text *t, const char *what, uint64_t ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
	size_t u = 0;
	while (ns % units[u].ns)
		u++;
	say(t, ", %s %llu%s", what, (unsigned long long)(ns / units[u].ns), units[u].unit);
}

enum declared_part { ALL, EFFECTIVE, MISSING };

/* Under "declared:" every capability m declares; under "effective:" those
 * granted; under "missing:" the others, with how to grant them. */
static void say_declared(struct text *t, const struct policy *p, const struct manifest *m,
			 enum declared_part part)
{
	static const char *const titles[] = {"declared", "effective", "missing"};
	char ev[EVENT_CAP_MAX];
	const char *cap, *why;
	bool any = false;
	say(t, "%s:\n", titles[part]);
	for (size_t i = 0; (cap = declared(m, i, ev)); i++) {
		bool granted = effective(p, m, cap);
		if ((part == EFFECTIVE && !granted) || (part == MISSING && granted))
			continue;
		if (part != MISSING)
			say(t, "  %s\n", cap);
		else if (cap_check(cap, NULL, NULL, &why))
			say(t, "  %s (invalid: %s)\n", cap, why);
		else
			say(t, "  %s (policy grant %s %s)\n", cap, m->name, cap);
		any = true;
	}
	if (!any)
		say(t, "  (none)\n");
}

/* Each grant to name or "*": "  CAP", then in parentheses "to *" and the
 * file it came from, when known. */
static void say_grants(struct text *t, const struct policy *p, const char *name)
{
	bool any = false;
	say(t, "granted:\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_grant *g = &p->grants[i];
		bool all = strcmp(g->program, "*") == 0;
		const char *from = g->source && g->source <= p->nsources ? p->sources[g->source - 1] : NULL;
		if (!all && strcmp(g->program, name) != 0)
			continue;
		say(t, "  %s", policy_grant_cap(p, i));
		if (all || from)
			say(t, " (%s%s%s)", all ? "to *" : "", all && from ? ", " : "", from ? from : "");
		say(t, "\n");
		any = true;
	}
	if (!any)
		say(t, "  (none)\n");
}

static void show_one(struct text *t, const struct policy *p, const struct policy_program *pp)
{
	const struct manifest *m = pp->m;
	say(t, "%s (%s): version %u, %s", m->name, pp->path, m->version, context_name(m->contexts));
	if (m->budget_ns)
		say_duration(t, "budget", m->budget_ns);
	if (m->memory_pages)
		say(t, ", memory %llu pages", (unsigned long long)m->memory_pages);
	say(t, "\n");
	say_declared(t, p, m, ALL);
	say_grants(t, p, m->name);
	say_declared(t, p, m, EFFECTIVE);
	say_declared(t, p, m, MISSING);
}

size_t policy_show(const struct policy *p, const struct policy_program *progs, size_t n, const char *name,
		   char *out, size_t size)
{
	struct text t = text_start(out, size);
	struct ranking r;
	bool found = false;
	if (!name)
		name = "";
	rank(progs, n, &r);
	for (size_t k = 0; k < r.n; k++) {
		const struct policy_program *pp = &progs[r.at[k]];
		if (!named(pp, name))
			continue;
		if (found)
			say(&t, "\n");
		show_one(&t, p, pp);
		found = true;
	}
	if (!found)
		say(&t, "no such program: %s\n", name);
	return t.len;
}

/* ---- policy_who_can ---- */

/* The first effective capability of pp that covers cap (ev: room for an
 * event one); NULL if none. */
static const char *can(const struct policy *p, const struct policy_program *pp, const char *cap,
		       char ev[EVENT_CAP_MAX])
{
	const char *c;
	for (size_t k = 0; (c = declared(pp->m, k, ev)); k++)
		if (effective(p, pp->m, c) && policy_cap_covers(c, cap))
			return c;
	return NULL;
}

/* For a network capability cap that pp cannot do whole: the first of its
 * effective capabilities that does part of it (same kind and protocol,
 * fields overlapping), with a note; or, for net.send:udp:..., a reply
 * capability (it answers whoever sends to it first). NULL if none. */
static const char *can_part(const struct policy *p, const struct policy_program *pp, const char *cap,
			    char ev[EVENT_CAP_MAX], const char **note)
{
	enum policy_cap kind, ck;
	const char *obj, *co, *c;
	struct net_obj want, have;
	if (policy_cap_parse(cap, &kind, &obj) || !kinds[kind].protos)
		return NULL;
	net_split(kinds[kind].obj, obj, &want);
	for (size_t k = 0; (c = declared(pp->m, k, ev)); k++) {
		if (!effective(p, pp->m, c) || policy_cap_parse(c, &ck, &co))
			continue;
		if (ck == kind && net_split(kinds[ck].obj, co, &have) && have.proto == want.proto &&
		    field_overlaps(have.host, want.host) && field_overlaps(have.port, want.port)) {
			*note = " (part of it)";
			return c;
		}
		if (kind == CAP_NET_SEND && ck == CAP_NET_REPLY && strncmp(co, "udp:", 4) == 0) {
			*note = " (replies to whoever sends to it)";
			return c;
		}
	}
	return NULL;
}

size_t policy_who_can(const struct policy *p, const struct policy_program *progs, size_t n, const char *cap,
		      char *out, size_t size)
{
	const char *note;
	struct text t = text_start(out, size);
	struct ranking r;
	char ev[EVENT_CAP_MAX];
	const char *c;
	bool any = false;
	if (policy_cap_parse(cap, NULL, NULL)) {
		say(&t, "invalid capability: %s\n", cap);
		return t.len;
	}
	say(&t, "who can %s:\n", cap);
	rank(progs, n, &r);
	for (size_t k = 0; k < r.n; k++) {
		const struct policy_program *pp = &progs[r.at[k]];
		note = "";
		if ((c = can(p, pp, cap, ev)) || (c = can_part(p, pp, cap, ev, &note))) {
			say(&t, "  %s (%s) by %s%s\n", pp->m->name, pp->path, c, note);
			any = true;
		}
	}
	if (policy_cap_covers("console", cap)) {
		say(&t, "  any program without a manifest\n");
		any = true;
	}
	if (!any)
		say(&t, "  nobody\n");
	return t.len;
}

/* ---- policy_on ---- */

#define UNREACHED 0xff

/* What policy_on works out, for the k-th program in answer order: the
 * round in which it runs (0: on the topic itself) or UNREACHED, and which
 * of its declared capabilities are effective (bit i: the i-th declared). */
struct run_graph {
	const struct policy_program *progs;
	struct ranking r;
	uint8_t round[POLICY_PROGRAMS_MAX];
	uint32_t effective[POLICY_PROGRAMS_MAX];
};

_Static_assert(PERM_CAPS_MAX <= 32, "effective is a 32-bit set");

static const struct manifest *manifest_at(const struct run_graph *g, size_t k)
{
	return g->progs[g->r.at[k]].m;
}

/* The next effective capability (from the *i-th declared on) of the k-th
 * program that starts with prefix ("event:", "emit:"), or NULL (ev: room for
 * an event one). Both kinds are short: a pattern. */
static const char *next_of_kind(const struct run_graph *g, size_t k, const char *prefix, size_t *i,
				char ev[EVENT_CAP_MAX])
{
	const char *cap;
	for (; (cap = declared(manifest_at(g, k), *i, ev)); (*i)++)
		if ((g->effective[k] >> *i & 1) && strncmp(cap, prefix, strlen(prefix)) == 0)
			return cap;
	return NULL;
}

static bool is_topic(const char *t)
{
	return optios_event_topic_valid(t, OPTIOS_EVENT_TOPIC_MAX);
}

/* Does the k-th program run on topic (a topic, or a pattern: any topic it
 * matches)? Its reason into why. */
static bool runs_on(const struct run_graph *g, size_t k, const char *topic, char *why, size_t whylen)
{
	char buf[EVENT_CAP_MAX];
	const char *ev;
	for (size_t e = 0; (ev = next_of_kind(g, k, "event:", &e, buf)); e++) {
		const char *pat = ev + strlen("event:");
		if (is_topic(topic) ? topic_matches(pat, topic) : topic_overlaps(pat, topic)) {
			ksnprintf(why, whylen, "runs (by %s)", ev);
			return true;
		}
	}
	return false;
}

/* May the k-th program run after the i-th (an event of the one overlaps an
 * emit of the other)? The reason into why. */
static bool runs_after(const struct run_graph *g, size_t k, size_t i, char *why, size_t whylen)
{
	char evbuf[EVENT_CAP_MAX], embuf[EVENT_CAP_MAX];
	const char *ev, *em;
	for (size_t e = 0; (ev = next_of_kind(g, k, "event:", &e, evbuf)); e++) {
		for (size_t x = 0; (em = next_of_kind(g, i, "emit:", &x, embuf)); x++) {
			if (topic_overlaps(ev + strlen("event:"), em + strlen("emit:"))) {
				ksnprintf(why, whylen, "may then run (by %s, after %s of %s)", ev, em,
					  manifest_at(g, i)->name);
				return true;
			}
		}
	}
	return false;
}

static void say_run(struct text *t, const struct run_graph *g, size_t k, const char *why)
{
	const struct policy_program *pp = &g->progs[g->r.at[k]];
	char ev[EVENT_CAP_MAX];
	const char *cap;
	say(t, "  %s (%s) %s\n", pp->m->name, pp->path, why);
	for (size_t i = 0; (cap = declared(pp->m, i, ev)); i++)
		if (g->effective[k] >> i & 1)
			say(t, "    %s\n", cap);
}

/* Lists the handlers that run in round r: on topic (r == 0), or after a
 * program of round r - 1. How many. */
static size_t run_round(struct text *t, struct run_graph *g, const char *topic, uint8_t r)
{
	char why[3 * EVENT_CAP_MAX + MANIFEST_NAME_MAX];
	size_t found = 0;
	for (size_t k = 0; k < g->r.n; k++) {
		if (g->round[k] != UNREACHED || !(manifest_at(g, k)->contexts & MANIFEST_CTX_BACKGROUND))
			continue;
		bool hit = r == 0 && runs_on(g, k, topic, why, sizeof why);
		for (size_t i = 0; r > 0 && !hit && i < g->r.n; i++)
			hit = g->round[i] == r - 1 && runs_after(g, k, i, why, sizeof why);
		if (hit) {
			g->round[k] = r; /* after the scan of round r - 1's programs: they are never r */
			say_run(t, g, k, why);
			found++;
		}
	}
	return found;
}

size_t policy_on(const struct policy *p, const struct policy_program *progs, size_t n, const char *topic,
		 char *out, size_t size)
{
	struct text t = text_start(out, size);
	struct run_graph g = {.progs = progs};
	char ev[EVENT_CAP_MAX];
	const char *cap;
	if (!topic)
		topic = "";
	if (!is_topic(topic) && !topic_pattern_valid(topic)) {
		say(&t, "invalid topic: %.*s\n", OPTIOS_EVENT_TOPIC_MAX - 1, topic);
		return t.len;
	}
	rank(progs, n, &g.r);
	memset(g.round, UNREACHED, sizeof g.round);
	for (size_t k = 0; k < g.r.n; k++)
		for (size_t i = 0; (cap = declared(manifest_at(&g, k), i, ev)); i++)
			g.effective[k] |= (uint32_t)effective(p, manifest_at(&g, k), cap) << i;
	say(&t, "on %s:\n", topic);
	if (!run_round(&t, &g, topic, 0)) {
		t = text_start(out, size);
		say(&t, "on %s: no handler runs\n", topic);
		return t.len;
	}
	for (uint8_t r = 1; r < UNREACHED && run_round(&t, &g, topic, r); r++)
		;
	return t.len;
}
