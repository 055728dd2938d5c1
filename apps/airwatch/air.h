/*
 * air.h - airwatch's logic as plain C (host unit tests: tests/host/test_airwatch.c).
 *
 * A quantity (CO2, PM2.5) is a moving average over its last AIR_WINDOW
 * samples and an alarm with hysteresis: it goes bad when the average rises
 * above `high` and good again only when it falls below `low` (< high), so a
 * value hovering at the threshold changes the state once, not at every
 * sample. Values are integers in the quantity's unit (ppm, ug/m3) after the
 * batch's scale is applied.
 */
#ifndef APPS_AIRWATCH_AIR_H
#define APPS_AIRWATCH_AIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <optios/abi/sensor.h>

#define AIR_WINDOW 8 /* samples in a moving average */

struct air_avg {
	int32_t v[AIR_WINDOW]; /* the last n samples, a ring; next is the oldest once full */
	uint32_t n, next;
	int64_t sum; /* of v[0..n) */
};

/* Adds a sample, pushing out the oldest when the window is full. */
void air_avg_add(struct air_avg *a, int32_t v);
/* The mean of the samples in the window, rounded to nearest (0 when empty). */
int32_t air_avg_value(const struct air_avg *a);

enum air_change { AIR_SAME, AIR_WENT_BAD, AIR_WENT_GOOD };

struct air_alarm {
	int32_t high, low; /* bad above high; good again below low */
	bool bad;
};

/* The alarm after a new average: AIR_WENT_BAD when avg > high from good,
 * AIR_WENT_GOOD when avg < low from bad, else AIR_SAME. */
enum air_change air_alarm_update(struct air_alarm *al, int32_t avg);

/* What a sensor batch measures, for airwatch: the quantity's index in
 * air_quantities and the value channel to read. */
enum air_quantity { AIR_CO2, AIR_PM25, AIR_QUANTITIES };
struct air_quantity_info {
	const char *name, *unit;
	int32_t high, low; /* the thresholds (airwatch's version 1) */
};
extern const struct air_quantity_info air_quantities[AIR_QUANTITIES];

/* The quantity a batch of this model carries and its channel: 0, or -1 for
 * a model airwatch does not watch. MH-Z19B: CO2, channel 0; PMS5003: PM2.5
 * "atmospheric environment", channel 4 (the one for ambient air). */
int air_quantity_of(const struct optios_sensor_batch *b, enum air_quantity *q, unsigned *channel);

/* v * 10^scale, rounded to nearest, saturated to int32 (scale -9..9). */
int32_t air_scaled(int32_t v, int scale);

#endif
