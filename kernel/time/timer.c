/*
 * timer.c - one-shot deadlines on the local APIC timer, tickless.
 *
 * Theory of operation. Armed timers wait in one queue ordered by deadline
 * (timerq.c). The hardware holds at most one deadline: the queue's first.
 * Whenever the first entry changes (arm, cancel, or an interrupt that ran
 * callbacks) program() re-arms the hardware for the new first deadline, or
 * disarms it if the queue is empty. There is no periodic interrupt, ever:
 * an idle CPU with nothing armed takes no timer interrupt at all.
 *
 * Hardware modes (arch/x86_64/apic.c):
 *  - TSC-deadline: the deadline is converted to the exact TSC value at which
 *    clock_now_ns() reaches it; the interrupt cannot come early.
 *  - one-shot: the local APIC counts down (bus clock / 16, calibrated here
 *    against the TSC); a deadline beyond the 32-bit count's reach arms the
 *    maximum count, and the interrupt that finds nothing due re-arms for the
 *    rest (counted in stats.early).
 * Either way the interrupt handler trusts only the clock: it runs the timers
 * whose deadline <= clock_now_ns(), so none ever runs early.
 *
 * Interrupt share: callbacks run in interrupt context, ahead of every
 * process, so many busy timers (a storm of handler timers, each raising an
 * event) could take the whole CPU. After an interrupt whose work took T, the
 * hardware is not armed before (SHARE_DIV - 1) * T has passed (holdoff_ns):
 * timer callbacks take at most 1/SHARE_DIV of the CPU (the interrupts in
 * all, entry and exit included, took 13-18% under 120 handler timers of
 * 1 ms, against 90-99% without the hold-off). Deadlines falling in
 * the hold-off fire at its end, late, never early; a periodic timer then
 * skips the periods it missed (its owner's business: handler.c). With cheap
 * callbacks the hold-off is a few microseconds.
 *
 * Locking: the queue, hw_deadline and stats are touched with interrupts off
 * (the handler runs with them off; arm/cancel use irq_save). One CPU.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"
#include "time_internal.h"

/* Callbacks run per interrupt at most, so a timer that keeps re-arming
 * itself in the past cannot hold the CPU in the handler forever. */
#define MAX_CALLBACKS_PER_IRQ 64
#define ONESHOT_BIAS_SHIFT 12
#define LAPIC_CALIBRATE_NS (25 * NS_PER_MS)
#define SHARE_DIV 5 /* timer interrupts take at most 1/5 of the CPU */

static struct timerq queue;
static enum arch_timer_mode mode = ARCH_TIMER_NONE;
static int vector = -1;
static struct scale ns_to_lapic; /* one-shot mode */
static uint64_t lapic_hz;
static uint32_t oneshot_max = UINT32_MAX; /* the counter's reach (tests lower it) */
static uint64_t hw_deadline = TIMER_NEVER; /* what the hardware is armed for */
static uint64_t holdoff_ns; /* no interrupt before this (interrupt share) */
static bool in_callbacks; /* the interrupt handler programs the hardware once, after them */
static struct timer_stats stats;

static const char *mode_name(enum arch_timer_mode m)
{
	return m == ARCH_TIMER_TSC_DEADLINE ? "tsc-deadline"
	       : m == ARCH_TIMER_ONESHOT    ? "lapic-oneshot"
					    : "none";
}

/* One-shot counts are stretched by 1/4096 (244 ppm, 2.4 ms on a 10 s
 * deadline) so that an error in the calibrated rate makes the interrupt a
 * little late, never early: an early one finds nothing due and costs a
 * second interrupt. */
static void arm_oneshot(uint64_t deadline)
{
	uint64_t now = clock_now_ns();
	uint64_t ticks = deadline > now ? scale_apply(ns_to_lapic, deadline - now) : 0;
	ticks += (ticks >> ONESHOT_BIAS_SHIFT) + 1;
	arch_timer_arm_count(ticks > oneshot_max ? oneshot_max : (uint32_t)ticks);
}

/* Makes the hardware match the queue's first deadline. Interrupts off. */
static void program(void)
{
	struct timer *first = timerq_first(&queue);
	uint64_t want = first ? MAX(first->deadline_ns, holdoff_ns) : TIMER_NEVER;
	if (want == hw_deadline || in_callbacks)
		return;
	hw_deadline = want;
	stats.programs++;
	if (want == TIMER_NEVER)
		arch_timer_disarm();
	else if (mode == ARCH_TIMER_TSC_DEADLINE)
		arch_timer_arm_tsc(clock_ns_to_tsc(want));
	else
		arm_oneshot(want);
}

static void timer_interrupt(void *arg)
{
	(void)arg;
	uint64_t start = clock_now_ns(), now = start;
	hw_deadline = TIMER_NEVER; /* a one-shot fired: the hardware is disarmed */
	stats.interrupts++;
	int ran = 0;
	struct timer *t;
	in_callbacks = true;
	while (ran < MAX_CALLBACKS_PER_IRQ && (t = timerq_pop_due(&queue, now))) {
		ran++;
		t->fn(t, t->arg);
		now = clock_now_ns();
	}
	in_callbacks = false;
	if (ran == 0)
		stats.early++;
	stats.fired += (uint64_t)ran;
	holdoff_ns = MAX(holdoff_ns, now + (now - start) * (SHARE_DIV - 1));
	program();
}

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
	*t = (struct timer){.fn = fn, .arg = arg};
}

int timer_arm(struct timer *t, uint64_t deadline_ns)
{
	if (!t->fn)
		return -EINVAL;
	if (mode == ARCH_TIMER_NONE)
		return -ENODEV;
	uint64_t f = irq_save();
	if (t->armed)
		timerq_remove(&queue, t);
	t->deadline_ns = deadline_ns;
	timerq_insert(&queue, t);
	program();
	irq_restore(f);
	return 0;
}

bool timer_cancel(struct timer *t)
{
	uint64_t f = irq_save();
	bool was = t->armed;
	if (was) {
		timerq_remove(&queue, t);
		program();
	}
	irq_restore(f);
	return was;
}

uint64_t timer_next_deadline(void)
{
	uint64_t f = irq_save();
	struct timer *first = timerq_first(&queue);
	uint64_t d = first ? first->deadline_ns : TIMER_NEVER;
	irq_restore(f);
	return d;
}

void timer_stats_get(struct timer_stats *out)
{
	uint64_t f = irq_save();
	*out = stats;
	out->mode = mode_name(mode);
	irq_restore(f);
}

/* ---- hardware set-up ---- */

/* Three measurements of 25 ms against the TSC after a warm-up one (the
 * first run of any code path under emulation is slow), median kept. */
static int calibrate_lapic(void)
{
	uint64_t span = clock_tsc_hz() / (NS_PER_SEC / LAPIC_CALIBRATE_NS), m[3];
	arch_timer_measure(span / 10);
	for (int i = 0; i < 3; i++)
		m[i] = arch_timer_measure(span);
	uint64_t lo = MIN(m[0], MIN(m[1], m[2])), hi = MAX(m[0], MAX(m[1], m[2]));
	uint64_t median = m[0] + m[1] + m[2] - lo - hi;
	if (median == 0)
		return -ENODEV;
	lapic_hz = median * (NS_PER_SEC / LAPIC_CALIBRATE_NS);
	ns_to_lapic = scale_make(NS_PER_SEC, lapic_hz);
	return 0;
}

int timer_select_mode(bool allow_tsc_deadline)
{
	if (vector < 0)
		return -ENODEV;
	uint64_t f = irq_save();
	if (timerq_first(&queue)) {
		irq_restore(f);
		return -EBUSY;
	}
	mode = arch_timer_init((unsigned)vector, allow_tsc_deadline);
	hw_deadline = TIMER_NEVER;
	if (mode == ARCH_TIMER_ONESHOT && !lapic_hz && calibrate_lapic() != 0)
		mode = ARCH_TIMER_NONE;
	irq_restore(f);
	return mode == ARCH_TIMER_NONE ? -ENODEV : 0;
}

uint32_t timer_oneshot_limit(uint32_t max_count)
{
	uint64_t f = irq_save();
	uint32_t old = oneshot_max;
	oneshot_max = max_count ? max_count : UINT32_MAX;
	irq_restore(f);
	return old;
}

uint64_t timer_oneshot_hz(void)
{
	return lapic_hz;
}

void timer_hw_init(void)
{
	vector = irq_alloc_vector("timer", timer_interrupt, NULL);
	if (vector < 0 || timer_select_mode(true) != 0) {
		mode = ARCH_TIMER_NONE;
		klog(KLOG_ERROR, "timer: no local APIC timer: timers unavailable");
		return;
	}
	if (mode == ARCH_TIMER_ONESHOT)
		klog(KLOG_INFO, "timer: local APIC one-shot, %lu.%03lu MHz, vector %d",
		     (unsigned long)(lapic_hz / 1000000), (unsigned long)(lapic_hz / 1000 % 1000), vector);
	else
		klog(KLOG_INFO, "timer: local APIC TSC-deadline, vector %d", vector);
}
