/* status - ends the way it is told (the shell's exit-status tests):
 * status N exits with N; status crash writes through a null pointer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: status N | status crash\n");
		return 2;
	}
	if (strcmp(argv[1], "crash") == 0) {
		volatile int *nowhere = NULL;
		*nowhere = 1;
	}
	return atoi(argv[1]);
}
