/*
 * trap_selftest.c - deliberate CPU exceptions are caught and reported.
 *
 * Each test arms a trap_catch, commits a fault on purpose and checks the
 * exception came back with the right vector, error code and address. The
 * report (name, registers, symbolised backtrace) is printed on the way, so a
 * test run also shows what a real kernel fault looks like.
 */
#include "arch.h"
#include "kernel/debug/ksym.h"
#include "selftest.h"

#define BAD_ADDRESS 0x00007000deadb000ull

/* noipa: they must stay real calls, shown as their own frames in the
 * backtrace, and the compiler must not drop them for being pure. */
static __attribute__((noipa)) int divide(volatile int a, volatile int b)
{
	return a / b;
}

static __attribute__((noipa)) uint64_t read_address(volatile uint64_t *p)
{
	return *p;
}

SELFTEST(trap_divide_error)
{
	struct trap_catch c;
	volatile int zero = 0;
	if (trap_catch_try(&c)) {
		divide(1, zero);
		trap_catch_end();
		return -1; /* no exception: wrong */
	}
	ST_CHECK(c.vector == 0);
	uint64_t off;
	const char *fn = ksym_lookup(c.rip, &off);
	ST_CHECK(fn && strcmp(fn, "divide") == 0);
	return 0;
}

SELFTEST(trap_page_fault)
{
	struct trap_catch c;
	/* user half, never mapped while the kernel runs on its own tables */
	volatile uint64_t *bad = (volatile uint64_t *)BAD_ADDRESS;
	if (trap_catch_try(&c)) {
		read_address(bad);
		trap_catch_end();
		return -1;
	}
	ST_CHECK(c.vector == 14);
	ST_CHECK(c.addr == BAD_ADDRESS);
	ST_CHECK((c.error & 1) == 0); /* not-present */
	ST_CHECK((c.error & 2) == 0); /* a read */
	const char *fn = ksym_lookup(c.rip, NULL);
	ST_CHECK(fn && strcmp(fn, "read_address") == 0);
	return 0;
}

SELFTEST(trap_invalid_opcode)
{
	struct trap_catch c;
	if (trap_catch_try(&c)) {
		arch_invalid_opcode();
		trap_catch_end();
		return -1;
	}
	ST_CHECK(c.vector == 6);
	return 0;
}

SELFTEST(trap_catch_resumes_cleanly)
{
	/* after a caught fault the kernel goes on: interrupts restored, and a
	 * second catch works the same way */
	volatile bool irqs = irq_enabled();
	for (volatile int i = 0; i < 3; i++) {
		struct trap_catch c;
		volatile int zero = 0;
		if (trap_catch_try(&c)) {
			divide(i, zero);
			trap_catch_end();
			return -1;
		}
		ST_CHECK(c.vector == 0);
		ST_CHECK(irq_enabled() == irqs);
	}
	return 0;
}
