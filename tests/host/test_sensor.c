/* test_sensor.c - kernel/sensor's host-buildable parts: a client's batch
 * (batch.c: period, rate cap, latency, full batches, the payload's header)
 * and the sensors.conf parser (conf.c: every option, every error). */
#include <string.h>

#include "kernel/sensor/sensor_internal.h"
#include "unit.h"

#define MS 1000000ull

static const struct optios_sensor_batch *hdr(const uint8_t *p)
{
	return (const struct optios_sensor_batch *)p;
}

TEST(sensor_batch_unbatched_one_sample_an_event)
{
	struct sensor_batch b;
	uint8_t out[OPTIOS_EVENT_PAYLOAD_MAX];
	int32_t v[1] = {812};
	sensor_batch_init(&b, sensor_model(OPTIOS_SENSOR_MHZ19B), 0, 5 * MS, 0);
	CHECK_EQ(sensor_batch_add(&b, 1, 100 * MS, v), SENSOR_BATCH_READY);
	CHECK_EQ(sensor_batch_take(&b, out), 16 + 16);
	CHECK_EQ(hdr(out)->version, 1);
	CHECK_EQ(hdr(out)->nsamples, 1);
	CHECK_EQ(hdr(out)->unit, OPTIOS_SENSOR_UNIT_PPM);
	CHECK_EQ(hdr(out)->stride, 16);
	CHECK_EQ(hdr(out)->first_sample, 1);
	struct optios_event ev = {.payload_len = 32};
	memcpy(ev.payload, out, 32);
	const struct optios_sensor_batch *p = optios_sensor_batch_of(&ev);
	CHECK(p != NULL);
	CHECK_EQ(optios_sensor_sample_at(p, 0)->time_ns, 100 * MS);
	CHECK_EQ(optios_sensor_sample_at(p, 0)->value[0], 812);
	ev.payload_len = 31; /* a sample cut short: not a batch */
	CHECK(optios_sensor_batch_of(&ev) == NULL);
	CHECK_EQ(sensor_batch_take(&b, out), 0);
}

TEST(sensor_batch_rate_cap_skips_and_counts)
{
	struct sensor_batch b;
	uint8_t out[OPTIOS_EVENT_PAYLOAD_MAX];
	int32_t v[1] = {1};
	int ready = 0;
	sensor_batch_init(&b, sensor_model(OPTIOS_SENSOR_MHZ19B), 0, 5 * MS, 0); /* 200 Hz */
	for (uint32_t i = 0; i < 1000; i++) /* 1 kHz for a second */
		ready += sensor_batch_add(&b, i + 1, i * MS, v) == SENSOR_BATCH_READY &&
			 sensor_batch_take(&b, out);
	CHECK_EQ(ready, 200);
	CHECK_EQ(b.taken + b.skipped_total, 1000);
	CHECK_EQ(hdr(out)->skipped, 4); /* the four between the last two taken */
}

TEST(sensor_batch_period_with_jitter)
{
	struct sensor_batch b;
	int32_t v[1] = {1};
	uint8_t out[OPTIOS_EVENT_PAYLOAD_MAX];
	sensor_batch_init(&b, sensor_model(OPTIOS_SENSOR_MHZ19B), 1000 * MS, 5 * MS, 0);
	CHECK_EQ(sensor_batch_add(&b, 1, 1000 * MS, v), SENSOR_BATCH_READY);
	sensor_batch_take(&b, out);
	/* a device ticking at 1 Hz, a little early: still every sample */
	CHECK_EQ(sensor_batch_add(&b, 2, 1990 * MS, v), SENSOR_BATCH_READY);
	sensor_batch_take(&b, out);
	/* half a period: skipped */
	CHECK_EQ(sensor_batch_add(&b, 3, 2490 * MS, v), SENSOR_BATCH_SKIPPED);
	CHECK_EQ(sensor_batch_add(&b, 4, 2990 * MS, v), SENSOR_BATCH_READY);
	CHECK_EQ(sensor_batch_take(&b, out), 32);
	CHECK_EQ(hdr(out)->skipped, 1);
	CHECK_EQ(hdr(out)->first_sample, 4);
}

TEST(sensor_batch_latency_and_full)
{
	struct sensor_batch b;
	uint8_t out[OPTIOS_EVENT_PAYLOAD_MAX];
	sensor_batch_init(&b, sensor_model(OPTIOS_SENSOR_PMS5003), 0, 5 * MS, 10000 * MS);
	CHECK_EQ(sensor_batch_due(&b), SENSOR_NEVER);
	for (uint32_t i = 0; i < 7; i++) {
		int32_t v[6] = {(int32_t)i, 1, 2, 3, 4, 5};
		int r = sensor_batch_add(&b, i + 1, (i + 1) * 100 * MS, v);
		CHECK_EQ(r, i < 6 ? SENSOR_BATCH_HELD : SENSOR_BATCH_READY);
		CHECK_EQ(sensor_batch_due(&b), 100 * MS + 10000 * MS);
	}
	CHECK_EQ(sensor_batch_take(&b, out), 16 + 7 * 32);
	CHECK_EQ(hdr(out)->nsamples, 7);
	CHECK_EQ(hdr(out)->nvalues, 6);
	CHECK_EQ(optios_sensor_sample_at(hdr(out), 6)->value[0], 6);
	CHECK_EQ(optios_sensor_sample_at(hdr(out), 6)->time_ns, 700 * MS);
	CHECK_EQ(sensor_batch_due(&b), SENSOR_NEVER);
	CHECK_EQ(b.batches, 1);
}

static char reports[4][192];
static int nreports;

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	if (nreports < 4)
		strcpy(reports[nreports], msg);
	nreports++;
}

static size_t parse(const char *text, struct sensor_spec *s, size_t max)
{
	nreports = 0;
	memset(reports, 0, sizeof reports);
	return sensor_conf_parse(text, strlen(text), s, max, report, NULL);
}

TEST(sensor_conf_parses_devices_and_defaults)
{
	struct sensor_spec s[4];
	CHECK_EQ(parse("# sensors\n\nco2 port=COM2 model=mhz19b period=5s\n"
		       "dust\tport=COM3 model=pms5003 baud=115200 silence=500ms fifo=14 # a comment\n",
		       s, 4),
		 2);
	CHECK_EQ(nreports, 0);
	CHECK_STR(s[0].name, "co2");
	CHECK_STR(s[0].port, "COM2");
	CHECK_EQ(s[0].m->model, OPTIOS_SENSOR_MHZ19B);
	CHECK_EQ(s[0].baud, 9600);
	CHECK_EQ(s[0].fifo, 1);
	CHECK_EQ(s[0].period_ns, 5000 * MS);
	CHECK_EQ(s[0].silence_ns, 15000 * MS);
	CHECK_EQ(s[1].baud, 115200);
	CHECK_EQ(s[1].fifo, 14);
	CHECK_EQ(s[1].period_ns, 2000 * MS);
	CHECK_EQ(s[1].silence_ns, 500 * MS);
}

TEST(sensor_conf_bad_lines_reported_and_skipped)
{
	struct sensor_spec s[2];
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{"co2 port=COM2\n", "sensors.conf:1: co2: needs port= and model="},
		{"co2 port=COM2 model=mhz19c\n", "sensors.conf:1: unknown model 'mhz19c' (mhz19b, pms5003)"},
		{"co2 port=LPT1 model=mhz19b\n", "sensors.conf:1: bad port 'LPT1' (COM2, COM3, COM4)"},
		{"co2 port=COM2 model=mhz19b baud=9601\n",
		 "sensors.conf:1: bad baud '9601' (1200 to 115200, dividing 115200)"},
		{"co2 port=COM2 model=mhz19b period=5\n", "sensors.conf:1: bad period '5' (1ms to 3600s)"},
		{"co2 port=COM2 model=mhz19b period=0ms\n",
		 "sensors.conf:1: bad period '0ms' (1ms to 3600s)"},
		{"co2 port=COM2 model=mhz19b fifo=2\n", "sensors.conf:1: bad fifo '2' (1, 4, 8 or 14)"},
		{"co2 port=COM2 model=mhz19b speed=1\n",
		 "sensors.conf:1: unknown option 'speed' (port, model, period, baud, silence, fifo)"},
		{"co2 port=COM2 model\n", "sensors.conf:1: 'model' is not KEY=VALUE"},
		{"CO2 port=COM2 model=mhz19b\n",
		 "sensors.conf:1: bad name 'CO2' (1-23 chars of a-z 0-9 _ -)"},
		{"a port=COM2 model=mhz19b\nb port=COM2 model=pms5003\n",
		 "sensors.conf:2: b: port COM2 is taken by 'a'"},
		{"a port=COM2 model=mhz19b\na port=COM3 model=pms5003\n",
		 "sensors.conf:2: sensor 'a' named twice"},
		{"a port=COM2 model=mhz19b\nb port=COM3 model=mhz19b\nc port=COM4 model=mhz19b\n",
		 "sensors.conf:3: more than 2 sensors"},
		{"a port=COM2 model=mhz19b\x01\n", "sensors.conf:1: control character"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = parse(cases[i].line, s, 2);
		CHECK_EQ(nreports, 1);
		CHECK_STR(reports[0], cases[i].msg);
		CHECK(n <= 2);
	}
	CHECK_EQ(parse("a port=COM2 model=mhz19b\nb port=COM2 model=pms5003\nc port=COM3 model=pms5003\n", s,
		       2),
		 2);
	CHECK_STR(s[1].name, "c"); /* the bad line skipped, the next one stands */
}
