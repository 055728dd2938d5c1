/* test_airwatch.c - airwatch's logic (apps/airwatch/air.c): moving averages,
 * alarms with hysteresis, what a sensor batch measures, scaling. */
#include <string.h>

#include "apps/airwatch/air.h"
#include "unit.h"

TEST(airwatch_moving_average_over_the_last_window)
{
	struct air_avg a;
	memset(&a, 0, sizeof a);
	CHECK_EQ(air_avg_value(&a), 0);
	air_avg_add(&a, 400);
	CHECK_EQ(air_avg_value(&a), 400);
	air_avg_add(&a, 401);
	CHECK_EQ(air_avg_value(&a), 401); /* 400.5 rounds to nearest, up */
	for (int i = 0; i < AIR_WINDOW; i++)
		air_avg_add(&a, 1000);
	CHECK_EQ(a.n, AIR_WINDOW);
	CHECK_EQ(air_avg_value(&a), 1000); /* the first two pushed out */
	air_avg_add(&a, 1000 + AIR_WINDOW * 10);
	CHECK_EQ(air_avg_value(&a), 1010);
	int64_t sum = 0;
	for (int i = 0; i < AIR_WINDOW; i++)
		sum += a.v[i];
	CHECK_EQ(sum, a.sum);
	memset(&a, 0, sizeof a);
	air_avg_add(&a, -3);
	air_avg_add(&a, -4);
	CHECK_EQ(air_avg_value(&a), -4); /* -3.5: away from zero, as +3.5 */
}

TEST(airwatch_alarm_changes_once_per_crossing_with_hysteresis)
{
	struct air_alarm al = {.high = 1400, .low = 1200};
	CHECK_EQ(air_alarm_update(&al, 1400), AIR_SAME); /* at the threshold: not above */
	CHECK_EQ(air_alarm_update(&al, 1401), AIR_WENT_BAD);
	CHECK(al.bad);
	/* hovering around the threshold: no new emission */
	int32_t hover[] = {1399, 1450, 1300, 1401, 1200, 1500};
	for (size_t i = 0; i < sizeof hover / sizeof hover[0]; i++)
		CHECK_EQ(air_alarm_update(&al, hover[i]), AIR_SAME);
	CHECK_EQ(air_alarm_update(&al, 1199), AIR_WENT_GOOD);
	CHECK(!al.bad);
	CHECK_EQ(air_alarm_update(&al, 1399), AIR_SAME);
	CHECK_EQ(air_alarm_update(&al, 5000), AIR_WENT_BAD);
}

/* A CO2 ramp through the moving average: one app:air.bad on the way up, one
 * good on the way down, however the samples jitter. */
TEST(airwatch_ramp_through_the_average_changes_twice)
{
	struct air_avg a;
	memset(&a, 0, sizeof a);
	struct air_alarm al = {.high = air_quantities[AIR_CO2].high, .low = air_quantities[AIR_CO2].low};
	int bad = 0, good = 0;
	for (int i = 0; i < 200; i++) {
		int32_t base = i < 100 ? 600 + i * 15 : 2100 - (i - 100) * 15;
		air_avg_add(&a, base + (i % 2 ? 30 : -30));
		enum air_change c = air_alarm_update(&al, air_avg_value(&a));
		bad += c == AIR_WENT_BAD;
		good += c == AIR_WENT_GOOD;
	}
	CHECK_EQ(bad, 1);
	CHECK_EQ(good, 1);
}

TEST(airwatch_quantity_of_a_batch_by_model)
{
	struct optios_sensor_batch b = {.version = 1, .model = OPTIOS_SENSOR_MHZ19B, .nvalues = 1};
	enum air_quantity q;
	unsigned ch;
	CHECK_EQ(air_quantity_of(&b, &q, &ch), 0);
	CHECK(q == AIR_CO2 && ch == 0);
	b.model = OPTIOS_SENSOR_PMS5003, b.nvalues = 6;
	CHECK_EQ(air_quantity_of(&b, &q, &ch), 0);
	CHECK(q == AIR_PM25 && ch == 4);
	b.nvalues = 4; /* too few channels for PM2.5 (atmospheric) */
	CHECK_EQ(air_quantity_of(&b, &q, &ch), -1);
	b.model = 77, b.nvalues = 1;
	CHECK_EQ(air_quantity_of(&b, &q, &ch), -1);
}

TEST(airwatch_scaled_rounds_once_and_saturates)
{
	CHECK_EQ(air_scaled(812, 0), 812);
	CHECK_EQ(air_scaled(81, 1), 810);
	CHECK_EQ(air_scaled(149, -2), 1); /* 1.49: one rounding, not 1.5 then 2 */
	CHECK_EQ(air_scaled(150, -2), 2);
	CHECK_EQ(air_scaled(-150, -2), -2);
	CHECK_EQ(air_scaled(2000000000, 1), INT32_MAX);
	CHECK_EQ(air_scaled(-2000000000, 3), INT32_MIN);
	CHECK_EQ(air_scaled(5, -12), 0);
}
