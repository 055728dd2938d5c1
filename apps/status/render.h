/*
 * render.h - the status page as HTML and as JSON, from what the status app
 * read of the system (a struct status_view). Pure C: host-tested
 * (tests/host/test_status_render.c). The JSON's schema is in docs/APPS.md.
 */
#ifndef APPS_STATUS_RENDER_H
#define APPS_STATUS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include <optios/abi/handler.h>
#include <optios/abi/optios.h>

/* What the page shows; the caller owns every array. */
struct status_view {
	uint64_t time_ns; /* now (the event's time, in a handler's run) */
	const struct optios_handler_info *handlers;
	size_t nhandlers;
	const struct optios_log_record *log; /* the latest records, oldest first */
	size_t nlog;
	uint64_t log_seq; /* the newest record's seq the app has seen */
	const struct optios_net_info *nets;
	size_t nnets;
	const char *policy; /* the policy in the policy file's format (optios_policy LIST) */
	unsigned refresh_s; /* the HTML page reloads itself after this many seconds (0: never) */
};

/*
 * Write the view into out[0..size) as JSON (application/json) or as an HTML
 * page (text/html; UTF-8). Return the full length, as snprintf does: when it
 * is >= size the text was cut (and out holds a NUL-terminated prefix).
 */
size_t status_render_json(const struct status_view *v, char *out, size_t size);
size_t status_render_html(const struct status_view *v, char *out, size_t size);

/* Words for the numbers the kernel gives (also what the JSON says). */
const char *status_state_word(uint32_t state);
const char *status_result_word(int32_t result);
const char *status_log_kind_word(uint32_t kind);

#endif
