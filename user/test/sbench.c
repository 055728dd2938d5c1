/*
 * sbench - the sensor benchmark (tools/bench.py boots it as optios.init
 * under -icount shift=0, the TSC counting instructions, with the PMS5003
 * emulator streaming on COM3: sensor:dust). Two phases, each a handler:
 *   sensorlog   unbatched: every frame its own event. For each dust event,
 *               from the sample's time (the UART interrupt that completed
 *               the frame) to the RUN record of its run: the frame to the
 *               handler running; and EVENT -> COMMIT less the handler's
 *               own run (COMMIT's c: sensorlog prints, which is not the
 *               kernel's price): the kernel's work for one delivered sample
 *               (raise, queue, dispatch, resume, commit).
 *   sensorbatch period=50ms latency=3s: the same divided by the batch's
 *               samples: the kernel's work per sample, batched.
 * A sample's time is monotonic ns; a record has both time_ns and tsc, so
 * the sample's TSC is its run's tsc - (run time - sample time) x the TSC's
 * rate over the log (1 tick a ns under -icount shift=0). Prints "BENCH key
 * value" lines (medians), then "BENCH done".
 */
#include <errno.h>
#include <inttypes.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MAX 4096
#define SAMPLES 16 /* unbatched events measured */
#define BATCHES 3 /* batched events measured */
#define TOPIC "sensor:dust"

static struct optios_log_record logbuf[LOG_MAX];
static size_t nlog;
static uint64_t next_seq = 1;

static void log_pull(void)
{
	while (nlog < LOG_MAX) {
		long got =
			optios_log_read(next_seq, logbuf + nlog, LOG_MAX - nlog < 64 ? LOG_MAX - nlog : 64);
		if (got <= 0)
			return;
		next_seq = logbuf[nlog + got - 1].seq + 1;
		nlog += (size_t)got;
	}
}

static const struct optios_log_record *find(uint32_t kind, const char *handler, uint64_t event_seq,
					    const char *prefix)
{
	for (size_t i = 0; i < nlog; i++) {
		const struct optios_log_record *r = &logbuf[i];
		if (r->kind == kind && r->event_seq == event_seq && strcmp(r->handler, handler) == 0 &&
		    (!prefix || strncmp(r->text, prefix, strlen(prefix)) == 0))
			return r;
	}
	return NULL;
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

/* The committed dust events of handler since the log was cleared: their EVENT records. */
static size_t committed(const char *handler, const struct optios_log_record **ev, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < nlog && n < max; i++) {
		const struct optios_log_record *r = &logbuf[i];
		if (r->kind == OPTIOS_LOG_EVENT && strcmp(r->topic, TOPIC) == 0 &&
		    find(OPTIOS_LOG_COMMIT, handler, r->event_seq, NULL))
			ev[n++] = r;
	}
	return n;
}

static int wait_for(const char *handler, const struct optios_log_record **ev, size_t want)
{
	for (int tries = 0; tries < 600; tries++) {
		log_pull();
		if (committed(handler, ev, want) >= want)
			return 0;
		struct timespec ms = {0, 50000000};
		nanosleep(&ms, NULL);
	}
	fprintf(stderr, "sbench: %s: %zu of %zu dust events committed\n", handler,
		committed(handler, ev, want), want);
	return -1;
}

static int add(const char *path)
{
	char msg[256] = "";
	if (optios_handler_add(path, msg, sizeof msg) < 0) {
		fprintf(stderr, "sbench: handler add %s: %s: %s\n", path, strerror(errno), msg);
		return -1;
	}
	log_pull();
	nlog = 0; /* measure from here */
	return 0;
}

/* TSC ticks per ns over the records read (1 under -icount shift=0), x1024. */
static uint64_t ticks_per_ns_x1024(void)
{
	const struct optios_log_record *a = &logbuf[0], *b = &logbuf[nlog - 1];
	return b->time_ns > a->time_ns ? (b->tsc - a->tsc) * 1024 / (b->time_ns - a->time_ns) : 1024;
}

static int unbatched(void)
{
	const struct optios_log_record *ev[SAMPLES];
	uint64_t to_run[SAMPLES], cycle[SAMPLES];
	if (add("/test/handlers/sensorlog") < 0 || wait_for("sensorlog", ev, SAMPLES) < 0)
		return -1;
	uint64_t k = ticks_per_ns_x1024();
	for (size_t i = 0; i < SAMPLES; i++) {
		const struct optios_log_record *run =
			find(OPTIOS_LOG_RUN, "sensorlog", ev[i]->event_seq, NULL);
		const struct optios_log_record *s =
			find(OPTIOS_LOG_OUTPUT, "sensorlog", ev[i]->event_seq, "s ");
		const struct optios_log_record *end =
			find(OPTIOS_LOG_COMMIT, "sensorlog", ev[i]->event_seq, NULL);
		const char *t = s ? strstr(s->text, " t=") : NULL;
		if (!run || !t)
			return fprintf(stderr, "sbench: event %" PRIu64 ": no run or sample\n",
				       ev[i]->event_seq),
			       -1;
		uint64_t sample_ns = strtoull(t + 3, NULL, 10);
		to_run[i] = (run->time_ns - sample_ns) * k / 1024;
		cycle[i] = end->tsc - ev[i]->tsc - end->c; /* the handler's own run (its printing) left out */
	}
	printf("BENCH sensor_frame_to_run_instructions %" PRIu64 "\n", median(to_run, SAMPLES));
	printf("BENCH sensor_unbatched_per_sample_instructions %" PRIu64 "\n", median(cycle, SAMPLES));
	return optios_handler_remove("sensorlog") < 0 ? -1 : 0;
}

static int batched(void)
{
	const struct optios_log_record *ev[BATCHES];
	uint64_t per[BATCHES], samples[BATCHES];
	if (add("/test/handlers/sensorbatch") < 0 || wait_for("sensorbatch", ev, BATCHES) < 0)
		return -1;
	for (size_t i = 0; i < BATCHES; i++) {
		const struct optios_log_record *e =
			find(OPTIOS_LOG_OUTPUT, "sensorbatch", ev[i]->event_seq, "ev ");
		const struct optios_log_record *end =
			find(OPTIOS_LOG_COMMIT, "sensorbatch", ev[i]->event_seq, NULL);
		const char *n = e ? strstr(e->text, " n=") : NULL;
		if (!n || !end)
			return fprintf(stderr, "sbench: batch %zu: no output\n", i), -1;
		samples[i] = strtoull(n + 3, NULL, 10);
		per[i] = (end->tsc - ev[i]->tsc - end->c) / (samples[i] ? samples[i] : 1);
	}
	printf("BENCH sensor_batched_per_sample_instructions %" PRIu64 "\n", median(per, BATCHES));
	printf("BENCH sensor_batch_samples %" PRIu64 "\n", median(samples, BATCHES));
	return optios_handler_remove("sensorbatch") < 0 ? -1 : 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unbatched() < 0 || batched() < 0)
		return 1;
	printf("BENCH done\n");
	return 0;
}
