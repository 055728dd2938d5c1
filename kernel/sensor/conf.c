/*
 * conf.c - /etc/sensors.conf: one device a line (docs/SENSORS.md),
 *
 *   # name  port       model         options
 *   co2     port=COM2  model=mhz19b  period=5s
 *   dust    port=COM3  model=pms5003 baud=9600 silence=10s
 *
 * NAME is 1-23 chars of [a-z0-9_-] (the topic is sensor:NAME), unique, as
 * is the port; period (default 2s: how often a polled device is asked, how
 * often a streaming one is expected to speak) and silence (default 3
 * periods, at least 1s: no good frame for this long reports the device
 * silent) are durations (N followed by ms or s), baud one of 1200..115200
 * dividing 115200, fifo the UART's receive trigger level (1, the default:
 * an interrupt per byte, the frame's time its last byte's; 4, 8 or 14:
 * fewer interrupts, the time up to 4 character times late). A bad line is
 * reported and skipped; the others stand.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "lib/lib.h"
#include "lib/span.h"
#include "sensor_internal.h"

#define QUOTE(t) (int)MIN((t).len, 40), (t).p
#define PERIOD_DEFAULT_NS 2000000000ull
#define DURATION_MAX_NS 3600000000000ull /* an hour */

struct conf_ctx {
	unsigned line;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
};

static bool fail(struct conf_ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
static bool fail(struct conf_ctx *c, const char *fmt, ...)
{
	char msg[192];
	int n = ksnprintf(msg, sizeof msg, "sensors.conf:%u: ", c->line);
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	if (c->report)
		c->report(c->ctx, msg);
	return false;
}

/* N ms or N s, 1 ms .. an hour. */
static bool duration(struct span v, uint64_t *ns)
{
	size_t d = 0;
	uint64_t n, unit;
	while (d < v.len && v.p[d] >= '0' && v.p[d] <= '9')
		d++;
	struct span u = {v.p + d, v.len - d};
	if (span_is(u, "ms"))
		unit = 1000000;
	else if (span_is(u, "s"))
		unit = 1000000000;
	else
		return false;
	if (d == 0 || d > 10 || kparse_u64(v.p, d, &n) != 0)
		return false;
	*ns = n * unit;
	return *ns >= 1000000 && *ns <= DURATION_MAX_NS;
}

/* One option KEY=VALUE into s. */
static bool option(struct conf_ctx *c, struct sensor_spec *s, struct span t)
{
	const char *eq = memchr(t.p, '=', t.len);
	if (!eq)
		return fail(c, "'%.*s' is not KEY=VALUE", QUOTE(t));
	struct span k = {t.p, (size_t)(eq - t.p)}, v = {eq + 1, t.len - (size_t)(eq - t.p) - 1};
	uint64_t n;
	if (span_is(k, "port")) {
		if (v.len < 4 || v.len >= sizeof s->port || memcmp(v.p, "COM", 3) != 0)
			return fail(c, "bad port '%.*s' (COM2, COM3, COM4)", QUOTE(v));
		memcpy(s->port, v.p, v.len);
	} else if (span_is(k, "model")) {
		if (!(s->m = sensor_model_find(v.p, v.len)))
			return fail(c, "unknown model '%.*s' (mhz19b, pms5003)", QUOTE(v));
	} else if (span_is(k, "period")) {
		if (!duration(v, &s->period_ns))
			return fail(c, "bad period '%.*s' (1ms to 3600s)", QUOTE(v));
	} else if (span_is(k, "silence")) {
		if (!duration(v, &s->silence_ns))
			return fail(c, "bad silence '%.*s' (1ms to 3600s)", QUOTE(v));
	} else if (span_is(k, "baud")) {
		if (kparse_u64(v.p, v.len, &n) != 0 || n < 1200 || n > 115200 || 115200 % n)
			return fail(c, "bad baud '%.*s' (1200 to 115200, dividing 115200)", QUOTE(v));
		s->baud = (uint32_t)n;
	} else if (span_is(k, "fifo")) {
		if (kparse_u64(v.p, v.len, &n) != 0 || (n != 1 && n != 4 && n != 8 && n != 14))
			return fail(c, "bad fifo '%.*s' (1, 4, 8 or 14)", QUOTE(v));
		s->fifo = (uint32_t)n;
	} else {
		return fail(c, "unknown option '%.*s' (port, model, period, baud, silence, fifo)", QUOTE(k));
	}
	return true;
}

static bool parse_line(struct conf_ctx *c, struct span line, struct sensor_spec *s,
		       const struct sensor_spec *prev, size_t nprev)
{
	struct span tok[8];
	unsigned n = span_tokens(line, tok, 7);
	if (n == 0)
		return false;
	if (n > 7)
		return fail(c, "too many options");
	if (!span_name_valid(tok[0], OPTIOS_SENSOR_NAME_MAX))
		return fail(c, "bad name '%.*s' (1-%d chars of a-z 0-9 _ -)", QUOTE(tok[0]),
			    OPTIOS_SENSOR_NAME_MAX - 1);
	memset(s, 0, sizeof *s);
	memcpy(s->name, tok[0].p, tok[0].len);
	s->baud = 9600;
	s->fifo = 1;
	s->period_ns = PERIOD_DEFAULT_NS;
	for (unsigned i = 1; i < n; i++)
		if (!option(c, s, tok[i]))
			return false;
	if (!s->port[0] || !s->m)
		return fail(c, "%s: needs port= and model=", s->name);
	for (size_t i = 0; i < nprev; i++) {
		if (strcmp(prev[i].name, s->name) == 0)
			return fail(c, "sensor '%s' named twice", s->name);
		if (strcmp(prev[i].port, s->port) == 0)
			return fail(c, "%s: port %s is taken by '%s'", s->name, s->port, prev[i].name);
	}
	if (!s->silence_ns)
		s->silence_ns = MAX(3 * s->period_ns, 1000000000ull);
	return true;
}

size_t sensor_conf_parse(const char *text, size_t len, struct sensor_spec *specs, size_t max,
			 void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct conf_ctx c = {.report = report, .ctx = ctx};
	struct span line;
	size_t n = 0;
	for (size_t pos = 0; span_next_line(text, len, &pos, &line);) {
		c.line++;
		if (span_bad_byte(line) < line.len) {
			fail(&c, "control character");
			continue;
		}
		struct sensor_spec s;
		if (!parse_line(&c, line, &s, specs, n))
			continue;
		if (n == max) {
			fail(&c, "more than %zu sensors", max);
			continue;
		}
		specs[n++] = s;
	}
	return n;
}
