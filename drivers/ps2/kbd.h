/*
 * kbd.h - the PS/2 keyboard: key events and the bytes they type.
 *
 * Every key press, typematic repeat and release becomes a struct key_event
 * (which key, which modifiers were in effect), reported with the bytes it
 * types to kernel/console (key_input), which hands it to its listener (the
 * consoles) or types the bytes into the console input ring:
 *   printable keys    their US-layout character (Shift, Caps Lock for letters)
 *   Enter             '\n'        Backspace  0x7f (DEL, as Linux and xterm send)
 *   Tab               '\t'        Escape     0x1b
 *   Ctrl+key          char & 0x1f for chars 0x40..0x7e (Ctrl+C = 0x03), Ctrl+Space = 0
 *   Alt+key           ESC, then the key's byte ("meta sends escape")
 *   arrows            ESC [ A/B/C/D       Home, End   ESC [ H, ESC [ F
 *   Insert, Delete    ESC [ 2 ~, ESC [ 3 ~   PgUp, PgDn  ESC [ 5 ~, ESC [ 6 ~
 *   F1-F4             ESC O P..S          F5-F12      ESC [ 15 ~ .. ESC [ 24 ~
 *   keypad            digits with Num Lock on, else the arrows and Home etc.
 * Alt+function key, the modifiers and the lock keys type nothing.
 */
#ifndef DRIVERS_PS2_KBD_H
#define DRIVERS_PS2_KBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Key events and their codes: kernel/console/keys.h (this driver reports
 * them through key_input). */
#include "kernel/console/keys.h"

/* The bytes a key event types (see above); 0 for releases and silent keys.
 * Writes at most size bytes (8 always suffice) and returns how many. */
size_t kbd_event_bytes(const struct key_event *ev, char *out, size_t size);

#endif
