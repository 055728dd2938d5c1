/*
 * policy.h - capabilities, the system policy and the questions it answers.
 * Plain C shared by the kernel (kernel/perm) and the host tool
 * (tools/policy.c): the same code parses, decides and formats in both, so
 * they cannot disagree.
 *
 * A capability is one string, "<kind>" or "<kind>:<object>":
 *   file.read:<path>     open for reading, stat, readdir, access, exec-read
 *   file.write:<path>    create, write, truncate, unlink, rename (both
 *                        names), mkdir, rmdir
 *   emit:<pattern>       optios_emit of a topic the pattern matches; the
 *                        pattern is an app: one (app:*, app:x.*, app:x):
 *                        sys:, timer: and file: events are the kernel's
 *   event:<pattern>      subscribe to topics the pattern matches (the
 *                        manifest's `event` lines ask for these)
 *   spawn:<path>         start that program (optios_spawn)
 *   console              read and write its console (descriptors 0-2 of a
 *                        foreground program)
 *   display              map the framebuffer (optios_fb_map)
 *   log.read             read the event log
 *   handler.manage       add and remove handlers
 *   policy.manage        grant and revoke
 *   power                power off and reboot
 *   dev.block            raw sector access to block devices (optios_blk):
 *                        below any file system; granted to test programs only
 *   net.ping             send ICMP echo requests (optios_net_ping)
 *   net.resolve          ask the DNS servers for a name (optios_net_resolve)
 *   net.listen:P:PORT    bind (udp) or listen (tcp) on the port: a socket,
 *                        or a handler of net:udp:PORT / net:tcp:PORT events
 *   net.send:udp:HOST:PORT   send datagrams to HOST:PORT
 *   net.connect:tcp:HOST:PORT  open connections to HOST:PORT
 *   net.reply:P:PORT     a handler answers the peers of its net:P:PORT
 *                        events: a datagram back from PORT, bytes on (and
 *                        the close of) the connections it was given
 * P is udp or tcp (net.send: udp only, net.connect: tcp only); a HOST is
 * a.b.c.d or "*", a PORT 1..65535 or "*" (any), written without leading
 * zeros; "*" covers any value of its field.
 * A <path> is absolute and normal; ending in '/' it stands for everything
 * below that directory (by whole components), else for that one path; "/"
 * is everything. A <pattern> is a topic pattern as in event.h. A path, granted
 * or checked, may be as long as the file system allows (POLICY_PATH_MAX - 1
 * bytes; a capability with its kind: CAP_MAX with the NUL).
 *
 * Storage. Capabilities are kept back to back, each NUL-terminated, in one
 * buffer per policy (cap_text, POLICY_CAPS_BYTES in all) and per permission
 * set (cap_text, sized so that every manifest's capabilities fit), addressed
 * by 16-bit offsets (policy_grant_cap, policy_set_cap): a grant may name a
 * path of any length, and the total is bounded. A grant that does not fit
 * the policy's budget is refused (-E2BIG; a policy file's line: "the
 * policy's capabilities take more than 32768 bytes").
 *
 * Visibility (as OpenBSD's unveil): a program sees a path if the path of one
 * of its granted file.read or file.write capabilities is at, below or above
 * it (an ancestor directory of a granted path is seen, so lookups can walk
 * to it). What a program cannot see is absent to it: the kernel answers
 * -ENOENT, whether it exists or not, and -EACCES only for a path it sees
 * but may not act on; a listing shows only the entries it sees.
 *
 * The policy file (/etc/policy) grants capabilities to programs by their
 * manifest name, one grant per line ("*" for every program):
 *   # comment
 *   grant  watcher  file.write:/data/summary
 *   grant  *        console
 * Default deny: what is not granted is refused.
 *
 * Effective permissions of a program = the capabilities its manifest
 * declares that some grant covers (declared ∩ granted). A manifest's
 * `event` lines declare event:<pattern>, its `output` lines the rest; a
 * program without a manifest has only "console".
 */
#ifndef LIB_POLICY_H
#define LIB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <optios/abi/manifest.h>

#define POLICY_PATH_MAX 4096 /* bytes in a path, NUL included: the file system's PATH_MAX */
#define CAP_MAX MANIFEST_OUTPUT_MAX /* bytes in a capability, NUL included */
#define POLICY_GRANTS_MAX 256
#define POLICY_CAPS_BYTES 32768 /* bytes of a policy's capabilities together, NULs included */
#define POLICY_TEXT_MAX 16384 /* bytes of one policy file */
#define PERM_CAPS_MAX (MANIFEST_EVENTS_MAX + MANIFEST_OUTPUTS_MAX)
/* bytes of a permission set's capabilities: every manifest's fit */
#define PERM_CAPS_BYTES \
	(MANIFEST_EVENTS_MAX * (sizeof "event:" - 1 + OPTIOS_EVENT_TOPIC_MAX) + MANIFEST_OUTPUTS_BYTES)
#define POLICY_LINE_MAX (CAP_MAX + 128) /* bytes in a line of the policy file, its newline not counted */

_Static_assert(CAP_MAX >= sizeof "file.write:" - 1 + POLICY_PATH_MAX, "a capability names any path");
_Static_assert(POLICY_CAPS_BYTES <= UINT16_MAX + 1 && PERM_CAPS_BYTES <= UINT16_MAX + 1, "16-bit offsets");
#define POLICY_PROGRAMS_MAX 256 /* programs the queries consider (the first ones given) */

enum policy_cap {
	CAP_FILE_READ,
	CAP_FILE_WRITE,
	CAP_EMIT,
	CAP_EVENT,
	CAP_SPAWN,
	CAP_CONSOLE,
	CAP_DISPLAY,
	CAP_LOG_READ,
	CAP_HANDLER_MANAGE,
	CAP_POLICY_MANAGE,
	CAP_POWER,
	CAP_DEV_BLOCK,
	CAP_NET_PING,
	CAP_NET_RESOLVE,
	CAP_NET_LISTEN,
	CAP_NET_SEND,
	CAP_NET_CONNECT,
	CAP_NET_REPLY,
	CAP_SENSOR_FAST, /* sensor samples faster than sensor.background_hz (docs/SENSORS.md) */
	CAP_KINDS
};

/* The kind of capability c and where its object starts ("" for bare kinds).
 * 0, or -EINVAL (unknown kind, object missing or not allowed, object not a
 * normal absolute path / valid pattern). */
int policy_cap_parse(const char *c, enum policy_cap *kind, const char **object);
/* Why c is not a capability ("unknown kind", ...), or NULL when it is one. */
const char *policy_cap_problem(const char *c);
/* The capability kind's name ("file.write"). */
const char *policy_cap_kind_name(enum policy_cap kind);
/* Does capability g allow everything capability c allows? (Same kind and
 * g's object covers c's: a path prefix covering a path or a narrower prefix;
 * a pattern matching a topic or a narrower pattern.) false if either is invalid. */
bool policy_cap_covers(const char *g, const char *c);
/* Does capability c allow this use: kind on object (a normal absolute path,
 * a topic, or "" or NULL for bare kinds)? */
bool policy_cap_allows(const char *c, enum policy_cap kind, const char *object);

#define POLICY_SOURCES_MAX 32 /* files a policy remembers grants came from */
#define POLICY_SOURCE_MAX 64 /* bytes of such a file's name, NUL included */

struct policy_grant {
	char program[MANIFEST_NAME_MAX]; /* a manifest name, or "*" */
	uint16_t cap_at; /* its capability: cap_text + cap_at of its policy */
	uint8_t source; /* the file it came from: 1 + index into sources; 0: none known */
};

struct policy {
	size_t n;
	struct policy_grant grants[POLICY_GRANTS_MAX];
	size_t cap_bytes; /* of cap_text in use */
	char cap_text[POLICY_CAPS_BYTES]; /* the grants' capabilities in grant order */
	size_t nsources;
	char sources[POLICY_SOURCES_MAX][POLICY_SOURCE_MAX]; /* "/etc/policy", ... */
	uint64_t generation; /* incremented by every change (caches compare it) */
};

/* The policy files: POLICY_FILE, then each drop-in POLICY_DIR/NAME.policy
 * in byte order of the names (the kernel at boot and tools/policy alike),
 * so a program from outside the tree brings its grants in a file of its own. */
#define POLICY_FILE "/etc/policy"
#define POLICY_DIR "/etc/policy.d"
/* Is name (an entry of POLICY_DIR) a drop-in: "NAME.policy", NAME not
 * empty and not starting with '.'? */
bool policy_dropin_name(const char *name);

/* A bad line of a policy file: its number (0: the whole text) and why. */
typedef void policy_bad_fn(void *arg, unsigned line, const char *why);
#define POLICY_WHY_MAX 192 /* bytes of a why, NUL included */

/* Adds the grants of one policy file, text[0..len), to *p, which keeps what
 * it holds: /etc/policy and then each /etc/policy.d/ file are loaded into
 * one policy, in that order. Its grants remember file (its name, shown by
 * policy_show; NULL, or past POLICY_SOURCES_MAX files or too long a name:
 * none). A bad line grants nothing and is passed to bad(arg, line, why) (bad
 * may be NULL); the other lines still count. Text over POLICY_TEXT_MAX
 * grants nothing (one call, line 0). Returns the number of bad lines. Never
 * reads past len. */
size_t policy_load(struct policy *p, const char *file, const char *text, size_t len, policy_bad_fn *bad,
		   void *arg);
/* Parses the policy file text[0..len) into *p (replacing it; the
 * generation goes up by one, so p must have been zeroed once). 0 or -EINVAL
 * with "line N: ..." in err for the first bad line; bad lines grant nothing
 * but do not stop the parse: *p holds every good line's grant. Text over
 * POLICY_TEXT_MAX grants nothing. Never reads past len. */
int policy_parse(const char *text, size_t len, struct policy *p, char *err, size_t errlen);
/* The policy in the policy file's format, one "grant PROGRAM CAP" line per
 * grant in order (policy_parse gives the same grants back); returns the full
 * length, like snprintf. */
size_t policy_list(const struct policy *p, char *out, size_t size);
/* Adds a grant: 0, -EEXIST (already there), -ENOSPC (POLICY_GRANTS_MAX
 * grants), -E2BIG (the capabilities would take more than POLICY_CAPS_BYTES),
 * -EINVAL (bad name or capability). */
int policy_grant(struct policy *p, const char *program, const char *cap);
/* The capability of p's i-th grant (i < p->n). */
static inline const char *policy_grant_cap(const struct policy *p, size_t i)
{
	return p->cap_text + p->grants[i].cap_at;
}
/* Removes exactly that grant: 0 or -ENOENT. */
int policy_revoke(struct policy *p, const char *program, const char *cap);
/* Is cap granted to program (some grant for it or "*" covers cap)? */
bool policy_granted(const struct policy *p, const char *program, const char *cap);

/* A program's permissions: what it declares, and which of those are granted. */
struct policy_set {
	char name[MANIFEST_NAME_MAX];
	uint32_t contexts; /* MANIFEST_CTX_* */
	uint64_t memory_pages, budget_ns; /* 0: not declared */
	size_t n;
	uint16_t cap_at[PERM_CAPS_MAX]; /* declared capability i: cap_text + cap_at[i] */
	bool granted[PERM_CAPS_MAX];
	char cap_text[PERM_CAPS_BYTES]; /* the declared capabilities in order */
	uint64_t generation; /* the policy's when computed */
	bool only_all; /* only the grants to "*" apply (kernel/perm: a program from a writable fs) */
};
/* The i-th declared capability of s (i < s->n). */
static inline const char *policy_set_cap(const struct policy_set *s, size_t i)
{
	return s->cap_text + s->cap_at[i];
}
/* Fills out from manifest m (NULL: no manifest: "console" only, granted) and policy p. */
void policy_set_compute(struct policy_set *out, const struct manifest *m, const struct policy *p);
/* Is the use (kind, object) allowed by some granted capability of s? */
bool policy_set_allows(const struct policy_set *s, enum policy_cap kind, const char *object);
/* Does s see path (a normal absolute path; see "Visibility" above)? */
bool policy_set_sees(const struct policy_set *s, const char *path);
/* Does s see everything below directory dir (a granted file capability
 * "PATH/" covers dir), so a listing of dir needs no filtering? */
bool policy_set_sees_below(const struct policy_set *s, const char *dir);
/* Declared capabilities that are not granted: how many. */
size_t policy_set_missing(const struct policy_set *s);

/* ---- static questions, answered from manifests and policy alone ---- */

struct policy_program {
	const char *path; /* where the program lives in the image */
	const struct manifest *m; /* NULL: left out of every answer */
};

/* The first program (in progs order) whose manifest name, or path, is name; NULL if none. */
const struct policy_program *policy_program_find(const struct policy_program *progs, size_t n,
						 const char *name);

/* Each writes a text answer (lines ending in '\n') into out[size] and returns
 * its full length (like snprintf). Same input, same bytes, kernel or host.
 *   show:    the program's declared, granted and effective capabilities;
 *   who_can: every program whose effective permissions allow cap;
 *   on:      the handlers that run when topic is raised, what each may then
 *            do, and, following the events they may emit, what runs next. */
size_t policy_show(const struct policy *p, const struct policy_program *progs, size_t n, const char *name,
		   char *out, size_t size);
size_t policy_who_can(const struct policy *p, const struct policy_program *progs, size_t n, const char *cap,
		      char *out, size_t size);
size_t policy_on(const struct policy *p, const struct policy_program *progs, size_t n, const char *topic,
		 char *out, size_t size);

#endif
