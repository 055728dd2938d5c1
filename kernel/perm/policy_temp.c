/*
 * policy_temp.c - TEMPORARY stand-in for lib/policy.c (branch `policy`), the
 * few functions kernel/perm calls, so this branch builds and runs until that
 * lands. Delete this file when merging `policy`.
 */
#include "lib/policy.h"

#include <optios/abi/errno.h>

#include "kernel/event/event.h"
#include "kernel/fs/path.h"
#include "lib/lib.h"

static const char *const kind_names[CAP_KINDS] = {
	"file.read", "file.write", "emit", "event", "spawn", "console", "display", "log.read", "handler.manage",
	"policy.manage", "power"};

const char *cap_kind_name(enum cap_kind kind)
{
	return kind < CAP_KINDS ? kind_names[kind] : "?";
}

static bool has_object(enum cap_kind k)
{
	return k <= CAP_SPAWN;
}

static bool is_path_kind(enum cap_kind k)
{
	return k == CAP_FILE_READ || k == CAP_FILE_WRITE || k == CAP_SPAWN;
}

int cap_parse(const char *c, enum cap_kind *kind, const char **object)
{
	for (int k = 0; k < CAP_KINDS; k++) {
		size_t n = strlen(kind_names[k]);
		if (strncmp(c, kind_names[k], n) != 0 || (c[n] != 0 && c[n] != ':'))
			continue;
		const char *obj = c[n] ? c + n + 1 : "";
		if (has_object((enum cap_kind)k) != (c[n] == ':') || (has_object((enum cap_kind)k) && !*obj))
			return -EINVAL;
		if (is_path_kind((enum cap_kind)k) && obj[0] != '/')
			return -EINVAL;
		*kind = (enum cap_kind)k;
		*object = obj;
		return 0;
	}
	return -EINVAL;
}

static bool path_covers(const char *g, const char *o)
{
	size_t n = strlen(g);
	if (n && g[n - 1] == '/')
		return path_has_prefix(o, strlen(o), g, n);
	return strcmp(g, o) == 0;
}

bool cap_allows(const char *c, enum cap_kind kind, const char *object)
{
	enum cap_kind k;
	const char *obj;
	if (cap_parse(c, &k, &obj) != 0 || k != kind)
		return false;
	if (!has_object(k))
		return true;
	if (is_path_kind(k))
		return path_covers(obj, object);
	return strcmp(obj, object) == 0 || event_topic_matches(obj, object);
}

bool cap_covers(const char *g, const char *c)
{
	enum cap_kind k;
	const char *obj;
	return cap_parse(c, &k, &obj) == 0 && cap_allows(g, k, obj);
}

int policy_grant(struct policy *p, const char *program, const char *cap)
{
	enum cap_kind k;
	const char *obj;
	if (!program[0] || strlen(program) >= MANIFEST_NAME_MAX || strlen(cap) >= CAP_MAX || cap_parse(cap, &k, &obj))
		return -EINVAL;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->grants[i].program, program) && !strcmp(p->grants[i].cap, cap))
			return -EEXIST;
	if (p->n == POLICY_GRANTS_MAX)
		return -ENOSPC;
	memset(&p->grants[p->n], 0, sizeof p->grants[p->n]);
	memcpy(p->grants[p->n].program, program, strlen(program));
	memcpy(p->grants[p->n].cap, cap, strlen(cap));
	p->n++;
	p->generation++;
	return 0;
}

int policy_revoke(struct policy *p, const char *program, const char *cap)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->grants[i].program, program) && !strcmp(p->grants[i].cap, cap)) {
			memmove(&p->grants[i], &p->grants[i + 1], (p->n - i - 1) * sizeof p->grants[0]);
			p->n--;
			p->generation++;
			return 0;
		}
	return -ENOENT;
}

bool policy_granted(const struct policy *p, const char *program, const char *cap)
{
	for (size_t i = 0; i < p->n; i++)
		if ((!strcmp(p->grants[i].program, program) || !strcmp(p->grants[i].program, "*")) &&
		    cap_covers(p->grants[i].cap, cap))
			return true;
	return false;
}

/* Only what the kernel needs: "grant NAME CAP" lines, '#' comments. */
int policy_parse(const char *text, size_t len, struct policy *p, char *err, size_t errlen)
{
	char line[256], w[3][CAP_MAX];
	p->n = 0;
	p->generation++;
	for (size_t i = 0, no = 1; i < len; no++) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t n = MIN(e - i, sizeof line - 1);
		memcpy(line, text + i, n);
		line[n] = 0;
		i = e + 1;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		int nw = 0;
		for (char *s = line; *s && nw < 3;) {
			while (*s == ' ' || *s == '\t' || *s == '\r')
				s++;
			size_t l = 0;
			while (s[l] && s[l] != ' ' && s[l] != '\t' && s[l] != '\r')
				l++;
			if (!l)
				break;
			memcpy(w[nw], s, MIN(l, (size_t)CAP_MAX - 1));
			w[nw++][MIN(l, (size_t)CAP_MAX - 1)] = 0;
			s += l;
		}
		if (nw == 0)
			continue;
		if (nw != 3 || strcmp(w[0], "grant") || policy_grant(p, w[1], w[2]) == -EINVAL) {
			ksnprintf(err, errlen, "line %lu: expected 'grant NAME CAPABILITY'", (unsigned long)no);
			return -EINVAL;
		}
	}
	return 0;
}

static void add_cap(struct perm_set *s, const char *cap, bool granted)
{
	if (s->n == PERM_CAPS_MAX)
		return;
	memset(s->caps[s->n], 0, CAP_MAX);
	memcpy(s->caps[s->n], cap, MIN(strlen(cap), (size_t)CAP_MAX - 1));
	s->granted[s->n++] = granted;
}

void perm_set_compute(struct perm_set *out, const struct manifest *m, const struct policy *p)
{
	memset(out, 0, sizeof *out);
	out->generation = p->generation;
	if (!m) {
		out->contexts = MANIFEST_CTX_FOREGROUND;
		add_cap(out, "console", true);
		return;
	}
	char cap[CAP_MAX];
	memcpy(out->name, m->name, sizeof out->name);
	out->contexts = m->contexts;
	out->memory_pages = m->memory_pages;
	out->budget_ns = m->budget_ns;
	for (size_t i = 0; i < m->nevents; i++) {
		ksnprintf(cap, sizeof cap, "event:%s", m->events[i].pattern);
		add_cap(out, cap, policy_granted(p, m->name, cap));
	}
	for (size_t i = 0; i < m->noutputs; i++)
		add_cap(out, m->outputs[i], policy_granted(p, m->name, m->outputs[i]));
}

bool perm_set_allows(const struct perm_set *s, enum cap_kind kind, const char *object)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->granted[i] && cap_allows(s->caps[i], kind, object))
			return true;
	return false;
}

size_t perm_set_missing(const struct perm_set *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !s->granted[i];
	return n;
}

static size_t answer(char *out, size_t size, const char *what)
{
	return ksnprintf(out, size, "(%s: waiting for lib/policy.c)\n", what);
}

size_t policy_show(const struct policy *p, const struct policy_program *progs, size_t n, const char *name,
		   char *out, size_t size)
{
	(void)p, (void)progs, (void)n, (void)name;
	return answer(out, size, "show");
}

size_t policy_who_can(const struct policy *p, const struct policy_program *progs, size_t n, const char *cap,
		      char *out, size_t size)
{
	(void)p, (void)progs, (void)n, (void)cap;
	return answer(out, size, "who-can");
}

size_t policy_on(const struct policy *p, const struct policy_program *progs, size_t n, const char *topic,
		 char *out, size_t size)
{
	(void)p, (void)progs, (void)n, (void)topic;
	return answer(out, size, "on");
}
