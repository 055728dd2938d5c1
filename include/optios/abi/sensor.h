/*
 * sensor.h (ABI) - what a sensor:<name> event carries, and what
 * optios_sensor_list (call 1040) reports. docs/SENSORS.md is the guide.
 *
 * The payload of every sensor:<name> event is one batch: a 16-byte header,
 * then nsamples samples of stride bytes each, oldest first. A sample is its
 * time (u64, the monotonic clock in ns, as an event's time_ns, taken in the
 * interrupt that completed the device's frame) and nvalues signed 32-bit
 * values; a value means value * 10^scale in unit. All fields little endian,
 * naturally aligned (stride is a multiple of 8). An unbatched subscription
 * gets batches of one sample.
 *
 * Channels by model (value i of a sample):
 *   MH-Z19B  (CO2, "mhz19b"):   0 CO2 concentration; ppm, scale 0
 *   PMS5003  (dust, "pms5003"): 0 PM1.0, 1 PM2.5, 2 PM10 "standard particle"
 *                               (CF=1), 3 PM1.0, 4 PM2.5, 5 PM10 "atmospheric
 *                               environment"; ug/m3, scale 0
 * skipped counts the device's samples this subscription did not take since
 * its previous event (its period or the rate limit decimated them): over a
 * subscription's events, the sum of nsamples + skipped is the number of
 * samples the device made (numbered from 1 at boot) from the subscription's
 * start until its last event was raised.
 */
#ifndef OPTIOS_ABI_SENSOR_H
#define OPTIOS_ABI_SENSOR_H

#include <stdint.h>

#include <optios/abi/event.h>

#define OPTIOS_SENSOR_PAYLOAD_VERSION 1
#define OPTIOS_SENSOR_VALUES_MAX 6 /* values per sample */

enum optios_sensor_model {
	OPTIOS_SENSOR_MHZ19B = 1,  /* Winsen MH-Z19B CO2, polled */
	OPTIOS_SENSOR_PMS5003 = 2, /* Plantower PMS5003 particulate matter, streaming */
};

enum optios_sensor_unit {
	OPTIOS_SENSOR_UNIT_NONE = 0,
	OPTIOS_SENSOR_UNIT_PPM = 1,   /* parts per million (volume) */
	OPTIOS_SENSOR_UNIT_UG_M3 = 2, /* micrograms per cubic metre */
};

struct optios_sensor_batch {
	uint8_t version;      /* OPTIOS_SENSOR_PAYLOAD_VERSION */
	uint8_t model;        /* enum optios_sensor_model */
	uint8_t unit;         /* enum optios_sensor_unit, of every value */
	int8_t scale;         /* a value means value * 10^scale units */
	uint8_t nvalues;      /* values per sample, 1..OPTIOS_SENSOR_VALUES_MAX */
	uint8_t nsamples;     /* samples in this event, >= 1 */
	uint8_t stride;       /* bytes per sample: 8 + 4 * nvalues, rounded up to 8 */
	uint8_t flags;        /* 0 */
	uint32_t first_sample; /* the device's number of the first sample here (from 1) */
	uint32_t skipped;      /* device samples not given to this subscription since its last event */
};

_Static_assert(sizeof(struct optios_sensor_batch) == 16, "sensor batch header is ABI");

struct optios_sensor_sample {
	uint64_t time_ns; /* when its frame completed (monotonic, ns) */
	int32_t value[];  /* nvalues */
};

/* Samples of nvalues values that fit one event. */
#define OPTIOS_SENSOR_STRIDE(nvalues) ((8u + 4u * (nvalues) + 7u) & ~7u)
#define OPTIOS_SENSOR_SAMPLES_MAX(nvalues)                                                               \
	((OPTIOS_EVENT_PAYLOAD_MAX - sizeof(struct optios_sensor_batch)) / OPTIOS_SENSOR_STRIDE(nvalues))

/* Sample i of a batch whose header was checked (i < nsamples, the payload
 * holds 16 + nsamples * stride bytes). */
static inline const struct optios_sensor_sample *optios_sensor_sample_at(const struct optios_sensor_batch *b,
									   unsigned i)
{
	return (const struct optios_sensor_sample *)((const uint8_t *)(b + 1) + (uint64_t)i * b->stride);
}

/* The payload of ev as a batch, or NULL if it is not a well-formed one. */
static inline const struct optios_sensor_batch *optios_sensor_batch_of(const struct optios_event *ev)
{
	const struct optios_sensor_batch *b = (const struct optios_sensor_batch *)ev->payload;
	if (ev->payload_len < sizeof *b || b->version != OPTIOS_SENSOR_PAYLOAD_VERSION || b->nvalues == 0 ||
	    b->nvalues > OPTIOS_SENSOR_VALUES_MAX || b->stride != OPTIOS_SENSOR_STRIDE(b->nvalues) ||
	    b->nsamples == 0 || sizeof *b + (uint32_t)b->nsamples * b->stride > ev->payload_len)
		return NULL;
	return b;
}

/* ---- optios_sensor_list(out, max) (1040): the devices, for `sensors` ---- */

#define OPTIOS_SENSOR_NAME_MAX 24
#define OPTIOS_SENSOR_PORT_MAX 8

enum optios_sensor_state {
	OPTIOS_SENSOR_IDLE = 0,   /* nobody subscribes: a polled device is not asked */
	OPTIOS_SENSOR_ACTIVE = 1, /* frames arrive */
	OPTIOS_SENSOR_SILENT = 2, /* no good frame for its silence timeout */
	OPTIOS_SENSOR_NOPORT = 3, /* its serial port is not there */
};

struct optios_sensor_info {
	char name[OPTIOS_SENSOR_NAME_MAX]; /* the topic is sensor:<name> */
	char port[OPTIOS_SENSOR_PORT_MAX]; /* "COM2" */
	uint32_t model, state;              /* enum optios_sensor_model, _state */
	uint32_t baud, unit;
	int32_t scale;
	uint32_t nvalues;
	uint64_t period_ns;          /* configured: poll period / expected frame period */
	uint32_t subscribers, reserved;
	uint64_t samples;            /* good frames: the last sample's number */
	uint64_t last_time_ns;       /* time of the last sample (0: none) */
	int32_t last[OPTIOS_SENSOR_VALUES_MAX];
	uint64_t rx_bytes;           /* bytes received from the port */
	uint64_t bad_checksum;       /* frames whose checksum did not match */
	uint64_t truncated;          /* frames cut short (a gap, or a new start inside one) */
	uint64_t garbage;            /* bytes outside any frame, skipped */
	uint64_t overruns;           /* bytes the UART lost (line status: overrun) */
	uint64_t polls;              /* commands sent (polled devices) */
	uint64_t timeouts;           /* polls without an answer */
	uint64_t silences;           /* times it went silent */
	uint64_t delivered;          /* samples put in events */
	uint64_t ratelimited;        /* samples subscriptions did not take (period or rate cap) */
	uint64_t rate_millihz;       /* good frames per second over the last second, x1000 */
};

#endif
