/*
 * span.h - reading line-oriented text (manifests, the policy file) through
 * (pointer, length) spans: nothing here reads outside the text or needs it
 * NUL-terminated, so the text can come straight from a hostile file.
 */
#ifndef LIB_SPAN_H
#define LIB_SPAN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* len bytes at p, not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

/* Is t exactly word? */
bool span_is(struct span t, const char *word);
/* The next line of text[0..len) at *pos, its '\n' left out; moves *pos past
 * it. false when *pos is at the end. */
bool span_next_line(const char *text, size_t len, size_t *pos, struct span *line);
/* The index of the first NUL or control byte in line (tab and CR are
 * blanks, not control bytes; DEL is one), or line.len if there is none. */
size_t span_bad_byte(struct span line);
/* Splits line into tokens separated by blanks (space, tab, CR), stopping at
 * a token that starts with '#' (a comment). Fills tok[0..max) and returns
 * how many tokens there are, counting at most max + 1. */
unsigned span_tokens(struct span line, struct span *tok, unsigned max);
/* Is t a name: 1..max-1 bytes of [a-z0-9_-]? (programs, timers, sensors) */
bool span_name_valid(struct span t, size_t max);
/* Writes a parser's message into err[errlen] (if err is not NULL):
 * "line N: " (left out when line is 0) and the formatted message. */
void span_vreport(char *err, size_t errlen, unsigned line, const char *fmt, va_list ap);

#endif
