/*
 * sensor_internal.h - shared by the files of kernel/sensor: the batch a
 * client builds (batch.c) and the lines of sensors.conf (conf.c), both
 * host-buildable.
 */
#ifndef KERNEL_SENSOR_SENSOR_INTERNAL_H
#define KERNEL_SENSOR_SENSOR_INTERNAL_H

#include <optios/abi/event.h>
#include <optios/abi/sensor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sensor_frame.h"
#include "sensor.h"

#define SENSOR_NEVER UINT64_MAX

/*
 * A client's batch. Invariants: n <= max <= OPTIOS_SENSOR_SAMPLES_MAX(nvalues);
 * payload holds the header and n samples, oldest first; a sample is taken
 * only when min_gap_ns has passed since the one taken before it (the first
 * always); taken + skipped_total == samples offered.
 */
struct sensor_batch {
	const struct sensor_model_info *m;
	uint64_t min_gap_ns, latency_ns;
	uint32_t max, n;
	bool any;
	uint64_t last_taken_ns, first_ns;
	uint32_t skipped; /* since the last batch went out */
	uint8_t payload[OPTIOS_EVENT_PAYLOAD_MAX];
	uint64_t taken, skipped_total, batches; /* only grow */
};

enum { SENSOR_BATCH_SKIPPED, SENSOR_BATCH_HELD, SENSOR_BATCH_READY };

/* min_gap: max(period - period/8, cap_gap) (the 1/8: the device's own clock's jitter). */
void sensor_batch_init(struct sensor_batch *b, const struct sensor_model_info *m, uint64_t period_ns,
		       uint64_t cap_gap_ns, uint64_t latency_ns);
/* Offers sample number no, completed at t: skipped (too soon), held (waits
 * for its latency: sensor_batch_due), or ready (full, or no latency). */
int sensor_batch_add(struct sensor_batch *b, uint32_t no, uint64_t t, const int32_t *values);
/* When the held batch must go out (its oldest sample + latency), or SENSOR_NEVER. */
uint64_t sensor_batch_due(const struct sensor_batch *b);
/* The batch as a payload into out (OPTIOS_EVENT_PAYLOAD_MAX bytes); returns
 * its length, 0 if empty. Starts the next batch. */
size_t sensor_batch_take(struct sensor_batch *b, uint8_t *out);

/* One device line of sensors.conf:
 *   NAME port=COM2 model=mhz19b [period=DURATION] [baud=9600] [silence=DURATION] [fifo=1] */
struct sensor_spec {
	char name[OPTIOS_SENSOR_NAME_MAX];
	char port[OPTIOS_SENSOR_PORT_MAX];
	const struct sensor_model_info *m;
	uint32_t baud, fifo; /* fifo: the UART's receive trigger level */
	uint64_t period_ns, silence_ns;
};
#define SENSOR_DEVICES_MAX SENSOR_DEVICES_LIST_MAX

/* Parses text[0..len) into specs[0..max); a bad line is reported through
 * report ("sensors.conf:LINE: reason") and skipped. Returns how many. */
size_t sensor_conf_parse(const char *text, size_t len, struct sensor_spec *specs, size_t max,
			 void (*report)(void *ctx, const char *msg), void *ctx);

#endif
