/*
 * sensorstorm - counts what a sensor storm delivers (tests/system/
 * test_sensors.py): events, samples, the skipped samples the batches
 * report, and the smallest gap between consecutive samples' times. It
 * prints nothing per event (a storm would flush the log); app:sensorstorm
 * asks for the totals: "storm events=E samples=S skipped=K min_gap_ns=G
 * last=L first_ns=T0 last_ns=T1" (T0, T1: the first and last sample's time).
 */
#include <inttypes.h>
#include <optios/handler.h>
#include <stdio.h>
#include <string.h>

static uint64_t events, samples, skipped, min_gap = UINT64_MAX, first_time, last_time;
static uint32_t last_no;

void on_event(const struct optios_event *ev)
{
	if (strncmp(ev->topic, "app:", 4) == 0) {
		printf("storm events=%" PRIu64 " samples=%" PRIu64 " skipped=%" PRIu64 " min_gap_ns=%" PRIu64
		       " last=%u first_ns=%" PRIu64 " last_ns=%" PRIu64 "\n",
		       events, samples, skipped, min_gap, last_no, first_time, last_time);
		fflush(stdout);
		return;
	}
	const struct optios_sensor_batch *b = optios_sensor_batch_of(ev);
	if (!b)
		return;
	events++;
	skipped += b->skipped;
	for (unsigned i = 0; i < b->nsamples; i++) {
		uint64_t t = optios_sensor_sample_at(b, i)->time_ns;
		if (!first_time)
			first_time = t;
		if (last_time && t - last_time < min_gap)
			min_gap = t - last_time;
		last_time = t;
		samples++;
	}
	last_no = b->first_sample + b->nsamples - 1;
}
