/*
 * sensor_frame.h - the serial sensors' frame formats, as pure functions:
 * the models' descriptions, the MH-Z19B read command, and one byte-at-a-time
 * stream decoder for both models' frames. No kernel, no allocation: the
 * kernel feeds it from the UART's interrupt, the host tests and the fuzz
 * target from buffers.
 *
 * Formats (from the datasheets; docs/SENSORS.md):
 *   MH-Z19B  command  FF 01 86 00 00 00 00 00 79   (read CO2)
 *            answer   FF 86 HH LL xx xx xx xx CS    CO2 = HH*256+LL ppm
 *            CS = 0x100 - (sum of bytes 1..7), mod 256
 *   PMS5003  42 4D 00 1C, 13 big-endian words, CH CL   (32 bytes)
 *            words 1-3: PM1.0/2.5/10 CF=1, 4-6: atmospheric (ug/m3)
 *            CH CL = sum of bytes 0..29, 16 bits
 *
 * Decoder invariants: 0 <= len < frame length of its model; buf[0..len) is
 * a prefix of a frame whose header bytes seen so far are right (start bytes;
 * for PMS5003 the length 0x001C). Counters only grow. Every byte fed ends in
 * exactly one place: part of a good frame, of a bad-checksum frame, of a
 * truncated frame, or counted as garbage - except bytes of a failed frame
 * that are fed again to find a start inside it (counted once, as the frame).
 */
#ifndef LIB_SENSOR_FRAME_H
#define LIB_SENSOR_FRAME_H

#include <optios/abi/sensor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SENSOR_FRAME_MAX 32
#define MHZ19B_FRAME_LEN 9
#define PMS5003_FRAME_LEN 32

struct sensor_model_info {
	const char *name; /* "mhz19b", "pms5003": sensors.conf's model */
	uint8_t model; /* OPTIOS_SENSOR_* */
	uint8_t nvalues, unit;
	int8_t scale;
	uint8_t frame_len;
	bool polled; /* answers a command (else streams) */
};

/* The description of model, or NULL if unknown. */
const struct sensor_model_info *sensor_model(unsigned model);
/* The model named name[0..len), or NULL. */
const struct sensor_model_info *sensor_model_find(const char *name, size_t len);

/* MH-Z19B: the "read CO2" command into out[9]. */
void mhz19b_command_read(uint8_t out[MHZ19B_FRAME_LEN]);
/* MH-Z19B's checksum of a 9-byte frame (over bytes 1..7). */
uint8_t mhz19b_checksum(const uint8_t *frame);
/* PMS5003's check code of a 32-byte frame (sum of bytes 0..29). */
uint16_t pms5003_checksum(const uint8_t *frame);

struct sensor_decoder {
	const struct sensor_model_info *m;
	uint8_t len; /* bytes of the frame so far */
	uint8_t refed; /* of them, leading bytes fed again after a bad frame (counted with it) */
	uint8_t buf[SENSOR_FRAME_MAX];
	uint64_t gap_ns; /* a pause longer than this inside a frame cuts it (0: never) */
	uint64_t last_byte_ns; /* time of the last byte fed */
	/* counters, only growing */
	uint64_t bytes, frames, bad_checksum, truncated, garbage;
};

/* Sets d up for model (sensor_model(model) must not be NULL). */
void sensor_decoder_init(struct sensor_decoder *d, const struct sensor_model_info *m, uint64_t gap_ns);
/* Feeds one byte received at now_ns. Returns true when it completes a good
 * frame; its m->nvalues values are then in values[]. */
bool sensor_decoder_feed(struct sensor_decoder *d, uint8_t byte, uint64_t now_ns, int32_t *values);
/* The line went quiet: a frame in progress is truncated. */
void sensor_decoder_cut(struct sensor_decoder *d);

#endif
