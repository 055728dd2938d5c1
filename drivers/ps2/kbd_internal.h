/*
 * kbd_internal.h - inside the keyboard driver: the scancode translator.
 *
 * keymap.c turns the byte stream of scancode set 1 (what the i8042 delivers
 * with translation on) into key events, tracking prefixes, keys held and
 * modifier state. It touches no hardware; the host unit tests drive it.
 */
#ifndef DRIVERS_PS2_KBD_INTERNAL_H
#define DRIVERS_PS2_KBD_INTERNAL_H

#include "kbd.h"

/* Invariant: mods agrees with down[] for Shift, Ctrl, Alt and Meta. */
struct kbd_xlate {
	uint8_t prefix;	     /* 0, 0xE0 or 0xE1: the prefix of the code being read */
	uint8_t pause_left;  /* bytes still to come of an E1 (Pause) sequence */
	uint8_t mods;	     /* KEY_MOD_* */
	uint8_t down[KEY_COUNT / 8]; /* bit per key held */
};

/* Starts with no key down and every lock off. */
void kbd_xlate_init(struct kbd_xlate *x);

/*
 * Feeds one byte from the keyboard. Returns true and fills *ev when the byte
 * completes a key event; false for prefixes, the fake shifts some keys send,
 * controller replies (ACK, resend) and unknown codes, which are ignored.
 */
bool kbd_xlate_byte(struct kbd_xlate *x, uint8_t code, struct key_event *ev);

#ifdef KERNEL
/* Makes the controller hand us code as if the keyboard had sent it (for the
 * self-tests). 0, -ENODEV if the driver is not up, or -ETIMEDOUT. */
int kbd_inject(uint8_t code);
#endif

#endif
