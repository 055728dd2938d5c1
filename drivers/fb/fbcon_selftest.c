/*
 * fbcon_selftest.c - the framebuffer console draws what the grid holds.
 *
 * The tests write through the console sink and then read the pixels back
 * from the framebuffer (slow on real hardware, fine for a test) and compare
 * them with the font. Without a framebuffer (QEMU -kernel) they pass
 * trivially and say so. They clear the screen: the results that follow are
 * printed on a fresh screen.
 */
#include "arch.h"
#include "fbcon.h"
#include "fbcon_internal.h"
#include "kernel/test/selftest.h"

static struct con_fb_info fi;

static bool have_screen(void)
{
	if (fbcon_info(&fi) == 0)
		return true;
	kprintf("selftest:   no framebuffer: nothing to check\n");
	return false;
}

static void put(const char *s)
{
	fbcon_sink_write(s, strlen(s));
}

static uint32_t read_pixel(uint32_t x, uint32_t y)
{
	const uint8_t *p = (const uint8_t *)fi.virt + (size_t)y * fi.pitch + (size_t)x * (fi.bpp / 8u);
	switch (fi.bpp) {
	case 32: return *(const volatile uint32_t *)p;
	case 24: return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	default: return *(const volatile uint16_t *)p;
	}
}

static uint32_t field(uint32_t px, uint8_t pos, uint8_t size)
{
	return (px >> pos) & ((1u << size) - 1);
}

/* True if cell (row, col) shows glyph ch in two colours; returns them. */
static bool cell_shows(unsigned row, unsigned col, uint8_t ch, uint32_t *fg, uint32_t *bg)
{
	bool have_fg = false, have_bg = false;
	for (uint32_t y = 0; y < FONT_H; y++) {
		for (uint32_t x = 0; x < FONT_W; x++) {
			uint32_t px = read_pixel(col * FONT_W + x, row * FONT_H + y);
			bool on = fbcon_font[ch][y] & (0x80 >> x);
			uint32_t *want = on ? fg : bg;
			bool *seen = on ? &have_fg : &have_bg;
			if (!*seen)
				*want = px, *seen = true;
			else if (px != *want)
				return false;
		}
	}
	return !have_fg || !have_bg || *fg != *bg;
}

SELFTEST(fbcon_draws_glyph_in_colours)
{
	if (!have_screen())
		return 0;
	put("\x1b[2J\x1b[H\x1b[31;44mA\x1b[0m");
	uint32_t fg = 0, bg = 0;
	ST_CHECK(cell_shows(0, 0, 'A', &fg, &bg));
	ST_CHECK(field(fg, fi.red_pos, fi.red_size) != 0);
	ST_CHECK(field(fg, fi.blue_pos, fi.blue_size) == 0);
	ST_CHECK(field(bg, fi.blue_pos, fi.blue_size) != 0);
	ST_CHECK(field(bg, fi.red_pos, fi.red_size) == 0);
	put("\n");
	return 0;
}

SELFTEST(fbcon_cursor_is_inverse_block)
{
	if (!have_screen())
		return 0;
	put("\x1b[2J\x1b[Hxy");
	uint32_t fg = 0, bg = 0, cfg = 0, cbg = 0;
	ST_CHECK(cell_shows(0, 1, 'y', &fg, &bg));
	ST_CHECK(cell_shows(0, 2, FBCON_GLYPH_BLOCK, &cfg, &cbg)); /* blank cell, inverted */
	ST_CHECK(cfg == fg);
	put("\b");	/* the cursor moves back onto the y: it shows inverted */
	ST_CHECK(cell_shows(0, 1, 'y', &cfg, &cbg));
	ST_CHECK(cfg == bg && cbg == fg);
	ST_CHECK(cell_shows(0, 2, ' ', &cfg, &cbg) && cbg == bg);
	put("\n");
	return 0;
}

SELFTEST(fbcon_scrolls_up_one_line)
{
	if (!have_screen())
		return 0;
	char move[32];
	ksnprintf(move, sizeof move, "\x1b[2J\x1b[%u;1HQ\n", fi.rows);
	put(move);
	uint32_t fg = 0, bg = 0;
	ST_CHECK(cell_shows(fi.rows - 2, 0, 'Q', &fg, &bg));
	ST_CHECK(cell_shows(fi.rows - 1, 1, ' ', &fg, &bg));
	ST_CHECK(!cell_shows(fi.rows - 1, 0, 'Q', &fg, &bg) || fg == bg);
	return 0;
}

SELFTEST(fbcon_suspend_holds_drawing)
{
	if (!have_screen())
		return 0;
	put("\x1b[2J\x1b[H");
	fbcon_suspend();
	put("Z");
	uint32_t fg = 0, bg = 0;
	bool drawn_while_suspended = cell_shows(0, 0, 'Z', &fg, &bg) && fg != bg;
	fbcon_resume();
	ST_CHECK(!drawn_while_suspended);
	ST_CHECK(cell_shows(0, 0, 'Z', &fg, &bg) && fg != bg);
	put("\n");
	return 0;
}

/* Fills the screen, then times LINES more lines of width characters, each its
 * own write and each scrolling the screen; checks the last two landed. */
static int scroll_cost(unsigned width)
{
	char line[300];
	unsigned n = MIN(MIN(fi.cols - 1, (unsigned)sizeof line - 2), width);
	line[n] = '\n';
	enum { LINES = 32 };
	uint64_t t0 = 0;
	for (unsigned k = 0; k < fi.rows + LINES; k++) {
		if (k == fi.rows) /* the screen is full: from here every line scrolls */
			t0 = rdtsc();
		for (unsigned i = 0; i < n; i++) /* each line differs from its neighbours everywhere */
			line[i] = (char)('!' + (i + k) % 90);
		fbcon_sink_write(line, n + 1);
	}
	uint64_t t1 = rdtsc();
	uint32_t fg = 0, bg = 0;
	ST_CHECK(cell_shows(fi.rows - 2, 0, (uint8_t)line[0], &fg, &bg));
	ST_CHECK(cell_shows(fi.rows - 3, 1, (uint8_t)line[0], &fg, &bg)); /* the line before */
	kprintf("selftest:   %u-column lines scrolling the screen: %lu TSC cycles per line\n", n,
		(unsigned long)((t1 - t0) / LINES));
	put("\x1b[2J\x1b[H");
	return 0;
}

/* Speed is reported, not judged: the cost of scrolling a screen of long
 * lines (every cell changes) and of typical log lines, one write per line. */
SELFTEST(fbcon_scroll_cost)
{
	if (!have_screen())
		return 0;
	int r = scroll_cost(~0u);
	return r ? r : scroll_cost(64);
}
