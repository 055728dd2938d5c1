/*
 * ldisc.c - the line discipline: typed bytes in, read bytes out, echo.
 *
 * Cooked mode (ICANON): bytes collect in line[] with echo and editing - DEL
 * or Backspace erases one character, Ctrl+U the line - and Enter (or Ctrl+D
 * after text) moves the line to the queue, where a read takes it. Ctrl+D on
 * an empty line queues an EOF mark: the read that meets it first returns 0.
 * Raw mode (ICANON off): every byte goes straight to the queue; a read
 * returns what is there (VMIN = 1, VTIME = 0: blocks only while empty).
 * In both modes, with ISIG, Ctrl+C, Ctrl+\ and Ctrl+Z (VINTR, VQUIT, VSUSP)
 * discard all pending input, echo "^C" ("^\\", "^Z") and ask the caller to
 * signal the foreground (SIGINT, SIGQUIT, SIGTSTP).
 * Control characters are echoed as ^X (ECHOCTL), so erasing one erases two
 * columns. See tty_internal.h for the queue and its invariants.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "tty_internal.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define MARK_END 0x100 /* Ctrl+D after text: the read stops here */
#define MARK_EOF 0x101 /* Ctrl+D on an empty line: a read returns 0 */

void ldisc_default_termios(struct optios_termios *tio)
{
	memset(tio, 0, sizeof *tio);
	tio->c_iflag = OPTIOS_ICRNL;
	tio->c_oflag = OPTIOS_OPOST | OPTIOS_ONLCR;
	tio->c_cflag = OPTIOS_CS8 | OPTIOS_CREAD | OPTIOS_B38400;
	tio->c_lflag = OPTIOS_ISIG | OPTIOS_ICANON | OPTIOS_ECHO | OPTIOS_ECHOE | OPTIOS_ECHOK |
		       OPTIOS_ECHOCTL | OPTIOS_ECHOKE | OPTIOS_IEXTEN;
	tio->c_cc[OPTIOS_VINTR] = 0x03;
	tio->c_cc[OPTIOS_VQUIT] = 0x1c;
	tio->c_cc[OPTIOS_VERASE] = 0x7f;
	tio->c_cc[OPTIOS_VKILL] = 0x15;
	tio->c_cc[OPTIOS_VEOF] = 0x04;
	tio->c_cc[OPTIOS_VMIN] = 1;
	tio->c_cc[OPTIOS_VSUSP] = 0x1a;
}

void ldisc_init(struct tty_ldisc *ld, ldisc_echo_fn echo, void *ctx)
{
	memset(ld, 0, sizeof *ld);
	ldisc_default_termios(&ld->tio);
	ld->echo = echo;
	ld->echo_ctx = ctx;
}

static bool lflag(const struct tty_ldisc *ld, uint32_t bit)
{
	return (ld->tio.c_lflag & bit) != 0;
}

static void echo(struct tty_ldisc *ld, const char *s, size_t n)
{
	if (lflag(ld, OPTIOS_ECHO) && ld->echo)
		ld->echo(ld->echo_ctx, s, n);
}

static bool is_ctl(char c)
{
	return (unsigned char)c < 0x20 && c != '\t' && c != '\n';
}

/* Echoes a typed character; control characters as ^X. */
static void echo_char(struct tty_ldisc *ld, char c)
{
	if (is_ctl(c) && lflag(ld, OPTIOS_ECHOCTL)) {
		char s[2] = {'^', (char)(c + '@')};
		echo(ld, s, 2);
	} else {
		echo(ld, &c, 1);
	}
}

static bool queue_put(struct tty_ldisc *ld, uint16_t v)
{
	if (ld->qtail - ld->qhead == LDISC_QUEUE) {
		ld->dropped++;
		return false;
	}
	ld->queue[ld->qtail++ % LDISC_QUEUE] = v;
	return true;
}

/* Moves the edited line to the queue, followed by mark (0: none). */
static void commit_line(struct tty_ldisc *ld, uint16_t mark)
{
	for (unsigned i = 0; i < ld->len; i++)
		queue_put(ld, (unsigned char)ld->line[i]);
	if (mark)
		queue_put(ld, mark);
	ld->len = 0;
}

/* Erases the last character of the line being edited, on screen too. */
static void erase_one(struct tty_ldisc *ld)
{
	if (ld->len == 0)
		return;
	char c = ld->line[--ld->len];
	unsigned cols = is_ctl(c) && lflag(ld, OPTIOS_ECHOCTL) ? 2 : 1;
	for (unsigned i = 0; i < cols; i++)
		echo(ld, "\b \b", 3);
}

void ldisc_flush(struct tty_ldisc *ld)
{
	ld->qhead = ld->qtail = 0;
	ld->len = 0;
}

/* Cooked mode: line editing. Returns LDISC_* flags. */
static unsigned cooked(struct tty_ldisc *ld, char c)
{
	const uint8_t *cc = ld->tio.c_cc;
	if ((unsigned char)c == cc[OPTIOS_VERASE] || c == '\b') {
		erase_one(ld);
		return 0;
	}
	if ((unsigned char)c == cc[OPTIOS_VKILL]) {
		while (ld->len)
			erase_one(ld);
		return 0;
	}
	if ((unsigned char)c == cc[OPTIOS_VEOF]) {
		commit_line(ld, ld->len ? MARK_END : MARK_EOF);
		return LDISC_WAKE;
	}
	if (c == '\n') {
		ld->line[ld->len++] = '\n'; /* room is always kept for it */
		echo(ld, "\n", 1);
		commit_line(ld, 0);
		return LDISC_WAKE;
	}
	if (ld->len + 1 >= LDISC_LINE) {
		ld->dropped++;
		return 0;
	}
	ld->line[ld->len++] = c;
	echo_char(ld, c);
	return 0;
}

unsigned ldisc_input(struct tty_ldisc *ld, char c)
{
	if (c == '\r' && (ld->tio.c_iflag & OPTIOS_ICRNL))
		c = '\n';
	if (lflag(ld, OPTIOS_ISIG) && c) {
		static const struct {
			unsigned cc, flag;
			const char *echo;
		} keys[] = {{OPTIOS_VINTR, LDISC_INTR, "^C\n"}, {OPTIOS_VQUIT, LDISC_QUIT, "^\\\n"},
			    {OPTIOS_VSUSP, LDISC_SUSP, "^Z\n"}};
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if ((unsigned char)c == ld->tio.c_cc[keys[i].cc]) {
				ldisc_flush(ld);
				echo(ld, keys[i].echo, 3);
				return keys[i].flag;
			}
		}
	}
	if (lflag(ld, OPTIOS_ICANON))
		return cooked(ld, c);
	if (!queue_put(ld, (unsigned char)c))
		return 0;
	echo_char(ld, c);
	return LDISC_WAKE;
}

size_t ldisc_room(const struct tty_ldisc *ld)
{
	if (lflag(ld, OPTIOS_ICANON) || lflag(ld, OPTIOS_ISIG))
		return SIZE_MAX;
	return LDISC_QUEUE - (ld->qtail - ld->qhead);
}

bool ldisc_readable(const struct tty_ldisc *ld)
{
	return ld->qhead != ld->qtail;
}

long ldisc_read(struct tty_ldisc *ld, char *buf, size_t len)
{
	/* an END left by a read that stopped exactly before it means nothing now */
	while (ld->qhead != ld->qtail && ld->queue[ld->qhead % LDISC_QUEUE] == MARK_END)
		ld->qhead++;
	if (!ldisc_readable(ld))
		return -EAGAIN;
	if (ld->queue[ld->qhead % LDISC_QUEUE] == MARK_EOF) {
		ld->qhead++;
		return 0;
	}
	bool canon = lflag(ld, OPTIOS_ICANON);
	size_t n = 0;
	while (n < len && ld->qhead != ld->qtail) {
		uint16_t v = ld->queue[ld->qhead % LDISC_QUEUE];
		if (v == MARK_EOF)
			break; /* the next read returns 0 */
		ld->qhead++;
		if (v == MARK_END)
			break;
		buf[n++] = (char)v;
		if (canon && v == '\n')
			break;
	}
	return (long)n;
}

unsigned ldisc_set_termios(struct tty_ldisc *ld, const struct optios_termios *tio, bool flush)
{
	if (flush)
		ldisc_flush(ld);
	bool was_canon = lflag(ld, OPTIOS_ICANON);
	ld->tio = *tio;
	if (was_canon && !lflag(ld, OPTIOS_ICANON) && ld->len) {
		commit_line(ld, 0);
		return LDISC_WAKE;
	}
	return 0;
}
