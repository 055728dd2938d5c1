/*
 * time.h - the monotonic clock and one-shot timer deadlines.
 *
 * The clock counts nanoseconds since clock_init from the TSC, calibrated
 * against the HPET (else the PIT). Timers are one-shot absolute deadlines on
 * that clock; the hardware is armed only for the nearest one and disarmed
 * when none is left, so an idle CPU takes no timer interrupts at all.
 */
#ifndef KERNEL_TIME_TIME_H
#define KERNEL_TIME_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull

/* Calibrates the clock and sets up the timer hardware (after arch_irq_init). */
void clock_init(void);
/* Nanoseconds since clock_init; 0 until calibrated. Never goes backwards;
 * 64 bits of nanoseconds last 584 years. Safe in any context. */
uint64_t clock_now_ns(void);
/* The measured TSC frequency in Hz (0 before clock_init). */
uint64_t clock_tsc_hz(void);
/* A span of TSC ticks in nanoseconds (0 before clock_init). */
uint64_t clock_ticks_to_ns(uint64_t ticks);

/* ---- one-shot timers ---- */

#define TIMER_NEVER UINT64_MAX

struct timer;
/* Runs in interrupt context, interrupts off: must be short, must not block;
 * may arm or cancel any timer, itself included. */
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
	/* Owned by the timer queue while armed (touch only via timer_*). */
	uint64_t deadline_ns;
	struct timer *prev, *next;
	bool armed;
	/* Set by timer_init, constant afterwards. */
	timer_fn fn;
	void *arg;
};

/* Prepares t (disarmed); call once before any other use. */
void timer_init(struct timer *t, timer_fn fn, void *arg);
/*
 * Arms t to fire once when clock_now_ns() >= deadline_ns (at once if that
 * is past). Re-arming an armed timer moves it. Timers with equal deadlines
 * fire in the order they were armed. Returns 0, -EINVAL if t was never
 * initialised, -ENODEV if this machine has no usable timer hardware.
 */
int timer_arm(struct timer *t, uint64_t deadline_ns);
/* Disarms t; true if it was armed (so its callback will now never run). */
bool timer_cancel(struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
	return t->armed;
}
/* The earliest armed deadline, or TIMER_NEVER when nothing is armed. */
uint64_t timer_next_deadline(void);

/* Counters for tests and the monitor. */
struct timer_stats {
	const char *mode; /* "tsc-deadline", "lapic-oneshot" or "none" */
	uint64_t interrupts; /* timer interrupts taken */
	uint64_t early; /* interrupts that found nothing due (range re-arms) */
	uint64_t fired; /* callbacks run */
	uint64_t programs; /* hardware (re)programmings */
};
void timer_stats_get(struct timer_stats *out);

#endif
