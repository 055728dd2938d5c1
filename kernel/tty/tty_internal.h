/*
 * tty_internal.h - inside the consoles: the line discipline, struct tty and
 * what the folder's files share.
 *
 * The line discipline (ldisc.c) is the terminal's input half without any
 * hardware: bytes typed go in (ldisc_input), bytes a program reads come out
 * (ldisc_read), and what must be echoed goes to a callback. It knows nothing
 * of processes: it reports "interrupt" and "readable" and the caller acts
 * (kills the foreground program, wakes readers). The host unit tests run it.
 *
 * Input queue: a ring of 16-bit entries, bytes (0-255) and two marks: END
 * (Ctrl+D after some text: the read ends there) and EOF (Ctrl+D on an empty
 * line: the read returns 0). In cooked mode the line being edited stays in
 * line[] until Enter or Ctrl+D moves it to the queue, so a read never sees
 * half a line. Invariants: qtail - qhead <= LDISC_QUEUE; len < LDISC_LINE.
 */
#ifndef KERNEL_TTY_TTY_INTERNAL_H
#define KERNEL_TTY_TTY_INTERNAL_H

#include <optios/abi/termios.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LDISC_LINE 256 /* longest line being edited, newline included */
#define LDISC_QUEUE 1024 /* entries waiting for a read */

/* What ldisc_input asks the caller to do (bit mask). */
#define LDISC_WAKE 0x1 /* input became readable: wake readers */
#define LDISC_INTR 0x2 /* Ctrl+C with ISIG: SIGINT to the foreground */
#define LDISC_QUIT 0x4 /* Ctrl+\ with ISIG: SIGQUIT to the foreground */
#define LDISC_SUSP 0x8 /* Ctrl+Z with ISIG: SIGTSTP to the foreground */

typedef void (*ldisc_echo_fn)(void *ctx, const char *s, size_t n);

struct tty_ldisc {
	struct optios_termios tio;
	uint16_t queue[LDISC_QUEUE];
	uint32_t qhead, qtail; /* head: next to read; tail: next to write */
	char line[LDISC_LINE];
	unsigned len;
	uint64_t dropped; /* bytes lost to a full queue or line */
	ldisc_echo_fn echo;
	void *echo_ctx;
};

/* The settings a console starts with: cooked, echo, Ctrl+C, ^D, DEL erases. */
void ldisc_default_termios(struct optios_termios *tio);
void ldisc_init(struct tty_ldisc *ld, ldisc_echo_fn echo, void *ctx);
/* One typed byte. Returns LDISC_* flags. */
unsigned ldisc_input(struct tty_ldisc *ld, char c);
/* Up to len bytes for a reader: > 0 bytes (cooked: at most one line), 0 at
 * end of file (Ctrl+D on an empty line), -EAGAIN when nothing is ready. */
long ldisc_read(struct tty_ldisc *ld, char *buf, size_t len);
/* Whether a read would return at once. */
bool ldisc_readable(const struct tty_ldisc *ld);
/* How many typed bytes may come now without any being dropped, for flow
 * control of the serial port: the queue's free entries in raw mode without
 * ISIG (a line editor reading a paste: the sender waits); SIZE_MAX otherwise,
 * where input never waits - a Ctrl+C must reach ISIG even when nobody reads,
 * and a cooked line longer than line[] is cut anyway (both counted in dropped). */
size_t ldisc_room(const struct tty_ldisc *ld);
/* New settings; leaving cooked mode hands the edited text to readers.
 * flush: discard all pending input first. Returns LDISC_* flags. */
unsigned ldisc_set_termios(struct tty_ldisc *ld, const struct optios_termios *tio, bool flush);
/* Discards all pending input (typed and queued). */
void ldisc_flush(struct tty_ldisc *ld);

/*
 * One console. index is fixed at tty_init. The rest changes with interrupts
 * disabled (typing happens in interrupt handlers). Processes are named by
 * pid: one that ended unannounced leaves nothing dangling.
 */
struct tty {
	unsigned index;
	struct tty_ldisc ld;
	int fg_pid; /* tty_set_foreground's choice (0: none) */
	int fg_pgrp; /* tcsetpgrp's foreground process group (0: none set; then fg_pid's group) */
	int fb_pid; /* the program drawing on this screen (0: none) */
	bool parked; /* fb_pid draws into shadow[], not the screen (tty_fb.c) */
	uint64_t *shadow; /* physical pages, shadow_pages of them, or NULL */
	size_t shadow_pages;
	int mode_pid; /* the last program to change the settings (0: none) */
	int saved_pid; /* whose settings saved_tio holds (0: none) */
	struct optios_termios saved_tio; /* set aside while its program waits */
	uint64_t interrupts; /* Ctrl+C typed */
};

struct proc;
/* tty.c, for the other files of the folder */
void tty_output(struct tty *t, const char *s, size_t n);
void tty_input(struct tty *t, const char *s, size_t n);
bool tty_live_on(const struct tty *t, int pid);
void tty_screen_check(struct tty *t);
/* tty_fb.c; interrupts off */
int tty_fb_claim(struct tty *t, int pid);
void tty_fb_release(struct tty *t);
void tty_fb_park(struct tty *t);
void tty_fb_unpark(struct tty *t);
/* tty_file.c */
extern const struct file_ops tty_file_ops;

#endif
