/*
 * fuzz_policy.c - libFuzzer target for lib/policy.c and lib/topic.c. The
 * input is a policy file; its first three lines are also tried as
 * capabilities (and their objects as topic patterns). Properties:
 *   - policy_parse returns 0 or -EINVAL with one bounded line ("" on
 *     success); every grant kept is valid and unique; policy_list writes it
 *     back as text that parses to the same grants; the text loaded again
 *     (policy_load, as a drop-in) adds nothing and reports each bad line
 *     once, in order;
 *   - policy_cap_covers only relates valid capabilities of one kind, is reflexive
 *     on valid ones and transitive, and agrees with policy_cap_allows;
 *   - topic patterns: covers and matches are consistent (g covers c and c
 *     matches t: g matches t), two valid patterns matching one topic overlap;
 *   - visibility: what a file grant allows is seen, with its ancestors;
 *     nothing is seen without a grant;
 *   - the three queries never overrun and return the length they need.
 */
#include <string.h>

#include <optios/abi/errno.h>

#include "fuzz.h"
#include "lib/policy.h"
#include "lib/topic.h"

static struct policy p, again;
static char err[128], text[POLICY_TEXT_MAX + 1], answer[2048];

static void check_policy(const struct policy *q)
{
	size_t at = 0;
	FUZZ_ASSERT(q->n <= POLICY_GRANTS_MAX && q->cap_bytes <= POLICY_CAPS_BYTES);
	for (size_t i = 0; i < q->n; i++) {
		/* the capabilities back to back in grant order */
		FUZZ_ASSERT(q->grants[i].cap_at == at && at < q->cap_bytes);
		at += strnlen(policy_grant_cap(q, i), q->cap_bytes - at) + 1;
		FUZZ_ASSERT(at <= q->cap_bytes);
		FUZZ_ASSERT(policy_cap_parse(policy_grant_cap(q, i), NULL, NULL) == 0);
		FUZZ_ASSERT(strnlen(q->grants[i].program, MANIFEST_NAME_MAX) < MANIFEST_NAME_MAX);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(q->grants[i].program, q->grants[j].program) ||
				    strcmp(policy_grant_cap(q, i), policy_grant_cap(q, j)));
	}
	FUZZ_ASSERT(at == q->cap_bytes);
}

static void check_round_trip(void)
{
	size_t n = policy_list(&p, text, sizeof text);
	FUZZ_ASSERT(n < sizeof text && strlen(text) == n);
	FUZZ_ASSERT(policy_parse(text, n, &again, err, sizeof err) == 0);
	FUZZ_ASSERT(again.n == p.n && memcmp(again.grants, p.grants, sizeof p.grants) == 0);
	FUZZ_ASSERT(again.cap_bytes == p.cap_bytes && memcmp(again.cap_text, p.cap_text, p.cap_bytes) == 0);
}

/* The i-th line of data (cut to CAP_MAX - 1 bytes) into out; "" past the end. */
static void line_of(const uint8_t *data, size_t size, unsigned i, char out[CAP_MAX])
{
	size_t pos = 0;
	for (; i > 0 && pos < size; pos++)
		if (data[pos] == '\n')
			i--;
	size_t len = 0;
	while (pos + len < size && data[pos + len] != '\n' && len < CAP_MAX - 1)
		len++;
	memcpy(out, data + pos, len);
	out[len] = '\0';
}

static void check_caps(const char *g, const char *c, const char *t)
{
	enum policy_cap gk, ck;
	const char *go, *co;
	bool gv = policy_cap_parse(g, &gk, &go) == 0, cv = policy_cap_parse(c, &ck, &co) == 0;
	bool covers = policy_cap_covers(g, c);
	FUZZ_ASSERT(!covers || (gv && cv && gk == ck));
	FUZZ_ASSERT(policy_cap_covers(g, g) == gv);
	if (cv)
		FUZZ_ASSERT(policy_cap_allows(g, ck, co) == covers);
	if (covers && policy_cap_covers(c, t))
		FUZZ_ASSERT(policy_cap_covers(g, t));
	/* the same three as topic patterns and a topic */
	if (topic_covers(g, c) && topic_matches(c, t))
		FUZZ_ASSERT(topic_matches(g, t));
	bool patterns = topic_pattern_valid(g) && topic_pattern_valid(c);
	if (patterns && topic_matches(g, t) && topic_matches(c, t))
		FUZZ_ASSERT(topic_overlaps(g, c) && topic_overlaps(c, g));
	if (topic_covers(g, c))
		FUZZ_ASSERT(topic_overlaps(g, c));
}

/* Visibility (a set granting g): a path some use of which g allows is seen,
 * a seen path's ancestors are seen, and a path nothing is granted for is not. */
static void check_sees(const char *g, const char *c)
{
	static struct policy_set s;
	static char up[CAP_MAX];
	enum policy_cap ck;
	const char *co;
	memset(&s, 0, sizeof s);
	memcpy(s.cap_text, g, strlen(g) + 1); /* g: shorter than CAP_MAX */
	s.granted[0] = true;
	s.n = 1;
	if (policy_cap_parse(c, &ck, &co) || (ck != CAP_FILE_READ && ck != CAP_FILE_WRITE))
		return;
	if (co[strlen(co) - 1] == '/')
		return; /* a directory grant, not a path */
	bool seen = policy_set_sees(&s, co);
	if (policy_set_allows(&s, CAP_FILE_READ, co) || policy_set_allows(&s, CAP_FILE_WRITE, co))
		FUZZ_ASSERT(seen);
	memcpy(up, co, strlen(co) + 1);
	for (char *slash = strrchr(up, '/'); seen && slash; slash = strrchr(up, '/')) {
		slash[slash == up] = '\0'; /* "/a/b" -> "/a" -> "/" */
		FUZZ_ASSERT(policy_set_sees(&s, up));
		if (slash == up)
			break;
	}
	s.granted[0] = false;
	FUZZ_ASSERT(!policy_set_sees(&s, co));
}

/* A query's answer fits where it says, cut and terminated where it does not. */
static void check_answer(size_t len)
{
	FUZZ_ASSERT(strlen(answer) == (len < sizeof answer ? len : sizeof answer - 1));
}

static void check_queries(const char *a, const char *b)
{
	static struct manifest m[2];
	static const char *const src[2] = {
		"name alpha\nversion 1\nevent app:*\tqueue\noutput emit:app:x.*\noutput file.write:/data/\n",
		"name beta\nversion 1\ncontext both\nevent app:x.y queue\noutput emit:app:a\noutput "
		"console\n",
	};
	for (int i = 0; i < 2; i++)
		FUZZ_ASSERT(manifest_parse(src[i], strlen(src[i]), &m[i], err, sizeof err) == 0);
	struct policy_program progs[] = {{"/apps/alpha", &m[0]}, {"/apps/beta", &m[1]}, {"/bin/x", NULL}};
	check_answer(policy_show(&p, progs, 3, a, answer, sizeof answer));
	check_answer(policy_who_can(&p, progs, 3, a, answer, sizeof answer));
	check_answer(policy_on(&p, progs, 3, b, answer, sizeof answer));
}

/* policy_load's reports: each bad line once, in order, within the text. */
struct reports {
	size_t calls, lines;
	unsigned last;
};

static void on_bad(void *arg, unsigned line, const char *why)
{
	struct reports *r = arg;
	FUZZ_ASSERT(why[0] && strnlen(why, POLICY_WHY_MAX) < POLICY_WHY_MAX);
	FUZZ_ASSERT(line == 0 ? r->calls == 0 : line > r->last && line <= r->lines);
	r->last = line;
	r->calls++;
}

/* The text loaded again on top of the policy it gave (a drop-in repeating
 * /etc/policy): nothing is added, every bad line is reported once. */
static void check_load_again(const uint8_t *data, size_t size)
{
	struct reports r = {.lines = 1};
	for (size_t i = 0; i < size; i++)
		r.lines += data[i] == '\n';
	again = p;
	size_t bad = policy_load(&again, "/etc/policy.d/again.policy", (const char *)data, size, on_bad, &r);
	FUZZ_ASSERT(bad == r.calls && again.n == p.n);
	check_policy(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char g[CAP_MAX], c[CAP_MAX], t[CAP_MAX];
	memset(err, 'x', sizeof err);
	int r = policy_parse((const char *)data, size, &p, err, sizeof err);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	size_t elen = strnlen(err, sizeof err);
	FUZZ_ASSERT(elen < sizeof err && memchr(err, '\n', elen) == NULL);
	FUZZ_ASSERT(r ? elen > 0 : elen == 0);
	check_policy(&p);
	check_round_trip();
	check_load_again(data, size);
	line_of(data, size, 0, g);
	line_of(data, size, 1, c);
	line_of(data, size, 2, t);
	check_caps(g, c, t);
	check_sees(g, c);
	check_queries(g, c);
	return 0;
}
