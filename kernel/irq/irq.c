/*
 * irq.c - the vector table above the exceptions.
 *
 * Each vector 32..254 has an owner (name, handler, argument) or none, and a
 * counter of how many times it fired. Vectors are handed out once, at driver
 * init, and never freed, so dispatch reads the table without locking.
 *
 * Time: dispatch adds the time each handler took (TSC ticks: the clock is a
 * layer above) to busy_tsc. The scheduler subtracts what accrued while a
 * process was on the CPU from that process's CPU time, so neither a handler
 * run's budget nor a program's CPU clock pays for interrupts it did not
 * cause. Handlers run with interrupts off: they never nest, and busy_tsc
 * grows by whole handlers only.
 */
#include "irq.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/log/klog.h"

#define FIRST_VECTOR 32
#define SPURIOUS_VECTOR 255

struct vector {
	const char *name;
	irq_handler_fn fn;
	void *arg;
	uint64_t count;
};

static struct vector vectors[256];
static unsigned next_free = 48; /* 32..47 left for the legacy PIC's range */
static uint64_t busy_tsc; /* TSC ticks spent in handlers since boot (interrupts off) */

int irq_alloc_vector(const char *name, irq_handler_fn fn, void *arg)
{
	if (next_free >= SPURIOUS_VECTOR)
		return -ENOSPC;
	unsigned v = next_free++;
	vectors[v] = (struct vector){.name = name, .fn = fn, .arg = arg};
	return (int)v;
}

int irq_attach_isa(unsigned isa_irq, const char *name, irq_handler_fn fn, void *arg)
{
	int v = irq_alloc_vector(name, fn, arg);
	if (v < 0)
		return v;
	int err = arch_irq_route_isa(isa_irq, (unsigned)v);
	if (err)
		vectors[v].fn = NULL;
	return err;
}

void irq_dispatch(unsigned vector)
{
	struct vector *v = &vectors[vector];
	v->count++;
	if (vector == SPURIOUS_VECTOR)
		return; /* spurious: no EOI */
	uint64_t t0 = rdtsc();
	if (v->fn)
		v->fn(v->arg);
	arch_irq_eoi();
	busy_tsc += rdtsc() - t0;
}

uint64_t irq_time_tsc(void)
{
	return busy_tsc;
}

uint64_t irq_count(unsigned vector)
{
	return vector < 256 ? vectors[vector].count : 0;
}

uint64_t irq_count_by_name(const char *name)
{
	uint64_t sum = 0;
	for (unsigned i = FIRST_VECTOR; i < 256; i++)
		if (vectors[i].name && strcmp(vectors[i].name, name) == 0)
			sum += vectors[i].count;
	return sum;
}

void irq_report(void)
{
	kprintf("interrupts by source:\n");
	for (unsigned i = FIRST_VECTOR; i < 256; i++) {
		const struct vector *v = &vectors[i];
		if (v->name || v->count)
			kprintf("  vector %3u %-12s %lu\n", i, v->name ? v->name : (i == SPURIOUS_VECTOR ? "spurious" : "?"),
				(unsigned long)v->count);
	}
}
