/*
 * ksym.h - kernel symbol lookup for backtraces.
 *
 * The table is generated at build time from the kernel's own symbols
 * (tools/mksyms.c, second link pass) and linked in, so it works however the
 * kernel was booted.
 */
#ifndef KERNEL_DEBUG_KSYM_H
#define KERNEL_DEBUG_KSYM_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
};

/* Sorted by address; the last entry marks the end of the text. */
extern const struct ksym ksym_table[];
extern const size_t ksym_count;

/* The function containing addr and addr's offset in it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
/* The address of a function by name, or 0. */
uint64_t ksym_address(const char *name);

#endif
