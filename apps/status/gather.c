/*
 * gather.c - reads what the status page shows (contract: gather.h).
 *
 * The log is read incrementally: the newest record's seq is found once by
 * halving (a read from seq s returns a record iff one >= s exists, as `log`
 * does), then each call reads only the records written since, keeping the
 * latest STATUS_LOG_SHOWN that pass the filter in a ring. In a handler the
 * ring and the position persist from run to run with its memory, so a
 * request costs the records written since the previous one, not the log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <optios.h>

#include "gather.h"

#define CHUNK 32

static struct optios_handler_info handlers[STATUS_HANDLERS_MAX];
static struct optios_net_info nets[4];
static struct optios_log_record ring[STATUS_LOG_SHOWN], shown[STATUS_LOG_SHOWN];
static size_t ring_head, ring_count; /* the oldest kept at ring_head */
static uint64_t next_seq; /* 0: not positioned yet */
static char *policy;
static size_t policy_size;

static uint64_t newest_seq(void)
{
	struct optios_log_record r;
	uint64_t lo = 0, hi = (uint64_t)1 << 62;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (optios_log_read(mid, &r, 1) == 1 && r.seq >= mid)
			lo = r.seq;
		else
			hi = mid - 1;
	}
	return lo;
}

static bool wanted(const struct optios_log_record *r, const char *self, const char *self_topic)
{
	if (self && strncmp(r->handler, self, sizeof r->handler) == 0)
		return false;
	return !(self_topic && r->kind == OPTIOS_LOG_EVENT &&
		 strncmp(r->topic, self_topic, sizeof r->topic) == 0);
}

static void keep(const struct optios_log_record *r)
{
	ring[(ring_head + ring_count) % STATUS_LOG_SHOWN] = *r;
	if (ring_count < STATUS_LOG_SHOWN)
		ring_count++;
	else
		ring_head = (ring_head + 1) % STATUS_LOG_SHOWN;
}

/* Reads the records written since the last call; 0 or an errno. */
static int read_log(const char *self, const char *self_topic)
{
	static struct optios_log_record buf[CHUNK];
	if (!next_seq) {
		uint64_t newest = newest_seq();
		next_seq = newest > 4 * STATUS_LOG_SHOWN ? newest - 4 * STATUS_LOG_SHOWN : 1;
	}
	for (;;) {
		long got = optios_log_read(next_seq, buf, CHUNK);
		if (got < 0)
			return errno;
		for (long i = 0; i < got; i++)
			if (wanted(&buf[i], self, self_topic))
				keep(&buf[i]);
		if (got > 0)
			next_seq = buf[got - 1].seq + 1;
		if (got < CHUNK)
			return 0;
	}
}

/* The policy's text, the buffer grown until it fits; 0 or an errno. */
static int read_policy(void)
{
	for (;;) {
		if (!policy) {
			policy_size = policy_size ? policy_size : 8192;
			if (!(policy = malloc(policy_size)))
				return ENOMEM;
		}
		long n = optios_policy(OPTIOS_POLICY_LIST, NULL, NULL, policy, policy_size);
		if (n < 0) {
			policy[0] = '\0';
			return errno;
		}
		if ((size_t)n < policy_size)
			return 0;
		free(policy);
		policy = NULL;
		policy_size = (size_t)n + 1;
	}
}

int status_gather(struct status_view *v, const char *self, const char *self_topic, const char **what)
{
	int err = 0, e;
	*what = "";
	long n = optios_handler_list(handlers, STATUS_HANDLERS_MAX);
	if (n < 0)
		err = errno, *what = "handlers", n = 0;
	v->handlers = handlers;
	v->nhandlers = (size_t)n < STATUS_HANDLERS_MAX ? (size_t)n : STATUS_HANDLERS_MAX;
	n = optios_net_list(nets, sizeof nets / sizeof *nets);
	if (n < 0 && !err)
		err = errno, *what = "interfaces";
	v->nets = nets;
	v->nnets = n < 0				    ? 0
		   : (size_t)n < sizeof nets / sizeof *nets ? (size_t)n
							    : sizeof nets / sizeof *nets;
	if ((e = read_log(self, self_topic)) && !err)
		err = e, *what = "log";
	for (size_t i = 0; i < ring_count; i++)
		shown[i] = ring[(ring_head + i) % STATUS_LOG_SHOWN];
	v->log = shown;
	v->nlog = ring_count;
	v->log_seq = next_seq ? next_seq - 1 : 0;
	if ((e = read_policy()) && !err)
		err = e, *what = "policy";
	v->policy = policy ? policy : "";
	return err;
}
