/*
 * grid.c - the text terminal behind the framebuffer console, without pixels.
 *
 * Bytes go through a three-state parser (text, after ESC, inside a CSI
 * sequence). Text lands in a ring of rows, so scrolling one line costs one
 * row clear, not a copy of the screen. Nothing is drawn here: rows that change
 * are recorded as a dirty range, and fbcon_grid_flush() compares them with what
 * the screen shows and asks the caller to draw only the cells that differ.
 * A burst of output (the log replay, a full screen of text) therefore costs
 * one redraw of the final screen, however many times it scrolled.
 *
 * Understood: \n (to column 0 of the next line), \r, \t (stops every 8
 * columns), \b (left, no erase); ESC[...m with 0, 1, 22, 30-37, 39, 40-47,
 * 49, 90-97, 100-107; ESC[J and ESC[K with 0/1/2; ESC[row;colH (and f);
 * ESC[nA/B/C/D; ESC[?25h/l (show, hide cursor). Other controls and
 * sequences (also ESC with intermediates, like ESC ( B) are consumed and
 * ignored. A byte >= 0x80 is shown as the missing-glyph box, once per UTF-8
 * sequence (continuation bytes are skipped).
 * Writing the last column leaves the cursor there with a pending wrap, as
 * VT100-style terminals do, so a full-width line followed by \n takes one line.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "fbcon_internal.h"

#include "lib/lib.h"

#define TAB_WIDTH 8

/* The dirty range is empty when dirty_lo == rows. */
static void mark_dirty(struct fbcon_grid *g, unsigned lo, unsigned hi)
{
	if (g->dirty_lo == g->rows) {
		g->dirty_lo = lo;
		g->dirty_hi = hi;
	} else {
		g->dirty_lo = MIN(g->dirty_lo, lo);
		g->dirty_hi = MAX(g->dirty_hi, hi);
	}
}

static void clear_span(struct fbcon_grid *g, unsigned row, unsigned from, unsigned to)
{
	struct fbcon_cell blank = {' ', FBCON_ATTR(7, FBCON_ATTR_BG(g->attr))};
	struct fbcon_cell *line = fbcon_grid_at(g, row, 0);
	for (unsigned c = from; c < to; c++)
		line[c] = blank;
	mark_dirty(g, row, row);
}

static void scroll_up(struct fbcon_grid *g)
{
	g->top = (g->top + 1) % g->rows;
	clear_span(g, g->rows - 1, 0, g->cols);
	mark_dirty(g, 0, g->rows - 1);
}

static void line_feed(struct fbcon_grid *g)
{
	g->wrap_pending = false;
	if (g->cy + 1 < g->rows)
		g->cy++;
	else
		scroll_up(g);
}

void fbcon_grid_init(struct fbcon_grid *g, struct fbcon_cell *cells, unsigned cols, unsigned rows)
{
	*g = (struct fbcon_grid){
		.cells = cells,
		.cols = cols,
		.rows = rows,
		.cursor_on = true,
		.attr = FBCON_ATTR_DEFAULT,
		.dirty_lo = rows, /* empty; the clears below mark every row */
		.dirty_hi = rows,
	};
	for (unsigned r = 0; r < rows; r++)
		clear_span(g, r, 0, cols);
}

static void put_glyph(struct fbcon_grid *g, uint8_t glyph)
{
	if (g->wrap_pending) {
		g->cx = 0;
		line_feed(g);
	}
	uint8_t fg = FBCON_ATTR_FG(g->attr);
	if (g->bold && fg < 8)
		fg += 8;
	*fbcon_grid_at(g, g->cy, g->cx) = (struct fbcon_cell){glyph, FBCON_ATTR(fg, FBCON_ATTR_BG(g->attr))};
	mark_dirty(g, g->cy, g->cy);
	if (g->cx + 1 < g->cols)
		g->cx++;
	else
		g->wrap_pending = true;
}

static void control(struct fbcon_grid *g, char c)
{
	switch (c) {
	case '\n':
		g->cx = 0;
		line_feed(g);
		break;
	case '\r':
		g->cx = 0;
		g->wrap_pending = false;
		break;
	case '\t':
		if (!g->wrap_pending)
			g->cx = MIN(ALIGN_DOWN(g->cx, TAB_WIDTH) + TAB_WIDTH, g->cols - 1);
		break;
	case '\b':
		if (g->wrap_pending)
			g->wrap_pending = false;
		else if (g->cx > 0)
			g->cx--;
		break;
	case 0x1b:
		g->state = FBCON_ESC;
		break;
	default:
		break; /* other control bytes show nothing */
	}
}

/* ---- CSI sequences ---- */

static unsigned param(const struct fbcon_grid *g, unsigned i, unsigned dflt)
{
	return i < g->nparams && g->params[i] ? g->params[i] : dflt;
}

static void sgr_one(struct fbcon_grid *g, unsigned p)
{
	uint8_t fg = FBCON_ATTR_FG(g->attr), bg = FBCON_ATTR_BG(g->attr);
	if (p == 0) {
		fg = 7, bg = 0;
		g->bold = false;
	} else if (p == 1) {
		g->bold = true;
	} else if (p == 22) {
		g->bold = false;
	} else if (p >= 30 && p <= 37) {
		fg = (uint8_t)(p - 30);
	} else if (p == 39) {
		fg = 7;
	} else if (p >= 40 && p <= 47) {
		bg = (uint8_t)(p - 40);
	} else if (p == 49) {
		bg = 0;
	} else if (p >= 90 && p <= 97) {
		fg = (uint8_t)(p - 90 + 8);
	} else if (p >= 100 && p <= 107) {
		bg = (uint8_t)(p - 100 + 8);
	}
	g->attr = FBCON_ATTR(fg, bg);
}

static void sgr(struct fbcon_grid *g)
{
	if (g->nparams == 0)
		sgr_one(g, 0);
	for (unsigned i = 0; i < g->nparams; i++)
		sgr_one(g, g->params[i]);
}

/* ESC[J (mode 0: cursor to end, 1: start to cursor, 2: all). */
static void erase_display(struct fbcon_grid *g, unsigned mode)
{
	if (mode == 0) {
		clear_span(g, g->cy, g->cx, g->cols);
		for (unsigned r = g->cy + 1; r < g->rows; r++)
			clear_span(g, r, 0, g->cols);
	} else if (mode == 1) {
		for (unsigned r = 0; r < g->cy; r++)
			clear_span(g, r, 0, g->cols);
		clear_span(g, g->cy, 0, g->cx + 1);
	} else if (mode == 2 || mode == 3) {
		for (unsigned r = 0; r < g->rows; r++)
			clear_span(g, r, 0, g->cols);
	}
}

/* ESC[K (mode 0: cursor to end of line, 1: start to cursor, 2: whole line). */
static void erase_line(struct fbcon_grid *g, unsigned mode)
{
	if (mode == 0)
		clear_span(g, g->cy, g->cx, g->cols);
	else if (mode == 1)
		clear_span(g, g->cy, 0, g->cx + 1);
	else if (mode == 2)
		clear_span(g, g->cy, 0, g->cols);
}

static void move_to(struct fbcon_grid *g, long row, long col)
{
	g->cy = (unsigned)(row < 0 ? 0 : MIN(row, (long)g->rows - 1));
	g->cx = (unsigned)(col < 0 ? 0 : MIN(col, (long)g->cols - 1));
	g->wrap_pending = false;
}

static void csi_final(struct fbcon_grid *g, char final)
{
	long n = param(g, 0, 1);
	if (g->priv) {
		if (param(g, 0, 0) == 25 && (final == 'h' || final == 'l'))
			g->cursor_on = final == 'h';
		return;
	}
	switch (final) {
	case 'm': sgr(g); break;
	case 'J': erase_display(g, param(g, 0, 0)); break;
	case 'K': erase_line(g, param(g, 0, 0)); break;
	case 'H':
	case 'f': move_to(g, (long)param(g, 0, 1) - 1, (long)param(g, 1, 1) - 1); break;
	case 'A': move_to(g, (long)g->cy - n, g->cx); break;
	case 'B': move_to(g, (long)g->cy + n, g->cx); break;
	case 'C': move_to(g, g->cy, (long)g->cx + n); break;
	case 'D': move_to(g, g->cy, (long)g->cx - n); break;
	default: break;
	}
}

/* One byte inside "ESC [": parameters, then a final byte in 0x40..0x7e. */
static void csi_byte(struct fbcon_grid *g, char c)
{
	if (c >= '0' && c <= '9') {
		if (g->nparams == 0)
			g->nparams = 1;
		unsigned *p = &g->params[g->nparams - 1];
		*p = MIN(*p * 10 + (unsigned)(c - '0'), 9999u);
	} else if (c == ';') {
		if (g->nparams == 0)
			g->nparams = 1; /* an empty first parameter */
		if (g->nparams < FBCON_MAX_PARAMS)
			g->params[g->nparams++] = 0;
	} else if (c == '?' && g->nparams == 0) {
		g->priv = true;
	} else if (c >= 0x40 && c <= 0x7e) {
		g->state = FBCON_TEXT;
		csi_final(g, c);
	} else if ((unsigned char)c < 0x20) {
		g->state = FBCON_TEXT; /* a control byte abandons the sequence */
		control(g, c);
	}
	/* other intermediate bytes are ignored */
}

static void esc_byte(struct fbcon_grid *g, char c)
{
	if (c == '[') {
		g->state = FBCON_CSI;
		g->priv = false;
		g->nparams = 0;
		memset(g->params, 0, sizeof g->params);
	} else if (c < 0x20 || c > 0x2f) {
		g->state = FBCON_TEXT; /* ESC [intermediates] final, e.g. ESC ( B: dropped */
	}
}

void fbcon_grid_write(struct fbcon_grid *g, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned char u = (unsigned char)c;
		if (g->state == FBCON_ESC)
			esc_byte(g, c);
		else if (g->state == FBCON_CSI)
			csi_byte(g, c);
		else if (u < 0x20)
			control(g, c);
		else if (u < 0x7f)
			put_glyph(g, u);
		else if (u >= 0xc0)
			put_glyph(g, FBCON_GLYPH_MISSING); /* lead byte of a UTF-8 sequence */
		/* 0x7f (DEL) and 0x80-0xbf (UTF-8 continuations) show nothing */
	}
}

/* ---- bringing the screen up to date ---- */

static struct fbcon_cell appearance(const struct fbcon_grid *g, unsigned row, unsigned col)
{
	struct fbcon_cell c = *fbcon_grid_at(g, row, col);
	if (g->cursor_on && row == g->cy && col == g->cx)
		c.attr = FBCON_ATTR(FBCON_ATTR_BG(c.attr), FBCON_ATTR_FG(c.attr));
	return c;
}

static unsigned flush_row(struct fbcon_grid *g, unsigned row, struct fbcon_cell *shown, fbcon_draw_fn draw,
			  void *ctx)
{
	unsigned drawn = 0;
	struct fbcon_cell *s = &shown[row * g->cols];
	for (unsigned col = 0; col < g->cols; col++) {
		struct fbcon_cell c = appearance(g, row, col);
		if (c.ch == s[col].ch && c.attr == s[col].attr)
			continue;
		draw(ctx, row, col, c);
		s[col] = c;
		drawn++;
	}
	return drawn;
}

unsigned fbcon_grid_flush(struct fbcon_grid *g, struct fbcon_cell *shown, fbcon_draw_fn draw, void *ctx)
{
	/* the cursor's old and new cells change appearance even if their text did not */
	mark_dirty(g, g->shown_cy, g->shown_cy);
	mark_dirty(g, g->cy, g->cy);
	unsigned drawn = 0;
	for (unsigned row = g->dirty_lo; row <= g->dirty_hi; row++)
		drawn += flush_row(g, row, shown, draw, ctx);
	g->dirty_lo = g->dirty_hi = g->rows; /* empty */
	g->shown_cx = g->cx;
	g->shown_cy = g->cy;
	return drawn;
}

void fbcon_grid_invalidate(struct fbcon_grid *g, struct fbcon_cell *shown)
{
	memset(shown, 0, (size_t)g->rows * g->cols * sizeof *shown);
	mark_dirty(g, 0, g->rows - 1);
}
