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
 *   emit:<pattern>       optios_emit of a topic the pattern matches
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
 * A <path> is absolute and normal; ending in '/' it stands for everything
 * below that directory (by whole components), else for that one path; "/"
 * is everything. A <pattern> is a topic pattern as in event.h.
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

#define CAP_MAX 128          /* bytes, NUL included */
#define POLICY_GRANTS_MAX 256
#define POLICY_TEXT_MAX 16384
#define PERM_CAPS_MAX (MANIFEST_EVENTS_MAX + MANIFEST_OUTPUTS_MAX)
#define POLICY_LINE_MAX 256     /* bytes in a line of the policy file, its newline not counted */
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
	CAP_KINDS
};

/* The kind of capability c and where its object starts ("" for bare kinds).
 * 0, or -EINVAL (unknown kind, object missing or not allowed, object not a
 * normal absolute path / valid pattern). */
int policy_cap_parse(const char *c, enum policy_cap *kind, const char **object);
/* The capability kind's name ("file.write"). */
const char *policy_cap_kind_name(enum policy_cap kind);
/* Does capability g allow everything capability c allows? (Same kind and
 * g's object covers c's: a path prefix covering a path or a narrower prefix;
 * a pattern matching a topic or a narrower pattern.) false if either is invalid. */
bool policy_cap_covers(const char *g, const char *c);
/* Does capability c allow this use: kind on object (a normal absolute path,
 * a topic, or "" or NULL for bare kinds)? */
bool policy_cap_allows(const char *c, enum policy_cap kind, const char *object);

struct policy_grant {
	char program[MANIFEST_NAME_MAX]; /* a manifest name, or "*" */
	char cap[CAP_MAX];
};

struct policy {
	size_t n;
	struct policy_grant grants[POLICY_GRANTS_MAX];
	uint64_t generation; /* incremented by every change (caches compare it) */
};

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
/* Adds a grant: 0, -EEXIST (already there), -ENOSPC, -EINVAL (bad name or capability). */
int policy_grant(struct policy *p, const char *program, const char *cap);
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
	char caps[PERM_CAPS_MAX][CAP_MAX]; /* declared */
	bool granted[PERM_CAPS_MAX];
	uint64_t generation; /* the policy's when computed */
	bool only_all; /* only the grants to "*" apply (kernel/perm: a program from a writable fs) */
};
/* Fills out from manifest m (NULL: no manifest: "console" only, granted) and policy p. */
void policy_set_compute(struct policy_set *out, const struct manifest *m, const struct policy *p);
/* Is the use (kind, object) allowed by some granted capability of s? */
bool policy_set_allows(const struct policy_set *s, enum policy_cap kind, const char *object);
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
