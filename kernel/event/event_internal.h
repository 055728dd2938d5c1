/*
 * event_internal.h - shared by the files of kernel/event only: the event
 * order, a string copy, the log slot raise.c fills in place, and what the
 * code needs from the kernel (lock, clock, TSC, memory), faked by the host
 * tests (tests/host/stubs.c) so they run the same logic.
 */
#ifndef KERNEL_EVENT_EVENT_INTERNAL_H
#define KERNEL_EVENT_EVENT_INTERNAL_H

#include <optios/abi/handler.h>

#include "event.h"

/* Copies src (NULL: "") into dst[size], truncating; the rest of dst must
 * already be zero (the NUL comes from there). Returns the bytes copied. */
static inline size_t copy_name(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	if (src)
		for (; n + 1 < size && src[n]; n++)
			dst[n] = src[n];
	return n;
}

/*
 * The next ring slot, zeroed, with seq, time_ns, tsc and kind filled in, for
 * the caller to complete in place; NULL before evlog_init (the record is then
 * counted, not kept). Call with the event lock held: the slot stays the
 * caller's until it unlocks. evlog_write and raise.c's hot path use it.
 */
struct optios_log_record *evlog_slot(uint32_t kind);

/* ---- what kernel/event needs from the kernel ---- */
#ifdef HOST_TEST
/* The host tests' fakes (tests/host/stubs.c); event_now_ns() and
 * event_tsc() read event_host_clock_ns, which the tests set. */
extern uint64_t event_host_clock_ns;
uint64_t event_lock(void);
void event_unlock(uint64_t f);
uint64_t event_now_ns(void);
uint64_t event_tsc(void);
void *event_zalloc(size_t size);
#else
#include "arch.h"
#include "kernel/mm/mm.h"
#include "kernel/time/time.h"
/* The event lock: one CPU, so interrupts off. Held around subscription list,
 * queue and log changes; never across a sleep or a user copy. */
static inline uint64_t event_lock(void)
{
	return irq_save();
}
static inline void event_unlock(uint64_t f)
{
	irq_restore(f);
}
static inline uint64_t event_now_ns(void)
{
	return clock_now_ns();
}
static inline uint64_t event_tsc(void)
{
	return rdtsc();
}
static inline void *event_zalloc(size_t size)
{
	return kzalloc(size);
}
#endif

#endif
