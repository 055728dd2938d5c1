/*
 * log - print the kernel's event log (optios_log_read): every event raised,
 * every run with how it ended, effects, handler output and lifecycle.
 *
 *   log [-h HANDLER] [-t TOPIC-PREFIX] [-n LAST-N] [-a]
 *
 * One line per record: time since boot (s.us), #seq, the kind word, the
 * handler ("-": the kernel), the topic, then what the kind carries. The log is
 * a bounded ring: records overwritten before we read them leave a gap in seq,
 * shown as one "... N older records overwritten" line. Filters combine; -n
 * keeps the last N lines that pass them; -a adds every raw field.
 *
 * The log is read from seq 0 in pieces of CHUNK records until it has nothing
 * newer, so records written while we read are printed too.
 */
#include <errno.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 32
#define GAP 0 /* a pseudo-record kind: a = how many records are missing */

struct options {
	const char *handler, *topic;
	unsigned long last; /* 0: everything */
	bool all;
};

/* The last opt.last lines, oldest first from head once full. */
static struct optios_log_record *kept;
static unsigned long nkept, head;

static const char *kind_word(uint32_t kind)
{
	static const char *const words[] = {
		[GAP] = "gap",
		[OPTIOS_LOG_EVENT] = "event",
		[OPTIOS_LOG_RUN] = "run",
		[OPTIOS_LOG_COMMIT] = "commit",
		[OPTIOS_LOG_ROLLBACK] = "rollback",
		[OPTIOS_LOG_EFFECT] = "effect",
		[OPTIOS_LOG_OUTPUT] = "output",
		[OPTIOS_LOG_HANDLER] = "handler",
		[OPTIOS_LOG_DROP] = "drop",
		[OPTIOS_LOG_DENY] = "deny",
		[OPTIOS_LOG_POLICY] = "policy",
	};
	return kind < sizeof words / sizeof words[0] && words[kind] ? words[kind] : "?";
}

/* Text fields are fixed arrays: print at most their size, without a final newline. */
static int text_len(const char *s, int max)
{
	int n = (int)strnlen(s, (size_t)max);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static void print_details(const struct optios_log_record *r)
{
	int tl = text_len(r->text, sizeof r->text);
	unsigned long long a = r->a, b = r->b, c = r->c;
	switch (r->kind) {
	case OPTIOS_LOG_EVENT: printf(" source=%.*s subscribers=%llu", tl, r->text, a); break;
	case OPTIOS_LOG_RUN: printf(" event=#%llu", (unsigned long long)r->event_seq); break;
	case OPTIOS_LOG_COMMIT: printf(" dirty=%llu %lluns %llutsc", a, b, c); break;
	case OPTIOS_LOG_ROLLBACK: printf(" %.*s dirty=%llu %lluns %llutsc", tl, r->text, a, b, c); break;
	case OPTIOS_LOG_DROP: printf(" dropped=%llu coalesced=%llu", a, b); break;
	default: printf(" %.*s", tl, r->text);
	}
}

static void print_record(const struct optios_log_record *r, bool all)
{
	if (r->kind == GAP) {
		printf("... %llu older records overwritten\n", (unsigned long long)r->a);
		return;
	}
	int hl = text_len(r->handler, sizeof r->handler), tl = text_len(r->topic, sizeof r->topic);
	printf("%5llu.%06llu #%llu %s %.*s %.*s", (unsigned long long)(r->time_ns / 1000000000),
	       (unsigned long long)(r->time_ns / 1000 % 1000000), (unsigned long long)r->seq,
	       kind_word(r->kind), hl ? hl : 1, hl ? r->handler : "-", tl ? tl : 1, tl ? r->topic : "-");
	print_details(r);
	if (all)
		printf(" [tsc=%llu event=#%llu result=%d a=%llu b=%llu c=%llu]", (unsigned long long)r->tsc,
		       (unsigned long long)r->event_seq, r->result, (unsigned long long)r->a,
		       (unsigned long long)r->b, (unsigned long long)r->c);
	printf("\n");
}

static bool matches(const struct optios_log_record *r, const struct options *o)
{
	if (r->kind == GAP)
		return true;
	if (o->handler && strncmp(r->handler, o->handler, sizeof r->handler) != 0)
		return false;
	return !o->topic || strncmp(r->topic, o->topic, strlen(o->topic)) == 0;
}

static void emit_line(const struct optios_log_record *r, const struct options *o)
{
	if (!matches(r, o))
		return;
	if (!o->last) {
		print_record(r, o->all);
		return;
	}
	kept[(head + nkept) % o->last] = *r;
	if (nkept < o->last)
		nkept++;
	else
		head = (head + 1) % o->last;
}

/* Reads the whole log; returns 0 or an errno value. */
static int read_log(const struct options *o)
{
	static struct optios_log_record buf[CHUNK];
	uint64_t next = 1; /* the log numbers its records from 1 */
	long got;
	do {
		got = optios_log_read(next, buf, CHUNK);
		if (got < 0)
			return errno;
		for (long i = 0; i < got; i++) {
			if (buf[i].seq > next) {
				struct optios_log_record gap = {.kind = GAP, .a = buf[i].seq - next};
				emit_line(&gap, o);
			}
			next = buf[i].seq + 1;
			emit_line(&buf[i], o);
		}
	} while (got == CHUNK);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: log [-h HANDLER] [-t TOPIC-PREFIX] [-n LAST-N] [-a]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char *end;
	int c;
	while ((c = getopt(argc, argv, "h:t:n:a")) != -1) {
		switch (c) {
		case 'h': o.handler = optarg; break;
		case 't': o.topic = optarg; break;
		case 'a': o.all = true; break;
		case 'n':
			o.last = strtoul(optarg, &end, 10);
			if (*end || !o.last || o.last > 100000)
				return usage();
			break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (o.last && !(kept = calloc(o.last, sizeof *kept))) {
		fprintf(stderr, "log: %s\n", strerror(ENOMEM));
		return 1;
	}
	int err = read_log(&o);
	for (unsigned long i = 0; i < nkept; i++)
		print_record(&kept[(head + i) % o.last], o.all);
	if (err) {
		fprintf(stderr, "log: %s\n", strerror(err));
		return 1;
	}
	return 0;
}
