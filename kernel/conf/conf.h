/*
 * conf.h - /etc/kernel.conf: "key = value" settings read once at boot.
 *
 * The parser works against any table of typed keys (struct conf_key) so it
 * can be tested on its own; the kernel's table is conf_keys.def, read through
 * conf_int() / conf_bool() / conf_str(), which give the defaults until
 * conf_load() has run. Nothing in a file can make loading fail: every
 * problem is reported as "SOURCE:LINE: ..." and the value is left as it was.
 */
#ifndef KERNEL_CONF_CONF_H
#define KERNEL_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_STR_MAX 63 /* longest string value any key may have */

enum conf_type { CONF_INT, CONF_BOOL, CONF_STR };

/* One known key: its type, what it accepts, and its default. */
struct conf_key {
	const char *name;
	enum conf_type type;
	int64_t def;          /* CONF_INT, CONF_BOOL (0 or 1) */
	int64_t min, max;     /* CONF_INT: accepted range */
	const char *defstr;   /* CONF_STR */
	size_t maxlen;        /* CONF_STR: longest value, <= CONF_STR_MAX */
	const char *choices;  /* CONF_STR: "a|b|c", or NULL for any printable text */
};

/* A key's current value. */
struct conf_value {
	int64_t num;                /* CONF_INT, CONF_BOOL (0 or 1) */
	char str[CONF_STR_MAX + 1]; /* CONF_STR, NUL-terminated */
	unsigned line;              /* line that set it; 0: the default */
};

/* Receives each problem as one line, "kernel.conf:3: ...", without a newline. */
typedef void (*conf_report_fn)(void *ctx, const char *msg);

/* Sets vals[i] to keys[i]'s default, for i < nkeys. */
void conf_defaults(const struct conf_key *keys, size_t nkeys, struct conf_value *vals);

/*
 * Parses text (len bytes, need not be NUL-terminated) into vals, which must
 * hold the defaults or earlier values. Syntax, per line (LF or CRLF):
 *   key = value        whitespace around key and value is ignored
 *   key = "value"      or 'value': quotes keep '#' and spaces; no escapes
 *   # comment          also after a value: "key = 3  # three"
 * Integers are decimal or 0x-hex with an optional sign; booleans are
 * yes/no, true/false, on/off, 1/0 in any case. Unknown keys, bad syntax and
 * bad values are reported (the value is kept); a key set twice is reported
 * and the last good value wins. Returns the number of problems reported
 * (0: clean), or -EINVAL if text is NULL with len > 0. report may be NULL.
 */
int conf_parse(const struct conf_key *keys, size_t nkeys, struct conf_value *vals, const char *source,
	       const char *text, size_t len, conf_report_fn report, void *ctx);

/* The kernel's keys, from conf_keys.def. */
enum conf_id {
#define CONF_KEY_INT(id, ...) CONF_##id,
#define CONF_KEY_BOOL(id, ...) CONF_##id,
#define CONF_KEY_STR(id, ...) CONF_##id,
#include "conf_keys.def"
#undef CONF_KEY_INT
#undef CONF_KEY_BOOL
#undef CONF_KEY_STR
	CONF_COUNT
};

extern const struct conf_key conf_keys[CONF_COUNT];

/* Resets the kernel's settings to their defaults, then parses text as
 * "kernel.conf". Returns what conf_parse() returns. */
int conf_load(const char *text, size_t len, conf_report_fn report, void *ctx);
/* Applies the words "optios.conf.KEY=VALUE" of a kernel command line on top
 * of the current settings (call it after conf_load), reported as
 * "cmdline:1: ...". Returns the number of problems. */
int conf_apply_cmdline(const char *cmdline, conf_report_fn report, void *ctx);
int64_t conf_int(enum conf_id id);
bool conf_bool(enum conf_id id);
const char *conf_str(enum conf_id id);

#endif
