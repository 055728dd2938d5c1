/*
 * stubs.h - what the host tests read and set of the kernel's fakes
 * (stubs.c). The faked functions themselves are declared where the kernel
 * code expects them, in the HOST_TEST blocks of its internal headers.
 */
#ifndef TESTS_HOST_STUBS_H
#define TESTS_HOST_STUBS_H

/* kernel/fs's file: events, recorded as "what path by source; ..." (cleared
 * by the test that reads them), and the source fs_event_source reports. */
extern char stub_fs_events[2048];
extern const char *stub_fs_source;

#endif
