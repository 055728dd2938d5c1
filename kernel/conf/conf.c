/*
 * conf.c - parse /etc/kernel.conf against a table of typed keys.
 *
 * Theory of operation. The file is split into lines; each line is scanned
 * once, left to right, by lex_line() into a key and a value, both slices
 * (pointer, length) of the text: nothing is copied until a value has been
 * checked. Then the key is looked up in the table and the value converted
 * to its type by set_value(), which writes the conf_value only on success.
 *
 * Invariants: for every i < nkeys, vals[i] holds a value keys[i] accepts
 * (its default, or a checked value from the file): a bad line never
 * changes a setting. vals[i].line is the last line that set it (0 for the
 * default), which is how a duplicate is noticed. Messages are formatted into
 * a bounded buffer with every piece of file text clipped, so a hostile file
 * cannot make one long.
 *
 * The kernel's own settings are one static array of values indexed by
 * enum conf_id, filled with defaults on first use.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "conf.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define CLIP 40 /* longest piece of file text quoted in a message */

struct slice {
	const char *s;
	size_t n;
};

struct parser {
	const struct conf_key *keys;
	size_t nkeys;
	struct conf_value *vals;
	const char *source;
	conf_report_fn report;
	void *ctx;
	unsigned line;
	int problems;
};

static void say(struct parser *ps, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(struct parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n = ksnprintf(msg, sizeof msg, "%s:%u: ", ps->source, ps->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof msg)
		kvsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	ps->problems++;
	if (ps->report)
		ps->report(ps->ctx, msg);
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }
static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool slice_is(struct slice v, const char *word, bool any_case)
{
	size_t n = strlen(word);
	if (v.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((any_case ? lower(v.s[i]) : v.s[i]) != word[i])
			return false;
	return true;
}

void conf_defaults(const struct conf_key *keys, size_t nkeys, struct conf_value *vals)
{
	for (size_t i = 0; i < nkeys; i++) {
		memset(&vals[i], 0, sizeof vals[i]);
		vals[i].num = keys[i].def;
		if (keys[i].type == CONF_STR && keys[i].defstr)
			ksnprintf(vals[i].str, sizeof vals[i].str, "%s", keys[i].defstr);
	}
}

/* The value after '=': quoted (up to the matching quote) or bare (up to
 * '#' or the end, trailing blanks dropped). Then only blanks or a comment. */
static int lex_value(struct parser *ps, const char *p, const char *end, struct slice *val)
{
	if (p < end && (*p == '"' || *p == '\'')) {
		char q = *p++;
		const char *start = p;
		while (p < end && *p != q)
			p++;
		if (p == end) {
			say(ps, "unterminated %c-quoted value", q);
			return -1;
		}
		*val = (struct slice){start, (size_t)(p - start)};
		for (p++; p < end && is_space(*p); p++)
			;
		if (p < end && *p != '#') {
			say(ps, "text after the closing quote");
			return -1;
		}
		return 0;
	}
	const char *start = p;
	while (p < end && *p != '#')
		p++;
	while (p > start && is_space(p[-1]))
		p--;
	*val = (struct slice){start, (size_t)(p - start)};
	if (val->n == 0) {
		say(ps, "missing value after '='");
		return -1;
	}
	return 0;
}

/* Splits one line into key and value. Returns 1 if it holds a setting,
 * 0 if it is blank or a comment, -1 (reported) if it is malformed. */
static int lex_line(struct parser *ps, const char *p, const char *end, struct slice *key, struct slice *val)
{
	for (const char *c = p; c < end; c++) {
		if (*c == '\0') {
			say(ps, "NUL byte in line");
			return -1;
		}
	}
	while (p < end && is_space(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	const char *k = p;
	while (p < end && is_key_char(*p))
		p++;
	*key = (struct slice){k, (size_t)(p - k)};
	while (p < end && is_space(*p))
		p++;
	if (key->n == 0 || p == end || *p != '=') {
		say(ps, "expected \"key = value\"");
		return -1;
	}
	for (p++; p < end && is_space(*p); p++)
		;
	return lex_value(ps, p, end, val) == 0 ? 1 : -1;
}

/* Parses an integer: optional sign, then decimal or 0x-hex. */
static int parse_int(struct slice v, int64_t *out)
{
	bool neg = false;
	uint64_t mag;
	if (v.n > 0 && (v.s[0] == '-' || v.s[0] == '+')) {
		neg = v.s[0] == '-';
		v.s++;
		v.n--;
	}
	if (kparse_u64(v.s, v.n, &mag) != 0)
		return -1;
	if (mag > (uint64_t)INT64_MAX + neg)
		return -1;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int parse_bool(struct slice v, int64_t *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (slice_is(v, yes[i], true)) {
			*out = 1;
			return 0;
		}
		if (slice_is(v, no[i], true)) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Is v one of the '|'-separated words in choices? */
static bool is_choice(struct slice v, const char *choices)
{
	const char *c = choices;
	for (;;) {
		size_t n = 0;
		while (c[n] && c[n] != '|')
			n++;
		if (n == v.n && memcmp(c, v.s, n) == 0)
			return true;
		if (!c[n])
			return false;
		c += n + 1;
	}
}

/* Formats a key's current value for "keeping ..." in messages. */
static void show(const struct conf_key *k, const struct conf_value *cur, char *buf, size_t size)
{
	if (k->type == CONF_INT)
		ksnprintf(buf, size, "%lld", (long long)cur->num);
	else if (k->type == CONF_BOOL)
		ksnprintf(buf, size, "%s", cur->num ? "yes" : "no");
	else
		ksnprintf(buf, size, "\"%s\"", cur->str);
}

static int reason(char *why, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int reason(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* Checks v against key k: 0 and *out set, or -1 with the reason in why. */
static int convert(const struct conf_key *k, struct slice v, struct conf_value *out, char *why, size_t size)
{
	switch (k->type) {
	case CONF_INT:
		if (parse_int(v, &out->num) != 0)
			return reason(why, size, "not an integer");
		if (out->num < k->min || out->num > k->max)
			return reason(why, size, "out of range %lld..%lld", (long long)k->min,
				      (long long)k->max);
		return 0;
	case CONF_BOOL:
		if (parse_bool(v, &out->num) != 0)
			return reason(why, size, "not a boolean (yes/no, true/false, on/off, 1/0)");
		return 0;
	case CONF_STR:
		if (k->choices && !is_choice(v, k->choices))
			return reason(why, size, "not one of %s", k->choices);
		if (v.n > k->maxlen || v.n > CONF_STR_MAX)
			return reason(why, size, "longer than %zu bytes",
				      MIN(k->maxlen, (size_t)CONF_STR_MAX));
		for (size_t i = 0; i < v.n; i++)
			if ((unsigned char)v.s[i] < 0x20 || v.s[i] == 0x7f)
				return reason(why, size, "control character in value");
		memcpy(out->str, v.s, v.n);
		out->str[v.n] = '\0';
		return 0;
	}
	return reason(why, size, "key has an unknown type");
}

static void set_value(struct parser *ps, size_t i, struct slice v)
{
	const struct conf_key *k = &ps->keys[i];
	struct conf_value *cur = &ps->vals[i];
	struct conf_value nv = {.line = ps->line};
	char why[96], keep[CONF_STR_MAX + 8];
	if (convert(k, v, &nv, why, sizeof why) != 0) {
		show(k, cur, keep, sizeof keep);
		say(ps, "%s = %.*s: %s; keeping %s", k->name, (int)MIN(v.n, CLIP), v.s, why, keep);
		return;
	}
	if (cur->line)
		say(ps, "%s set again (first on line %u); the last value wins", k->name, cur->line);
	*cur = nv;
}

static void parse_line(struct parser *ps, const char *p, const char *end)
{
	struct slice key, val;
	if (end > p && end[-1] == '\r')
		end--;
	if (lex_line(ps, p, end, &key, &val) != 1)
		return;
	for (size_t i = 0; i < ps->nkeys; i++) {
		if (slice_is(key, ps->keys[i].name, false)) {
			set_value(ps, i, val);
			return;
		}
	}
	say(ps, "unknown key \"%.*s\" (ignored)", (int)MIN(key.n, CLIP), key.s);
}

int conf_parse(const struct conf_key *keys, size_t nkeys, struct conf_value *vals, const char *source,
	       const char *text, size_t len, conf_report_fn report, void *ctx)
{
	struct parser ps = {keys, nkeys, vals, source ? source : "conf", report, ctx, 0, 0};
	if (!text && len > 0)
		return -EINVAL;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = p;
		while (nl < end && *nl != '\n')
			nl++;
		ps.line++;
		parse_line(&ps, p, nl);
		p = nl < end ? nl + 1 : end;
	}
	return ps.problems;
}

/* ---- the kernel's settings ---- */

const struct conf_key conf_keys[CONF_COUNT] = {
#define CONF_KEY_INT(id, n, d, lo, hi) \
	[CONF_##id] = {.name = n, .type = CONF_INT, .def = d, .min = lo, .max = hi},
#define CONF_KEY_BOOL(id, n, d) [CONF_##id] = {.name = n, .type = CONF_BOOL, .def = d},
#define CONF_KEY_STR(id, n, d, len, ch) \
	[CONF_##id] = {.name = n, .type = CONF_STR, .defstr = d, .maxlen = len, .choices = ch},
#include "conf_keys.def"
#undef CONF_KEY_INT
#undef CONF_KEY_BOOL
#undef CONF_KEY_STR
};

static struct conf_value conf_values[CONF_COUNT];
static bool conf_ready;

static const struct conf_value *value(enum conf_id id)
{
	if (!conf_ready) {
		conf_defaults(conf_keys, CONF_COUNT, conf_values);
		conf_ready = true;
	}
	return &conf_values[id < CONF_COUNT ? id : 0];
}

int conf_load(const char *text, size_t len, conf_report_fn report, void *ctx)
{
	conf_defaults(conf_keys, CONF_COUNT, conf_values);
	conf_ready = true;
	return conf_parse(conf_keys, CONF_COUNT, conf_values, "kernel.conf", text, len, report, ctx);
}

int64_t conf_int(enum conf_id id) { return value(id)->num; }
bool conf_bool(enum conf_id id) { return value(id)->num != 0; }
const char *conf_str(enum conf_id id) { return value(id)->str; }

#define CMDLINE_PREFIX "optios.conf."

/* Words of a command line are separated by spaces; returns the next word's
 * start (or the end) and its length in *len. */
static const char *next_word(const char *s, size_t *len)
{
	while (*s == ' ')
		s++;
	size_t n = 0;
	while (s[n] && s[n] != ' ')
		n++;
	*len = n;
	return s;
}

/* Parses one "key=value" over the current settings: a key the file set is
 * overridden, not reported as set twice. */
static int apply_line(const char *line, size_t len, conf_report_fn report, void *ctx)
{
	struct conf_value fresh[CONF_COUNT];
	memcpy(fresh, conf_values, sizeof fresh);
	for (size_t i = 0; i < CONF_COUNT; i++)
		fresh[i].line = 0;
	int problems = conf_parse(conf_keys, CONF_COUNT, fresh, "cmdline", line, len, report, ctx);
	for (size_t i = 0; i < CONF_COUNT; i++)
		if (fresh[i].line)
			conf_values[i] = fresh[i];
	return problems;
}

int conf_apply_cmdline(const char *cmdline, conf_report_fn report, void *ctx)
{
	const size_t plen = sizeof CMDLINE_PREFIX - 1;
	int problems = 0;
	(void)value(0); /* make sure the defaults are in place */
	size_t n;
	for (const char *w = next_word(cmdline, &n); n; w = next_word(w + n, &n)) {
		if (n <= plen || strncmp(w, CMDLINE_PREFIX, plen) != 0)
			continue;
		char line[128];
		int len = ksnprintf(line, sizeof line, "%.*s", (int)(n - plen), w + plen);
		char *eq = strchr(line, '=');
		if (eq && len < (int)sizeof line)
			problems += apply_line(line, (size_t)len, report, ctx);
		else
			problems++;
	}
	return problems;
}
