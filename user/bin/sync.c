/* sync - makes everything written to /data durable on the disk (and records
 * it in a superblock: the store's checkpoint). */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sync\n");
		return 2;
	}
	sync();
	return 0;
}
