/*
 * hostile_peek - tries to read memory that is not its own.
 *
 *   hostile_peek ADDR   kernel memory through system calls (EFAULT), then
 *                       ADDR, where another handler keeps a secret in its
 *                       snapshot (hostile_secret prints it): in this address
 *                       space ADDR is unmapped (EFAULT) or this program's own
 *                       memory, never the secret
 *   hostile_peek load   loads from the kernel half directly: the fault ends
 *                       this program only (killed by signal 11)
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "hostile.h"
#include "hostile_secret.h"

#define KERNEL_TEXT ((const char *)0xffffffff80100000ull)
#define KERNEL_DIRECT ((const char *)0xffff800000001000ull)

int main(int argc, char **argv)
{
	const char *me = "hostile_peek";
	if (argc != 2) {
		fprintf(stderr, "usage: hostile_peek ADDR | hostile_peek load\n");
		return 2;
	}
	if (strcmp(argv[1], "load") == 0) {
		printf("%s: load from the kernel half: %d\n", me, *(volatile const char *)KERNEL_TEXT);
		return 1; /* not reached */
	}
	hostile_report(me, "write kernel text", write(1, KERNEL_TEXT, 16), true);
	hostile_report(me, "write kernel direct map", write(1, KERNEL_DIRECT, 16), true);
	const char *addr = (const char *)(uintptr_t)strtoull(argv[1], NULL, 0);
	/* access() copies a string from addr: EFAULT when nothing is mapped there */
	char what[64];
	snprintf(what, sizeof what, "read another space's %p", (const void *)addr);
	long r = access(addr, F_OK) < 0 && errno == EFAULT ? -1 : 0;
	if (r == 0 && memcmp(addr, HOSTILE_SECRET, sizeof HOSTILE_SECRET) != 0) {
		printf("%s: %s: own memory, not the secret\n", me, what);
		return hostile_escaped ? 1 : 0;
	}
	hostile_report(me, what, r, true);
	return hostile_escaped ? 1 : 0;
}
