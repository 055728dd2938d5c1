/*
 * hwevent.h - the payload of a hardware event: sys:power.button today;
 * sys:lid, sys:battery, sys:thermal and the like later, in the same record.
 *
 * A hardware event is raised by the kernel in the interrupt that signalled
 * it, so the event's time_ns is the interrupt's time; the payload repeats it
 * and says which of the source's occurrences this is. Fixed size, copied
 * as-is; a reader checks version and payload_len before trusting a field.
 */
#ifndef OPTIOS_ABI_HWEVENT_H
#define OPTIOS_ABI_HWEVENT_H

#include <stdint.h>

#define OPTIOS_HW_EVENT_VERSION 1

/* what happened (more values may come; a reader ignores those it does not know) */
enum optios_hw_what {
	OPTIOS_HW_PRESSED = 1, /* a button: value 0 */
	OPTIOS_HW_CHANGED = 2, /* a state (a lid, a battery level, a temperature): value says which */
};

struct optios_hw_event {
	uint32_t version; /* OPTIOS_HW_EVENT_VERSION */
	uint32_t what; /* enum optios_hw_what */
	uint64_t time_ns; /* monotonic time the interrupt was taken (the event's time_ns) */
	uint64_t count; /* this source's occurrences since boot, this one included: a gap is a lost event */
	int64_t value; /* by source: 0 for a button (lid 1 closed; battery percent; thermal milli-kelvin) */
};

_Static_assert(sizeof(struct optios_hw_event) == 32, "hardware event payload size is ABI");

#endif
