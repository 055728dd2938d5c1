/*
 * irq.h - interrupt vectors: who owns each, and how often it fired.
 *
 * Vectors 0-31 are CPU exceptions (arch/x86_64/trap.c). Vectors 32-254 are
 * handed out here to devices and the timer; 255 is the APIC spurious vector.
 * Every vector has a counter that the kernel can report (irq_report), which is
 * how the tests prove the idle CPU takes no timer interrupts.
 */
#ifndef KERNEL_IRQ_IRQ_H
#define KERNEL_IRQ_IRQ_H

#include <stddef.h>
#include <stdint.h>

typedef void (*irq_handler_fn)(void *arg);

/* Takes a free vector for a handler; returns the vector or -ENOSPC. */
int irq_alloc_vector(const char *name, irq_handler_fn fn, void *arg);
/* Takes a vector and routes the ISA interrupt line to it (through the I/O
 * APIC, honouring ACPI overrides). Returns 0 or a negative error. */
int irq_attach_isa(unsigned isa_irq, const char *name, irq_handler_fn fn, void *arg);

/* Called by the trap code for vectors >= 32 with interrupts disabled. */
void irq_dispatch(unsigned vector);

uint64_t irq_count(unsigned vector);
/* TSC ticks spent in interrupt handlers since boot (clock_ticks_to_ns makes
 * a span of them nanoseconds). Call with interrupts disabled for a value
 * that cannot move while it is used. */
uint64_t irq_time_tsc(void);
/* Total interrupts taken from sources whose name equals name. */
uint64_t irq_count_by_name(const char *name);
/* Prints one line per vector that has an owner or has fired. */
void irq_report(void);

#endif
