/*
 * fbcon.c - the framebuffer console: draws the text grid (grid.c) in pixels.
 *
 * Theory of operation. The boot loader leaves a linear framebuffer (address,
 * pitch, size, 16/24/32 bits per pixel with the RGB field layout). At init we
 * map it, clear it, start a grid of 8x16 cells that fills the screen, replay
 * the kernel log so far into it and register as a console sink. Each console
 * write then goes through the grid (text, cursor, escapes, scrolling happen
 * there, in memory) and ends with a flush: the grid compares its cells with
 * shown[], our record of what each screen cell shows, and we draw only the
 * cells that differ. We never read the framebuffer: on real hardware it is
 * uncached and reads are very slow. Measured under QEMU TCG at 1024x768x32
 * (selftest fbcon_scroll_cost), one scrolling line per write costs about
 * 2.9M TSC cycles when every cell changes (127-column lines) and 1.7M for
 * 64-column lines; moving the pixels up with 64-bit copies instead costs
 * 2.1M, reads the framebuffer, and was dropped. A burst of output written
 * at once is drawn once, however often it scrolled.
 *
 * Data: fb (geometry and the 16 colours as pixel values; set once at init),
 * grid + cells (the text), shown (what is on screen). All three are changed
 * only with interrupts off and busy set. Invariant: when !busy and the
 * console is not suspended, every screen cell shows exactly shown[cell].
 * A write that arrives while busy (from a fault or NMI inside a write) is
 * dropped here and counted; the serial console still carries it.
 *
 * The cursor is the cell at the cursor drawn with its colours swapped (a
 * block over a blank cell). It does not blink: blinking needs a timer, and the
 * idle kernel has none.
 */
#include "fbcon.h"

#include "arch.h"
#include "fbcon_internal.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/console/console.h"
#include "kernel/driver/driver.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"

/* Enough for 2048x2160; a larger screen gets a grid in its top-left corner. */
#define MAX_COLS 256
#define MAX_ROWS 135

/* The 16 ANSI colours (VGA text-mode shades), as 8-bit R, G, B. */
static const uint8_t palette_rgb[16][3] = {
	{0x00, 0x00, 0x00}, {0xaa, 0x00, 0x00}, {0x00, 0xaa, 0x00}, {0xaa, 0x55, 0x00},
	{0x00, 0x00, 0xaa}, {0xaa, 0x00, 0xaa}, {0x00, 0xaa, 0xaa}, {0xaa, 0xaa, 0xaa},
	{0x55, 0x55, 0x55}, {0xff, 0x55, 0x55}, {0x55, 0xff, 0x55}, {0xff, 0xff, 0x55},
	{0x55, 0x55, 0xff}, {0xff, 0x55, 0xff}, {0x55, 0xff, 0xff}, {0xff, 0xff, 0xff},
};

/* Set once by fbcon_init, read-only afterwards. */
static struct {
	bool present;
	uint8_t *base;
	unsigned bytes_pp;
	uint32_t pixel[16];
	struct con_fb_info info;
} fb;

/* Changed only with interrupts off and busy set. Grid 0 (the kernel's console,
 * cells0) exists from init; grids 1..nconsoles-1 are made by
 * fbcon_consoles_create with kmalloc'd cells. The screen shows grid on_screen. */
static struct fbcon_grid grids[FBCON_CONSOLES_MAX];
static struct fbcon_cell cells0[MAX_COLS * MAX_ROWS];
static struct fbcon_cell shown[MAX_COLS * MAX_ROWS];
static unsigned nconsoles = 1, on_screen;
static bool busy;
static unsigned suspended; /* nesting depth of fbcon_suspend */
static unsigned owned[FBCON_CONSOLES_MAX]; /* nesting of fbcon_console_suspend */
static uint64_t dropped_writes;

/* ---- pixels ---- */

static uint32_t channel(uint8_t v, uint8_t pos, uint8_t size)
{
	if (size == 0)
		return 0;
	uint32_t c = size >= 8 ? (uint32_t)v << (size - 8) : (uint32_t)v >> (8 - size);
	return c << pos;
}

static uint32_t pixel_of(const uint8_t rgb[3])
{
	const struct con_fb_info *i = &fb.info;
	return channel(rgb[0], i->red_pos, i->red_size) | channel(rgb[1], i->green_pos, i->green_size) |
	       channel(rgb[2], i->blue_pos, i->blue_size);
}

/* Writes one 8-pixel row of a glyph: bit 7 of bits is the leftmost pixel. */
static void put_row(uint8_t *p, uint8_t bits, uint32_t fg, uint32_t bg)
{
	switch (fb.bytes_pp) {
	case 4:
		for (int x = 0; x < FONT_W; x++)
			((uint32_t *)p)[x] = bits & (0x80 >> x) ? fg : bg;
		break;
	case 3:
		for (int x = 0; x < FONT_W; x++, p += 3) {
			uint32_t v = bits & (0x80 >> x) ? fg : bg;
			p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16);
		}
		break;
	case 2:
		for (int x = 0; x < FONT_W; x++)
			((uint16_t *)p)[x] = (uint16_t)(bits & (0x80 >> x) ? fg : bg);
		break;
	}
}

/* 32 bpp with 8-byte aligned lines, the common case: two pixels per store,
 * from a table of the four (left, right) colour pairs. */
static void draw_cell32(uint8_t *p, const uint8_t *glyph, uint32_t fg, uint32_t bg)
{
	const uint64_t pair[4] = {
		(uint64_t)bg << 32 | bg, (uint64_t)fg << 32 | bg,
		(uint64_t)bg << 32 | fg, (uint64_t)fg << 32 | fg,
	};
	for (int y = 0; y < FONT_H; y++, p += fb.info.pitch) {
		uint64_t *q = (uint64_t *)p;
		uint8_t bits = glyph[y];
		q[0] = pair[bits >> 6];
		q[1] = pair[(bits >> 4) & 3];
		q[2] = pair[(bits >> 2) & 3];
		q[3] = pair[bits & 3];
	}
}

static void draw_cell(void *ctx, unsigned row, unsigned col, struct fbcon_cell c)
{
	(void)ctx;
	const uint8_t *glyph = fbcon_font[c.ch & 0x7f];
	uint32_t fg = fb.pixel[FBCON_ATTR_FG(c.attr)], bg = fb.pixel[FBCON_ATTR_BG(c.attr)];
	uint8_t *p = fb.base + (size_t)row * FONT_H * fb.info.pitch + (size_t)col * FONT_W * fb.bytes_pp;
	if (fb.bytes_pp == 4 && fb.info.pitch % 8 == 0) {
		draw_cell32(p, glyph, fg, bg);
		return;
	}
	for (int y = 0; y < FONT_H; y++, p += fb.info.pitch)
		put_row(p, glyph[y], fg, bg);
}

/* Paints every pixel of the screen (not only the grid) with colour 0. */
static void clear_screen(void)
{
	for (uint32_t y = 0; y < fb.info.height; y++) {
		uint8_t *p = fb.base + (size_t)y * fb.info.pitch;
		for (uint32_t x = 0; x + FONT_W <= fb.info.width; x += FONT_W)
			put_row(p + (size_t)x * fb.bytes_pp, 0, 0, fb.pixel[0]);
	}
}

/* ---- the console sink ---- */

static bool drawing(void)
{
	return !suspended && !owned[on_screen];
}

static void flush(void)
{
	if (drawing())
		fbcon_grid_flush(&grids[on_screen], shown, draw_cell, NULL);
}

/* Repaints the whole screen from the grid on it. Interrupts off, busy set. */
static void redraw(void)
{
	if (!drawing())
		return;
	clear_screen();
	fbcon_grid_invalidate(&grids[on_screen], shown);
	flush();
}

static void console_write(unsigned idx, const char *s, size_t n)
{
	uint64_t f = irq_save();
	if (busy) {
		dropped_writes++;
		irq_restore(f);
		return;
	}
	busy = true;
	fbcon_grid_write(&grids[idx], s, n);
	if (idx == on_screen)
		flush();
	busy = false;
	irq_restore(f);
}

void fbcon_sink_write(const char *s, size_t n)
{
	console_write(0, s, n);
}

static struct con_sink fbcon_sink = {.name = "framebuffer", .write = fbcon_sink_write};

/* Shows the log written before the screen existed, so it holds the whole boot. */
static void replay_log(void)
{
	static char buf[16384];
	fbcon_sink_write(buf, klog_read_console(buf, sizeof buf));
}

/* ---- bring-up ---- */

static int check_mode(const struct boot_fb *bf)
{
	if (bf->bpp != 16 && bf->bpp != 24 && bf->bpp != 32) {
		klog(KLOG_WARN, "fbcon: %u bits per pixel not supported (16, 24, 32 are)", bf->bpp);
		return -ENODEV;
	}
	if (bf->red_pos + bf->red_size > 32 || bf->green_pos + bf->green_size > 32 ||
	    bf->blue_pos + bf->blue_size > 32) {
		klog(KLOG_WARN, "fbcon: colour fields outside the pixel, not supported");
		return -ENODEV;
	}
	if (bf->width < FONT_W || bf->height < FONT_H || bf->pitch < bf->width * (bf->bpp / 8u) ||
	    bf->addr == 0) {
		klog(KLOG_WARN, "fbcon: framebuffer %ux%u pitch %u is unusable", bf->width, bf->height,
		     bf->pitch);
		return -ENODEV;
	}
	return 0;
}

static void set_geometry(const struct boot_fb *bf, void *virt)
{
	fb.info = (struct con_fb_info){
		.phys = bf->addr, .virt = virt,
		.width = bf->width, .height = bf->height, .pitch = bf->pitch, .bpp = bf->bpp,
		.red_pos = bf->red_pos, .red_size = bf->red_size,
		.green_pos = bf->green_pos, .green_size = bf->green_size,
		.blue_pos = bf->blue_pos, .blue_size = bf->blue_size,
		.cols = MIN(bf->width / FONT_W, (uint32_t)MAX_COLS),
		.rows = MIN(bf->height / FONT_H, (uint32_t)MAX_ROWS),
	};
	fb.base = virt;
	fb.bytes_pp = bf->bpp / 8u;
	for (int i = 0; i < 16; i++)
		fb.pixel[i] = pixel_of(palette_rgb[i]);
}

static const struct con_display fbcon_display = {
	.info = fbcon_info,
	.screens_create = fbcon_consoles_create,
	.screen_write = fbcon_console_write,
	.screen_show = fbcon_console_show,
	.screen_shown = fbcon_console_shown,
	.screen_suspend = fbcon_console_suspend,
	.screen_resume = fbcon_console_resume,
};

static int fbcon_init(const struct bootinfo *bi)
{
	const struct boot_fb *bf = &bi->fb;
	if (!bf->present)
		return -ENODEV;
	int err = check_mode(bf);
	if (err)
		return err;
	void *virt = vm_map_mmio(bf->addr, (size_t)bf->pitch * bf->height);
	if (!virt)
		return -ENOMEM;
	set_geometry(bf, virt);
	clear_screen();
	fbcon_grid_init(&grids[0], cells0, fb.info.cols, fb.info.rows);
	fbcon_grid_invalidate(&grids[0], shown);

	uint64_t f = irq_save(); /* no log line may fall between the replay and the sink */
	replay_log();
	con_sink_register(&fbcon_sink);
	fb.present = true;
	irq_restore(f);
	con_display_register(&fbcon_display); /* the consoles' screens (kernel/tty) */
	klog(KLOG_INFO, "fbcon: %ux%u, %u bpp, pitch %u, at %#lx: %ux%u text", bf->width, bf->height, bf->bpp,
	     bf->pitch, (unsigned long)bf->addr, fb.info.cols, fb.info.rows);
	return 0;
}

const struct driver fbcon_driver = {.name = "fbcon", .init = fbcon_init};

/* ---- the interface for programs that draw ---- */

int fbcon_info(struct con_fb_info *out)
{
	if (!fb.present)
		return -ENODEV;
	*out = fb.info;
	return 0;
}

void fbcon_suspend(void)
{
	uint64_t f = irq_save();
	suspended++;
	irq_restore(f);
}

void fbcon_resume(void)
{
	uint64_t f = irq_save();
	if (suspended && --suspended == 0 && fb.present && !busy) {
		busy = true;
		redraw();
		busy = false;
	}
	irq_restore(f);
}

/* ---- several text consoles, one on screen ---- */

int fbcon_consoles_create(unsigned count)
{
	if (!fb.present)
		return -ENODEV;
	if (count == 0 || count > FBCON_CONSOLES_MAX)
		return -EINVAL;
	size_t ncells = (size_t)fb.info.cols * fb.info.rows;
	for (unsigned i = nconsoles; i < count; i++) {
		struct fbcon_cell *c = kmalloc(ncells * sizeof *c);
		if (!c)
			return -ENOMEM; /* the consoles made so far stay */
		uint64_t f = irq_save();
		fbcon_grid_init(&grids[i], c, fb.info.cols, fb.info.rows);
		nconsoles = i + 1;
		irq_restore(f);
	}
	return 0;
}

void fbcon_console_write(unsigned idx, const char *s, size_t n)
{
	if (fb.present && idx < nconsoles)
		console_write(idx, s, n);
}

int fbcon_console_show(unsigned idx)
{
	if (!fb.present || idx >= nconsoles)
		return -EINVAL;
	uint64_t f = irq_save();
	on_screen = idx;
	if (!busy) {
		busy = true;
		redraw();
		busy = false;
	}
	irq_restore(f);
	return 0;
}

unsigned fbcon_console_shown(void)
{
	return on_screen;
}

/* The count changes even inside a nested write; only the redraw waits. */
void fbcon_console_suspend(unsigned idx)
{
	if (idx >= FBCON_CONSOLES_MAX)
		return;
	uint64_t f = irq_save();
	owned[idx]++;
	irq_restore(f);
}

void fbcon_console_resume(unsigned idx)
{
	if (idx >= FBCON_CONSOLES_MAX)
		return;
	uint64_t f = irq_save();
	if (owned[idx] && --owned[idx] == 0 && idx == on_screen && fb.present && !busy) {
		busy = true;
		redraw();
		busy = false;
	}
	irq_restore(f);
}
