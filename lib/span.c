/*
 * span.c - lines and tokens of text held as spans (span.h).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "span.h"

#include "lib.h"

bool span_is(struct span t, const char *word)
{
	return t.len == strlen(word) && memcmp(t.p, word, t.len) == 0;
}

bool span_next_line(const char *text, size_t len, size_t *pos, struct span *line)
{
	if (*pos >= len)
		return false;
	const char *nl = memchr(text + *pos, '\n', len - *pos);
	size_t end = nl ? (size_t)(nl - text) : len;
	*line = (struct span){text + *pos, end - *pos};
	*pos = end + 1;
	return true;
}

size_t span_bad_byte(struct span line)
{
	for (size_t i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return i;
	}
	return line.len;
}

void span_vreport(char *err, size_t errlen, unsigned line, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return;
	int n = line ? ksnprintf(err, errlen, "line %u: ", line) : 0;
	if ((size_t)n < errlen)
		kvsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

unsigned span_tokens(struct span line, struct span *tok, unsigned max)
{
	unsigned n = 0;
	size_t i = 0;
	while (n <= max) {
		while (i < line.len && is_blank(line.p[i]))
			i++;
		if (i == line.len || line.p[i] == '#')
			break;
		size_t start = i;
		while (i < line.len && !is_blank(line.p[i]))
			i++;
		if (n < max)
			tok[n] = (struct span){line.p + start, i - start};
		n++;
	}
	return n;
}

bool span_name_valid(struct span t, size_t max)
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
