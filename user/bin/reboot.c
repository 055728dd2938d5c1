/* reboot - restart the machine (reboot(2) with RB_AUTOBOOT). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: reboot\n");
		return 2;
	}
	if (reboot(RB_AUTOBOOT) < 0) {
		fprintf(stderr, "reboot: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
