/*
 * keys.h - key events: what a keyboard driver reports, and who hears them.
 *
 * A keyboard driver (drivers/ps2) turns what its device sends into key
 * events - which key, pressed or released or repeated, the modifiers in
 * effect - and the bytes each types (its own layout: "a", ESC [ A for Up),
 * and hands both to key_input, in interrupt context. One listener may watch
 * every event (the consoles, kernel/tty: Alt+F1..F12 switches, the rest is
 * typed into the console on screen); an event it does not consume has its
 * bytes pushed into the console input ring (con_input_push), which is where
 * the kernel monitor reads them.
 */
#ifndef KERNEL_CONSOLE_KEYS_H
#define KERNEL_CONSOLE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keycodes. The values are those of the Linux input-event codes, so
 * programs written for evdev can read them. */
enum key_code {
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
#define KEY_MOD_SHIFT 0x01
#define KEY_MOD_CTRL 0x02
#define KEY_MOD_ALT 0x04
#define KEY_MOD_META 0x08
#define KEY_MOD_CAPSLOCK 0x10 /* lock on */
#define KEY_MOD_NUMLOCK 0x20  /* lock on */

struct key_event {
	uint16_t key;  /* enum key_code */
	uint8_t mods;  /* KEY_MOD_* */
	bool pressed;  /* false: released */
	bool repeat;   /* a typematic repeat of a key already down */
};

/*
 * Called in interrupt context for every key event with the bytes it types
 * (n may be 0); returns true if it consumed the event (the bytes are then
 * not pushed). It must not block. Passing NULL removes it. Returns the
 * previous listener.
 */
typedef bool (*key_listener_fn)(const struct key_event *ev, const char *bytes, size_t n);
key_listener_fn key_listener_set(key_listener_fn fn);

/* A keyboard driver's event and the bytes it types (interrupt context). */
void key_input(const struct key_event *ev, const char *bytes, size_t n);

#endif
