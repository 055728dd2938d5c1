/* poweroff - turn the machine off (reboot(2) with RB_POWER_OFF). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: poweroff\n");
		return 2;
	}
	if (reboot(RB_POWER_OFF) < 0) {
		fprintf(stderr, "poweroff: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
