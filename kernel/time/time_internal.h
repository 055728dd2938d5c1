/*
 * time_internal.h - pieces of kernel/time shared by its files and the host
 * tests: fixed-point rate conversion and the ordered timer queue (both plain
 * C), and the hooks the self-tests use.
 */
#ifndef KERNEL_TIME_TIME_INTERNAL_H
#define KERNEL_TIME_TIME_INTERNAL_H

#include <stddef.h>

#include "time.h"

/*
 * A rate conversion y = floor(x * mult / 2^32), mult = floor(to_hz * 2^32 /
 * from_hz). The product is taken in 128 bits, so any 64-bit x converts
 * without intermediate overflow; a result beyond 64 bits saturates.
 */
struct scale {
	uint64_t mult;
};
/* from_hz > 0. A ratio to/from of 2^32 or more saturates mult. */
struct scale scale_make(uint64_t from_hz, uint64_t to_hz);
uint64_t scale_apply(struct scale s, uint64_t x);
/* The smallest x with scale_apply(s, x) >= y (UINT64_MAX if none); mult > 0. */
uint64_t scale_inverse_ceil(struct scale s, uint64_t y);

/*
 * The timer queue: armed timers in (deadline, arming order), a doubly linked
 * list. Insertion walks from the head (O(n), n is small: one entry per
 * pending deadline); the first entry and removal are O(1). The caller
 * serialises access (the kernel: interrupts off).
 */
struct timerq {
	struct timer *head;
	size_t count;
};
/* t must not be queued; sets t->armed. */
void timerq_insert(struct timerq *q, struct timer *t);
/* t must be queued in q; clears t->armed. */
void timerq_remove(struct timerq *q, struct timer *t);
static inline struct timer *timerq_first(const struct timerq *q)
{
	return q->head;
}
/* Removes and returns the first timer if its deadline <= now, else NULL. */
struct timer *timerq_pop_due(struct timerq *q, uint64_t now);

#ifndef HOST_TEST
/* Clock: checks against the references.
 * Each measures window_ns of the reference and the clock over the same span;
 * 0 or -ENODEV if that reference is absent / did not answer. */
int clock_measure_hpet(uint64_t window_ns, uint64_t *ref_ns, uint64_t *clock_ns);
int clock_measure_pit(uint64_t *ref_ns, uint64_t *clock_ns);
uint64_t clock_ns_to_tsc(uint64_t ns);

/* Timer: sets up the hardware once the clock runs (called by clock_init). */
void timer_hw_init(void);
/* Timer: switch hardware mode (tests run both); false = one-shot only.
 * Only while no timer is armed; returns 0 or -EBUSY / -ENODEV. */
int timer_select_mode(bool allow_tsc_deadline);
/* One-shot mode: caps a single count at max_count ticks (0: the hardware's
 * 32 bits) so tests can exercise re-arming for far deadlines; returns the
 * previous cap. And the calibrated count rate (0 before calibration). */
uint32_t timer_oneshot_limit(uint32_t max_count);
uint64_t timer_oneshot_hz(void);
#endif

#endif
