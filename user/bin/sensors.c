/*
 * sensors - the sensor devices (optios_sensor_list): one block per device
 * with its state, last reading and when it was taken, the frame rate, and
 * the counters (docs/SENSORS.md).
 */
#include <optios.h>
#include <stdio.h>
#include <time.h>

static const char *model_name(unsigned m)
{
	return m == OPTIOS_SENSOR_MHZ19B ? "mhz19b" : m == OPTIOS_SENSOR_PMS5003 ? "pms5003" : "?";
}

static const char *state_name(unsigned s)
{
	static const char *const names[] = {"idle", "active", "silent", "no port"};
	return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static const char *unit_name(unsigned u)
{
	return u == OPTIOS_SENSOR_UNIT_PPM ? "ppm" : u == OPTIOS_SENSOR_UNIT_UG_M3 ? "ug/m3" : "";
}

static void show(const struct optios_sensor_info *s, uint64_t now_ns)
{
	printf("%s: %s on %s %u baud, period %llu ms, %s, %u subscriber%s\n", s->name, model_name(s->model),
	       s->port, s->baud, (unsigned long long)(s->period_ns / 1000000), state_name(s->state),
	       s->subscribers, s->subscribers == 1 ? "" : "s");
	if (s->samples) {
		printf("  last:");
		for (unsigned i = 0; i < s->nvalues && i < OPTIOS_SENSOR_VALUES_MAX; i++)
			printf(" %d", s->last[i]);
		printf(" %s at %llu.%06llu s (%llu ms ago)\n", unit_name(s->unit),
		       (unsigned long long)(s->last_time_ns / 1000000000),
		       (unsigned long long)(s->last_time_ns % 1000000000 / 1000),
		       (unsigned long long)((now_ns - s->last_time_ns) / 1000000));
	}
	printf("  samples %llu  rate %llu.%03llu/s  delivered %llu  rate-limited %llu\n",
	       (unsigned long long)s->samples, (unsigned long long)(s->rate_millihz / 1000),
	       (unsigned long long)(s->rate_millihz % 1000), (unsigned long long)s->delivered,
	       (unsigned long long)s->ratelimited);
	printf("  bytes %llu  bad-checksum %llu  truncated %llu  garbage %llu  overruns %llu\n",
	       (unsigned long long)s->rx_bytes, (unsigned long long)s->bad_checksum,
	       (unsigned long long)s->truncated, (unsigned long long)s->garbage,
	       (unsigned long long)s->overruns);
	printf("  polls %llu  timeouts %llu  silences %llu\n", (unsigned long long)s->polls,
	       (unsigned long long)s->timeouts, (unsigned long long)s->silences);
}

int main(void)
{
	struct optios_sensor_info s[16];
	struct timespec ts;
	long n = optios_sensor_list(s, 16);
	if (n < 0) {
		perror("sensors");
		return 1;
	}
	if (n == 0) {
		printf("no sensors (/etc/sensors.conf)\n");
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (long i = 0; i < n && i < 16; i++)
		show(&s[i], now);
	return 0;
}
