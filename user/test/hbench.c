/*
 * hbench - the handler benchmark's driver (tools/bench.py boots it as
 * optios.init under -icount shift=0, where the TSC counts instructions).
 *
 * It registers /test/handlers/bench (payload: how many pages a run dirties),
 * raises app:bench events, lets the handler run (sched_yield), and computes
 * every figure from the event log's record TSCs (see handler.h):
 *
 *   warm_start        EVENT record -> RUN record of that event
 *   cycle_1page       EVENT record -> COMMIT record, run dirtying 1 page
 *   commit_Npages     COMMIT tsc - (RUN tsc + COMMIT c), N = 1, 16, 256
 *   snapshot_create   c of the "ready" record, over fresh registrations
 *                     (details: its b, the start-up run's CPU ns, and the
 *                     whole optios_handler_add call in TSC ticks)
 *   events_per_guest_second   BATCH events raised back to back, ROUNDS times:
 *                     events / the sum over rounds of (last COMMIT time -
 *                     first EVENT time); while a round runs the driver
 *                     waits on the handler's run count, not on the log, so
 *                     the figure is the event path's, not a log reader's
 *   log_link_instructions   the audit chain's cost to a reader, per record:
 *                     reading LINK_RECORDS records no read has reached (the
 *                     read makes their links), minus reading them again
 *
 * Each figure is the median of REPS measurements. Output: "BENCH key value"
 * lines; exit status 0 when every figure was measured.
 */
#include <errno.h>
#include <optios.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HANDLER "/test/handlers/bench"
#define TOPIC "app:bench"
#define REPS 9
#define BATCH 48 /* below the handler's queue length (64): nothing dropped */
#define ROUNDS 8
#define LOG_MAX 4096
#define CHUNK 64
#define LINK_RECORDS 200

/* One event's way through the handler, from its log records. */
struct cycle {
	uint64_t event_seq;
	const struct optios_log_record *event, *run, *end;
};

static struct optios_log_record logbuf[LOG_MAX];
static size_t nlog;
static uint64_t next_seq = 1;

/* Appends the records written since the last call to logbuf. */
static void log_pull(void)
{
	while (nlog < LOG_MAX) {
		size_t room = LOG_MAX - nlog < CHUNK ? LOG_MAX - nlog : CHUNK;
		long got = optios_log_read(next_seq, logbuf + nlog, room);
		if (got <= 0)
			return;
		next_seq = logbuf[nlog + got - 1].seq + 1;
		nlog += (size_t)got;
		if ((size_t)got < room)
			return;
	}
}

/* Starts a measurement: forgets every record written so far. */
static void log_mark(void)
{
	log_pull();
	nlog = 0;
}

static struct cycle *cycle_of(struct cycle *c, size_t n, uint64_t event_seq)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].event_seq == event_seq)
			return &c[i];
	return NULL;
}

/* Fills c[] with the app:bench events since log_mark, in raise order; returns
 * how many have ended (committed or rolled back). */
static size_t match_cycles(struct cycle *c, size_t max, size_t *nevents)
{
	size_t n = 0, ended = 0;
	for (size_t i = 0; i < nlog; i++) {
		const struct optios_log_record *r = &logbuf[i];
		struct cycle *cy = cycle_of(c, n, r->event_seq);
		if (r->kind == OPTIOS_LOG_EVENT && strcmp(r->topic, TOPIC) == 0 && n < max)
			c[n++] = (struct cycle){.event_seq = r->event_seq, .event = r};
		else if (cy && r->kind == OPTIOS_LOG_RUN)
			cy->run = r;
		else if (cy && (r->kind == OPTIOS_LOG_COMMIT || r->kind == OPTIOS_LOG_ROLLBACK) && !cy->end) {
			cy->end = r;
			ended++;
		}
	}
	*nevents = n;
	return ended;
}

/* Lets the handler run until n events since log_mark have ended. */
static int wait_cycles(struct cycle *c, size_t n)
{
	size_t nevents;
	for (long tries = 0; tries < 200000; tries++) {
		log_pull();
		if (match_cycles(c, n, &nevents) >= n && nevents >= n)
			return 0;
		if (tries % 1000 == 999) { /* something else is slow: let time pass */
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		} else {
			sched_yield();
		}
	}
	fprintf(stderr, "hbench: %zu of %zu events seen, runs did not end\n", nevents, n);
	return -1;
}

static int emit(const char *payload)
{
	if (optios_emit(TOPIC, payload, strlen(payload)) < 0) {
		fprintf(stderr, "hbench: emit: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return v[n / 2];
}

static uint64_t commit_cost(const struct cycle *c)
{
	return c->end->tsc - (c->run->tsc + c->end->c);
}

/* Which log records a measurement spans (their seqs): `make profile`
 * profiles exactly the instructions between them (tools/profile.py). */
struct span {
	uint64_t from, to;
};

/* n single events with this payload, one at a time; figures per cycle, and
 * the records each spans (span[i]: warm start, cycle, commit). */
static int measure(const char *payload, int n, uint64_t *warm, uint64_t *whole, uint64_t *commit,
		   uint64_t *dirty, struct span (*span)[3])
{
	struct cycle c;
	for (int i = 0; i < n; i++) {
		log_mark();
		if (emit(payload) < 0)
			return -1;
		sched_yield();
		if (wait_cycles(&c, 1) < 0)
			return -1;
		if (!c.run || c.end->kind != OPTIOS_LOG_COMMIT) {
			fprintf(stderr, "hbench: payload %s: run %s\n", payload,
				c.run ? c.end->text : "not logged");
			return -1;
		}
		warm[i] = c.run->tsc - c.event->tsc;
		whole[i] = c.end->tsc - c.event->tsc;
		commit[i] = commit_cost(&c);
		dirty[i] = c.end->a;
		span[i][0] = (struct span){c.event->seq, c.run->seq};
		span[i][1] = (struct span){c.event->seq, c.end->seq};
		span[i][2] = (struct span){c.run->seq, c.end->seq};
	}
	return 0;
}

static void report(const char *key, uint64_t value)
{
	printf("BENCH %s %llu\n", key, (unsigned long long)value);
}

/* The median of v[0..n) (v is left as it was) and, as "BENCHSPAN key from
 * to", the records the measurement it came from spans. */
static void report_median(const char *key, const uint64_t *v, size_t n, const struct span *spans,
			  size_t stride)
{
	uint64_t sorted[REPS];
	memcpy(sorted, v, n * sizeof *v);
	uint64_t m = median(sorted, n);
	report(key, m);
	for (size_t i = 0; i < n; i++)
		if (v[i] == m) {
			printf("BENCHSPAN %s %llu %llu\n", key, (unsigned long long)spans[i * stride].from,
			       (unsigned long long)spans[i * stride].to);
			break;
		}
}

/* Runs the payload REPS times and reports the medians under the keys given. */
static int bench_pages(const char *payload, const char *commit_key, const char *cycle_key,
		       const char *warm_key)
{
	uint64_t warm[REPS], whole[REPS], commit[REPS], dirty[REPS];
	struct span span[REPS][3];
	if (measure(payload, REPS, warm, whole, commit, dirty, span) < 0)
		return -1;
	if (warm_key)
		report_median(warm_key, warm, REPS, &span[0][0], 3);
	if (cycle_key)
		report_median(cycle_key, whole, REPS, &span[0][1], 3);
	report_median(commit_key, commit, REPS, &span[0][2], 3);
	char key[64];
	snprintf(key, sizeof key, "dirty_pages_payload_%s", payload);
	report(key, median(dirty, REPS));
	return 0;
}

/* Registers the bench handler; *tsc: what the call took (reading the ELF,
 * hashing it, the start-up, the freeze), in TSC ticks. */
static int add_handler(uint64_t *tsc)
{
	char msg[160] = "";
	uint64_t t0 = __builtin_ia32_rdtsc();
	long err = optios_handler_add(HANDLER, msg, sizeof msg);
	*tsc = __builtin_ia32_rdtsc() - t0;
	if (err < 0) {
		fprintf(stderr, "hbench: handler add %s: %s%s%s\n", HANDLER, strerror(errno),
			msg[0] ? ": " : "", msg);
		return -1;
	}
	return 0;
}

/* The "ready" record of the registration since log_mark: c (freezing the
 * snapshot, TSC) and b (the whole start-up, ns; = instructions under icount). */
static int snapshot_cost(uint64_t *freeze, uint64_t *startup)
{
	log_pull();
	for (size_t i = 0; i < nlog; i++) {
		const struct optios_log_record *r = &logbuf[i];
		if (r->kind == OPTIOS_LOG_HANDLER && strncmp(r->text, "ready", 5) == 0) {
			*freeze = r->c;
			*startup = r->b;
			return 0;
		}
	}
	fprintf(stderr, "hbench: no \"ready\" record after handler add\n");
	return -1;
}

/* REPS fresh registrations (remove, add); leaves the handler registered. */
static int bench_snapshot(void)
{
	uint64_t cost[REPS], startup[REPS], add[REPS];
	for (int i = 0; i < REPS; i++) {
		if (i > 0 && optios_handler_remove("bench") < 0) {
			fprintf(stderr, "hbench: handler remove: %s\n", strerror(errno));
			return -1;
		}
		log_mark();
		if (add_handler(&add[i]) < 0 || snapshot_cost(&cost[i], &startup[i]) < 0)
			return -1;
	}
	report("snapshot_create_instructions", median(cost, REPS));
	report("startup_run_ns", median(startup, REPS));
	report("handler_add_instructions", median(add, REPS));
	return 0;
}

/* The bench handler's runs so far, once it waits for an event; -1: not registered. */
static long runs_when_ready(void)
{
	static struct optios_handler_info info[32];
	long n = optios_handler_list(info, 32);
	for (long i = 0; i < n && i < 32; i++)
		if (strcmp(info[i].name, "bench") == 0)
			return info[i].state == OPTIOS_HANDLER_READY ? (long)info[i].runs : 0;
	return -1;
}

/* Lets the handler run until it has ended `until` runs, without reading the log. */
static int wait_runs(long until)
{
	for (long tries = 0; tries < 2000000; tries++) {
		long runs = runs_when_ready();
		if (runs < 0 || runs >= until)
			return runs < 0 ? -1 : 0;
		sched_yield();
	}
	return -1;
}

static int bench_throughput(void)
{
	static struct cycle c[BATCH];
	uint64_t span_ns = 0;
	for (int round = 0; round < ROUNDS; round++) {
		log_mark();
		long runs = runs_when_ready();
		for (int i = 0; i < BATCH; i++)
			if (emit("0") < 0)
				return -1;
		if (runs < 0 || wait_runs(runs + BATCH) < 0 || wait_cycles(c, BATCH) < 0) {
			fprintf(stderr, "hbench: throughput: the handler's runs did not end\n");
			return -1;
		}
		span_ns += c[BATCH - 1].end->time_ns - c[0].event->time_ns;
	}
	if (!span_ns)
		return -1;
	report("events_per_guest_second", (uint64_t)BATCH * ROUNDS * 1000000000ull / span_ns);
	return 0;
}

/* The first DURABLE record at or after index from of logbuf, or NULL. */
static const struct optios_log_record *durable_after(size_t from)
{
	for (size_t i = from; i < nlog; i++)
		if (logbuf[i].kind == OPTIOS_LOG_DURABLE)
			return &logbuf[i];
	return NULL;
}

static size_t index_of(const struct optios_log_record *r)
{
	return (size_t)(r - logbuf);
}

/* Waits for the DURABLE record after the commit c ends with: NULL when none
 * comes (no disk: nothing persists). */
static const struct optios_log_record *wait_durable(const struct cycle *c)
{
	for (int tries = 0; tries < 20000; tries++) {
		const struct optios_log_record *d = durable_after(index_of(c->end));
		if (d)
			return d;
		sched_yield();
		log_pull();
	}
	return NULL;
}

/* With a disk (kernel/persist): a 1-page run made durable, one event at a
 * time (event -> run -> commit -> flush), the flushes each took, and a
 * burst of BATCH events: durable runs per guest second (group commit) and
 * the flushes they shared. Without a disk: nothing (no DURABLE record).
 *
 * The cycle is the EVENT record's TSC to the DURABLE record's (the flush
 * that made the run's commit durable has returned). Its instructions are
 * that span minus the ticks the disk driver spent waiting for the device
 * in it (the store's disk's wait_ticks: read with OPTIOS_BLK_INFO right
 * after the emit - whose own commit and flush are done then, and the runner
 * has not run yet: it runs when we yield; a cheap call, a few hundred
 * instructions, counted in - and as the DURABLE record's text states it:
 * the runner may store the log or clean the disk after that record, before
 * we read again): the NVMe driver
 * polls, so the wait is spins whose number depends on how fast the host
 * answers, not work. The span itself is reported too (the latency to
 * durable, waits included). */
static int bench_durable(void)
{
	static struct cycle c[BATCH];
	uint64_t whole[REPS], work[REPS], wait[REPS];
	struct span span[REPS];
	size_t flushes = 0;
	struct optios_store_info before, after;
	struct optios_blk_info w0;
	if (optios_store_info(&before) < 0 || !(before.flags & OPTIOS_STORE_MOUNTED))
		return 0; /* no disk: nothing persists */
	for (int i = 0; i < REPS; i++) {
		log_mark();
		if (emit("1") < 0 || optios_blk(OPTIOS_BLK_INFO, before.device, 0, &w0, 0) < 0)
			return -1;
		sched_yield();
		if (wait_cycles(c, 1) < 0)
			return -1;
		const struct optios_log_record *d = wait_durable(&c[0]);
		unsigned long long runs, waited;
		if (!d || sscanf(d->text, "%llu runs durable; disk waits %llu", &runs, &waited) != 2 ||
		    waited < w0.wait_ticks)
			return -1;
		whole[i] = d->tsc - c[0].event->tsc;
		wait[i] = waited - w0.wait_ticks;
		work[i] = whole[i] > wait[i] ? whole[i] - wait[i] : 0;
		span[i] = (struct span){c[0].event->seq, d->seq};
		flushes += d->a == 1;
	}
	report_median("durable_cycle_1page_instructions", work, REPS, span, 1);
	report_median("durable_cycle_1page_latency_ticks", whole, REPS, span, 1);
	report("durable_cycle_1page_device_wait_ticks", median(wait, REPS));
	report("durable_flushes_per_1000_commits", 1000 * (uint64_t)flushes / REPS);
	log_mark();
	long runs = runs_when_ready();
	if (optios_store_info(&before) < 0)
		return -1;
	for (int i = 0; i < BATCH; i++)
		if (emit("1") < 0)
			return -1;
	if (runs < 0 || wait_runs(runs + BATCH) < 0 || wait_cycles(c, BATCH) < 0)
		return -1;
	const struct optios_log_record *last = wait_durable(&c[BATCH - 1]);
	if (!last || optios_store_info(&after) < 0)
		return -1;
	/* every block the burst wrote (its runs', the emits' inbox entries, the
	 * log, cleaning, superblocks) per page its runs dirtied */
	report("durable_bytes_written_per_byte_dirtied_x100",
	       100 * (after.blocks_written - before.blocks_written) / BATCH);
	size_t burst_flushes = 0;
	for (size_t i = index_of(c[0].event); i <= index_of(last); i++)
		burst_flushes += logbuf[i].kind == OPTIOS_LOG_DURABLE;
	uint64_t ns = last->time_ns - c[0].event->time_ns;
	report("durable_runs_per_guest_second", ns ? (uint64_t)BATCH * 1000000000ull / ns : 0);
	report("durable_burst_runs", BATCH);
	report("durable_burst_flushes", burst_flushes);
	return 0;
}

/* See the top. The records are EVENT records of a topic nobody watches. */
static int bench_log_link(void)
{
	static struct optios_log_record buf[LINK_RECORDS];
	log_mark();
	uint64_t from = next_seq;
	for (int i = 0; i < LINK_RECORDS; i++)
		if (optios_emit("app:bench.link", "", 0) < 0) {
			fprintf(stderr, "hbench: emit app:bench.link: %s\n", strerror(errno));
			return -1;
		}
	uint64_t t0 = __builtin_ia32_rdtsc();
	long first = optios_log_read(from, buf, LINK_RECORDS);
	uint64_t t1 = __builtin_ia32_rdtsc();
	long again = optios_log_read(from, buf, LINK_RECORDS);
	uint64_t t2 = __builtin_ia32_rdtsc();
	if (first != LINK_RECORDS || again != LINK_RECORDS || t1 - t0 < t2 - t1) {
		fprintf(stderr, "hbench: log link: read %ld then %ld records\n", first, again);
		return -1;
	}
	report("log_link_instructions", ((t1 - t0) - (t2 - t1)) / LINK_RECORDS);
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bench_snapshot() < 0)
		return 1;
	/* One run first: the first write to each page after the base snapshot
	 * is not what a warm handler pays. */
	uint64_t w, x, y, z;
	struct span first[1][3];
	if (measure("256", 1, &w, &x, &y, &z, first) < 0)
		return 1;
	if (bench_pages("0", "commit_0pages_instructions", NULL, "warm_start_instructions") < 0 ||
	    bench_pages("1", "commit_1page_instructions", "cycle_1page_instructions", NULL) < 0 ||
	    bench_pages("16", "commit_16pages_instructions", NULL, NULL) < 0 ||
	    bench_pages("256", "commit_256pages_instructions", NULL, NULL) < 0 || bench_throughput() < 0 ||
	    bench_log_link() < 0 || bench_durable() < 0)
		return 1;
	if (optios_handler_remove("bench") < 0)
		fprintf(stderr, "hbench: handler remove: %s\n", strerror(errno));
	printf("BENCH done\n");
	return 0;
}
