/*
 * fs_events.c - what the VFS needs from the kernel to raise file: events
 * (fs_internal.h): the event source. (Who makes a change, proc_current_name,
 * is asked of kernel/proc: vfs.h.) Kernel only; the host tests have their
 * own versions that record calls.
 */
#include "fs_internal.h"
#include "kernel/event/event.h"

void fs_file_event(const char *path, const char *what, const char *source)
{
	event_raise_file(path, what, source);
}
