/*
 * airwatch - air quality from the sensors: a moving average of CO2 and
 * PM2.5, a log of every reading in /data, and app:air.bad when the air
 * turns bad.
 *
 * Each sensor:<name> event is a batch of samples (optios/abi/sensor.h), each
 * with the time its frame completed. For every sample of a model it knows
 * (MH-Z19B: CO2; PMS5003: PM2.5) airwatch
 *   - adds it to that quantity's moving average (the last 8 samples),
 *   - prints a line (an output record in `log`) and appends the same line to
 *     /data/airwatch.log: sample time, sensor, value, average;
 *   - updates the quantity's alarm, with hysteresis (apps/airwatch/air.c):
 *     crossing above the threshold emits app:air.bad once, falling back
 *     below the lower one emits app:air.good once.
 * The averages and alarms are globals: they live in the handler's snapshot
 * and carry over from run to run (and across reboots with a disk). The
 * thresholds are constants of this version (air.c); the logic is plain C
 * tested on the host (tests/host/test_airwatch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <optios/abi/sensor.h>
#include <optios/handler.h>

#include "airwatch/air.h"

#define LOG_FILE "/data/airwatch.log"

static struct air_avg avg[AIR_QUANTITIES];
static struct air_alarm alarms[AIR_QUANTITIES]; /* thresholds set by on_init */

void on_init(void)
{
	for (int q = 0; q < AIR_QUANTITIES; q++) {
		alarms[q].high = air_quantities[q].high;
		alarms[q].low = air_quantities[q].low;
	}
}

static void emit_change(enum air_quantity q, enum air_change c, int32_t average)
{
	const struct air_quantity_info *qi = &air_quantities[q];
	char text[96];
	int n = snprintf(text, sizeof text, "%s %ld %s %s %ld", qi->name, (long)average, qi->unit,
			 c == AIR_WENT_BAD ? "above" : "below",
			 (long)(c == AIR_WENT_BAD ? qi->high : qi->low));
	const char *topic = c == AIR_WENT_BAD ? "app:air.bad" : "app:air.good";
	if (optios_emit(topic, text, (size_t)n) < 0)
		printf("airwatch: emit %s: %s\n", topic, strerror(errno));
	else
		printf("airwatch: %s %s\n", topic, text);
}

/* One sample: average, line, alarm. line gets what is appended to the file. */
static size_t reading(const char *sensor, enum air_quantity q, int32_t value, uint64_t time_ns, char *line,
		      size_t max)
{
	air_avg_add(&avg[q], value);
	int32_t average = air_avg_value(&avg[q]);
	const struct air_quantity_info *qi = &air_quantities[q];
	int n = snprintf(line, max, "%llu.%06llu %s %s %ld %s avg %ld\n",
			 (unsigned long long)(time_ns / 1000000000u),
			 (unsigned long long)(time_ns % 1000000000u / 1000u), sensor, qi->name, (long)value,
			 qi->unit, (long)average);
	printf("airwatch: %s", line);
	enum air_change c = air_alarm_update(&alarms[q], average);
	if (c != AIR_SAME)
		emit_change(q, c, average);
	return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max - 1;
}

void on_event(const struct optios_event *ev)
{
	const struct optios_sensor_batch *b = optios_sensor_batch_of(ev);
	enum air_quantity q;
	unsigned channel;
	const char *sensor = strncmp(ev->topic, "sensor:", 7) == 0 ? ev->topic + 7 : ev->topic;
	if (!b || air_quantity_of(b, &q, &channel) != 0) {
		printf("airwatch: %s: not a CO2 or PM2.5 batch (%u bytes): ignored\n", ev->topic,
		       ev->payload_len);
		fflush(stdout);
		return;
	}
	char text[OPTIOS_SENSOR_SAMPLES_MAX(1) * 96];
	size_t len = 0;
	for (unsigned i = 0; i < b->nsamples; i++) {
		const struct optios_sensor_sample *s = optios_sensor_sample_at(b, i);
		int32_t value = air_scaled(s->value[channel], b->scale);
		len += reading(sensor, q, value, s->time_ns, text + len, sizeof text - len);
	}
	int fd = open(LOG_FILE, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		printf("airwatch: %s: %s\n", LOG_FILE, strerror(errno));
	if (fd >= 0)
		close(fd);
	fflush(stdout);
}
