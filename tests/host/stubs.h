/*
 * stubs.h - what the host tests read and set of the kernel's fakes
 * (stubs.c). The faked functions themselves are declared where the kernel
 * code expects them, in the HOST_TEST blocks of its internal headers.
 */
#ifndef TESTS_HOST_STUBS_H
#define TESTS_HOST_STUBS_H

#include <stdbool.h>

/* While true, the heap (kmalloc, kzalloc, krealloc) is exhausted: NULL. */
extern bool stub_heap_exhausted;

/* kernel/fs's file: events, recorded as "what path by source; ..." (cleared
 * by the test that reads them), and the source proc_current_name reports. */
extern char stub_fs_events[2048];
extern const char *stub_fs_source;

#endif
