/*
 * http.c - the status app's HTTP/1.1 request parser (contract: http.h).
 * Host-buildable: no allocation, no system calls; tests/host/test_http.c
 * and tests/fuzz/fuzz_http.c.
 *
 * One pass over the head, line by line, each line checked whole before its
 * meaning is taken; nothing is copied but the path. The head must be
 * complete (a blank line seen) before anything is judged but its size, so a
 * request arriving a byte at a time gets the same answer as one arriving
 * whole.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) equal the lower-case word w, ignoring case? */
static bool same_word(const char *s, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != w[i])
			return false;
	return true;
}

/*
 * The end of the head: the offset just past its blank line, 0 if it is not
 * in buf yet, -1 for a CR not followed by LF. Lines end in LF or CRLF.
 */
static long head_end(const char *buf, size_t len, size_t start)
{
	size_t line = start;
	for (size_t i = start; i < len; i++) {
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return -1;
		if (buf[i] != '\n')
			continue;
		size_t content = i - line - (i > line && buf[i - 1] == '\r');
		if (content == 0)
			return (long)(i + 1);
		line = i + 1;
	}
	return 0;
}

/* The next line of the head at *at (which ends before end): its start and
 * length without CR LF. */
static const char *next_line(const char *buf, size_t end, size_t *at, size_t *n)
{
	const char *s = buf + *at;
	const char *nl = memchr(s, '\n', end - *at);
	size_t l = (size_t)(nl - s);
	*at += l + 1;
	*n = l > 0 && s[l - 1] == '\r' ? l - 1 : l;
	return s;
}

/* The request line: method, target (path kept), version. 0 or -status. */
static int request_line(const char *s, size_t n, struct http_request *req)
{
	size_t m = 0;
	while (m < n && is_tchar((unsigned char)s[m]))
		m++;
	if (m == 0 || m == n || s[m] != ' ')
		return -400;
	req->method = m == 3 && memcmp(s, "GET", 3) == 0    ? HTTP_GET
		      : m == 4 && memcmp(s, "HEAD", 4) == 0 ? HTTP_HEAD
							    : HTTP_OTHER;
	size_t t = m + 1, te = t;
	while (te < n && s[te] > 0x20 && s[te] < 0x7f)
		te++;
	if (te == t || te == n || s[te] != ' ')
		return -400;
	if (te - t > HTTP_TARGET_MAX)
		return -414;
	const char *v = s + te + 1;
	size_t vn = n - te - 1;
	if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
	    v[7] > '9')
		return -400;
	if (v[5] != '1' || v[7] > '1')
		return -505;
	req->minor = v[7] - '0';
	const char *p = s + t, *pe = s + te;
	if (pe - p >= 7 && same_word(p, 7, "http://")) { /* absolute-form: skip the authority */
		p += 7;
		while (p < pe && *p != '/' && *p != '?')
			p++;
		if (p == pe || *p != '/') {
			memcpy(req->path, "/", 2);
			return 0;
		}
	}
	if (*p != '/')
		return -400; /* neither origin- nor absolute-form ("*" is for OPTIONS: 405 anyway) */
	size_t pl = 0;
	while (p + pl < pe && p[pl] != '?' && p[pl] != '#')
		pl++;
	memcpy(req->path, p, pl);
	req->path[pl] = '\0';
	return 0;
}

/* Header fields met, for the rules that span several lines. */
struct fields {
	int hosts, lengths;
	bool te, close, keep;
	size_t length;
};

/* Connection's comma-separated tokens. */
static void connection_tokens(const char *v, size_t n, struct fields *f)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		f->close |= same_word(v + s, i - s, "close");
		f->keep |= same_word(v + s, i - s, "keep-alive");
	}
}

/* Content-Length: digits only; 0 or -status. */
static int content_length(const char *v, size_t n, struct fields *f)
{
	if (n == 0)
		return -400;
	size_t value = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -400;
		if (value > HTTP_BODY_MAX)
			return -413;
		value = value * 10 + (size_t)(v[i] - '0');
	}
	if (f->lengths++ && value != f->length)
		return -400;
	f->length = value;
	return value > HTTP_BODY_MAX ? -413 : 0;
}

/* One header field line; 0 or -status. */
static int field(const char *s, size_t n, struct fields *f)
{
	size_t c = 0;
	while (c < n && is_tchar((unsigned char)s[c]))
		c++;
	if (c == 0 || c == n || s[c] != ':')
		return -400; /* no name, or a space before the colon (RFC 9112 5.1) */
	const char *v = s + c + 1, *ve = s + n;
	for (const char *q = v; q < ve; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return -400;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	size_t vn = (size_t)(ve - v);
	if (same_word(s, c, "host"))
		f->hosts++;
	else if (same_word(s, c, "content-length"))
		return content_length(v, vn, f);
	else if (same_word(s, c, "transfer-encoding"))
		f->te = true;
	else if (same_word(s, c, "connection"))
		connection_tokens(v, vn, f);
	return 0;
}

long http_parse(const char *buf, size_t len, struct http_request *req)
{
	size_t start = 0;
	while (start < len &&
	       (buf[start] == '\n' || (buf[start] == '\r' && start + 1 < len && buf[start + 1] == '\n')))
		start += buf[start] == '\r' ? 2 : 1; /* empty lines before the request line */
	if (start >= HTTP_HEAD_MAX)
		return -400;
	size_t limit = len < start + HTTP_HEAD_MAX ? len : start + HTTP_HEAD_MAX;
	long end = head_end(buf, limit, start);
	if (end < 0)
		return -400;
	if (end == 0)
		return limit == start + HTTP_HEAD_MAX ? -431 : 0;

	struct http_request r = {0};
	size_t at = start, n;
	const char *line = next_line(buf, (size_t)end, &at, &n);
	int err = request_line(line, n, &r);
	if (err)
		return err;
	struct fields f = {0};
	for (int count = 0;; count++) {
		line = next_line(buf, (size_t)end, &at, &n);
		if (n == 0)
			break;
		if (count == HTTP_HEADERS_MAX)
			return -431;
		if (line[0] == ' ' || line[0] == '\t')
			return -400; /* obsolete line folding */
		if ((err = field(line, n, &f)))
			return err;
	}
	if (f.te)
		return f.lengths ? -400 : -501;
	if (r.minor == 1 && f.hosts != 1)
		return -400;
	if (f.hosts > 1)
		return -400;
	r.body_len = f.length;
	r.keep_alive = r.minor == 1 ? !f.close : (f.keep && !f.close);
	if ((size_t)end + r.body_len > len)
		return 0;
	*req = r;
	return end + (long)r.body_len;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

size_t http_response_head(char *out, size_t size, int status, const char *type, size_t length,
			  bool keep_alive, const char *extra)
{
	int n = snprintf(out, size,
			 "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\nConnection: %s\r\n"
			 "Cache-Control: no-store\r\n%s\r\n",
			 status, http_reason(status), type ? "Content-Type: " : "", type ? type : "",
			 type ? "\r\n" : "", length, keep_alive ? "keep-alive" : "close", extra ? extra : "");
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
