/*
 * date.h - calendar dates (proleptic Gregorian, UTC) to seconds since
 * 1970-01-01: what the CMOS real-time clock reports, as CLOCK_REALTIME wants it.
 */
#ifndef LIB_DATE_H
#define LIB_DATE_H

#include <stdbool.h>
#include <stdint.h>

struct date {
	unsigned year, month, day; /* 1970.., 1..12, 1..31 */
	unsigned hour, min, sec; /* 0..23, 0..59, 0..60 */
};

/* Whether every field is in range (the day within its month, leap years counted). */
bool date_valid(const struct date *d);
/* Seconds since 1970-01-01 00:00:00 UTC; d must be valid. */
uint64_t date_to_unix(const struct date *d);

#endif
