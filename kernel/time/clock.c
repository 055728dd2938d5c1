/*
 * clock.c - the monotonic nanosecond clock.
 *
 * Theory of operation. The clock is the TSC, scaled: ns = (tsc - tsc_base)
 * * mult >> 32 with a 128-bit product (scale.c), so it neither overflows nor
 * loses precision for centuries. Its rate comes from one measurement at boot
 * against a reference whose frequency is known:
 *   1. the HPET (ACPI table; period in femtoseconds in its capabilities),
 *      read in bracketed pairs (TSC, HPET, TSC) at both ends of a 50 ms span;
 *   2. else the 8254 PIT channel 2, gated through port 0x61 and read in
 *      the same bracketed way (arch/x86_64/pit.c);
 *   3. else CPUID leaves 0x15/0x16, else a loud guess.
 * Calibration runs once; the rate is never adjusted afterwards, so the clock
 * is a single straight line through the TSC.
 *
 * Monotonicity does not rest on the TSC alone: the last value handed out is
 * kept, and a reading below it (a TSC that stepped back, or another CPU's
 * TSC slightly behind) returns that value instead.
 *
 * Data: tsc_hz, tsc_base, tsc_to_ns and the HPET mapping are written once by
 * clock_init; last_ns is updated with compare-and-swap from any context.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "time_internal.h"

/* HPET registers, as 32-bit word indexes */
#define HPET_PERIOD 1 /* capabilities bits 63:32: femtoseconds per tick */
#define HPET_CONFIG 4 /* offset 0x10 */
#define HPET_COUNTER_LO 60 /* offset 0xF0 */
#define HPET_ENABLE 1u
#define HPET_MAX_PERIOD_FS 100000000u /* the specification's slowest: 10 MHz */
#define FS_PER_NS 1000000ull

#define CALIBRATE_NS (50 * NS_PER_MS)
#define PIT_CALIBRATE_TICKS 59659 /* 50 ms at 1.193182 MHz */
#define MIN_TSC_HZ 10000000ull
#define MAX_TSC_HZ 100000000000ull
#define GUESS_TSC_HZ 1000000000ull

static uint64_t tsc_hz, tsc_base;
static struct scale tsc_to_ns;
static uint64_t last_ns;
static const char *reference = "none";

static volatile uint32_t *hpet;
static uint32_t hpet_period_fs;

/* ---- the HPET ---- */

static void hpet_init(void)
{
	const struct acpi_info *a = acpi_get();
	if (!a->has_hpet)
		return;
	volatile uint32_t *regs = vm_map_mmio(a->hpet.addr, PAGE_SIZE);
	if (!regs)
		return;
	uint32_t period = regs[HPET_PERIOD];
	if (period == 0 || period > HPET_MAX_PERIOD_FS) {
		klog(KLOG_WARN, "clock: HPET at %#lx reports period %u fs: not used",
		     (unsigned long)a->hpet.addr, period);
		return;
	}
	regs[HPET_CONFIG] |= HPET_ENABLE; /* main counter runs; legacy routing untouched */
	hpet = regs;
	hpet_period_fs = period;
}

/* A (TSC, HPET) pair read as close together as possible: the tightest of a
 * few brackets, with the TSC taken at the bracket's middle. */
static void hpet_pair(uint32_t *count, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	*count = 0;
	*tsc = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t t0 = rdtsc();
		uint32_t c = hpet[HPET_COUNTER_LO];
		uint64_t t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*count = c;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
}

/* TSC ticks across window_ns (<= 1 s) of HPET time; 0 or -ENODEV. */
static int hpet_measure(uint64_t window_ns, uint64_t *ref_ns, uint64_t *tsc_ticks)
{
	if (!hpet || window_ns > NS_PER_SEC)
		return -ENODEV;
	uint32_t want = (uint32_t)(window_ns * FS_PER_NS / hpet_period_fs), c0, c1, last;
	uint64_t t0, t1;
	hpet_pair(&c0, &t0);
	last = c0;
	/* Give up if the counter stands still for a million reads. */
	for (unsigned long still = 0; (uint32_t)(last - c0) < want; still++) {
		uint32_t c = hpet[HPET_COUNTER_LO];
		if (c != last)
			still = 0;
		else if (still > 1000000)
			return -ENODEV;
		last = c;
	}
	hpet_pair(&c1, &t1);
	*ref_ns = (uint64_t)(uint32_t)(c1 - c0) * hpet_period_fs / FS_PER_NS;
	*tsc_ticks = t1 - t0;
	return 0;
}

/* PIT_CALIBRATE_TICKS of the PIT against the TSC; a run spoiled by a long
 * stall (it returns 0) is retried twice. */
static int pit_measure(uint64_t *ref_ns, uint64_t *tsc_ticks)
{
	uint64_t f = irq_save(), ticks = 0;
	arch_pit_tsc_ticks(PIT_CALIBRATE_TICKS / 50); /* warm-up: first runs are slow under emulation */
	for (int i = 0; i < 3 && ticks == 0; i++)
		ticks = arch_pit_tsc_ticks(PIT_CALIBRATE_TICKS);
	irq_restore(f);
	if (ticks == 0)
		return -ENODEV;
	*ref_ns = PIT_CALIBRATE_TICKS * NS_PER_SEC / ARCH_PIT_HZ;
	*tsc_ticks = ticks;
	return 0;
}

/* ---- calibration ---- */

static uint64_t rate(uint64_t ticks, uint64_t ns)
{
	if (ns == 0 || ticks > UINT64_MAX / NS_PER_SEC)
		return 0;
	uint64_t hz = ticks * NS_PER_SEC / ns;
	return hz >= MIN_TSC_HZ && hz <= MAX_TSC_HZ ? hz : 0;
}

static uint64_t cpuid_tsc_hz(void)
{
	uint32_t max = cpuid(0, 0).eax;
	if (max >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0); /* TSC/crystal = ebx/eax, crystal Hz in ecx */
		if (r.eax && r.ebx && r.ecx)
			return (uint64_t)r.ecx * r.ebx / r.eax;
	}
	if (max >= 0x16 && (cpuid(0x16, 0).eax & 0xFFFF))
		return (uint64_t)(cpuid(0x16, 0).eax & 0xFFFF) * 1000000;
	return 0;
}

static void calibrate(void)
{
	uint64_t ref, ticks;
	if (hpet_measure(CALIBRATE_NS, &ref, &ticks) == 0 && (tsc_hz = rate(ticks, ref)))
		reference = "HPET";
	else if (pit_measure(&ref, &ticks) == 0 && (tsc_hz = rate(ticks, ref)))
		reference = "PIT";
	else if ((tsc_hz = cpuid_tsc_hz()))
		reference = "CPUID";
	else {
		tsc_hz = GUESS_TSC_HZ;
		reference = "a guess";
		klog(KLOG_ERROR, "clock: no HPET, PIT or CPUID frequency: assuming a 1 GHz TSC");
	}
}

void clock_init(void)
{
	tsc_base = rdtsc();
	hpet_init();
	calibrate();
	tsc_to_ns = scale_make(tsc_hz, NS_PER_SEC);
	bool invariant = cpuid(0x80000000, 0).eax >= 0x80000007 && (cpuid(0x80000007, 0).edx & (1u << 8));
	klog(KLOG_INFO, "clock: TSC %lu.%06lu MHz, measured against the %s%s",
	     (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz % 1000000), reference,
	     invariant ? ", invariant" : " (not marked invariant)");
	timer_hw_init();
}

uint64_t clock_now_ns(void)
{
	if (!tsc_hz)
		return 0;
	uint64_t tsc = rdtsc();
	uint64_t ns = tsc > tsc_base ? scale_apply(tsc_to_ns, tsc - tsc_base) : 0;
	uint64_t prev = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);
	do {
		if (ns <= prev)
			return prev;
	} while (!__atomic_compare_exchange_n(&last_ns, &prev, ns, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return ns;
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t clock_ticks_to_ns(uint64_t ticks)
{
	return scale_apply(tsc_to_ns, ticks);
}

uint64_t clock_ns_to_tsc(uint64_t ns)
{
	uint64_t ticks = scale_inverse_ceil(tsc_to_ns, ns);
	return ticks > UINT64_MAX - tsc_base ? UINT64_MAX : tsc_base + ticks;
}

int clock_measure_hpet(uint64_t window_ns, uint64_t *ref_ns, uint64_t *clock_ns)
{
	uint64_t ticks;
	int err = hpet_measure(window_ns, ref_ns, &ticks);
	if (err == 0)
		*clock_ns = scale_apply(tsc_to_ns, ticks);
	return err;
}

int clock_measure_pit(uint64_t *ref_ns, uint64_t *clock_ns)
{
	uint64_t ticks;
	int err = pit_measure(ref_ns, &ticks);
	if (err == 0)
		*clock_ns = scale_apply(tsc_to_ns, ticks);
	return err;
}
