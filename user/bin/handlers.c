/*
 * handlers - list the registered handlers (optios_handler_list), one row
 * each: name, version, code hash, state, runs, failed runs, last event
 * (topic#seq), how the last run ended, snapshot pages, pages the last run
 * dirtied. -v adds each subscription's queue counters, which always satisfy
 * posted = delivered + coalesced + dropped + dead + pending, the event
 * waiting for a retry and the newest dead letters.
 */
#include <errno.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HANDLERS_MAX 32

static const char *state_name(uint32_t s)
{
	switch (s) {
	case OPTIOS_HANDLER_INITIALISING: return "initialising";
	case OPTIOS_HANDLER_READY: return "ready";
	case OPTIOS_HANDLER_RUNNING: return "running";
	case OPTIOS_HANDLER_QUARANTINED: return "quarantined";
	}
	return "?";
}

static const char *result_name(int32_t r)
{
	switch (r) {
	case OPTIOS_RUN_NONE: return "-";
	case OPTIOS_RUN_COMMIT: return "commit";
	case OPTIOS_RUN_FAULT: return "fault";
	case OPTIOS_RUN_BUDGET: return "budget";
	case OPTIOS_RUN_EXIT: return "exit";
	case OPTIOS_RUN_NOMEM: return "nomem";
	case OPTIOS_RUN_REMOVED: return "removed";
	case OPTIOS_RUN_NOSPACE: return "disk full";
	case OPTIOS_RUN_DISKERROR: return "disk error";
	}
	return "?";
}

static const char *policy_name(uint32_t p)
{
	switch (p) {
	case OPTIOS_POLICY_QUEUE: return "queue";
	case OPTIOS_POLICY_COALESCE: return "coalesce";
	case OPTIOS_POLICY_LATEST: return "latest";
	}
	return "?";
}

static void print_subs(const struct optios_handler_info *h)
{
	printf("    budget %llu us, last run %llu us\n", (unsigned long long)(h->budget_ns / 1000),
	       (unsigned long long)(h->last_run_ns / 1000));
	for (uint32_t i = 0; i < h->nsubs && i < OPTIOS_HANDLER_SUBS_MAX; i++) {
		const struct optios_sub_info *s = &h->subs[i];
		printf("    %.*s %s %u: posted %llu delivered %llu coalesced %llu dropped %llu dead %llu "
		       "pending %llu\n",
		       OPTIOS_EVENT_TOPIC_MAX, s->pattern, policy_name(s->policy), s->capacity,
		       (unsigned long long)s->posted, (unsigned long long)s->delivered,
		       (unsigned long long)s->coalesced, (unsigned long long)s->dropped,
		       (unsigned long long)s->dead, (unsigned long long)s->pending);
	}
}

/* The event waiting for a retry, and the dead letters (newest first). */
static void print_dead(const struct optios_handler_info *h)
{
	if (h->retry_event_seq)
		printf("    retry: event #%llu after %u failed attempts, due at %llu.%06llu\n",
		       (unsigned long long)h->retry_event_seq, h->retry_attempts,
		       (unsigned long long)(h->retry_due_ns / 1000000000),
		       (unsigned long long)(h->retry_due_ns / 1000 % 1000000));
	if (!h->dead_total)
		return;
	printf("    dead letters: %u kept, %llu in all, %llu discarded, %u in a row\n", h->dead_kept,
	       (unsigned long long)h->dead_total, (unsigned long long)h->dead_discarded, h->dead_in_a_row);
	for (uint32_t i = 0; i < h->dead_shown && i < OPTIOS_DEAD_SHOWN; i++) {
		const struct optios_dead_letter *d = &h->dead[i];
		printf("      #%llu %.*s: %u attempts, last %s\n", (unsigned long long)d->event_seq,
		       OPTIOS_EVENT_TOPIC_MAX, d->topic, d->attempts, result_name(d->result));
	}
	if (h->dead_kept > h->dead_shown)
		printf("      (%u older kept)\n", h->dead_kept - h->dead_shown);
}

static void print_row(const struct optios_handler_info *h)
{
	char last[OPTIOS_EVENT_TOPIC_MAX + 24] = "-";
	if (h->last_event_seq)
		snprintf(last, sizeof last, "%.*s#%llu", OPTIOS_EVENT_TOPIC_MAX, h->last_topic,
			 (unsigned long long)h->last_event_seq);
	printf("%-16.*s %7u %02x%02x%02x%02x %-12s %6llu %5llu %-24s %-7s %5llu %5llu\n", OPTIOS_NAME_MAX,
	       h->name, h->version, h->code_hash[0], h->code_hash[1], h->code_hash[2], h->code_hash[3],
	       state_name(h->state), (unsigned long long)h->runs, (unsigned long long)h->failures, last,
	       result_name(h->last_result), (unsigned long long)h->snapshot_pages,
	       (unsigned long long)h->last_dirty_pages);
}

int main(int argc, char **argv)
{
	static struct optios_handler_info list[HANDLERS_MAX];
	bool verbose = argc == 2 && strcmp(argv[1], "-v") == 0;
	if (argc > 2 || (argc == 2 && !verbose)) {
		fprintf(stderr, "usage: handlers [-v]\n");
		return 2;
	}
	long n = optios_handler_list(list, HANDLERS_MAX);
	if (n < 0) {
		fprintf(stderr, "handlers: %s\n", strerror(errno));
		return 1;
	}
	printf("%-16s %7s %-8s %-12s %6s %5s %-24s %-7s %5s %5s\n", "NAME", "VERSION", "CODE", "STATE",
	       "RUNS", "FAILS", "LAST-EVENT", "RESULT", "SNAP", "DIRTY");
	for (long i = 0; i < n && i < HANDLERS_MAX; i++) {
		print_row(&list[i]);
		if (verbose) {
			print_subs(&list[i]);
			print_dead(&list[i]);
		}
	}
	if (n > HANDLERS_MAX)
		printf("(%ld more not shown)\n", n - HANDLERS_MAX);
	return 0;
}
