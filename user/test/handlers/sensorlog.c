/*
 * sensorlog - prints every sensor event it gets into the event log, one line
 * per event and one per sample, for the system tests (tests/system/
 * test_sensors.py) to compare with what the emulators sent:
 *   "ev TOPIC seq=S time=T n=N first=F skipped=K unit=U scale=X"
 *   "s TOPIC #NO t=TIME v=V0,V1,..."
 * and "bad TOPIC len=L" for a payload that is not a batch. Sample numbers
 * are first + i (the samples of one event are consecutive unless skipped
 * counts otherwise: the numbers then only say the order).
 */
#include <inttypes.h>
#include <optios/handler.h>
#include <stdio.h>

void on_event(const struct optios_event *ev)
{
	const struct optios_sensor_batch *b = optios_sensor_batch_of(ev);
	if (!b) {
		printf("bad %s len=%u\n", ev->topic, ev->payload_len);
		return;
	}
	printf("ev %s seq=%" PRIu64 " time=%" PRIu64 " n=%u first=%u skipped=%u unit=%u scale=%d\n",
	       ev->topic, ev->seq, ev->time_ns, b->nsamples, b->first_sample, b->skipped, b->unit, b->scale);
	for (unsigned i = 0; i < b->nsamples; i++) {
		const struct optios_sensor_sample *s = optios_sensor_sample_at(b, i);
		char vals[80];
		int len = 0;
		for (unsigned k = 0; k < b->nvalues && len < (int)sizeof vals - 12; k++)
			len += snprintf(vals + len, sizeof vals - (size_t)len, k ? ",%d" : "%d", s->value[k]);
		printf("s %s #%u t=%" PRIu64 " v=%s\n", ev->topic, b->first_sample + i, s->time_ns, vals);
	}
	fflush(stdout);
}
