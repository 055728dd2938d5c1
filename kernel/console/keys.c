/*
 * keys.c - key events from keyboard drivers to their listener, or typed
 * into the console input ring (contract in keys.h). The listener is written
 * with interrupts off and read in the keyboard's interrupt.
 */
#include "keys.h"

#include "arch.h"
#include "console.h"

static key_listener_fn listener;

key_listener_fn key_listener_set(key_listener_fn fn)
{
	uint64_t f = irq_save();
	key_listener_fn old = listener;
	listener = fn;
	irq_restore(f);
	return old;
}

void key_input(const struct key_event *ev, const char *bytes, size_t n)
{
	if (listener && listener(ev, bytes, n))
		return;
	if (n)
		con_input_push(bytes, n);
}
