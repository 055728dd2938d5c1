/*
 * ksym.c - binary search in the generated symbol table.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "ksym.h"

#include "lib/lib.h"

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	if (ksym_count < 2 || addr < ksym_table[0].addr || addr >= ksym_table[ksym_count - 1].addr)
		return NULL;
	size_t lo = 0, hi = ksym_count - 1; /* invariant: table[lo].addr <= addr < table[hi].addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ksym_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (offset)
		*offset = addr - ksym_table[lo].addr;
	return ksym_table[lo].name;
}

uint64_t ksym_address(const char *name)
{
	for (size_t i = 0; i < ksym_count; i++)
		if (strcmp(ksym_table[i].name, name) == 0)
			return ksym_table[i].addr;
	return 0;
}
