/*
 * batch.c - a client's batch (invariants in sensor_internal.h): which
 * samples a subscription takes (its period, the rate cap) and when the ones
 * it took go out as one event (full, or its oldest sample is latency old).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "sensor_internal.h"

#include "lib/lib.h"

void sensor_batch_init(struct sensor_batch *b, const struct sensor_model_info *m, uint64_t period_ns,
		       uint64_t cap_gap_ns, uint64_t latency_ns)
{
	memset(b, 0, sizeof *b);
	b->m = m;
	b->min_gap_ns = MAX(period_ns - period_ns / 8, cap_gap_ns);
	b->latency_ns = latency_ns;
	b->max = latency_ns ? (uint32_t)OPTIOS_SENSOR_SAMPLES_MAX(m->nvalues) : 1;
}

int sensor_batch_add(struct sensor_batch *b, uint32_t no, uint64_t t, const int32_t *values)
{
	if (b->any && t - b->last_taken_ns < b->min_gap_ns) {
		b->skipped++;
		b->skipped_total++;
		return SENSOR_BATCH_SKIPPED;
	}
	struct optios_sensor_batch *h = (struct optios_sensor_batch *)b->payload;
	uint32_t stride = OPTIOS_SENSOR_STRIDE(b->m->nvalues);
	uint8_t *at = b->payload + sizeof *h + b->n * stride;
	if (b->n == 0) {
		b->first_ns = t;
		h->first_sample = no;
	}
	memset(at, 0, stride);
	memcpy(at, &t, sizeof t);
	memcpy(at + sizeof t, values, b->m->nvalues * sizeof *values);
	b->n++;
	b->any = true;
	b->last_taken_ns = t;
	b->taken++;
	return b->n >= b->max ? SENSOR_BATCH_READY : SENSOR_BATCH_HELD;
}

uint64_t sensor_batch_due(const struct sensor_batch *b)
{
	return b->n ? b->first_ns + b->latency_ns : SENSOR_NEVER;
}

size_t sensor_batch_take(struct sensor_batch *b, uint8_t *out)
{
	if (!b->n)
		return 0;
	struct optios_sensor_batch *h = (struct optios_sensor_batch *)b->payload;
	h->version = OPTIOS_SENSOR_PAYLOAD_VERSION;
	h->model = b->m->model;
	h->unit = b->m->unit;
	h->scale = b->m->scale;
	h->nvalues = b->m->nvalues;
	h->nsamples = (uint8_t)b->n;
	h->stride = (uint8_t)OPTIOS_SENSOR_STRIDE(b->m->nvalues);
	h->flags = 0;
	h->skipped = b->skipped;
	size_t len = sizeof *h + b->n * h->stride;
	memcpy(out, b->payload, len);
	b->n = 0;
	b->skipped = 0;
	b->batches++;
	return len;
}
