/* proc_hello - the smallest end-to-end check: print, exit with a status the
 * test chooses (argv[1], default 0). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("hello from %s (argc %d)\n", argv[0], argc);
	return argc > 1 ? atoi(argv[1]) : 0;
}
