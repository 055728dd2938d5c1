/*
 * kbd.h - the PS/2 keyboard: key events and the bytes they type.
 *
 * Every key press, typematic repeat and release becomes a struct kbd_event
 * (which key, which modifiers were in effect). One listener may watch them
 * all (the console switcher: Alt+F1..F12); events it does not consume are
 * typed into the console input ring as bytes:
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

/* Keycodes: the kbd module's KEY_ namespace. The values are those of the
 * Linux input-event codes, so programs written for evdev can read them. */
enum kbd_key {
	KEY_NONE = 0,
	KEY_ESC = 1,
	KEY_1 = 2, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0,
	KEY_MINUS = 12, KEY_EQUAL, KEY_BACKSPACE, KEY_TAB,
	KEY_Q = 16, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P,
	KEY_LEFTBRACE = 26, KEY_RIGHTBRACE, KEY_ENTER, KEY_LEFTCTRL,
	KEY_A = 30, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L,
	KEY_SEMICOLON = 39, KEY_APOSTROPHE, KEY_GRAVE, KEY_LEFTSHIFT, KEY_BACKSLASH,
	KEY_Z = 44, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M,
	KEY_COMMA = 51, KEY_DOT, KEY_SLASH, KEY_RIGHTSHIFT, KEY_KPASTERISK, KEY_LEFTALT, KEY_SPACE,
	KEY_CAPSLOCK = 58,
	KEY_F1 = 59, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10,
	KEY_NUMLOCK = 69, KEY_SCROLLLOCK,
	KEY_KP7 = 71, KEY_KP8, KEY_KP9, KEY_KPMINUS, KEY_KP4, KEY_KP5, KEY_KP6, KEY_KPPLUS,
	KEY_KP1 = 79, KEY_KP2, KEY_KP3, KEY_KP0, KEY_KPDOT,
	KEY_102ND = 86, /* the extra key left of Z on non-US keyboards */
	KEY_F11 = 87, KEY_F12 = 88,
	KEY_KPENTER = 96, KEY_RIGHTCTRL, KEY_KPSLASH, KEY_SYSRQ, KEY_RIGHTALT,
	KEY_HOME = 102, KEY_UP, KEY_PAGEUP, KEY_LEFT, KEY_RIGHT, KEY_END, KEY_DOWN, KEY_PAGEDOWN,
	KEY_INSERT = 110, KEY_DELETE,
	KEY_PAUSE = 119,
	KEY_LEFTMETA = 125, KEY_RIGHTMETA, KEY_COMPOSE,
	KEY_COUNT = 128
};

/* Modifier state, as in effect after the event. */
#define KBD_MOD_SHIFT 0x01
#define KBD_MOD_CTRL 0x02
#define KBD_MOD_ALT 0x04
#define KBD_MOD_META 0x08
#define KBD_MOD_CAPSLOCK 0x10 /* lock on */
#define KBD_MOD_NUMLOCK 0x20  /* lock on */

struct kbd_event {
	uint16_t key;  /* enum kbd_key */
	uint8_t mods;  /* KBD_MOD_* */
	bool pressed;  /* false: released */
	bool repeat;   /* a typematic repeat of a key already down */
};

/*
 * Called in interrupt context for every key event, before any bytes are
 * typed; returns true if it consumed the event (no bytes are then typed).
 * It must not block. Passing NULL removes it. Returns the previous listener.
 */
typedef bool (*kbd_listener_fn)(const struct kbd_event *ev);
kbd_listener_fn kbd_listener_set(kbd_listener_fn fn);

/* The bytes a key event types (see above); 0 for releases and silent keys.
 * Writes at most size bytes (8 always suffice) and returns how many. */
size_t kbd_event_bytes(const struct kbd_event *ev, char *out, size_t size);

#endif
