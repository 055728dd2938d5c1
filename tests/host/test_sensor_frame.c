/* test_sensor_frame.c - the sensors' frame decoder (lib/sensor_frame.c):
 * good frames of both models, every kind of bad one counted and never
 * delivered, resynchronisation. Frames built as the emulators build them. */
#include <string.h>

#include "lib/sensor_frame.h"
#include "unit.h"

static void mhz_frame(uint8_t f[9], unsigned ppm)
{
	uint8_t t[9] = {0xFF, 0x86, (uint8_t)(ppm >> 8), (uint8_t)ppm, 0x47, 0, 0, 0, 0};
	t[8] = mhz19b_checksum(t);
	memcpy(f, t, 9);
}

static void pms_frame(uint8_t f[32], const unsigned pm[6])
{
	memset(f, 0, 32);
	f[0] = 0x42, f[1] = 0x4D, f[2] = 0, f[3] = 28;
	for (int i = 0; i < 6; i++)
		f[4 + 2 * i] = (uint8_t)(pm[i] >> 8), f[5 + 2 * i] = (uint8_t)pm[i];
	f[16] = 0x42, f[17] = 0x4D; /* a particle count that looks like a start */
	uint16_t c = pms5003_checksum(f);
	f[30] = (uint8_t)(c >> 8), f[31] = (uint8_t)c;
}

/* Feeds n bytes 1 ms apart from *t; returns good frames, last values in v. */
static int feed(struct sensor_decoder *d, const uint8_t *b, size_t n, uint64_t *t, int32_t *v)
{
	int good = 0;
	for (size_t i = 0; i < n; i++, *t += 1000000)
		good += sensor_decoder_feed(d, b[i], *t, v);
	return good;
}

TEST(sensor_mhz19b_command_is_the_datasheets)
{
	uint8_t c[9];
	static const uint8_t want[9] = {0xFF, 0x01, 0x86, 0, 0, 0, 0, 0, 0x79};
	mhz19b_command_read(c);
	CHECK(memcmp(c, want, 9) == 0);
	CHECK_EQ(mhz19b_checksum(c), 0x79);
}

TEST(sensor_mhz19b_answer_decodes)
{
	struct sensor_decoder d;
	uint8_t f[9];
	int32_t v[6];
	uint64_t t = 1;
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_MHZ19B), 0);
	mhz_frame(f, 1234);
	CHECK_EQ(feed(&d, f, 9, &t, v), 1);
	CHECK_EQ(v[0], 1234);
	CHECK_EQ(d.frames, 1);
	CHECK_EQ(d.garbage + d.bad_checksum + d.truncated, 0);
}

TEST(sensor_pms5003_frame_decodes_six_values)
{
	struct sensor_decoder d;
	uint8_t f[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned pm[6] = {5, 12, 20, 4, 11, 65535};
	sensor_decoder_init(&d, sensor_model_find("pms5003", 7), 0);
	pms_frame(f, pm);
	CHECK_EQ(feed(&d, f, 32, &t, v), 1);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(v[i], pm[i]);
	CHECK_EQ(feed(&d, f, 32, &t, v), 1);
	CHECK_EQ(d.frames, 2);
	CHECK_EQ(d.bytes, 64);
}

TEST(sensor_bad_checksum_counted_never_delivered)
{
	struct sensor_decoder d;
	uint8_t f[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned pm[6] = {1, 2, 3, 4, 5, 6};
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_PMS5003), 0);
	pms_frame(f, pm);
	f[31] ^= 1;
	CHECK_EQ(feed(&d, f, 32, &t, v), 0);
	CHECK_EQ(d.bad_checksum, 1);
	/* the fake start at byte 16 was tried and is a prefix now; a good
	 * frame after it is still found (its start breaks that prefix) */
	f[31] ^= 1;
	CHECK_EQ(feed(&d, f, 32, &t, v), 1);
	CHECK_EQ(d.frames, 1);
	CHECK_EQ(v[1], 2);
}

TEST(sensor_garbage_between_frames_counted_by_byte)
{
	struct sensor_decoder d;
	uint8_t f[9], junk[5] = {0x00, 0x12, 0xFF, 0x01, 0x86}; /* FF 01: a command echo, not an answer */
	int32_t v[6];
	uint64_t t = 1;
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_MHZ19B), 0);
	mhz_frame(f, 400);
	CHECK_EQ(feed(&d, junk, 5, &t, v), 0);
	CHECK_EQ(d.garbage, 5);
	CHECK_EQ(feed(&d, f, 9, &t, v), 1);
	CHECK_EQ(v[0], 400);
	CHECK_EQ(d.garbage, 5);
}

TEST(sensor_frame_cut_by_a_pause_is_truncated)
{
	struct sensor_decoder d;
	uint8_t f[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned pm[6] = {7, 8, 9, 10, 11, 12};
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_PMS5003), 50000000); /* 50 ms */
	pms_frame(f, pm);
	CHECK_EQ(feed(&d, f, 20, &t, v), 0);
	t += 100000000; /* 100 ms of silence, then a whole frame */
	CHECK_EQ(feed(&d, f, 32, &t, v), 1);
	CHECK_EQ(d.truncated, 1);
	CHECK_EQ(d.bad_checksum, 0);
	CHECK_EQ(v[5], 12);
	CHECK_EQ(feed(&d, f, 3, &t, v), 0);
	sensor_decoder_cut(&d);
	CHECK_EQ(d.truncated, 2);
}

/* A frame missing its last two bytes and followed at once by a good one
 * (the Pimoroni forum's "30 bytes, not 32"): one bad frame, the good one
 * found inside the bytes already taken. */
TEST(sensor_frame_missing_bytes_resynchronises)
{
	struct sensor_decoder d;
	uint8_t f[32], g[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned a[6] = {1, 1, 1, 1, 1, 1}, b[6] = {2, 3, 4, 5, 6, 7};
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_PMS5003), 0);
	pms_frame(f, a);
	pms_frame(g, b);
	CHECK_EQ(feed(&d, f, 30, &t, v), 0);
	CHECK_EQ(feed(&d, g, 32, &t, v), 1);
	CHECK_EQ(d.bad_checksum, 1);
	CHECK_EQ(d.frames, 1);
	CHECK_EQ(v[0], 2);
	CHECK_EQ(v[5], 7);
}

TEST(sensor_pms5003_wrong_length_is_garbage)
{
	struct sensor_decoder d;
	uint8_t f[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned pm[6] = {1, 2, 3, 4, 5, 6};
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_PMS5003), 0);
	pms_frame(f, pm);
	f[3] = 20; /* a PMS3003-sized frame */
	CHECK_EQ(feed(&d, f, 32, &t, v), 0);
	CHECK_EQ(d.frames + d.bad_checksum, 0);
	CHECK(d.garbage >= 30); /* all but the fake start in the counts, whose prefix waits */
	CHECK_EQ(d.garbage + d.len, 32);
}

TEST(sensor_model_names)
{
	CHECK(sensor_model_find("mhz19b", 6) == sensor_model(OPTIOS_SENSOR_MHZ19B));
	CHECK(sensor_model_find("pms500", 6) == NULL);
	CHECK(sensor_model(0) == NULL);
	CHECK_EQ(OPTIOS_SENSOR_STRIDE(1), 16);
	CHECK_EQ(OPTIOS_SENSOR_STRIDE(6), 32);
	CHECK_EQ(OPTIOS_SENSOR_SAMPLES_MAX(1), 15);
	CHECK_EQ(OPTIOS_SENSOR_SAMPLES_MAX(6), 7);
}

/* A bad frame ending in a start byte leaves a prefix of bytes already
 * counted with it; a next frame breaking that prefix must not count them
 * again as garbage (exact counters: test_sensors' corrupt frames). */
TEST(sensor_bad_frame_bytes_not_counted_twice_as_garbage)
{
	struct sensor_decoder d;
	uint8_t f[32];
	int32_t v[6];
	uint64_t t = 1;
	const unsigned pm[6] = {1, 2, 3, 4, 5, 0x42};
	sensor_decoder_init(&d, sensor_model(OPTIOS_SENSOR_PMS5003), 0);
	pms_frame(f, pm);
	f[16] = f[17] = 0; /* no fake start */
	uint16_t c = pms5003_checksum(f);
	f[30] = (uint8_t)(c >> 8), f[31] = (uint8_t)(c + 1); /* bad */
	f[31] = 0x42;                                        /* ... and a start byte last */
	CHECK_EQ(feed(&d, f, 32, &t, v), 0);
	CHECK_EQ(d.bad_checksum, 1);
	CHECK_EQ(d.len, 1);
	uint8_t junk = 0x11;
	CHECK_EQ(feed(&d, &junk, 1, &t, v), 0);
	CHECK_EQ(d.garbage, 1); /* the junk byte only */
}
