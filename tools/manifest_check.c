/*
 * manifest-check - checks a manifest source (NAME.manifest) on the host with
 * the parser the kernel uses (lib/manifest.c), so a manifest the kernel
 * would refuse fails the build instead of `handler add` or the program's
 * start. sdk/bin/optios-cc runs it before embedding the manifest; the tree's
 * Makefile builds every program through optios-cc.
 *
 *   manifest-check [--handler | --program] FILE
 *
 * Silent with status 0 when FILE is a manifest the kernel accepts for that
 * use; otherwise one line on stderr, "FILE:LINE: reason" (or "FILE: reason"
 * for the whole file), and status 1; 2 on a usage error or an unreadable file.
 * Beyond the parse it checks what the kernel would refuse later: every
 * `output` is a capability (lib/policy.c; an invalid one can never be
 * granted, so the program could never start), and the context fits the use
 * (--handler: background or both; --program: foreground or both).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/abi/manifest.h>

#include "lib/policy.h"
#include "lib/span.h"

static const char *file;

/* "FILE:LINE: message" (line 0: "FILE: message") on stderr; exits 1. */
static void fail(unsigned line, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(unsigned line, const char *fmt, ...)
{
	va_list ap;
	if (line)
		fprintf(stderr, "%s:%u: ", file, line);
	else
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The line of text declaring `output cap`; 0 if none is found. */
static unsigned output_line(const char *text, size_t len, const char *cap)
{
	struct span line, tok[3];
	unsigned n = 0;
	for (size_t pos = 0; span_next_line(text, len, &pos, &line);) {
		n++;
		if (span_tokens(line, tok, 3) >= 2 && span_is(tok[0], "output") && span_is(tok[1], cap))
			return n;
	}
	return 0;
}

/* "line N: reason" from manifest_parse as FILE:N: reason. */
static void parse_failed(const char *err)
{
	unsigned line = 0;
	int used = 0;
	if (sscanf(err, "line %u: %n", &line, &used) == 1 && used > 0)
		err += used;
	fail(line, "%s", err);
}

static char *read_all(size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *text = malloc(MANIFEST_TEXT_MAX + 2);
	if (!f || !text) {
		fprintf(stderr, "manifest-check: %s: %s\n", file, strerror(f ? ENOMEM : errno));
		exit(2);
	}
	*len = fread(text, 1, MANIFEST_TEXT_MAX + 1, f); /* one byte more: "too long" */
	fclose(f);
	return text;
}

int main(int argc, char **argv)
{
	static struct manifest m;
	char err[256];
	size_t len;
	uint32_t need = 0;
	int i = 1;
	if (argc == 3 && strcmp(argv[1], "--handler") == 0)
		need = MANIFEST_CTX_BACKGROUND, i = 2;
	else if (argc == 3 && strcmp(argv[1], "--program") == 0)
		need = MANIFEST_CTX_FOREGROUND, i = 2;
	if (i != argc - 1 || argv[i][0] == '-') {
		fputs("usage: manifest-check [--handler | --program] FILE\n", stderr);
		return 2;
	}
	file = argv[i];
	char *text = read_all(&len);
	if (manifest_parse(text, len, &m, err, sizeof err) != 0)
		parse_failed(err);
	for (uint32_t k = 0; k < m.noutputs; k++) {
		const char *out = manifest_output(&m, k), *why = policy_cap_problem(out);
		if (why)
			fail(output_line(text, len, out), "output '%s' can never be granted: %s", out, why);
	}
	if (need == MANIFEST_CTX_BACKGROUND && !(m.contexts & need))
		fail(0, "a handler needs context background or both (it says foreground; a program: no "
			"--handler)");
	if (need == MANIFEST_CTX_FOREGROUND && !(m.contexts & need))
		fail(0, "a program run from the shell needs context foreground or both (the default is "
			"background; a handler: --handler)");
	free(text);
	return 0;
}
