/* test_date.c - calendar dates to Unix time (the RTC's reading), checked
 * against known instants and against the host C library's timegm. */
#define _DEFAULT_SOURCE
#include <time.h>

#include "lib/date.h"
#include "unit.h"

TEST(date_known_instants)
{
	struct date epoch = {1970, 1, 1, 0, 0, 0}, y2k_leap = {2000, 2, 29, 12, 0, 0};
	struct date y2038 = {2038, 1, 19, 3, 14, 8};
	CHECK_EQ(date_to_unix(&epoch), 0);
	CHECK_EQ(date_to_unix(&y2k_leap), 951825600);
	CHECK_EQ(date_to_unix(&y2038), 2147483648ull);
}

TEST(date_matches_timegm_over_centuries)
{
	for (unsigned year = 1970; year < 2400; year += 7) {
		for (unsigned month = 1; month <= 12; month++) {
			struct date d = {year,
					 month,
					 month == 2 ? 28 + (year % 4 == 0 && year % 100) : 30 - (month == 4),
					 (year + month) % 24,
					 (year * 7) % 60,
					 month * 3 % 60};
			CHECK(date_valid(&d));
			struct tm tm = {.tm_year = (int)year - 1900,
					.tm_mon = (int)month - 1,
					.tm_mday = (int)d.day,
					.tm_hour = (int)d.hour,
					.tm_min = (int)d.min,
					.tm_sec = (int)d.sec};
			CHECK_EQ(date_to_unix(&d), (unsigned long long)timegm(&tm));
		}
	}
}

TEST(date_rejects_impossible_dates)
{
	struct date feb29_2000 = {2000, 2, 29, 0, 0, 0}; /* divisible by 400: leap */
	struct date feb29_2100 = {2100, 2, 29, 0, 0, 0}, apr31 = {2024, 4, 31, 0, 0, 0};
	struct date hour24 = {2024, 1, 1, 24, 0, 0}, month0 = {2024, 0, 1, 0, 0, 0},
		    before = {1969, 12, 31, 0, 0, 0};
	CHECK(date_valid(&feb29_2000));
	CHECK(!date_valid(&feb29_2100));
	CHECK(!date_valid(&apr31));
	CHECK(!date_valid(&hour24));
	CHECK(!date_valid(&month0));
	CHECK(!date_valid(&before));
}
