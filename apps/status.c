/*
 * status - a live page of the system over HTTP/1.1 on TCP port 80, as a
 * handler: the handlers with their states, runs, failures and queue
 * counters, the latest log records, the policy and the interfaces, as HTML
 * at / (it reloads itself every two seconds) and as JSON at /status.json
 * (schema: docs/APPS.md). It reads only what it shows, and its manifest asks
 * for exactly that: log.read for the log (the handler list, the interfaces
 * and the policy are open to every program), and port 80.
 *
 * Each net:tcp:80 event is one run: OPEN starts a connection's state, DATA
 * appends its bytes to the connection's buffer and answers every complete
 * request in it (apps/status/http.c parses), CLOSE frees the state and
 * closes our side. Answers are effects: they leave when the run commits. A
 * connection stays open after an answer when the request allows it
 * (HTTP/1.1 without "Connection: close"); a bad request gets its status and
 * a close. The connections' state lives in this handler's memory, which
 * carries over from run to run; at most CONNS are kept, the oldest idle one
 * is reset to make room.
 *
 * Routes: GET or HEAD of / and /index.html (HTML), /status.json (JSON);
 * another path 404, another method 405 (Allow: GET, HEAD).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/handler.h>

#include "status/gather.h"
#include "status/http.h"

#define CONNS 32
#define BUF_MAX (HTTP_HEAD_MAX + 4096) /* a head and a small body; beyond: 413 */
#define REFRESH_S 2

struct conn {
	uint64_t id; /* 0: a free slot */
	uint64_t last_seq; /* the event that last touched it (oldest idle goes first) */
	char *buf; /* BUF_MAX bytes: received, not yet answered */
	size_t len;
};

static struct conn conns[CONNS];

static struct conn *find(uint64_t id)
{
	for (int i = 0; i < CONNS; i++)
		if (conns[i].id == id)
			return &conns[i];
	return NULL;
}

static void drop(struct conn *c)
{
	free(c->buf);
	memset(c, 0, sizeof *c);
}

/* A slot for connection id: a free one, else the least recently used,
 * reset (its peer sees a reset, not a silent hang). */
static struct conn *slot(uint64_t id, uint64_t seq)
{
	struct conn *c = find(id);
	if (c)
		return c;
	struct conn *old = &conns[0];
	for (int i = 0; i < CONNS && old->id; i++)
		if (!conns[i].id || conns[i].last_seq < old->last_seq)
			old = &conns[i];
	if (old->id) {
		optios_net_abort(old->id);
		drop(old);
	}
	old->buf = malloc(BUF_MAX);
	if (!old->buf)
		return NULL;
	old->id = id;
	old->last_seq = seq;
	return old;
}

/* This run's answer on its connection: every response of the run goes out
 * as one staged send, the close with it when one response asked for it. */
static struct {
	char *p;
	size_t len, cap;
	bool close, failed;
} reply;

static void add(const void *data, size_t len)
{
	if (reply.len + len > reply.cap) {
		size_t cap = reply.cap ? reply.cap : 16384;
		while (cap < reply.len + len)
			cap *= 2;
		char *p = realloc(reply.p, cap);
		if (!p) {
			reply.failed = true;
			return;
		}
		reply.p = p, reply.cap = cap;
	}
	memcpy(reply.p + reply.len, data, len);
	reply.len += len;
}

/* Sends this run's answer on conn (nothing when there is none). */
static void flush(uint64_t conn)
{
	struct optios_net_send s = {.proto = OPTIOS_NET_TCP, .conn = conn};
	if (reply.failed)
		s.flags = OPTIOS_NET_ABORT; /* a cut answer is worse than none */
	else if (reply.close)
		s.flags = OPTIOS_NET_CLOSE_AFTER;
	if ((reply.len || s.flags) &&
	    optios_net_send(&s, reply.p, s.flags == OPTIOS_NET_ABORT ? 0 : reply.len) < 0)
		perror("status: send");
	reply.len = 0;
	reply.close = reply.failed = false;
}

/* Adds a response: the head and (unless head_only) the body. */
static void answer(int status, const char *type, const char *body, size_t len, bool keep, const char *extra,
		   bool head_only)
{
	char head[512];
	size_t hn = http_response_head(head, sizeof head, status, type, len, keep, extra);
	add(head, hn);
	if (!head_only)
		add(body, len);
	reply.close |= !keep;
}

static void error_page(int status, bool keep, const char *extra)
{
	char body[160];
	int n = snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
	answer(status, "text/plain; charset=utf-8", body, (size_t)n, keep, extra, false);
}

/* The page for one request, rendered from the system as it is now. */
static void page(const struct http_request *req, uint64_t now_ns)
{
	bool json = strcmp(req->path, "/status.json") == 0;
	struct status_view v = {.time_ns = now_ns, .refresh_s = REFRESH_S};
	const char *what;
	int err = status_gather(&v, "status", "net:tcp:80", &what);
	if (err)
		fprintf(stderr, "status: reading the %s: %s\n", what, strerror(err));
	size_t (*render)(const struct status_view *, char *, size_t) =
		json ? status_render_json : status_render_html;
	size_t n = render(&v, NULL, 0);
	char *body = malloc(n + 1);
	if (!body) {
		error_page(500, false, NULL);
		return;
	}
	render(&v, body, n + 1);
	answer(200, json ? "application/json" : "text/html; charset=utf-8", body, n, req->keep_alive, NULL,
	       req->method == HTTP_HEAD);
	free(body);
}

/* Answers one parsed request; false when the connection is now closed. */
static bool serve(const struct http_request *req, uint64_t now_ns)
{
	bool known = strcmp(req->path, "/") == 0 || strcmp(req->path, "/index.html") == 0 ||
		     strcmp(req->path, "/status.json") == 0;
	if (req->method == HTTP_OTHER)
		error_page(405, req->keep_alive, "Allow: GET, HEAD\r\n");
	else if (!known)
		error_page(404, req->keep_alive, NULL);
	else
		page(req, now_ns);
	return req->keep_alive;
}

/* New bytes on c: append, then answer every complete request. Bytes that do
 * not fit the buffer are not kept: the requests before them are answered,
 * then the connection is closed with 413 (a head alone never fills it:
 * http_parse says 431 first). */
static void received(struct conn *c, const struct optios_event *ev, const struct optios_net_event *ne)
{
	size_t take = ne->len < BUF_MAX - c->len ? ne->len : BUF_MAX - c->len;
	bool cut = take < ne->len;
	if (ne->inline_len == ne->len)
		memcpy(c->buf + c->len, ne->data, take);
	else if (optios_net_recv(c->buf + c->len, take, 0) != (long)take) {
		perror("status: recv");
		optios_net_abort(c->id);
		drop(c);
		return;
	}
	c->len += take;
	for (;;) {
		struct http_request req;
		long n = http_parse(c->buf, c->len, &req);
		if (n == 0 && !cut && c->len < BUF_MAX)
			return;
		if (n <= 0) {
			error_page(n ? (int)-n : 413, false, NULL);
			drop(c);
			return;
		}
		req.keep_alive &= !cut;
		if (!serve(&req, ev->time_ns)) {
			drop(c);
			return;
		}
		memmove(c->buf, c->buf + n, c->len - (size_t)n);
		c->len -= (size_t)n;
	}
}

void on_event(const struct optios_event *ev)
{
	const struct optios_net_event *ne = optios_net_event(ev);
	if (!ne || !ne->conn)
		return;
	if (ne->kind == OPTIOS_NET_CLOSE) {
		struct conn *c = find(ne->conn);
		if (c)
			drop(c);
		if (!(ne->flags & OPTIOS_NET_RESET))
			optios_net_close(ne->conn);
		return;
	}
	struct conn *c = slot(ne->conn, ev->seq);
	if (!c) {
		optios_net_abort(ne->conn);
		return;
	}
	c->last_seq = ev->seq;
	if (ne->kind == OPTIOS_NET_DATA)
		received(c, ev, ne);
	flush(ne->conn);
}
