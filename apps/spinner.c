/*
 * spinner - the CPU budget. Each app:spin event starts a run that loops
 * forever; after the 50 ms in spinner.manifest the kernel stops it and rolls
 * it back, and the handler stays ready for the next event.
 */
#include <stdio.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	printf("spinner: seq=%llu spinning\n", (unsigned long long)ev->seq);
	fflush(stdout);
	for (volatile unsigned long i = 0;; i++)
		;
}
