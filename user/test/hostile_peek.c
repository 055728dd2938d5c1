/*
 * hostile_peek - tries to read memory that is not its own.
 *
 *   hostile_peek ADDR   kernel memory through system calls (EFAULT), then
 *                       ADDR, where another handler keeps a secret in its
 *                       snapshot (hostile_secret prints it): in this address
 *                       space ADDR is unmapped (the load ends the program with
 *                       signal 11) or this program's own memory, never the secret
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
	/* A plain load: nothing mapped there ends this program (signal 11),
	 * else it is this program's own memory. */
	printf("%s: reading another space's %p here\n", me, (const void *)addr);
	fflush(stdout);
	bool found = memcmp(addr, HOSTILE_SECRET, sizeof HOSTILE_SECRET) == 0;
	printf("%s: %p: %s\n", me, (const void *)addr, found ? "the secret" : "own memory, not the secret");
	return found || hostile_escaped ? 1 : 0;
}
