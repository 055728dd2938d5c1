/*
 * date.c - calendar arithmetic without tables: the day count of a date is
 * counted in 400-year eras from 0000-03-01 (March first, so the leap day
 * ends a year), then shifted to 1970-01-01.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "lib/date.h"

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool date_valid(const struct date *d)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d->year < 1970 || d->year > 9999 || d->month < 1 || d->month > 12 || d->day < 1)
		return false;
	unsigned max = days[d->month - 1] + (d->month == 2 && leap(d->year));
	return d->day <= max && d->hour < 24 && d->min < 60 && d->sec <= 60;
}

uint64_t date_to_unix(const struct date *d)
{
	uint64_t y = d->year - (d->month <= 2);
	uint64_t era = y / 400, yoe = y - era * 400;
	uint64_t doy = (153 * (d->month > 2 ? d->month - 3 : d->month + 9) + 2) / 5 + d->day - 1;
	uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	uint64_t days = era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
	return days * 86400 + d->hour * 3600 + d->min * 60 + d->sec;
}
