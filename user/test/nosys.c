/* nosys - calls system calls OptiOS does not implement: 135 (personality, not
 * in syscalls.def) twice, and 777 (no such call) once. Each answers -ENOSYS;
 * each is reported once per process (console and event log). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	long a = syscall(135, 0xffffffffL), b = syscall(135, 0xffffffffL), c = syscall(777);
	printf("nosys: %ld %ld %ld errno %d\n", a, b, c, errno);
	return a == -1 && b == -1 && c == -1 && errno == ENOSYS ? 0 : 1;
}
