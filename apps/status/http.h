/*
 * http.h - an HTTP/1.1 request parser and response head writer (RFC 9110,
 * 9112) for the status app. Pure C: no allocation, no system call, so it is
 * tested on the host (tests/host/test_http.c, ASan/UBSan) and fuzzed
 * (tests/fuzz/fuzz_http.c).
 *
 * The caller keeps a connection's received bytes in one buffer and calls
 * http_parse on them after each arrival: a request is complete once its head
 * (request line, headers, blank line) and its body (Content-Length) are in.
 * What the parser accepts:
 *   - request line `METHOD SP TARGET SP HTTP/1.x`; METHOD a token, TARGET
 *     origin-form (`/path?query`) or absolute-form (`http://host/path`), of
 *     visible ASCII; empty lines before it are skipped (RFC 9112 2.2);
 *   - lines ending in CRLF or a bare LF; a CR anywhere else is an error;
 *   - header fields `name: value`, name a token with no space before the
 *     colon, value without control bytes but HT; no obsolete line folding;
 *   - Host exactly once in HTTP/1.1; Content-Length digits, repeated only
 *     with the same value; Transfer-Encoding is refused (no request body
 *     this server wants is chunked), so is it beside Content-Length;
 *   - Connection's tokens `close` / `keep-alive` (case-insensitive):
 *     HTTP/1.1 stays open unless `close`, HTTP/1.0 closes unless `keep-alive`.
 */
#ifndef APPS_STATUS_HTTP_H
#define APPS_STATUS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192 /* request line + headers; beyond: 431 */
#define HTTP_HEADERS_MAX 64 /* header fields; beyond: 431 */
#define HTTP_TARGET_MAX 1024 /* request target; beyond: 414 */
#define HTTP_BODY_MAX 65536 /* Content-Length beyond: 413 */

enum http_method { HTTP_GET = 1, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method;
	int minor; /* HTTP/1.minor: 0 or 1 */
	bool keep_alive; /* the connection stays open after the answer */
	char path[HTTP_TARGET_MAX + 1]; /* the target's path, without query ("/" at least) */
	size_t body_len; /* Content-Length (0 without) */
};

/*
 * Parses the request at the start of buf[0..len).
 * Returns the request's whole length (head + body, > 0) when it is complete,
 * 0 when more bytes are needed (never once len reaches HTTP_HEAD_MAX without
 * a complete head), or minus the status to answer with: -400 (malformed),
 * -413 (body too large), -414 (target too long), -431 (head too large or too
 * many fields), -501 (Transfer-Encoding), -505 (an HTTP version other than
 * 1.0 and 1.1). On an error the connection must be closed after the answer:
 * where the next request starts is unknown. *req is filled only on success.
 */
long http_parse(const char *buf, size_t len, struct http_request *req);

/* The reason phrase of status ("Not Found"); "Unknown" for one not used here. */
const char *http_reason(int status);

/*
 * Writes a response head into out[0..size): status line, Content-Type (if
 * type is not NULL), Content-Length, Connection (keep-alive or close), the
 * extra lines (each ending in CRLF, may be NULL) and the blank line.
 * Returns its length, or 0 if it does not fit.
 */
size_t http_response_head(char *out, size_t size, int status, const char *type, size_t length,
			  bool keep_alive, const char *extra);

#endif
