/*
 * air.c - moving averages, alarms with hysteresis, what a batch measures
 * (plain C: the handler apps/airwatch.c and the host unit tests).
 */
#include "air.h"

/* Thresholds. Changing one is a change of airwatch's code: bump the version
 * in apps/airwatch.manifest, and `handler add` resets its averages.
 * CO2: above 1400 ppm indoor air is poor (Germany's UBA calls 1000-2000
 * ppm "hygienically conspicuous"); good again below 1200. PM2.5: above 35
 * ug/m3 the US AQI says "unhealthy for sensitive groups"; good below 25. */
const struct air_quantity_info air_quantities[AIR_QUANTITIES] = {
	[AIR_CO2] = {"co2", "ppm", 1400, 1200},
	[AIR_PM25] = {"pm2.5", "ug/m3", 35, 25},
};

void air_avg_add(struct air_avg *a, int32_t v)
{
	if (a->n == AIR_WINDOW) {
		a->sum -= a->v[a->next];
		a->v[a->next] = v;
		a->next = (a->next + 1) % AIR_WINDOW;
	} else {
		a->v[a->n++] = v;
	}
	a->sum += v;
}

int32_t air_avg_value(const struct air_avg *a)
{
	if (a->n == 0)
		return 0;
	int64_t n = a->n, half = n / 2;
	return (int32_t)(a->sum >= 0 ? (a->sum + half) / n : -((-a->sum + half) / n));
}

enum air_change air_alarm_update(struct air_alarm *al, int32_t avg)
{
	if (!al->bad && avg > al->high) {
		al->bad = true;
		return AIR_WENT_BAD;
	}
	if (al->bad && avg < al->low) {
		al->bad = false;
		return AIR_WENT_GOOD;
	}
	return AIR_SAME;
}

int air_quantity_of(const struct optios_sensor_batch *b, enum air_quantity *q, unsigned *channel)
{
	if (b->model == OPTIOS_SENSOR_MHZ19B && b->nvalues >= 1) {
		*q = AIR_CO2, *channel = 0;
		return 0;
	}
	if (b->model == OPTIOS_SENSOR_PMS5003 && b->nvalues >= 5) {
		*q = AIR_PM25, *channel = 4;
		return 0;
	}
	return -1;
}

int32_t air_scaled(int32_t v, int scale)
{
	int64_t x = v;
	for (; scale > 0; scale--) {
		x *= 10;
		if (x > INT32_MAX || x < INT32_MIN)
			return x > 0 ? INT32_MAX : INT32_MIN;
	}
	int64_t d = 1; /* one rounding, by 10^-scale */
	for (; scale < 0 && d < 10000000000; scale++)
		d *= 10;
	return (int32_t)(x >= 0 ? (x + d / 2) / d : -((-x + d / 2) / d));
}
