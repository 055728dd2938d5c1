/*
 * test_tty.c - the console line discipline (kernel/tty/ldisc.c): cooked
 * editing, Ctrl+C, Ctrl+D, raw mode, and what is echoed.
 */
#include <optios/abi/errno.h>
#include <string.h>

#include "kernel/tty/tty_internal.h"
#include "unit.h"

static char echoed[200];
static size_t nechoed;

static void record(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (nechoed + n < sizeof echoed) {
		memcpy(echoed + nechoed, s, n);
		nechoed += n;
		echoed[nechoed] = '\0';
	}
}

static struct tty_ldisc ld;

static void start(void)
{
	nechoed = 0;
	echoed[0] = '\0';
	ldisc_init(&ld, record, NULL);
}

/* Types s; returns the OR of the flags. */
static unsigned type(const char *s)
{
	unsigned flags = 0;
	for (; *s; s++)
		flags |= ldisc_input(&ld, *s);
	return flags;
}

static const char *read_str(size_t len)
{
	static char buf[200];
	long n = ldisc_read(&ld, buf, len < sizeof buf ? len : sizeof buf - 1);
	if (n < 0)
		return n == -EAGAIN ? "<EAGAIN>" : "<error>";
	buf[n] = '\0';
	return n == 0 ? "<EOF>" : buf;
}

TEST(tty_cooked_line_waits_for_enter)
{
	start();
	CHECK_EQ(type("ls"), 0);
	CHECK(!ldisc_readable(&ld));
	CHECK_STR(read_str(100), "<EAGAIN>");
	CHECK_EQ(type("\n"), LDISC_WAKE);
	CHECK_STR(read_str(100), "ls\n");
	CHECK_STR(echoed, "ls\n");
	CHECK_STR(read_str(100), "<EAGAIN>");
}

TEST(tty_cooked_read_takes_one_line_at_a_time)
{
	start();
	type("one\ntwo\n");
	CHECK_STR(read_str(100), "one\n");
	CHECK_STR(read_str(2), "tw");
	CHECK_STR(read_str(100), "o\n");
}

TEST(tty_cooked_backspace_and_kill)
{
	start();
	type("abx\x7f"
	     "c\b\bd");
	type("\n");
	CHECK_STR(read_str(100), "ad\n");
	CHECK_STR(echoed, "abx\b \bc\b \b\b \bd\n");
	start();
	type("junk\x15ok\n");
	CHECK_STR(read_str(100), "ok\n");
	CHECK_STR(echoed, "junk\b \b\b \b\b \b\b \bok\n");
	start();
	type("\x7f\x7fz\n"); /* erasing an empty line does nothing */
	CHECK_STR(read_str(100), "z\n");
	CHECK_STR(echoed, "z\n");
}

TEST(tty_cooked_control_chars_echo_as_caret)
{
	start();
	type("a\x01");
	CHECK_STR(echoed, "a^A");
	type("\x7f");
	CHECK_STR(echoed, "a^A\b \b\b \b");
	type("\n");
	CHECK_STR(read_str(100), "a\n");
}

TEST(tty_ctrl_c_discards_line_and_interrupts)
{
	start();
	type("queued\n");
	CHECK_EQ(type("half"), 0);
	CHECK_EQ(type("\x03"), LDISC_INTR);
	CHECK_STR(echoed, "queued\nhalf^C\n");
	CHECK_STR(read_str(100), "<EAGAIN>");
	type("next\n");
	CHECK_STR(read_str(100), "next\n");
}

TEST(tty_ctrl_d_on_empty_line_is_eof_once)
{
	start();
	CHECK_EQ(type("\x04"), LDISC_WAKE);
	CHECK_STR(read_str(100), "<EOF>");
	CHECK_STR(read_str(100), "<EAGAIN>");
	type("x\n\x04");
	CHECK_STR(read_str(100), "x\n");
	CHECK_STR(read_str(100), "<EOF>");
}

TEST(tty_ctrl_d_after_text_ends_the_read_without_newline)
{
	start();
	CHECK_EQ(type("abc\x04"), LDISC_WAKE);
	CHECK_STR(read_str(100), "abc");
	CHECK_STR(read_str(100), "<EAGAIN>");
	CHECK_STR(echoed, "abc");
	type("ab\x04");
	CHECK_STR(read_str(2), "ab");
	CHECK_STR(read_str(100), "<EAGAIN>"); /* not an end of file */
}

TEST(tty_raw_mode_delivers_bytes_as_typed)
{
	start();
	struct optios_termios t = ld.tio;
	t.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO);
	CHECK_EQ(ldisc_set_termios(&ld, &t, false), 0);
	CHECK_EQ(type("a"), LDISC_WAKE);
	CHECK_STR(read_str(100), "a");
	type("\x1b[A\x7f\x04");
	CHECK_STR(read_str(100), "\x1b[A\x7f\x04");
	CHECK_EQ(nechoed, 0);
	CHECK_EQ(type("\x03"), LDISC_INTR); /* ISIG still on */
	t.c_lflag &= ~(uint32_t)OPTIOS_ISIG;
	ldisc_set_termios(&ld, &t, false);
	CHECK_EQ(type("\x03"), LDISC_WAKE);
	CHECK_STR(read_str(100), "\x03");
}

TEST(tty_raw_with_echo_and_back_to_cooked)
{
	start();
	type("par");
	struct optios_termios cooked = ld.tio, raw = ld.tio;
	raw.c_lflag &= ~(uint32_t)OPTIOS_ICANON;
	CHECK_EQ(ldisc_set_termios(&ld, &raw, false), LDISC_WAKE); /* the edited text becomes readable */
	type("t");
	CHECK_STR(read_str(100), "part");
	CHECK_STR(echoed, "part");
	ldisc_set_termios(&ld, &cooked, false);
	type("x\x7fy\n");
	CHECK_STR(read_str(100), "y\n");
}

TEST(tty_set_termios_flush_discards_input)
{
	start();
	type("old\nhalf");
	struct optios_termios t = ld.tio;
	ldisc_set_termios(&ld, &t, true);
	type("\n");
	CHECK_STR(read_str(100), "\n");
}

TEST(tty_cr_becomes_newline_with_icrnl)
{
	start();
	type("hi\r");
	CHECK_STR(read_str(100), "hi\n");
	struct optios_termios t = ld.tio;
	t.c_iflag = 0;
	t.c_lflag &= ~(uint32_t)OPTIOS_ICANON;
	ldisc_set_termios(&ld, &t, false);
	type("\r");
	CHECK_STR(read_str(100), "\r");
}

TEST(tty_full_line_and_queue_drop_and_count)
{
	start();
	for (int i = 0; i < LDISC_LINE + 10; i++)
		ldisc_input(&ld, 'a');
	CHECK(ld.dropped > 0);
	type("\n");
	long n = ldisc_read(&ld, (char[LDISC_LINE + 20]){0}, LDISC_LINE + 20);
	CHECK_EQ(n, LDISC_LINE); /* LDISC_LINE - 1 characters and the newline */
	start();
	struct optios_termios t = ld.tio;
	t.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO);
	ldisc_set_termios(&ld, &t, false);
	for (int i = 0; i < LDISC_QUEUE + 5; i++)
		ldisc_input(&ld, 'b');
	CHECK_EQ(ld.dropped, 5);
}

/* Issue 9: a 5000-byte paste into the shell's raw line editor overflowed the
 * queue and lost bytes, the next command's among them. In raw mode without
 * ISIG the room left is what the serial port may deliver before it waits;
 * with ISIG or in cooked mode input never waits (a Ctrl+C must get through). */
TEST(tty_room_bounds_raw_input_so_a_paste_waits)
{
	start();
	CHECK_EQ(ldisc_room(&ld), SIZE_MAX); /* cooked */
	struct optios_termios raw = ld.tio;
	raw.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO);
	ldisc_set_termios(&ld, &raw, false);
	CHECK_EQ(ldisc_room(&ld), SIZE_MAX); /* ISIG still on */
	raw.c_lflag &= ~(uint32_t)OPTIOS_ISIG;
	ldisc_set_termios(&ld, &raw, false);
	CHECK_EQ(ldisc_room(&ld), LDISC_QUEUE);
	size_t took = 0;
	while (ldisc_room(&ld) > 0) /* a producer that respects the room */
		took += ldisc_input(&ld, 'x') ? 1 : 0;
	CHECK_EQ(took, LDISC_QUEUE);
	CHECK_EQ(ld.dropped, 0);
	CHECK_STR(read_str(10), "xxxxxxxxxx");
	CHECK_EQ(ldisc_room(&ld), 10);
}
