/* test_fbcon.c - the framebuffer console's text grid: text, cursor, scrolling,
 * escape sequences, and which cells a flush redraws. */
#include <stdlib.h>
#include <string.h>

#include "drivers/fb/fbcon_internal.h"
#include "unit.h"

#define COLS 20
#define ROWS 5

struct term {
	struct fbcon_grid g;
	struct fbcon_cell cells[COLS * ROWS];
	struct fbcon_cell shown[COLS * ROWS];
	unsigned draws;
	struct fbcon_cell last;
	unsigned last_row, last_col;
};

static struct term *term_create(void)
{
	struct term *t = calloc(1, sizeof *t);
	fbcon_grid_init(&t->g, t->cells, COLS, ROWS);
	return t;
}

static void put(struct term *t, const char *s)
{
	fbcon_grid_write(&t->g, s, strlen(s));
}

/* Screen row as a string, trailing blanks removed. */
static const char *row_text(struct term *t, unsigned row)
{
	static char buf[COLS + 1];
	for (unsigned c = 0; c < COLS; c++)
		buf[c] = (char)fbcon_grid_at(&t->g, row, c)->ch;
	buf[COLS] = '\0';
	for (int c = COLS - 1; c >= 0 && buf[c] == ' '; c--)
		buf[c] = '\0';
	return buf;
}

static uint8_t attr_at(struct term *t, unsigned row, unsigned col)
{
	return fbcon_grid_at(&t->g, row, col)->attr;
}

static void count_draw(void *ctx, unsigned row, unsigned col, struct fbcon_cell c)
{
	struct term *t = ctx;
	t->draws++;
	t->last = c;
	t->last_row = row;
	t->last_col = col;
}

static unsigned flush(struct term *t)
{
	t->draws = 0;
	return fbcon_grid_flush(&t->g, t->shown, count_draw, t);
}

TEST(fbcon_text_lands_in_cells_and_moves_cursor)
{
	struct term *t = term_create();
	put(t, "hello");
	CHECK_STR(row_text(t, 0), "hello");
	CHECK_EQ(t->g.cx, 5);
	CHECK_EQ(t->g.cy, 0);
	put(t, "\nab\rX");
	CHECK_STR(row_text(t, 1), "Xb");
	CHECK_EQ(t->g.cx, 1);
	CHECK_EQ(t->g.cy, 1);
	free(t);
}

TEST(fbcon_full_line_then_newline_takes_one_line)
{
	struct term *t = term_create();
	put(t, "01234567890123456789"); /* exactly COLS */
	CHECK_EQ(t->g.cy, 0);
	CHECK_EQ(t->g.cx, COLS - 1); /* stays on the last column, wrap pending */
	put(t, "\nnext");
	CHECK_STR(row_text(t, 1), "next");
	put(t, "\r01234567890123456789+");
	CHECK_STR(row_text(t, 2), "+");
	CHECK_EQ(t->g.cx, 1);
	free(t);
}

TEST(fbcon_scrolls_when_full)
{
	struct term *t = term_create();
	put(t, "l1\nl2\nl3\nl4\nl5");
	CHECK_EQ(t->g.cy, ROWS - 1);
	put(t, "\nl6");
	CHECK_STR(row_text(t, 0), "l2");
	CHECK_STR(row_text(t, 3), "l5");
	CHECK_STR(row_text(t, 4), "l6");
	put(t, "\n\n\n\n\n\n\nlast");
	CHECK_STR(row_text(t, 4), "last");
	for (unsigned r = 0; r < ROWS - 1; r++)
		CHECK_STR(row_text(t, r), "");
	free(t);
}

TEST(fbcon_tab_and_backspace)
{
	struct term *t = term_create();
	put(t, "a\tb");
	CHECK_EQ(fbcon_grid_at(&t->g, 0, 8)->ch, 'b');
	put(t, "\t\t\t\tc"); /* tabs stop at the last column */
	CHECK_EQ(fbcon_grid_at(&t->g, 0, COLS - 1)->ch, 'c');
	put(t, "\nxyz\b\bQ");
	CHECK_STR(row_text(t, 1), "xQz");
	put(t, "\r\b\b");
	CHECK_EQ(t->g.cx, 0);
	free(t);
}

TEST(fbcon_sgr_colours)
{
	struct term *t = term_create();
	put(t, "a\x1b[31mb\x1b[44mc\x1b[0md\x1b[97;100me\x1b[1;32mf\x1b[22mg\x1b[39;49mh\x1b[35m\x1b[mi");
	CHECK_EQ(attr_at(t, 0, 0), FBCON_ATTR_DEFAULT);
	CHECK_EQ(attr_at(t, 0, 1), FBCON_ATTR(1, 0));
	CHECK_EQ(attr_at(t, 0, 2), FBCON_ATTR(1, 4));
	CHECK_EQ(attr_at(t, 0, 3), FBCON_ATTR_DEFAULT);
	CHECK_EQ(attr_at(t, 0, 4), FBCON_ATTR(15, 8));
	CHECK_EQ(attr_at(t, 0, 5), FBCON_ATTR(10, 8)); /* bold shows green bright */
	CHECK_EQ(attr_at(t, 0, 6), FBCON_ATTR(2, 8));
	CHECK_EQ(attr_at(t, 0, 7), FBCON_ATTR_DEFAULT);
	CHECK_EQ(attr_at(t, 0, 8), FBCON_ATTR_DEFAULT); /* ESC[m is ESC[0m */
	CHECK_STR(row_text(t, 0), "abcdefghi");
	free(t);
}

TEST(fbcon_clear_and_position)
{
	struct term *t = term_create();
	put(t, "one\ntwo\nthree\x1b[2J");
	for (unsigned r = 0; r < ROWS; r++)
		CHECK_STR(row_text(t, r), "");
	CHECK_EQ(t->g.cy, 2); /* ESC[2J does not move the cursor */
	put(t, "\x1b[H*");
	CHECK_STR(row_text(t, 0), "*");
	put(t, "\x1b[3;5H#");
	CHECK_EQ(fbcon_grid_at(&t->g, 2, 4)->ch, '#');
	put(t, "\x1b[99;99H$"); /* clamped to the screen */
	CHECK_EQ(fbcon_grid_at(&t->g, ROWS - 1, COLS - 1)->ch, '$');
	free(t);
}

TEST(fbcon_erase_in_line)
{
	struct term *t = term_create();
	put(t, "abcdefgh\x1b[4D\x1b[K");
	CHECK_STR(row_text(t, 0), "abcd");
	put(t, "\nabcdefgh\x1b[4D\x1b[1K");
	CHECK_STR(row_text(t, 1), "     fgh");
	put(t, "\x1b[2K");
	CHECK_STR(row_text(t, 1), "");
	put(t, "\x1b[1;3H\x1b[J");
	CHECK_STR(row_text(t, 0), "ab");
	free(t);
}

TEST(fbcon_cursor_moves_are_clamped)
{
	struct term *t = term_create();
	put(t, "\x1b[3;3H\x1b[A");
	CHECK_EQ(t->g.cy, 1);
	put(t, "\x1b[10A\x1b[2C");
	CHECK_EQ(t->g.cy, 0);
	CHECK_EQ(t->g.cx, 4);
	put(t, "\x1b[50B\x1b[50D");
	CHECK_EQ(t->g.cy, ROWS - 1);
	CHECK_EQ(t->g.cx, 0);
	free(t);
}

TEST(fbcon_unknown_and_split_sequences)
{
	struct term *t = term_create();
	put(t, "a\x1b[5qb\x1b(Bc\x1b" "Zd\x1b[?1049he");
	CHECK_STR(row_text(t, 0), "abcde");
	put(t, "\x1b[");
	put(t, "3");
	put(t, "1m");
	put(t, "r");
	CHECK_EQ(attr_at(t, 0, 5), FBCON_ATTR(1, 0));
	put(t, "\x1b[31\n"); /* a control byte abandons the sequence and acts */
	CHECK_EQ(t->g.cy, 1);
	free(t);
}

TEST(fbcon_non_ascii_shows_one_box_per_utf8_char)
{
	struct term *t = term_create();
	put(t, "a\xc3\xa9" "b\xe2\x82\xac" "c\x7f\x01");
	CHECK_EQ(fbcon_grid_at(&t->g, 0, 1)->ch, FBCON_GLYPH_MISSING);
	CHECK_EQ(fbcon_grid_at(&t->g, 0, 2)->ch, 'b');
	CHECK_EQ(fbcon_grid_at(&t->g, 0, 3)->ch, FBCON_GLYPH_MISSING);
	CHECK_EQ(fbcon_grid_at(&t->g, 0, 4)->ch, 'c');
	CHECK_EQ(t->g.cx, 5); /* DEL and other controls show nothing */
	free(t);
}

TEST(fbcon_flush_draws_only_changes)
{
	struct term *t = term_create();
	fbcon_grid_invalidate(&t->g, t->shown);
	CHECK_EQ(flush(t), COLS * ROWS);
	CHECK_EQ(flush(t), 0);
	put(t, "x");
	CHECK_EQ(flush(t), 2); /* the x, and the cursor on the next cell */
	put(t, "\x1b[?25l");
	CHECK_EQ(flush(t), 1); /* the cursor cell goes back to normal */
	CHECK_EQ(t->last.attr, FBCON_ATTR_DEFAULT);
	put(t, "\x1b[?25h");
	CHECK_EQ(flush(t), 1);
	CHECK_EQ(t->last.attr, FBCON_ATTR(0, 7)); /* inverse */
	CHECK_EQ(t->last_col, 1);
	free(t);
}

TEST(fbcon_flush_after_scroll_redraws_moved_text)
{
	struct term *t = term_create();
	fbcon_grid_invalidate(&t->g, t->shown);
	put(t, "a\nb\nc\nd\ne");
	flush(t);
	put(t, "\n");
	/* rows 0-3 change letter (4), row 4 loses its e (1), cursor moves (old cell + new cell). */
	CHECK_EQ(flush(t), 4 + 1 + 1);
	CHECK_STR(row_text(t, 0), "b");
	CHECK_EQ(t->shown[0].ch, 'b');
	CHECK_EQ(t->shown[(ROWS - 1) * COLS].attr, FBCON_ATTR(0, 7)); /* cursor at column 0 */
	free(t);
}

TEST(fbcon_burst_of_output_costs_one_screen)
{
	struct term *t = term_create();
	fbcon_grid_invalidate(&t->g, t->shown);
	flush(t);
	for (int i = 0; i < 100; i++)
		put(t, "many lines scrolling\n");
	CHECK(flush(t) <= COLS * ROWS);
	CHECK_STR(row_text(t, ROWS - 2), "many lines scrolling");
	free(t);
}

TEST(fbcon_flush_moves_the_cursor_between_rows)
{
	struct term *t = term_create();
	fbcon_grid_invalidate(&t->g, t->shown);
	flush(t);
	CHECK_EQ(t->shown[0].attr, FBCON_ATTR(0, 7));
	put(t, "\x1b[3;4H");
	CHECK_EQ(flush(t), 2);
	CHECK_EQ(t->shown[0].attr, FBCON_ATTR_DEFAULT);
	CHECK_EQ(t->shown[2 * COLS + 3].attr, FBCON_ATTR(0, 7));
	free(t);
}
