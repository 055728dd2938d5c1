/* test_kbd.c - scancode set 1 to key events, and key events to typed bytes. */
#include <string.h>

#include "drivers/ps2/kbd_internal.h"
#include "unit.h"

/* A keyboard fed with scancodes; typed[] collects the bytes presses type. */
struct kb {
	struct kbd_xlate x;
	struct key_event last;
	int events;
	char typed[256];
	size_t ntyped;
};

static void feed(struct kb *k, const uint8_t *codes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct key_event ev;
		if (!kbd_xlate_byte(&k->x, codes[i], &ev))
			continue;
		k->last = ev;
		k->events++;
		k->ntyped += kbd_event_bytes(&ev, k->typed + k->ntyped, sizeof k->typed - 1 - k->ntyped);
		k->typed[k->ntyped] = '\0';
	}
}

#define FEED(k, ...)                                              \
	do {                                                      \
		const uint8_t codes_[] = {__VA_ARGS__};           \
		feed((k), codes_, sizeof codes_);                 \
	} while (0)

static void kb_init(struct kb *k)
{
	memset(k, 0, sizeof *k);
	kbd_xlate_init(&k->x);
}

/* make codes */
enum {
	SC_ESC = 0x01, SC_1 = 0x02, SC_2 = 0x03, SC_6 = 0x07, SC_BKSP = 0x0E, SC_TAB = 0x0F,
	SC_Q = 0x10, SC_LBRACKET = 0x1A, SC_ENTER = 0x1C, SC_CTRL = 0x1D, SC_A = 0x1E,
	SC_C = 0x2E, SC_LSHIFT = 0x2A, SC_RSHIFT = 0x36, SC_ALT = 0x38, SC_SPACE = 0x39,
	SC_CAPS = 0x3A, SC_F1 = 0x3B, SC_F12 = 0x58, SC_NUMLOCK = 0x45, SC_KP8 = 0x48,
	SC_KP5 = 0x4C, SC_SLASH = 0x35, SC_HOME = 0x47, SC_UP = 0x48, SC_LEFT = 0x4B,
	SC_END = 0x4F, SC_DEL = 0x53, SC_PGUP = 0x49,
};
#define BRK(sc) ((sc) | 0x80)

TEST(kbd_letters_digits_and_release)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_A, BRK(SC_A), SC_1, BRK(SC_1), SC_Q);
	CHECK_STR(k.typed, "a1q");
	CHECK_EQ(k.events, 5);
	CHECK_EQ(k.last.key, KEY_Q);
	CHECK(k.last.pressed);
	FEED(&k, BRK(SC_Q));
	CHECK(!k.last.pressed);
	CHECK_EQ(k.last.key, KEY_Q);
	CHECK_STR(k.typed, "a1q"); /* releases type nothing */
}

TEST(kbd_shift_either_side)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_LSHIFT, SC_A, SC_1, SC_LBRACKET, BRK(SC_LSHIFT), SC_A);
	FEED(&k, SC_RSHIFT, SC_6, BRK(SC_RSHIFT), SC_6);
	CHECK_STR(k.typed, "A!{a^6");
	CHECK_EQ(k.last.mods & KEY_MOD_SHIFT, 0);
}

TEST(kbd_caps_lock_affects_letters_only)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_CAPS, BRK(SC_CAPS));
	CHECK(k.last.mods & KEY_MOD_CAPSLOCK);
	FEED(&k, SC_A, SC_1, SC_LSHIFT, SC_A, SC_1, BRK(SC_LSHIFT));
	CHECK_STR(k.typed, "A1a!");
	FEED(&k, SC_CAPS, SC_CAPS, SC_CAPS, BRK(SC_CAPS)); /* held: repeats do not toggle again */
	CHECK_EQ(k.last.mods & KEY_MOD_CAPSLOCK, 0);
	FEED(&k, SC_A);
	CHECK_STR(k.typed, "A1a!a");
}

TEST(kbd_ctrl_makes_control_codes)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_CTRL, SC_C, BRK(SC_C), SC_A, SC_LBRACKET, SC_SPACE, BRK(SC_CTRL), SC_C);
	CHECK_EQ(k.ntyped, 5);
	CHECK_EQ(k.typed[0], 0x03);
	CHECK_EQ(k.typed[1], 0x01);
	CHECK_EQ(k.typed[2], 0x1b);
	CHECK_EQ(k.typed[3], 0x00);
	CHECK_EQ(k.typed[4], 'c');
	FEED(&k, 0xE0, SC_CTRL, SC_LSHIFT, SC_C); /* right Ctrl, with Shift */
	CHECK_EQ(k.typed[5], 0x03);
	CHECK_EQ(k.last.mods & (KEY_MOD_CTRL | KEY_MOD_SHIFT), KEY_MOD_CTRL | KEY_MOD_SHIFT);
}

TEST(kbd_special_keys)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_ENTER, SC_BKSP, SC_TAB, SC_ESC);
	CHECK_STR(k.typed, "\n\x7f\t\x1b");
}

TEST(kbd_extended_keys_type_escape_sequences)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, 0xE0, SC_UP, 0xE0, BRK(SC_UP), 0xE0, SC_LEFT, 0xE0, SC_HOME, 0xE0, SC_END);
	CHECK_STR(k.typed, "\x1b[A\x1b[D\x1b[H\x1b[F");
	k.ntyped = 0;
	FEED(&k, 0xE0, SC_DEL, 0xE0, SC_PGUP, 0xE0, 0x51, 0xE0, SC_ENTER, 0xE0, SC_SLASH);
	CHECK_STR(k.typed, "\x1b[3~\x1b[5~\x1b[6~\n/");
	CHECK_EQ(k.last.key, KEY_KPSLASH);
}

TEST(kbd_extended_keys_are_distinct_events)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, 0xE0, SC_ALT);
	CHECK_EQ(k.last.key, KEY_RIGHTALT);
	CHECK(k.last.mods & KEY_MOD_ALT);
	FEED(&k, 0xE0, BRK(SC_ALT), 0xE0, SC_CTRL);
	CHECK_EQ(k.last.key, KEY_RIGHTCTRL);
	CHECK_EQ(k.last.mods, KEY_MOD_CTRL);
	FEED(&k, 0xE0, SC_UP);
	CHECK_EQ(k.last.key, KEY_UP);
	FEED(&k, SC_KP8); /* the same code without E0 is the keypad's 8 */
	CHECK_EQ(k.last.key, KEY_KP8);
}

TEST(kbd_fake_shifts_are_dropped)
{
	struct kb k;
	kb_init(&k);
	/* Print Screen press and release, then Home as some keyboards send it with Num Lock on */
	FEED(&k, 0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
	CHECK_EQ(k.events, 2);
	CHECK_EQ(k.last.key, KEY_SYSRQ);
	FEED(&k, 0xE0, 0xAA, 0xE0, SC_HOME, 0xE0, BRK(SC_HOME), 0xE0, 0x2A, SC_A);
	CHECK_EQ(k.last.mods & KEY_MOD_SHIFT, 0);
	CHECK_STR(k.typed, "\x1b[Ha");
}

TEST(kbd_pause_sequence)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, 0xE1, 0x1D, 0x45);
	CHECK_EQ(k.events, 1);
	CHECK_EQ(k.last.key, KEY_PAUSE);
	CHECK(k.last.pressed);
	FEED(&k, 0xE1, 0x9D, 0xC5);
	CHECK(!k.last.pressed);
	CHECK_EQ(k.last.mods & KEY_MOD_CTRL, 0); /* the 1D inside was not a Ctrl press */
	CHECK_EQ(k.ntyped, 0);
}

TEST(kbd_function_keys_and_alt)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_F1, SC_F12);
	CHECK_STR(k.typed, "\x1bOP\x1b[24~");
	k.ntyped = 0;
	k.typed[0] = 0;
	FEED(&k, SC_ALT, SC_F1);
	CHECK_EQ(k.last.key, KEY_F1);
	CHECK(k.last.pressed);
	CHECK(k.last.mods & KEY_MOD_ALT);
	CHECK_EQ(k.ntyped, 0); /* Alt+F1 is an event only: the console switcher's */
	FEED(&k, SC_A);
	CHECK_STR(k.typed, "\x1b" "a");
}

TEST(kbd_repeat_is_flagged)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_A);
	CHECK(!k.last.repeat);
	FEED(&k, SC_A, SC_A);
	CHECK(k.last.repeat);
	CHECK_STR(k.typed, "aaa");
	FEED(&k, BRK(SC_A), SC_A);
	CHECK(!k.last.repeat);
}

TEST(kbd_keypad_follows_num_lock)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, SC_KP8, SC_KP5, 0x52);
	CHECK_STR(k.typed, "\x1b[A\x1b[2~");
	FEED(&k, SC_NUMLOCK, BRK(SC_NUMLOCK), SC_KP8, SC_KP5, 0x53, 0x37, 0x4E);
	CHECK_STR(k.typed, "\x1b[A\x1b[2~85.*+");
	CHECK(k.last.mods & KEY_MOD_NUMLOCK);
}

TEST(kbd_unknown_codes_and_replies_are_ignored)
{
	struct kb k;
	kb_init(&k);
	FEED(&k, 0x00, 0xFF, 0xFA, 0xFE, 0xEE, 0x7A, 0x59, 0xE0, 0x01, 0xE0, 0x60, SC_A);
	CHECK_EQ(k.events, 1);
	CHECK_STR(k.typed, "a");
}

TEST(kbd_bytes_respect_the_buffer_size)
{
	struct key_event ev = {.key = KEY_F5, .pressed = true};
	char out[8];
	memset(out, 'x', sizeof out);
	CHECK_EQ(kbd_event_bytes(&ev, out, 3), 3);
	CHECK_EQ(out[3], 'x');
	CHECK(memcmp(out, "\x1b[1", 3) == 0);
	ev.key = KEY_COUNT + 5; /* out of range: nothing */
	CHECK_EQ(kbd_event_bytes(&ev, out, sizeof out), 0);
}
