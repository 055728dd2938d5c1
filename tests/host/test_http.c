/*
 * test_http.c - the status app's HTTP/1.1 request parser (apps/status/http.c):
 * complete and partial requests, a request a byte at a time, keep-alive
 * rules, and each malformed form with the status it must get (400, 413, 414,
 * 431, 501, 505).
 */
#include <stdlib.h>
#include <string.h>

#include "apps/status/http.h"
#include "unit.h"

static long parse(const char *s, struct http_request *r)
{
	return http_parse(s, strlen(s), r);
}

TEST(http_parses_a_browser_get)
{
	const char *s = "GET /status.json?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: t\r\n"
			"Accept: */*\r\n\r\n";
	struct http_request r;
	CHECK_EQ(parse(s, &r), (long)strlen(s));
	CHECK_EQ(r.method, HTTP_GET);
	CHECK_EQ(r.minor, 1);
	CHECK(r.keep_alive);
	CHECK_STR(r.path, "/status.json");
	CHECK_EQ(r.body_len, 0);
}

TEST(http_incomplete_heads_wait_for_more_bytes)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request r;
	for (size_t n = 0; n < strlen(s); n++)
		CHECK_EQ(http_parse(s, n, &r), 0);
	CHECK_EQ(http_parse(s, strlen(s), &r), (long)strlen(s));
}

TEST(http_a_request_is_judged_the_same_whole_or_cut_anywhere)
{
	/* every cut of a bad request is "more" or the same error, never another answer */
	const char *bad = "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n";
	struct http_request r;
	long whole = parse(bad, &r);
	CHECK_EQ(whole, -400);
	for (size_t n = 0; n < strlen(bad); n++) {
		long got = http_parse(bad, n, &r);
		CHECK(got == 0 || got == -400);
	}
}

TEST(http_pipelined_requests_parse_one_at_a_time)
{
	const char *s =
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	struct http_request r;
	long n = parse(s, &r);
	CHECK_EQ(n, 28);
	CHECK_STR(r.path, "/a");
	CHECK_EQ(parse(s + n, &r), (long)strlen(s + n));
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK(!r.keep_alive);
	CHECK_STR(r.path, "/b");
}

TEST(http_keep_alive_follows_the_version_and_connection)
{
	struct http_request r;
	CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0 && !r.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0 && r.keep_alive);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, CLOSE\r\n\r\n", &r) > 0 &&
	      !r.keep_alive);
	CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", &r) > 0 && r.keep_alive);
}

TEST(http_bare_lf_lines_and_leading_empty_lines_are_accepted)
{
	struct http_request r;
	const char *s = "\r\n\nGET /x HTTP/1.1\nHost: h\n\n";
	CHECK_EQ(parse(s, &r), (long)strlen(s));
	CHECK_STR(r.path, "/x");
}

TEST(http_absolute_form_targets_keep_their_path)
{
	struct http_request r;
	CHECK(parse("GET http://10.0.2.15:80/status.json HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK_STR(r.path, "/status.json");
	CHECK(parse("GET HTTP://host HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK_STR(r.path, "/");
}

TEST(http_other_methods_parse_for_a_405)
{
	struct http_request r;
	const char *s = "POST /status.json HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
	CHECK_EQ(http_parse(s, strlen(s) - 1, &r), 0); /* the body is not all there */
	CHECK_EQ(parse(s, &r), (long)strlen(s));
	CHECK_EQ(r.method, HTTP_OTHER);
	CHECK_EQ(r.body_len, 5);
	CHECK(parse("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 && r.method == HTTP_OTHER);
}

TEST(http_malformed_requests_get_400)
{
	static const char *bad[] = {
		"GET\r\n\r\n",
		"GET /\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
		"GET / http/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.x\r\nHost: h\r\n\r\n",
		"GET nopath HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n", /* no Host in 1.1 */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /* two */
		"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n", /* space before the colon */
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", /* a bare CR */
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01 b\r\n\r\n", /* a control byte */
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	struct http_request r;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		long got = parse(bad[i], &r);
		if (got != -400) {
			char what[160];
			snprintf(what, sizeof what, "bad[%zu] gave %ld, not -400", i, got);
			unit_fail(__FILE__, __LINE__, what);
		}
	}
}

TEST(http_other_errors_get_their_own_status)
{
	struct http_request r;
	CHECK_EQ(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &r), -501);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", &r),
		 -413);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n", &r), -413);
	char *longpath = malloc(HTTP_TARGET_MAX + 64);
	snprintf(longpath, HTTP_TARGET_MAX + 64, "GET /%0*d HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_TARGET_MAX, 0);
	CHECK_EQ(parse(longpath, &r), -414);
	free(longpath);
}

TEST(http_oversized_heads_get_431_and_one_just_under_passes)
{
	struct http_request r;
	char *s = malloc(HTTP_HEAD_MAX + 64);
	/* "GET / HTTP/1.1\r\nHost: h\r\nX: " + filler + "\r\n\r\n" = exactly HTTP_HEAD_MAX */
	const char *pre = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
	size_t fill = HTTP_HEAD_MAX - strlen(pre) - 4;
	memcpy(s, pre, strlen(pre));
	memset(s + strlen(pre), 'a', fill);
	memcpy(s + strlen(pre) + fill, "\r\n\r\n", 5);
	CHECK_EQ(parse(s, &r), HTTP_HEAD_MAX);
	memcpy(s + strlen(pre) + fill, "a\r\n\r\n", 6); /* one byte more */
	CHECK_EQ(parse(s, &r), -431);
	CHECK_EQ(http_parse(s, HTTP_HEAD_MAX, &r), -431); /* known before the end arrives */
	CHECK_EQ(http_parse(s, HTTP_HEAD_MAX - 1, &r), 0);
	free(s);

	char many[HTTP_HEADERS_MAX * 8 + 64];
	size_t n = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "X%d: 1\r\n", i);
	snprintf(many + n, sizeof many - n, "\r\n");
	CHECK_EQ(parse(many, &r), -431); /* Host + 64 others */
}

TEST(http_response_head_states_length_and_connection)
{
	char out[256];
	size_t n = http_response_head(out, sizeof out, 404, "text/plain", 10, false, "Allow: GET\r\n");
	CHECK_EQ(n, strlen(out));
	CHECK_STR(out, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
		       "Connection: close\r\nCache-Control: no-store\r\nAllow: GET\r\n\r\n");
	CHECK_EQ(http_response_head(out, 20, 200, NULL, 0, true, NULL), 0);
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
}
