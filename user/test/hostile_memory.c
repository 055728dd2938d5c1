/* hostile_memory - declares `memory 128` (pages) and allocates 64 KiB blocks
 * until refused: it must stop below 512 KiB with ENOMEM. */
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define BLOCK (64 * 1024)
#define LIMIT_KIB 512

int main(void)
{
	unsigned long kib = 0;
	char *p;
	while (kib < 64 * 1024 && (p = malloc(BLOCK))) {
		memset(p, 1, BLOCK);
		kib += BLOCK / 1024;
	}
	char what[64];
	snprintf(what, sizeof what, "malloc beyond %lu KiB", kib);
	hostile_report("hostile_memory", what, kib >= LIMIT_KIB ? 0 : -1, true);
	return hostile_escaped ? 1 : 0;
}
