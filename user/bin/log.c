/*
 * log - print the kernel's event log (optios_log_read): every event raised,
 * every run with how it ended, effects, handler output and lifecycle,
 * denials and policy changes; check its audit chain.
 *
 *   log [-h HANDLER] [-t TOPIC-PREFIX] [-n LAST-N] [-a]
 *   log verify [FILE]   check the chain of the log (or of a dump)
 *   log dump FILE       write the log's raw records to FILE
 *
 * One line per record: time since boot (s.us), #seq, the kind word, the
 * handler ("-": the kernel), the topic, then what the kind carries. The log is
 * a bounded ring: records overwritten before we read them leave a gap in seq,
 * shown as one "... N older records overwritten" line. Filters combine; -n
 * keeps the last N lines that pass them; -a adds every raw field.
 *
 * The log is read from seq 0 in pieces of CHUNK records up to the newest
 * record written before log started: records written while it reads are
 * left for the next log, so a log that handlers write faster than we read
 * (a timer storm) still ends.
 *
 * verify recomputes every record's link (lib/logchain.c, the kernel's own
 * code) and prints "log verify: N records, chain intact", or one line per
 * record altered and per run of records missing, then "chain broken" (exit
 * status 1). A dump is the records as the kernel gives them, 336 bytes each.
 */
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/logchain.h"

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
	static const char *const words[] = {"gap",    "event",	"run",	   "commit", "rollback",
					    "effect", "output", "handler", "drop",   "deny",
					    "policy", "retry",	"enosys",  "durable"};
	return kind < sizeof words / sizeof words[0] ? words[kind] : "?";
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
	case OPTIOS_LOG_EVENT:
		printf(" source=%.*s subscribers=%llu payload=%llu", tl, r->text, a, (unsigned long long)r->b);
		break;
	case OPTIOS_LOG_RUN: printf(" event=#%llu", (unsigned long long)r->event_seq); break;
	case OPTIOS_LOG_COMMIT: printf(" dirty=%llu %lluns %llutsc", a, b, c); break;
	case OPTIOS_LOG_ROLLBACK: printf(" %.*s dirty=%llu %lluns %llutsc", tl, r->text, a, b, c); break;
	case OPTIOS_LOG_DROP: printf(" dropped=%llu coalesced=%llu", a, b); break;
	case OPTIOS_LOG_RETRY:
		printf(" event=#%llu %.*s", (unsigned long long)r->event_seq, tl, r->text);
		break;
	case OPTIOS_LOG_ENOSYS: printf(" %.*s pid=%llu", tl, r->text, b); break;
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

/* The newest record when log started: newer ones are not read. Found by
 * halving (a read from seq s returns a record iff one >= s exists): the
 * records' times start again at each boot, and the log holds every boot's
 * (the disk keeps the earlier ones), so time cannot tell. */
static uint64_t newest_at_start(void)
{
	static uint64_t newest;
	static int known;
	struct optios_log_record r;
	uint64_t lo = 0, hi = (uint64_t)1 << 62;
	while (!known && lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (optios_log_read(mid, &r, 1) == 1 && r.seq >= mid)
			lo = r.seq;
		else
			hi = mid - 1;
	}
	if (!known)
		newest = lo, known = 1;
	return newest;
}

/* How many of the got records just read were written before log started
 * (records are in seq order); fewer than got ends the reading. */
static long before_start(const struct optios_log_record *r, long got)
{
	long n = 0;
	while (n < got && r[n].seq <= newest_at_start())
		n++;
	return n;
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
		got = before_start(buf, got);
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
	fprintf(stderr, "usage: log [-h HANDLER] [-t TOPIC-PREFIX] [-n LAST-N] [-a]\n"
			"       log verify [FILE]\n"
			"       log dump FILE\n");
	return 2;
}

/* ---- the audit chain: verify and dump ---- */

struct records {
	struct optios_log_record *r;
	size_t n, cap;
};

static int grow(struct records *rs, size_t more)
{
	if (rs->n + more <= rs->cap)
		return 0;
	size_t cap = rs->cap ? rs->cap * 2 : 1024;
	while (cap < rs->n + more)
		cap *= 2;
	struct optios_log_record *r = realloc(rs->r, cap * sizeof *r);
	if (!r)
		return ENOMEM;
	rs->r = r;
	rs->cap = cap;
	return 0;
}

/* Every record the kernel holds, oldest first; 0 or an errno value. */
static int load_log(struct records *rs)
{
	uint64_t next = 1;
	long got;
	do {
		int err = grow(rs, CHUNK);
		if (err)
			return err;
		got = optios_log_read(next, rs->r + rs->n, CHUNK);
		if (got < 0)
			return errno;
		got = before_start(rs->r + rs->n, got);
		rs->n += (size_t)got;
		if (got)
			next = rs->r[rs->n - 1].seq + 1;
	} while (got == CHUNK);
	return 0;
}

/* The records of a dump; 0 or an errno value (EINVAL: not whole records). */
static int load_file(const char *path, struct records *rs)
{
	int fd = open(path, O_RDONLY), err = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		if ((err = grow(rs, CHUNK)) != 0)
			break;
		size_t have = 0, want = CHUNK * sizeof rs->r[0];
		char *at = (char *)(rs->r + rs->n);
		ssize_t got;
		while (have < want && (got = read(fd, at + have, want - have)) > 0)
			have += (size_t)got;
		if (got < 0 && have < want) {
			err = errno;
			break;
		}
		rs->n += have / sizeof rs->r[0];
		if (have % sizeof rs->r[0])
			err = EINVAL;
		if (have < want)
			break;
	}
	close(fd);
	return err;
}

static void print_problem(const struct logchain_problem *p)
{
	unsigned long long seq = p->seq, last = p->seq + p->count - 1;
	switch (p->what) {
	case LOGCHAIN_ALTERED:
		if (p->count == 1)
			printf("log verify: record #%llu altered\n", seq);
		else
			printf("log verify: record #%llu or #%llu altered\n", seq, last);
		break;
	case LOGCHAIN_MISSING:
		if (p->count == 1)
			printf("log verify: record #%llu missing\n", seq);
		else
			printf("log verify: records #%llu-#%llu missing\n", seq, last);
		break;
	default: printf("log verify: record #%llu out of order\n", seq);
	}
}

static int verify(const struct records *rs)
{
	enum { SHOWN = 32 };
	struct logchain_problem p[SHOWN];
	size_t found = logchain_verify(rs->r, rs->n, p, SHOWN);
	for (size_t i = 0; i < found && i < SHOWN; i++)
		print_problem(&p[i]);
	if (!found) {
		printf("log verify: %zu records, chain intact\n", rs->n);
		return 0;
	}
	printf("log verify: %zu records, chain broken (%zu problems)\n", rs->n, found);
	return 1;
}

static int dump(const struct records *rs, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), err = 0;
	if (fd < 0)
		return errno;
	size_t len = rs->n * sizeof rs->r[0], done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)rs->r + done, len - done);
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err)
		printf("log dump: %zu records to %s\n", rs->n, path);
	return err;
}

/* log verify [FILE], log dump FILE. */
static int chain_command(int argc, char **argv)
{
	struct records rs = {0};
	bool is_dump = strcmp(argv[0], "dump") == 0;
	if (argc > 2 || (is_dump && argc != 2))
		return usage();
	const char *file = argc == 2 ? argv[1] : NULL;
	int err = file && !is_dump ? load_file(file, &rs) : load_log(&rs);
	if (!err && !is_dump)
		return verify(&rs);
	if (!err)
		err = dump(&rs, file);
	if (!err)
		return 0;
	if (err == EINVAL && !is_dump)
		fprintf(stderr, "log: %s: not whole records of %zu bytes\n", file, sizeof rs.r[0]);
	else
		fprintf(stderr, "log: %s%s%s\n", file ? file : "", file ? ": " : "", strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	newest_at_start();
	if (argc > 1 && (strcmp(argv[1], "verify") == 0 || strcmp(argv[1], "dump") == 0))
		return chain_command(argc - 1, argv + 1);
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
