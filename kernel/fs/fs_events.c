/*
 * fs_events.c - what the VFS needs from the kernel to raise file: events
 * (fs_internal.h): the event source and the name of who makes a change.
 * Kernel only; the host tests have their own versions that record calls.
 */
#include "fs_internal.h"
#include "kernel/event/event.h"
#include "kernel/proc/proc.h"

void fs_file_event(const char *path, const char *what, const char *source)
{
	event_raise_file(path, what, source);
}

const char *fs_event_source(void)
{
	struct proc *p = proc_current();
	return p ? p->name : "kernel";
}
