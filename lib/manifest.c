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
 * its array; counts are within MANIFEST_*_MAX; the outputs lie back to back
 * in output_text in declaration order (output_at[0] == 0, each starting
 * after the previous one's NUL), output_bytes in all; every event pattern is valid
 * and unique, its policy known and its queue_len 1..MANIFEST_QUEUE_MAX (1 for
 * latest); timer names are unique and their delays non-zero.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>
#include <optios/abi/manifest.h>

#include "lib.h"
#include "span.h"
#include "topic.h"

#define MAX_TOKENS 6 /* a directive and at most five arguments */
#define QUOTE_MAX 40 /* bytes of a token quoted in a message */
#define INT31_MAX 0x7fffffffull

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
	va_list ap;
	va_start(ap, fmt);
	span_vreport(ps->err, ps->errlen, ps->line, fmt, ap);
	va_end(ap);
	return -EINVAL;
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
		if (!span_is(unit, units[i].unit))
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
	if (!span_name_valid(arg[0], MANIFEST_NAME_MAX))
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
	if (span_is(arg[0], "foreground"))
		ps->m->contexts = MANIFEST_CTX_FOREGROUND;
	else if (span_is(arg[0], "background"))
		ps->m->contexts = MANIFEST_CTX_BACKGROUND;
	else if (span_is(arg[0], "both"))
		ps->m->contexts = MANIFEST_CTX_FOREGROUND | MANIFEST_CTX_BACKGROUND;
	else
		return fail(ps, "unknown context '%.*s' (foreground, background or both)", QUOTE(arg[0]));
	return 0;
}

static int parse_policy(struct parser *ps, struct span t, uint32_t *policy)
{
	if (span_is(t, "queue"))
		*policy = OPTIOS_POLICY_QUEUE;
	else if (span_is(t, "coalesce"))
		*policy = OPTIOS_POLICY_COALESCE;
	else if (span_is(t, "latest"))
		*policy = OPTIOS_POLICY_LATEST;
	else
		return fail(ps, "unknown policy '%.*s' (queue, coalesce or latest)", QUOTE(t));
	return 0;
}

static bool span_has(struct span t, char c)
{
	return t.len && memchr(t.p, c, t.len) != NULL;
}

/* period=DURATION or latency=DURATION, on an exact sensor: topic only, each once. */
static int parse_sensor_option(struct parser *ps, struct manifest_event *e, struct span t)
{
	static const char *const keys[] = {"period=", "latency="};
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		size_t kl = strlen(keys[k]);
		if (t.len < kl || memcmp(t.p, keys[k], kl) != 0)
			continue;
		uint64_t *field = k == 0 ? &e->period_ns : &e->latency_ns;
		if (strncmp(e->pattern, "sensor:", 7) != 0 || strchr(e->pattern, '*'))
			return fail(ps, "'%s' is for an exact sensor: topic, not '%s'", keys[k], e->pattern);
		if (*field)
			return fail(ps, "'%s' given twice", keys[k]);
		int err = parse_duration(ps, (struct span){t.p + kl, t.len - kl}, field);
		if (err)
			return err;
		if (*field > MANIFEST_TIMER_MAX_NS)
			return fail(ps, "%.*s is out of range (at most 366 days)", QUOTE(t));
		return 0;
	}
	return fail(ps, "unknown event option '%.*s' (period=DURATION, latency=DURATION)", QUOTE(t));
}

/* event PATTERN POLICY [LENGTH] [period=DURATION] [latency=DURATION] */
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
	if (!topic_pattern_valid(e->pattern))
		return fail(ps, "bad topic pattern '%.*s'", QUOTE(arg[0]));
	for (uint32_t i = 0; i < m->nevents; i++)
		if (strcmp(m->events[i].pattern, e->pattern) == 0)
			return fail(ps, "event '%.*s' declared twice", QUOTE(arg[0]));
	int err = parse_policy(ps, arg[1], &e->policy);
	if (err)
		return err;
	bool has_len = nargs >= 3 && !span_has(arg[2], '=');
	for (unsigned i = has_len ? 3 : 2; i < nargs; i++)
		if ((err = parse_sensor_option(ps, e, arg[i])) != 0)
			return err;
	if (has_len && !parse_range(arg[2], 1, MANIFEST_QUEUE_MAX, &qlen))
		return fail(ps, "bad queue length '%.*s' (1 to %d)", QUOTE(arg[2]), MANIFEST_QUEUE_MAX);
	if (e->policy == OPTIOS_POLICY_LATEST && has_len && qlen != 1)
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
	if (!span_name_valid(arg[0], sizeof t->name))
		return fail(ps, "bad timer name '%.*s' (1-%zu chars of a-z 0-9 _ -)", QUOTE(arg[0]),
			    sizeof t->name - 1);
	copy(t->name, arg[0]);
	for (uint32_t i = 0; i < m->ntimers; i++)
		if (strcmp(m->timers[i].name, t->name) == 0)
			return fail(ps, "timer '%s' declared twice", t->name);
	bool every = span_is(arg[1], "every");
	if (!every && !span_is(arg[1], "after"))
		return fail(ps, "timer '%s': 'every' or 'after', not '%.*s'", t->name, QUOTE(arg[1]));
	int err = parse_duration(ps, arg[2], &t->first_ns);
	if (err)
		return err;
	if (t->first_ns < MANIFEST_TIMER_MIN_NS || t->first_ns > MANIFEST_TIMER_MAX_NS)
		return fail(ps, "timer '%s': %.*s is out of range (1ms to 366 days)", t->name, QUOTE(arg[2]));
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

/* output CAPABILITY: printable ASCII, checked further by the policy (issue 5);
 * appended to output_text, which holds every output back to back. */
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
		if (span_is(arg[0], manifest_output(m, i)))
			return fail(ps, "output '%.*s' declared twice", QUOTE(arg[0]));
	if (arg[0].len + 1 > MANIFEST_OUTPUTS_BYTES - m->output_bytes)
		return fail(ps, "outputs take more than %d bytes in all", MANIFEST_OUTPUTS_BYTES);
	m->output_at[m->noutputs++] = (uint16_t)m->output_bytes;
	copy(m->output_text + m->output_bytes, arg[0]);
	m->output_bytes += (uint32_t)arg[0].len + 1;
	return 0;
}

_Static_assert(MANIFEST_OUTPUTS_BYTES <= UINT16_MAX + 1, "output_at is 16 bits");

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
	{"event", 2, 5, false, parse_event, "event PATTERN queue|coalesce|latest [LENGTH] [period=D] [latency=D]"},
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
	size_t i = span_bad_byte(line);
	if (i < line.len && line.p[i] == 0)
		return fail(ps, "NUL byte");
	if (i < line.len)
		return fail(ps, "control character 0x%02x", (unsigned char)line.p[i]);
	return 0;
}

static int parse_line(struct parser *ps, struct span line)
{
	struct span tok[MAX_TOKENS];
	int err = check_line(ps, line);
	if (err)
		return err;
	unsigned n = span_tokens(line, tok, MAX_TOKENS);
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < ARRAY_SIZE(directives); i++) {
		const struct directive *d = &directives[i];
		if (!span_is(tok[0], d->word))
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
	struct span line;
	for (size_t pos = 0; r == 0 && span_next_line(text, len, &pos, &line);) {
		ps.line++;
		r = parse_line(&ps, line);
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
