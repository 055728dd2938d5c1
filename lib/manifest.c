/*
 * manifest.c - the manifest parser (format and limits in optios/abi/manifest.h).
 *
 * Theory of operation. The text is hostile - it comes out of whatever ELF
 * file a user registers - and need not be NUL-terminated, so it is only read
 * through (pointer, length) spans inside [text, text + len). One pass, line by
 * line: a line is first checked whole (length, NUL and control bytes), then
 * split into blank-separated tokens up to a token starting with '#'; the first
 * token picks a row of the directive table, which fixes how many arguments it
 * takes and whether it may repeat, and the row's function checks the
 * arguments and fills its part of *m. The first problem ends the parse with
 * "line N: reason". After the last line the required directives are checked
 * and the defaults applied.
 *
 * Invariants after a successful parse: name is 1..31 chars of [a-z0-9_-];
 * version is 1..2^31-1; contexts is not 0; every string is NUL-terminated in
 * its array; counts are within MANIFEST_*_MAX; every event pattern is valid
 * and unique, its policy known and its queue_len 1..MANIFEST_QUEUE_MAX (1 for
 * latest); timer names are unique and their delays non-zero.
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>
#include <optios/abi/manifest.h>

#include "lib.h"

#define MAX_TOKENS 4 /* a directive and at most three arguments */
#define QUOTE_MAX 40 /* bytes of a token quoted in a message */
#define INT31_MAX 0x7fffffffull

/* A token: len bytes at p, not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

/* For "'%.*s'": a token, cut to QUOTE_MAX bytes. */
#define QUOTE(t) (int)MIN((t).len, QUOTE_MAX), (t).p

struct parser {
	struct manifest *m;
	unsigned line; /* 1-based; 0 while no line is being read */
	unsigned seen; /* bit i: directives[i] appeared (for those that may not repeat) */
	unsigned nargs; /* arguments on the current line */
	char *err;
	size_t errlen;
};

/* Writes "line N: " and the message into err; returns -EINVAL. */
static int fail(struct parser *ps, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fail(struct parser *ps, const char *fmt, ...)
{
	if (!ps->err || !ps->errlen)
		return -EINVAL;
	int n = ps->line ? ksnprintf(ps->err, ps->errlen, "line %u: ", ps->line) : 0;
	if ((size_t)n < ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		kvsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_word(struct span t, const char *word)
{
	return t.len == strlen(word) && memcmp(t.p, word, t.len) == 0;
}

/* 1..max-1 chars of [a-z0-9_-]: names of programs and timers. */
static bool name_valid(struct span t, size_t max)
{
	if (t.len == 0 || t.len >= max)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Copies a token already checked to be shorter than its destination. */
static void copy(char *dst, struct span t)
{
	memcpy(dst, t.p, t.len);
	dst[t.len] = '\0';
}

static size_t count_digits(struct span t)
{
	size_t i = 0;
	while (i < t.len && t.p[i] >= '0' && t.p[i] <= '9')
		i++;
	return i;
}

/* A decimal number in lo..hi (digits only: no sign, no hex); false if not, or if it overflows. */
static bool parse_range(struct span t, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return t.len > 0 && count_digits(t) == t.len && kparse_u64(t.p, t.len, out) == 0 && *out >= lo &&
	       *out <= hi;
}

/* "N" followed by ns, us, ms or s, N > 0, the total fitting 64 bits. */
static int parse_duration(struct parser *ps, struct span t, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
	size_t nd = count_digits(t);
	struct span unit = {t.p + nd, t.len - nd};
	uint64_t n;
	for (size_t i = 0; nd > 0 && i < ARRAY_SIZE(units); i++) {
		if (!is_word(unit, units[i].unit))
			continue;
		if (kparse_u64(t.p, nd, &n) != 0 || n > UINT64_MAX / units[i].ns)
			return fail(ps, "duration '%.*s' is too long", QUOTE(t));
		if (n == 0)
			return fail(ps, "duration '%.*s' is zero", QUOTE(t));
		*ns = n * units[i].ns;
		return 0;
	}
	return fail(ps, "bad duration '%.*s' (a number followed by ns, us, ms or s)", QUOTE(t));
}

/* ---- the directives ---- */

static int parse_name(struct parser *ps, const struct span *arg)
{
	if (!name_valid(arg[0], MANIFEST_NAME_MAX))
		return fail(ps, "bad name '%.*s' (1-%d chars of a-z 0-9 _ -)", QUOTE(arg[0]),
			    MANIFEST_NAME_MAX - 1);
	copy(ps->m->name, arg[0]);
	return 0;
}

static int parse_version(struct parser *ps, const struct span *arg)
{
	uint64_t v;
	if (!parse_range(arg[0], 1, INT31_MAX, &v))
		return fail(ps, "bad version '%.*s' (a number from 1 to %llu)", QUOTE(arg[0]), INT31_MAX);
	ps->m->version = (uint32_t)v;
	return 0;
}

static int parse_context(struct parser *ps, const struct span *arg)
{
	if (is_word(arg[0], "foreground"))
		ps->m->contexts = MANIFEST_CTX_FOREGROUND;
	else if (is_word(arg[0], "background"))
		ps->m->contexts = MANIFEST_CTX_BACKGROUND;
	else if (is_word(arg[0], "both"))
		ps->m->contexts = MANIFEST_CTX_FOREGROUND | MANIFEST_CTX_BACKGROUND;
	else
		return fail(ps, "unknown context '%.*s' (foreground, background or both)", QUOTE(arg[0]));
	return 0;
}

/*
 * file: patterns are absolute, normal paths: no empty, "." or ".." component.
 * A trailing '/' is allowed (a directory); before a '*' the last component
 * is partial and not checked.
 */
static bool file_path_normal(const char *path, size_t len, bool star)
{
	if (len == 0 || path[0] != '/')
		return false;
	size_t start = 1;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t n = i - start;
		if (i == len && (star || n == 0))
			break;
		if (n == 0 || (n == 1 && path[start] == '.') ||
		    (n == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

/*
 * A pattern is "*", a valid topic, or a known kind and allowed characters
 * ending in '*' ("app:*", "app:thermo.*"). file: paths must be normal.
 * buf holds the NUL-terminated pattern (len < OPTIOS_EVENT_TOPIC_MAX).
 */
static bool pattern_valid(char *buf, size_t len)
{
	bool star = len > 0 && buf[len - 1] == '*';
	if (len == 1 && star)
		return true;
	if (star)
		buf[len - 1] = 'x'; /* "app:*" is valid when "app:x" is a valid topic */
	bool ok = optios_event_topic_valid(buf, OPTIOS_EVENT_TOPIC_MAX);
	if (star)
		buf[len - 1] = '*';
	if (ok && strncmp(buf, "file:", 5) == 0 && !(star && len == 6))
		ok = file_path_normal(buf + 5, len - 5 - star, star); /* the path after "file:" */
	return ok;
}

static int parse_policy(struct parser *ps, struct span t, uint32_t *policy)
{
	if (is_word(t, "queue"))
		*policy = OPTIOS_POLICY_QUEUE;
	else if (is_word(t, "coalesce"))
		*policy = OPTIOS_POLICY_COALESCE;
	else if (is_word(t, "latest"))
		*policy = OPTIOS_POLICY_LATEST;
	else
		return fail(ps, "unknown policy '%.*s' (queue, coalesce or latest)", QUOTE(t));
	return 0;
}

/* event PATTERN POLICY [LENGTH] */
static int parse_event(struct parser *ps, const struct span *arg)
{
	unsigned nargs = ps->nargs;
	struct manifest *m = ps->m;
	uint64_t qlen = MANIFEST_QUEUE_DEFAULT;
	if (m->nevents == MANIFEST_EVENTS_MAX)
		return fail(ps, "more than %d 'event' lines", MANIFEST_EVENTS_MAX);
	struct manifest_event *e = &m->events[m->nevents];
	if (arg[0].len >= sizeof e->pattern)
		return fail(ps, "topic pattern longer than %zu chars", sizeof e->pattern - 1);
	copy(e->pattern, arg[0]);
	if (!pattern_valid(e->pattern, arg[0].len))
		return fail(ps, "bad topic pattern '%.*s'", QUOTE(arg[0]));
	for (uint32_t i = 0; i < m->nevents; i++)
		if (strcmp(m->events[i].pattern, e->pattern) == 0)
			return fail(ps, "event '%.*s' declared twice", QUOTE(arg[0]));
	int err = parse_policy(ps, arg[1], &e->policy);
	if (err)
		return err;
	if (nargs == 3 && !parse_range(arg[2], 1, MANIFEST_QUEUE_MAX, &qlen))
		return fail(ps, "bad queue length '%.*s' (1 to %d)", QUOTE(arg[2]), MANIFEST_QUEUE_MAX);
	if (e->policy == OPTIOS_POLICY_LATEST && nargs == 3 && qlen != 1)
		return fail(ps, "'latest' holds one event: leave the queue length out");
	e->queue_len = e->policy == OPTIOS_POLICY_LATEST ? 1 : (uint32_t)qlen;
	m->nevents++;
	return 0;
}

/* timer NAME every|after DURATION */
static int parse_timer(struct parser *ps, const struct span *arg)
{
	struct manifest *m = ps->m;
	if (m->ntimers == MANIFEST_TIMERS_MAX)
		return fail(ps, "more than %d 'timer' lines", MANIFEST_TIMERS_MAX);
	struct manifest_timer *t = &m->timers[m->ntimers];
	if (!name_valid(arg[0], sizeof t->name))
		return fail(ps, "bad timer name '%.*s' (1-%zu chars of a-z 0-9 _ -)", QUOTE(arg[0]),
			    sizeof t->name - 1);
	copy(t->name, arg[0]);
	for (uint32_t i = 0; i < m->ntimers; i++)
		if (strcmp(m->timers[i].name, t->name) == 0)
			return fail(ps, "timer '%s' declared twice", t->name);
	bool every = is_word(arg[1], "every");
	if (!every && !is_word(arg[1], "after"))
		return fail(ps, "timer '%s': 'every' or 'after', not '%.*s'", t->name, QUOTE(arg[1]));
	int err = parse_duration(ps, arg[2], &t->first_ns);
	if (err)
		return err;
	t->period_ns = every ? t->first_ns : 0;
	m->ntimers++;
	return 0;
}

static int parse_budget(struct parser *ps, const struct span *arg)
{
	return parse_duration(ps, arg[0], &ps->m->budget_ns);
}

static int parse_memory(struct parser *ps, const struct span *arg)
{
	if (!parse_range(arg[0], 1, INT31_MAX, &ps->m->memory_pages))
		return fail(ps, "bad memory '%.*s' (pages, 1 to %llu)", QUOTE(arg[0]), INT31_MAX);
	return 0;
}

/* output CAPABILITY: printable ASCII, checked further by the policy (issue 5). */
static int parse_output(struct parser *ps, const struct span *arg)
{
	struct manifest *m = ps->m;
	if (m->noutputs == MANIFEST_OUTPUTS_MAX)
		return fail(ps, "more than %d 'output' lines", MANIFEST_OUTPUTS_MAX);
	if (arg[0].len >= MANIFEST_OUTPUT_MAX)
		return fail(ps, "output longer than %d chars", MANIFEST_OUTPUT_MAX - 1);
	for (size_t i = 0; i < arg[0].len; i++)
		if ((unsigned char)arg[0].p[i] > 0x7e)
			return fail(ps, "output '%.*s' is not ASCII", QUOTE(arg[0]));
	for (uint32_t i = 0; i < m->noutputs; i++)
		if (strlen(m->outputs[i]) == arg[0].len && memcmp(m->outputs[i], arg[0].p, arg[0].len) == 0)
			return fail(ps, "output '%.*s' declared twice", QUOTE(arg[0]));
	copy(m->outputs[m->noutputs++], arg[0]);
	return 0;
}

static const struct directive {
	const char *word;
	unsigned minargs, maxargs;
	bool once;
	int (*parse)(struct parser *ps, const struct span *arg);
	const char *usage;
} directives[] = {
	{"name", 1, 1, true, parse_name, "name NAME"},
	{"version", 1, 1, true, parse_version, "version NUMBER"},
	{"context", 1, 1, true, parse_context, "context foreground|background|both"},
	{"event", 2, 3, false, parse_event, "event PATTERN queue|coalesce|latest [LENGTH]"},
	{"timer", 3, 3, false, parse_timer, "timer NAME every|after DURATION"},
	{"budget", 1, 1, true, parse_budget, "budget DURATION"},
	{"memory", 1, 1, true, parse_memory, "memory PAGES"},
	{"output", 1, 1, false, parse_output, "output CAPABILITY"},
};

_Static_assert(ARRAY_SIZE(directives) <= 32, "seen is a 32-bit set");

/* ---- lines ---- */

/* NUL, control bytes (blanks aside) and over-long lines are refused whole. */
static int check_line(struct parser *ps, struct span line)
{
	if (line.len > MANIFEST_LINE_MAX)
		return fail(ps, "line longer than %d bytes", MANIFEST_LINE_MAX);
	for (size_t i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if (c == 0)
			return fail(ps, "NUL byte");
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return fail(ps, "control character 0x%02x", c);
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Splits line into tokens up to a '#' that starts one. Returns how many
 * there are, counting at most MAX_TOKENS + 1 (tok holds MAX_TOKENS). */
static unsigned tokenize(struct span line, struct span tok[MAX_TOKENS])
{
	unsigned n = 0;
	size_t i = 0;
	while (n <= MAX_TOKENS) {
		while (i < line.len && is_blank(line.p[i]))
			i++;
		if (i == line.len || line.p[i] == '#')
			break;
		size_t start = i;
		while (i < line.len && !is_blank(line.p[i]))
			i++;
		if (n < MAX_TOKENS)
			tok[n] = (struct span){line.p + start, i - start};
		n++;
	}
	return n;
}

static int parse_line(struct parser *ps, struct span line)
{
	struct span tok[MAX_TOKENS];
	int err = check_line(ps, line);
	if (err)
		return err;
	unsigned n = tokenize(line, tok);
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < ARRAY_SIZE(directives); i++) {
		const struct directive *d = &directives[i];
		if (!is_word(tok[0], d->word))
			continue;
		if (n - 1 < d->minargs || n - 1 > d->maxargs)
			return fail(ps, "expected '%s'", d->usage);
		if (d->once && (ps->seen & (1u << i)))
			return fail(ps, "second '%s' line", d->word);
		ps->seen |= 1u << i;
		ps->nargs = n - 1;
		return d->parse(ps, tok + 1);
	}
	return fail(ps, "unknown directive '%.*s'", QUOTE(tok[0]));
}

int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen)
{
	struct parser ps = {.m = m, .err = err, .errlen = errlen};
	int r = 0;
	memset(m, 0, sizeof *m);
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		len = 0;
	if (len > MANIFEST_TEXT_MAX) {
		r = fail(&ps, "manifest longer than %d bytes", MANIFEST_TEXT_MAX);
		goto out;
	}
	for (size_t pos = 0; pos < len && r == 0;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		ps.line++;
		r = parse_line(&ps, (struct span){text + pos, end - pos});
		pos = end + 1;
	}
	ps.line = 0;
	if (r == 0 && !m->name[0])
		r = fail(&ps, "no 'name' line");
	else if (r == 0 && !m->version)
		r = fail(&ps, "no 'version' line");
out:
	if (r)
		memset(m, 0, sizeof *m);
	else if (!m->contexts)
		m->contexts = MANIFEST_CTX_BACKGROUND;
	return r;
}
