/*
 * render.c - the status page as JSON and HTML (contract: render.h).
 * Host-buildable: plain C over the ABI's structures; tests/host/test_status_render.c.
 *
 * Both renderings walk the same view in the same order (network, handlers,
 * log, policy) and write through one bounded writer that keeps counting past
 * the end, so a caller learns the size it needs. Every string from the
 * system (names, topics, log text, capabilities) is escaped for where it
 * lands: JSON strings get \" \\ and \u00XX for control and non-ASCII bytes
 * (the kernel's text is bytes, not necessarily UTF-8), HTML gets entities.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

struct out {
	char *p;
	size_t size, len; /* len counts what did not fit too */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n = vsnprintf(room ? o->p + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void putc_(struct out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->p[o->len] = c;
		o->p[o->len + 1] = '\0';
	}
	o->len++;
}

/* A fixed-size text field of the ABI: at most max bytes, trailing newlines dropped. */
static size_t field_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static void json_str(struct out *o, const char *s, size_t n)
{
	putc_(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(o, "\\u%04x", c);
		else
			putc_(o, (char)c);
	}
	putc_(o, '"');
}

#define JSON_FIELD(o, s) json_str(o, s, field_len(s, sizeof(s)))

static void html_str(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': put(o, "&amp;"); break;
		case '<': put(o, "&lt;"); break;
		case '>': put(o, "&gt;"); break;
		case '"': put(o, "&quot;"); break;
		case '\'': put(o, "&#39;"); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				put(o, "&#%u;", c < 0x20 ? 0x2400u + c : 0xfffdu); /* a visible stand-in */
			else
				putc_(o, (char)c);
		}
	}
}

#define HTML_FIELD(o, s) html_str(o, s, field_len(s, sizeof(s)))

const char *status_state_word(uint32_t state)
{
	switch (state) {
	case OPTIOS_HANDLER_INITIALISING: return "initialising";
	case OPTIOS_HANDLER_READY: return "ready";
	case OPTIOS_HANDLER_RUNNING: return "running";
	case OPTIOS_HANDLER_QUARANTINED: return "quarantined";
	}
	return "unknown";
}

const char *status_result_word(int32_t result)
{
	static const char *const words[] = {"none",  "commit",	"fault",     "budget",	  "exit",
					    "nomem", "removed", "disk full", "disk error"};
	return result >= 0 && (size_t)result < sizeof words / sizeof *words ? words[result] : "unknown";
}

const char *status_log_kind_word(uint32_t kind)
{
	static const char *const words[] = {"unknown", "event",	 "run",	    "commit", "rollback",
					    "effect",  "output", "handler", "drop",   "deny",
					    "policy",  "retry",	 "enosys",  "durable"};
	return kind < sizeof words / sizeof *words ? words[kind] : "unknown";
}

static const char *policy_word(uint32_t p)
{
	return p == OPTIOS_POLICY_QUEUE ? "queue" : p == OPTIOS_POLICY_COALESCE ? "coalesce" : "latest";
}

static void ip(char out[16], uint32_t a) /* network byte order */
{
	const unsigned char *b = (const unsigned char *)&a;
	snprintf(out, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

/*
 * The policy text's grants, one at a time: finds the next "grant P C" line
 * from *at; sets the program and capability spans. false at the end.
 */
static bool next_grant(const char *text, size_t *at, const char **prog, size_t *pl, const char **cap,
		       size_t *cl)
{
	while (text[*at]) {
		const char *line = text + *at, *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		*at += n + (nl != NULL);
		const char *w[3];
		size_t wl[3];
		int words = 0;
		for (size_t i = 0; i < n && words < 3;) {
			while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
				i++;
			if (i == n || line[i] == '#')
				break;
			w[words] = line + i;
			while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
				i++;
			wl[words] = (size_t)(line + i - w[words]);
			words++;
		}
		if (words == 3 && wl[0] == 5 && memcmp(w[0], "grant", 5) == 0) {
			*prog = w[1], *pl = wl[1], *cap = w[2], *cl = wl[2];
			return true;
		}
	}
	return false;
}

/* ---- JSON ---- */

static void json_net(struct out *o, const struct optios_net_info *n)
{
	char a[16], m[16], g[16];
	ip(a, n->addr), ip(m, n->netmask), ip(g, n->gateway);
	put(o, "{\"name\":");
	JSON_FIELD(o, n->name);
	put(o, ",\"driver\":");
	JSON_FIELD(o, n->driver);
	put(o,
	    ",\"link_up\":%s,\"address\":\"%s\",\"netmask\":\"%s\",\"gateway\":\"%s\","
	    "\"rx_frames\":%llu,\"rx_bytes\":%llu,\"tx_frames\":%llu,\"tx_bytes\":%llu,"
	    "\"rx_dropped\":%llu,\"tx_dropped\":%llu,\"interrupts\":%llu}",
	    n->link_up ? "true" : "false", a, m, g, (unsigned long long)n->rx_frames,
	    (unsigned long long)n->rx_bytes, (unsigned long long)n->tx_frames,
	    (unsigned long long)n->tx_bytes, (unsigned long long)n->rx_dropped,
	    (unsigned long long)n->tx_dropped, (unsigned long long)n->irqs);
}

static void json_sub(struct out *o, const struct optios_sub_info *s)
{
	put(o, "{\"pattern\":");
	JSON_FIELD(o, s->pattern);
	put(o,
	    ",\"policy\":\"%s\",\"capacity\":%u,\"posted\":%llu,\"delivered\":%llu,\"coalesced\":%llu,"
	    "\"dropped\":%llu,\"dead\":%llu,\"pending\":%llu}",
	    policy_word(s->policy), s->capacity, (unsigned long long)s->posted,
	    (unsigned long long)s->delivered, (unsigned long long)s->coalesced,
	    (unsigned long long)s->dropped, (unsigned long long)s->dead, (unsigned long long)s->pending);
}

static void json_handler(struct out *o, const struct optios_handler_info *h)
{
	put(o, "{\"name\":");
	JSON_FIELD(o, h->name);
	put(o, ",\"path\":");
	JSON_FIELD(o, h->path);
	put(o, ",\"version\":%u,\"state\":\"%s\",\"runs\":%llu,\"failures\":%llu,\"last_result\":\"%s\",",
	    h->version, status_state_word(h->state), (unsigned long long)h->runs,
	    (unsigned long long)h->failures, status_result_word(h->last_result));
	put(o, "\"last_topic\":");
	JSON_FIELD(o, h->last_topic);
	put(o, ",\"snapshot_pages\":%llu,\"last_run_ns\":%llu,\"dead_letters\":%u,\"subscriptions\":[",
	    (unsigned long long)h->snapshot_pages, (unsigned long long)h->last_run_ns, h->dead_kept);
	for (uint32_t i = 0; i < h->nsubs && i < OPTIOS_HANDLER_SUBS_MAX; i++) {
		if (i)
			putc_(o, ',');
		json_sub(o, &h->subs[i]);
	}
	put(o, "]}");
}

static void json_record(struct out *o, const struct optios_log_record *r)
{
	put(o, "{\"seq\":%llu,\"time_ns\":%llu,\"kind\":\"%s\",\"result\":%d,\"event_seq\":%llu,\"handler\":",
	    (unsigned long long)r->seq, (unsigned long long)r->time_ns, status_log_kind_word(r->kind),
	    r->result, (unsigned long long)r->event_seq);
	JSON_FIELD(o, r->handler);
	put(o, ",\"topic\":");
	JSON_FIELD(o, r->topic);
	put(o, ",\"text\":");
	JSON_FIELD(o, r->text);
	putc_(o, '}');
}

size_t status_render_json(const struct status_view *v, char *out, size_t size)
{
	struct out o = {out, size, 0};
	if (size)
		out[0] = '\0';
	put(&o, "{\"time_ns\":%llu,\"network\":[", (unsigned long long)v->time_ns);
	for (size_t i = 0; i < v->nnets; i++) {
		if (i)
			putc_(&o, ',');
		json_net(&o, &v->nets[i]);
	}
	put(&o, "],\n\"handlers\":[");
	for (size_t i = 0; i < v->nhandlers; i++) {
		put(&o, "%s\n", i ? "," : "");
		json_handler(&o, &v->handlers[i]);
	}
	put(&o, "],\n\"log_seq\":%llu,\"log\":[", (unsigned long long)v->log_seq);
	for (size_t i = 0; i < v->nlog; i++) {
		put(&o, "%s\n", i ? "," : "");
		json_record(&o, &v->log[i]);
	}
	put(&o, "],\n\"policy\":[");
	const char *prog, *cap;
	size_t at = 0, pl, cl, n = 0;
	while (v->policy && next_grant(v->policy, &at, &prog, &pl, &cap, &cl)) {
		put(&o, "%s\n{\"program\":", n++ ? "," : "");
		json_str(&o, prog, pl);
		put(&o, ",\"capability\":");
		json_str(&o, cap, cl);
		putc_(&o, '}');
	}
	put(&o, "]}\n");
	return o.len;
}

/* ---- HTML ---- */

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>OptiOS status</title>\n"
	"<style>\n"
	"body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}\n"
	"h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.2em 0 .4em}\n"
	"table{border-collapse:collapse;font-size:.9em}\n"
	"th,td{border:1px solid #999;padding:.2em .6em;text-align:left}\n"
	"th{background:#dde}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	".quarantined{color:#a00;font-weight:bold}.note{color:#444}\n"
	"</style>\n";

static void html_net(struct out *o, const struct status_view *v)
{
	put(o, "<h2>Network</h2>\n");
	if (!v->nnets) {
		put(o, "<p class=\"note\">no network interface</p>\n");
		return;
	}
	put(o, "<table><tr><th>interface</th><th>driver</th><th>link</th><th>address</th><th>rx frames</th>"
	       "<th>tx frames</th><th>rx dropped</th><th>interrupts</th></tr>\n");
	for (size_t i = 0; i < v->nnets; i++) {
		const struct optios_net_info *n = &v->nets[i];
		char a[16];
		ip(a, n->addr);
		put(o, "<tr><td>");
		HTML_FIELD(o, n->name);
		put(o, "</td><td>");
		HTML_FIELD(o, n->driver);
		put(o,
		    "</td><td>%s</td><td>%s</td><td class=n>%llu</td><td class=n>%llu</td><td "
		    "class=n>%llu</td>"
		    "<td class=n>%llu</td></tr>\n",
		    n->link_up ? "up" : "down", n->addr ? a : "-", (unsigned long long)n->rx_frames,
		    (unsigned long long)n->tx_frames, (unsigned long long)n->rx_dropped,
		    (unsigned long long)n->irqs);
	}
	put(o, "</table>\n");
}

static void html_handlers(struct out *o, const struct status_view *v)
{
	put(o, "<h2>Handlers</h2>\n<table><tr><th>handler</th><th>state</th><th>runs</th><th>failures</th>"
	       "<th>last run</th><th>subscription</th><th>posted</th><th>delivered</th><th>coalesced</th>"
	       "<th>dropped</th><th>dead</th><th>pending</th></tr>\n");
	for (size_t i = 0; i < v->nhandlers; i++) {
		const struct optios_handler_info *h = &v->handlers[i];
		uint32_t rows = h->nsubs ? h->nsubs : 1;
		put(o, "<tr id=\"h-");
		HTML_FIELD(o, h->name);
		put(o, "\"><td rowspan=%u>", rows);
		HTML_FIELD(o, h->name);
		put(o,
		    "</td><td rowspan=%u class=\"%s\">%s</td><td rowspan=%u class=n>%llu</td>"
		    "<td rowspan=%u class=n>%llu</td><td rowspan=%u>%s</td>",
		    rows, status_state_word(h->state), status_state_word(h->state), rows,
		    (unsigned long long)h->runs, rows, (unsigned long long)h->failures, rows,
		    status_result_word(h->last_result));
		if (!h->nsubs)
			put(o, "<td colspan=7 class=note>no subscription</td></tr>\n");
		for (uint32_t k = 0; k < h->nsubs && k < OPTIOS_HANDLER_SUBS_MAX; k++) {
			const struct optios_sub_info *s = &h->subs[k];
			put(o, "%s<td>", k ? "<tr>" : "");
			HTML_FIELD(o, s->pattern);
			put(o,
			    " (%s)</td><td class=n>%llu</td><td class=n>%llu</td><td class=n>%llu</td>"
			    "<td class=n>%llu</td><td class=n>%llu</td><td class=n>%llu</td></tr>\n",
			    policy_word(s->policy), (unsigned long long)s->posted,
			    (unsigned long long)s->delivered, (unsigned long long)s->coalesced,
			    (unsigned long long)s->dropped, (unsigned long long)s->dead,
			    (unsigned long long)s->pending);
		}
	}
	put(o, "</table>\n");
}

static void html_log(struct out *o, const struct status_view *v)
{
	put(o, "<h2>Latest log records</h2>\n<table><tr><th>seq</th><th>time (s)</th><th>kind</th>"
	       "<th>handler</th><th>topic</th><th>text</th></tr>\n");
	for (size_t i = v->nlog; i-- > 0;) { /* newest first */
		const struct optios_log_record *r = &v->log[i];
		put(o, "<tr><td class=n>%llu</td><td class=n>%llu.%06llu</td><td>%s</td><td>",
		    (unsigned long long)r->seq, (unsigned long long)(r->time_ns / 1000000000ull),
		    (unsigned long long)(r->time_ns % 1000000000ull / 1000), status_log_kind_word(r->kind));
		HTML_FIELD(o, r->handler);
		put(o, "</td><td>");
		HTML_FIELD(o, r->topic);
		put(o, "</td><td>");
		HTML_FIELD(o, r->text);
		put(o, "</td></tr>\n");
	}
	put(o, "</table>\n");
}

static void html_policy(struct out *o, const struct status_view *v)
{
	put(o, "<h2>Policy</h2>\n<table><tr><th>program</th><th>capability</th></tr>\n");
	const char *prog, *cap;
	size_t at = 0, pl, cl;
	while (v->policy && next_grant(v->policy, &at, &prog, &pl, &cap, &cl)) {
		put(o, "<tr><td>");
		html_str(o, prog, pl);
		put(o, "</td><td>");
		html_str(o, cap, cl);
		put(o, "</td></tr>\n");
	}
	put(o, "</table>\n");
}

size_t status_render_html(const struct status_view *v, char *out, size_t size)
{
	struct out o = {out, size, 0};
	if (size)
		out[0] = '\0';
	put(&o, "%s", html_head);
	if (v->refresh_s)
		put(&o, "<meta http-equiv=\"refresh\" content=\"%u\">\n", v->refresh_s);
	put(&o, "</head><body>\n");
	put(&o,
	    "<h1>OptiOS status</h1>\n<p class=\"note\">up %llu.%03llu s; %zu handlers; this page reloads "
	    "every %u s; the same as JSON: <a href=\"/status.json\">/status.json</a></p>\n",
	    (unsigned long long)(v->time_ns / 1000000000ull),
	    (unsigned long long)(v->time_ns % 1000000000ull / 1000000), v->nhandlers, v->refresh_s);
	html_net(&o, v);
	html_handlers(&o, v);
	html_log(&o, v);
	html_policy(&o, v);
	put(&o, "</body></html>\n");
	return o.len;
}
