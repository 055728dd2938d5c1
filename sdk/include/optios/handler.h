/*
 * <optios/handler.h> - writing a handler with the OptiOS SDK.
 *
 * A handler is a program that runs only when an event arrives. Write:
 *
 *     #include <optios/handler.h>
 *     static int count;                       // globals persist run to run
 *     void on_init(void) { ... }              // optional: runs once, before
 *                                             // the base snapshot is taken
 *     void on_event(const struct optios_event *ev) { count++; printf(...); }
 *
 * and a manifest beside it (NAME.manifest; format in <optios/abi/manifest.h>
 * and docs/ABI.md). The SDK supplies main() (sdk/lib/handler_main.c): it calls
 * on_init, then loops forever: wait for the next event, call on_event. Each
 * call of on_event is one run: if it returns, the memory it changed and its
 * effects (files written, events emitted, lines printed) are kept; if it
 * faults, exceeds its CPU budget or calls exit, all of it is undone.
 *
 * Inside a run: time() and clock_gettime() return the event's time; calls
 * that would block or sleep fail (EAGAIN); stdout and stderr go to the event
 * log (read it with `log`); files opened in a run are closed when it ends.
 */
#ifndef OPTIOS_SDK_HANDLER_H
#define OPTIOS_SDK_HANDLER_H

#include <optios.h>
#include <optios/abi/event.h>
#include <optios/abi/handler.h>

/* The author's functions. on_init may be left out. */
void on_event(const struct optios_event *ev);
void on_init(void) __attribute__((weak));

#endif
