/*
 * fbcon_internal.h - inside the framebuffer console: the font and the text grid.
 *
 * The grid (grid.c) is the terminal without pixels: it turns a byte stream
 * (text, \n \r \t \b, ANSI escape sequences) into cells of character and
 * colour, and later tells a drawing callback which cells changed on screen.
 * It touches no hardware, so the host unit tests run it on malloc'd cells.
 */
#ifndef OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H
#define OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FONT_W 8
#define FONT_H 16

extern const uint8_t fbcon_font[128][16];

/* Glyph indices with a fixed meaning in the font. */
#define FBCON_GLYPH_MISSING 0x01
#define FBCON_GLYPH_BLOCK 0x7F

/* Colours are ANSI numbers: 0-7 normal (black red green yellow blue magenta
 * cyan white), 8-15 their bright forms. A cell's attr holds the foreground
 * in the low nibble and the background in the high nibble. */
#define FBCON_ATTR(fg, bg) ((uint8_t)(((bg) << 4) | ((fg) & 0xF)))
#define FBCON_ATTR_FG(a) ((a) & 0xF)
#define FBCON_ATTR_BG(a) ((a) >> 4)
#define FBCON_ATTR_DEFAULT FBCON_ATTR(7, 0)

/* ch is a font index: never 0 in a grid, so {0, 0} can mean "unknown". */
struct fbcon_cell {
	uint8_t ch;
	uint8_t attr;
};

#define FBCON_MAX_PARAMS 8

enum fbcon_parse { FBCON_TEXT, FBCON_ESC, FBCON_CSI };

/*
 * Invariants: cx < cols, cy < rows; cells holds rows * cols cells as a ring
 * of rows, screen row r being ring row (top + r) % rows; every screen row
 * whose cells changed since the last flush lies in [dirty_lo, dirty_hi]
 * (the range is empty when dirty_lo == rows).
 */
struct fbcon_grid {
	struct fbcon_cell *cells;
	unsigned cols, rows;
	unsigned top;
	unsigned cx, cy;
	bool wrap_pending; /* wrote the last column: the next glyph wraps first */
	bool cursor_on;
	bool bold;	   /* SGR 1: normal foreground colours show bright */
	uint8_t attr;	   /* colours for newly written cells */
	unsigned dirty_lo, dirty_hi;
	unsigned shown_cx, shown_cy; /* where the cursor was drawn by the last flush */

	/* the escape-sequence parser */
	enum fbcon_parse state;
	bool priv; /* CSI with a '?' prefix */
	unsigned nparams;
	unsigned params[FBCON_MAX_PARAMS];
};

/* Starts an empty grid (blank cells, cursor home) over rows * cols cells. */
void fbcon_grid_init(struct fbcon_grid *g, struct fbcon_cell *cells, unsigned cols, unsigned rows);
/* Feeds bytes of output to the terminal. Never fails; unknown sequences are dropped. */
void fbcon_grid_write(struct fbcon_grid *g, const char *s, size_t n);

static inline struct fbcon_cell *fbcon_grid_at(const struct fbcon_grid *g, unsigned row, unsigned col)
{
	return &g->cells[((g->top + row) % g->rows) * g->cols + col];
}

typedef void (*fbcon_draw_fn)(void *ctx, unsigned row, unsigned col, struct fbcon_cell c);

/*
 * Brings the screen up to date: for each cell whose appearance (the cursor
 * cell drawn in inverse colours) differs from shown[row * cols + col], calls
 * draw and updates shown. Returns the number of cells drawn.
 */
unsigned fbcon_grid_flush(struct fbcon_grid *g, struct fbcon_cell *shown, fbcon_draw_fn draw, void *ctx);
/* Forgets what is on screen, so the next flush redraws every cell. */
void fbcon_grid_invalidate(struct fbcon_grid *g, struct fbcon_cell *shown);

#ifdef KERNEL
/* The console sink's write (fbcon.c): text to the screen only, not to serial. */
void fbcon_sink_write(const char *s, size_t n);
#endif

#endif /* OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H */
