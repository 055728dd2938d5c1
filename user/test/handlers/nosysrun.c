/* nosysrun - calls a system call OptiOS does not implement (135) in each run:
 * the ENOSYS record names the handler and the event its run handles. */
#include <stdio.h>
#include <unistd.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
	printf("nosysrun: %ld\n", syscall(135, 0xffffffffL));
}
