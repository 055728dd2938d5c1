/*
 * fuzz_sensor.c - libFuzzer target for the sensors' frame decoder
 * (lib/sensor_frame.c). The input is a byte stream for both models at once,
 * each byte's arrival time stepped by the input itself (a byte's high bit
 * set adds a pause past the gap), so cuts, garbage, bad checksums and
 * resynchronisation mix. Properties: a good frame's values are 16-bit, the
 * counters account for the bytes (every frame, bad or truncated, took at
 * least one byte; garbage never exceeds the bytes), the prefix in progress
 * is shorter than a frame, and feeding a good frame's bytes again alone
 * decodes the same values.
 */
#include <string.h>

#include "fuzz.h"
#include "lib/sensor_frame.h"

static void check(const struct sensor_decoder *d)
{
	FUZZ_ASSERT(d->len < d->m->frame_len);
	FUZZ_ASSERT(d->garbage <= d->bytes);
	FUZZ_ASSERT(d->frames * d->m->frame_len <= d->bytes + (d->bad_checksum + 1) * d->m->frame_len);
	FUZZ_ASSERT(d->frames + d->bad_checksum + d->truncated <= d->bytes);
}

static void run(unsigned model, const uint8_t *data, size_t size)
{
	struct sensor_decoder d, again;
	int32_t v[OPTIOS_SENSOR_VALUES_MAX], w[OPTIOS_SENSOR_VALUES_MAX];
	const struct sensor_model_info *m = sensor_model(model);
	uint64_t t = 0;
	sensor_decoder_init(&d, m, 5000000);
	for (size_t i = 0; i < size; i++) {
		t += (i % 7 == 6 && (data[i] & 0x80)) ? 10000000 : 1000;
		if (sensor_decoder_feed(&d, data[i], t, v)) {
			for (unsigned k = 0; k < m->nvalues; k++)
				FUZZ_ASSERT(v[k] >= 0 && v[k] <= 0xFFFF);
			/* the frame is the last frame_len bytes fed */
			FUZZ_ASSERT(i + 1 >= m->frame_len);
			sensor_decoder_init(&again, m, 0);
			int good = 0;
			for (size_t j = i + 1 - m->frame_len; j <= i; j++)
				good += sensor_decoder_feed(&again, data[j], 0, w);
			FUZZ_ASSERT(good == 1 && memcmp(v, w, m->nvalues * sizeof v[0]) == 0);
		}
		check(&d);
	}
	sensor_decoder_cut(&d);
	FUZZ_ASSERT(d.len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(OPTIOS_SENSOR_MHZ19B, data, size);
	run(OPTIOS_SENSOR_PMS5003, data, size);
	return 0;
}
