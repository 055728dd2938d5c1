/*
 * scale.c - fixed-point rate conversion (TSC ticks <-> nanoseconds, ns ->
 * local APIC timer ticks) without 128-bit division.
 *
 * The kernel links no libgcc, so unsigned __int128 may be multiplied and
 * shifted but not divided. The two divisions needed (building mult, and the
 * exact inverse) are done by shift-and-subtract long division: 128 steps at
 * most, run only at calibration and when a timer is armed.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "time_internal.h"

typedef unsigned __int128 u128;

/* floor(n / d) for d > 0, saturated to 64 bits. */
static uint64_t div128(u128 n, uint64_t d)
{
	u128 q = 0, r = 0;
	for (int i = 127; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= (u128)1 << i;
		}
	}
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

struct scale scale_make(uint64_t from_hz, uint64_t to_hz)
{
	return (struct scale){.mult = div128((u128)to_hz << 32, from_hz)};
}

uint64_t scale_apply(struct scale s, uint64_t x)
{
	u128 y = ((u128)x * s.mult) >> 32;
	return y > UINT64_MAX ? UINT64_MAX : (uint64_t)y;
}

uint64_t scale_inverse_ceil(struct scale s, uint64_t y)
{
	/* x * mult >= y * 2^32  <=>  x >= ceil(y * 2^32 / mult) */
	return div128(((u128)y << 32) + s.mult - 1, s.mult);
}
