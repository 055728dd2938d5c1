/*
 * keymap.c - scancode set 1 to key events, key events to bytes (US layout).
 *
 * Three tables carry the knowledge, each indexed so it reads like a keyboard:
 *   set1_plain, set1_e0   make code (without / after an 0xE0 prefix) -> keycode
 *   us_layout             keycode -> {unshifted, shifted} character
 *   sequences             keycode -> the escape sequence a terminal expects
 * A break (release) code is its make code with bit 7 set. Pause sends
 * E1 1D 45 E1 9D C5 on each press and nothing on release; we turn the two
 * halves into a press and a release. Print Screen and the navigation keys
 * wrap themselves in "fake shifts" (E0 2A, E0 AA, E0 36, E0 B6) that older
 * software needed; they map to no key and are dropped. Controller replies
 * (ACK FA, resend FE, echo EE, errors 00 FF FC FD) also map to no key.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "kbd_internal.h"

#include "lib/lib.h"

static const uint8_t set1_plain[128] = {
	[0x01] = KEY_ESC,
	[0x02] = KEY_1, [0x03] = KEY_2, [0x04] = KEY_3, [0x05] = KEY_4, [0x06] = KEY_5,
	[0x07] = KEY_6, [0x08] = KEY_7, [0x09] = KEY_8, [0x0A] = KEY_9, [0x0B] = KEY_0,
	[0x0C] = KEY_MINUS, [0x0D] = KEY_EQUAL, [0x0E] = KEY_BACKSPACE, [0x0F] = KEY_TAB,
	[0x10] = KEY_Q, [0x11] = KEY_W, [0x12] = KEY_E, [0x13] = KEY_R, [0x14] = KEY_T,
	[0x15] = KEY_Y, [0x16] = KEY_U, [0x17] = KEY_I, [0x18] = KEY_O, [0x19] = KEY_P,
	[0x1A] = KEY_LEFTBRACE, [0x1B] = KEY_RIGHTBRACE, [0x1C] = KEY_ENTER, [0x1D] = KEY_LEFTCTRL,
	[0x1E] = KEY_A, [0x1F] = KEY_S, [0x20] = KEY_D, [0x21] = KEY_F, [0x22] = KEY_G,
	[0x23] = KEY_H, [0x24] = KEY_J, [0x25] = KEY_K, [0x26] = KEY_L,
	[0x27] = KEY_SEMICOLON, [0x28] = KEY_APOSTROPHE, [0x29] = KEY_GRAVE,
	[0x2A] = KEY_LEFTSHIFT, [0x2B] = KEY_BACKSLASH,
	[0x2C] = KEY_Z, [0x2D] = KEY_X, [0x2E] = KEY_C, [0x2F] = KEY_V, [0x30] = KEY_B,
	[0x31] = KEY_N, [0x32] = KEY_M,
	[0x33] = KEY_COMMA, [0x34] = KEY_DOT, [0x35] = KEY_SLASH, [0x36] = KEY_RIGHTSHIFT,
	[0x37] = KEY_KPASTERISK, [0x38] = KEY_LEFTALT, [0x39] = KEY_SPACE, [0x3A] = KEY_CAPSLOCK,
	[0x3B] = KEY_F1, [0x3C] = KEY_F2, [0x3D] = KEY_F3, [0x3E] = KEY_F4, [0x3F] = KEY_F5,
	[0x40] = KEY_F6, [0x41] = KEY_F7, [0x42] = KEY_F8, [0x43] = KEY_F9, [0x44] = KEY_F10,
	[0x45] = KEY_NUMLOCK, [0x46] = KEY_SCROLLLOCK,
	[0x47] = KEY_KP7, [0x48] = KEY_KP8, [0x49] = KEY_KP9, [0x4A] = KEY_KPMINUS,
	[0x4B] = KEY_KP4, [0x4C] = KEY_KP5, [0x4D] = KEY_KP6, [0x4E] = KEY_KPPLUS,
	[0x4F] = KEY_KP1, [0x50] = KEY_KP2, [0x51] = KEY_KP3,
	[0x52] = KEY_KP0, [0x53] = KEY_KPDOT,
	[0x56] = KEY_102ND, [0x57] = KEY_F11, [0x58] = KEY_F12,
};

static const uint8_t set1_e0[128] = {
	[0x1C] = KEY_KPENTER, [0x1D] = KEY_RIGHTCTRL, [0x35] = KEY_KPSLASH,
	[0x37] = KEY_SYSRQ, [0x38] = KEY_RIGHTALT, [0x46] = KEY_PAUSE, /* Ctrl+Pause */
	[0x47] = KEY_HOME, [0x48] = KEY_UP, [0x49] = KEY_PAGEUP,
	[0x4B] = KEY_LEFT, [0x4D] = KEY_RIGHT,
	[0x4F] = KEY_END, [0x50] = KEY_DOWN, [0x51] = KEY_PAGEDOWN,
	[0x52] = KEY_INSERT, [0x53] = KEY_DELETE,
	[0x5B] = KEY_LEFTMETA, [0x5C] = KEY_RIGHTMETA, [0x5D] = KEY_COMPOSE,
	/* 0x2A and 0x36 are the fake shifts: deliberately absent */
};

/* {unshifted, shifted}; {0, 0} types nothing. */
static const char us_layout[KEY_COUNT][2] = {
	[KEY_ESC] = {0x1b, 0x1b},
	[KEY_1] = {'1', '!'}, [KEY_2] = {'2', '@'}, [KEY_3] = {'3', '#'}, [KEY_4] = {'4', '$'},
	[KEY_5] = {'5', '%'}, [KEY_6] = {'6', '^'}, [KEY_7] = {'7', '&'}, [KEY_8] = {'8', '*'},
	[KEY_9] = {'9', '('}, [KEY_0] = {'0', ')'},
	[KEY_MINUS] = {'-', '_'}, [KEY_EQUAL] = {'=', '+'},
	[KEY_BACKSPACE] = {0x7f, 0x7f}, [KEY_TAB] = {'\t', '\t'},
	[KEY_Q] = {'q', 'Q'}, [KEY_W] = {'w', 'W'}, [KEY_E] = {'e', 'E'}, [KEY_R] = {'r', 'R'},
	[KEY_T] = {'t', 'T'}, [KEY_Y] = {'y', 'Y'}, [KEY_U] = {'u', 'U'}, [KEY_I] = {'i', 'I'},
	[KEY_O] = {'o', 'O'}, [KEY_P] = {'p', 'P'},
	[KEY_LEFTBRACE] = {'[', '{'}, [KEY_RIGHTBRACE] = {']', '}'}, [KEY_ENTER] = {'\n', '\n'},
	[KEY_A] = {'a', 'A'}, [KEY_S] = {'s', 'S'}, [KEY_D] = {'d', 'D'}, [KEY_F] = {'f', 'F'},
	[KEY_G] = {'g', 'G'}, [KEY_H] = {'h', 'H'}, [KEY_J] = {'j', 'J'}, [KEY_K] = {'k', 'K'},
	[KEY_L] = {'l', 'L'},
	[KEY_SEMICOLON] = {';', ':'}, [KEY_APOSTROPHE] = {'\'', '"'}, [KEY_GRAVE] = {'`', '~'},
	[KEY_BACKSLASH] = {'\\', '|'},
	[KEY_Z] = {'z', 'Z'}, [KEY_X] = {'x', 'X'}, [KEY_C] = {'c', 'C'}, [KEY_V] = {'v', 'V'},
	[KEY_B] = {'b', 'B'}, [KEY_N] = {'n', 'N'}, [KEY_M] = {'m', 'M'},
	[KEY_COMMA] = {',', '<'}, [KEY_DOT] = {'.', '>'}, [KEY_SLASH] = {'/', '?'},
	[KEY_SPACE] = {' ', ' '}, [KEY_102ND] = {'\\', '|'},
	/* the keypad: digits apply with Num Lock on (see keypad_key) */
	[KEY_KPASTERISK] = {'*', '*'}, [KEY_KPMINUS] = {'-', '-'}, [KEY_KPPLUS] = {'+', '+'},
	[KEY_KPSLASH] = {'/', '/'}, [KEY_KPENTER] = {'\n', '\n'},
	[KEY_KP7] = {'7', '7'}, [KEY_KP8] = {'8', '8'}, [KEY_KP9] = {'9', '9'},
	[KEY_KP4] = {'4', '4'}, [KEY_KP5] = {'5', '5'}, [KEY_KP6] = {'6', '6'},
	[KEY_KP1] = {'1', '1'}, [KEY_KP2] = {'2', '2'}, [KEY_KP3] = {'3', '3'},
	[KEY_KP0] = {'0', '0'}, [KEY_KPDOT] = {'.', '.'},
};

static const char *const sequences[KEY_COUNT] = {
	[KEY_UP] = "\x1b[A", [KEY_DOWN] = "\x1b[B", [KEY_RIGHT] = "\x1b[C", [KEY_LEFT] = "\x1b[D",
	[KEY_HOME] = "\x1b[H", [KEY_END] = "\x1b[F",
	[KEY_INSERT] = "\x1b[2~", [KEY_DELETE] = "\x1b[3~",
	[KEY_PAGEUP] = "\x1b[5~", [KEY_PAGEDOWN] = "\x1b[6~",
	[KEY_F1] = "\x1bOP", [KEY_F2] = "\x1bOQ", [KEY_F3] = "\x1bOR", [KEY_F4] = "\x1bOS",
	[KEY_F5] = "\x1b[15~", [KEY_F6] = "\x1b[17~", [KEY_F7] = "\x1b[18~", [KEY_F8] = "\x1b[19~",
	[KEY_F9] = "\x1b[20~", [KEY_F10] = "\x1b[21~", [KEY_F11] = "\x1b[23~", [KEY_F12] = "\x1b[24~",
};

/* With Num Lock off the keypad is a second set of navigation keys. */
static const uint8_t keypad_nav[KEY_COUNT] = {
	[KEY_KP7] = KEY_HOME, [KEY_KP8] = KEY_UP, [KEY_KP9] = KEY_PAGEUP,
	[KEY_KP4] = KEY_LEFT, [KEY_KP6] = KEY_RIGHT,
	[KEY_KP1] = KEY_END, [KEY_KP2] = KEY_DOWN, [KEY_KP3] = KEY_PAGEDOWN,
	[KEY_KP0] = KEY_INSERT, [KEY_KPDOT] = KEY_DELETE,
};

/* ---- scancodes to events ---- */

static bool is_down(const struct kbd_xlate *x, unsigned key)
{
	return x->down[key / 8] & (1u << (key % 8));
}

static void set_down(struct kbd_xlate *x, unsigned key, bool down)
{
	if (down)
		x->down[key / 8] |= (uint8_t)(1u << (key % 8));
	else
		x->down[key / 8] &= (uint8_t)~(1u << (key % 8));
}

static uint8_t held_mods(const struct kbd_xlate *x)
{
	uint8_t m = 0;
	if (is_down(x, KEY_LEFTSHIFT) || is_down(x, KEY_RIGHTSHIFT))
		m |= KEY_MOD_SHIFT;
	if (is_down(x, KEY_LEFTCTRL) || is_down(x, KEY_RIGHTCTRL))
		m |= KEY_MOD_CTRL;
	if (is_down(x, KEY_LEFTALT) || is_down(x, KEY_RIGHTALT))
		m |= KEY_MOD_ALT;
	if (is_down(x, KEY_LEFTMETA) || is_down(x, KEY_RIGHTMETA))
		m |= KEY_MOD_META;
	return m;
}

static bool key_event(struct kbd_xlate *x, unsigned key, bool pressed, struct key_event *ev)
{
	bool repeat = pressed && is_down(x, key);
	set_down(x, key, pressed);
	uint8_t locks = x->mods & (KEY_MOD_CAPSLOCK | KEY_MOD_NUMLOCK);
	if (pressed && !repeat && key == KEY_CAPSLOCK)
		locks ^= KEY_MOD_CAPSLOCK;
	if (pressed && !repeat && key == KEY_NUMLOCK)
		locks ^= KEY_MOD_NUMLOCK;
	x->mods = held_mods(x) | locks;
	*ev = (struct key_event){.key = (uint16_t)key, .mods = x->mods, .pressed = pressed, .repeat = repeat};
	return true;
}

void kbd_xlate_init(struct kbd_xlate *x)
{
	memset(x, 0, sizeof *x);
}

bool kbd_xlate_byte(struct kbd_xlate *x, uint8_t code, struct key_event *ev)
{
	if (x->pause_left) { /* E1 1D 45 (press) or E1 9D C5 (release) */
		if (--x->pause_left)
			return false;
		return key_event(x, KEY_PAUSE, !(code & 0x80), ev);
	}
	if (code == 0xE0) {
		x->prefix = 0xE0;
		return false;
	}
	if (code == 0xE1) {
		x->pause_left = 2;
		return false;
	}
	const uint8_t *table = x->prefix == 0xE0 ? set1_e0 : set1_plain;
	x->prefix = 0;
	unsigned key = table[code & 0x7f];
	if (key == KEY_NONE)
		return false;
	return key_event(x, key, !(code & 0x80), ev);
}

/* ---- events to bytes ---- */

static unsigned keypad_key(const struct key_event *ev)
{
	if (ev->mods & KEY_MOD_NUMLOCK)
		return ev->key;
	if (ev->key == KEY_KP5)
		return KEY_NONE; /* the middle of the pad navigates nowhere */
	return keypad_nav[ev->key] != KEY_NONE ? keypad_nav[ev->key] : ev->key;
}

static bool is_function_key(unsigned key)
{
	return (key >= KEY_F1 && key <= KEY_F10) || key == KEY_F11 || key == KEY_F12;
}

/* The character a key types with the current modifiers, or -1. */
static int key_char(unsigned key, uint8_t mods)
{
	if (us_layout[key][0] == 0)
		return -1;
	bool shift = mods & KEY_MOD_SHIFT;
	char plain = us_layout[key][0];
	if ((mods & KEY_MOD_CAPSLOCK) && plain >= 'a' && plain <= 'z')
		shift = !shift;
	unsigned char c = (unsigned char)us_layout[key][shift];
	if ((mods & KEY_MOD_CTRL) && ((c >= 0x40 && c <= 0x7e) || c == ' '))
		c &= 0x1f;
	return c;
}

size_t kbd_event_bytes(const struct key_event *ev, char *out, size_t size)
{
	if (!ev->pressed || ev->key >= KEY_COUNT)
		return 0;
	unsigned key = keypad_key(ev);
	char buf[8];
	size_t n = 0;
	if (sequences[key]) {
		if ((ev->mods & KEY_MOD_ALT) && is_function_key(key))
			return 0; /* Alt+Fn belongs to the console switcher */
		n = strlen(sequences[key]);
		memcpy(buf, sequences[key], n);
	} else {
		int c = key_char(key, ev->mods);
		if (c < 0)
			return 0;
		if (ev->mods & KEY_MOD_ALT)
			buf[n++] = 0x1b;
		buf[n++] = (char)c;
	}
	n = MIN(n, size);
	memcpy(out, buf, n);
	return n;
}
