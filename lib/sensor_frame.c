/*
 * sensor_frame.c - the serial sensors' frames (formats and the decoder's
 * invariants in sensor_frame.h).
 *
 * The decoder is a prefix matcher: a byte either extends the frame in
 * progress (its header bytes must match the model's fixed ones) or, when it
 * breaks the header, the prefix so far is garbage and the byte is tried as a
 * new start. A full frame is checked; a bad one is counted and its bytes
 * after the first are fed again, uncounted, so a start lost inside it (a
 * frame whose first bytes were dropped) is found without waiting for the
 * next. A pause longer than gap_ns inside a frame cuts it: truncated.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "sensor_frame.h"

#include "lib.h"

static const struct sensor_model_info models[] = {
	{"mhz19b", OPTIOS_SENSOR_MHZ19B, 1, OPTIOS_SENSOR_UNIT_PPM, 0, MHZ19B_FRAME_LEN, true},
	{"pms5003", OPTIOS_SENSOR_PMS5003, 6, OPTIOS_SENSOR_UNIT_UG_M3, 0, PMS5003_FRAME_LEN, false},
};

static const uint8_t mhz19b_header[] = {0xFF, 0x86};
static const uint8_t pms5003_header[] = {0x42, 0x4D, 0x00, 0x1C}; /* length 28: 13 words + check */

const struct sensor_model_info *sensor_model(unsigned model)
{
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		if (models[i].model == model)
			return &models[i];
	return NULL;
}

const struct sensor_model_info *sensor_model_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		if (strlen(models[i].name) == len && memcmp(models[i].name, name, len) == 0)
			return &models[i];
	return NULL;
}

void mhz19b_command_read(uint8_t out[MHZ19B_FRAME_LEN])
{
	static const uint8_t cmd[MHZ19B_FRAME_LEN] = {0xFF, 0x01, 0x86, 0, 0, 0, 0, 0, 0x79};
	memcpy(out, cmd, sizeof cmd);
}

uint8_t mhz19b_checksum(const uint8_t *frame)
{
	uint8_t sum = 0;
	for (int i = 1; i < 8; i++)
		sum = (uint8_t)(sum + frame[i]);
	return (uint8_t)(0x100 - sum);
}

uint16_t pms5003_checksum(const uint8_t *frame)
{
	uint16_t sum = 0;
	for (int i = 0; i < PMS5003_FRAME_LEN - 2; i++)
		sum = (uint16_t)(sum + frame[i]);
	return sum;
}

void sensor_decoder_init(struct sensor_decoder *d, const struct sensor_model_info *m, uint64_t gap_ns)
{
	memset(d, 0, sizeof *d);
	d->m = m;
	d->gap_ns = gap_ns;
}

/* Does b fit at position pos of a frame (the fixed header bytes)? */
static bool header_fits(const struct sensor_decoder *d, uint8_t b, size_t pos)
{
	if (d->m->model == OPTIOS_SENSOR_MHZ19B)
		return pos >= sizeof mhz19b_header || b == mhz19b_header[pos];
	return pos >= sizeof pms5003_header || b == pms5003_header[pos];
}

/* A complete frame in buf: true with its values if the checksum holds. */
static bool frame_good(const struct sensor_decoder *d, int32_t *values)
{
	const uint8_t *f = d->buf;
	if (d->m->model == OPTIOS_SENSOR_MHZ19B) {
		if (f[8] != mhz19b_checksum(f))
			return false;
		values[0] = f[2] << 8 | f[3];
		return true;
	}
	if ((uint16_t)(f[30] << 8 | f[31]) != pms5003_checksum(f))
		return false;
	for (int i = 0; i < 6; i++)
		values[i] = f[4 + 2 * i] << 8 | f[5 + 2 * i];
	return true;
}

static bool take(struct sensor_decoder *d, uint8_t b, int32_t *values, bool count);

/* After a bad frame: its bytes after the first again, uncounted (fewer than
 * a frame: they cannot complete one). */
static void resync(struct sensor_decoder *d)
{
	uint8_t old[SENSOR_FRAME_MAX];
	size_t n = d->m->frame_len;
	memcpy(old, d->buf, n);
	int32_t scratch[OPTIOS_SENSOR_VALUES_MAX];
	d->len = 0;
	for (size_t i = 1; i < n; i++)
		take(d, old[i], scratch, false);
	d->refed = d->len;
}

/* Puts b into the frame in progress; count: garbage is counted (not when
 * refeeding a counted frame's bytes). True when a good frame completed. */
static bool take(struct sensor_decoder *d, uint8_t b, int32_t *values, bool count)
{
	if (!header_fits(d, b, d->len)) {
		/* the prefix was no frame; b may start one (a header prefix
		 * holds no start byte after its first, so none is lost) */
		if (count)
			d->garbage += d->len - MIN(d->len, d->refed);
		d->len = 0;
		d->refed = 0;
		if (!header_fits(d, b, 0)) {
			d->garbage += count;
			return false;
		}
	}
	d->buf[d->len++] = b;
	if (d->len < d->m->frame_len)
		return false;
	d->len = 0;
	d->refed = 0;
	if (frame_good(d, values)) {
		d->frames++;
		return true;
	}
	d->bad_checksum++;
	resync(d);
	return false;
}

bool sensor_decoder_feed(struct sensor_decoder *d, uint8_t byte, uint64_t now_ns, int32_t *values)
{
	d->bytes++;
	if (d->len && d->gap_ns && now_ns - d->last_byte_ns > d->gap_ns)
		sensor_decoder_cut(d);
	d->last_byte_ns = now_ns;
	return take(d, byte, values, true);
}

void sensor_decoder_cut(struct sensor_decoder *d)
{
	if (d->len) {
		d->truncated++;
		d->len = 0;
		d->refed = 0;
	}
}
