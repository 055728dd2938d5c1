/*
 * tty_selftest.c - the consoles inside the kernel: serial input reaches
 * console 0 through the line discipline, the file operations read, write and
 * answer the terminal ioctls, Ctrl+C is counted, consoles switch.
 * Input is injected where the serial driver delivers it (con_input_push);
 * reads are non-blocking, as no process runs during self-tests.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/termios.h>

#include "kernel/console/console.h"
#include "kernel/fs/file.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/test/selftest.h"
#include "tty.h"
#include "tty_internal.h"

/* An open, non-blocking console 0 with no input pending; NULL to skip. */
static struct file *open_console0(void)
{
	struct tty *t = tty_get(0);
	if (!t) {
		kprintf("selftest:   consoles not set up: nothing to check\n");
		return NULL;
	}
	struct file *f = tty_open(t);
	if (f) {
		f->flags |= O_NONBLOCK;
		struct optios_termios tio;
		ldisc_default_termios(&tio);
		f->ops->ioctl(f, OPTIOS_TCSETSF, &tio);
	}
	return f;
}

static long read_str(struct file *f, char *buf, size_t size)
{
	long n = f->ops->read(f, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

SELFTEST(tty_serial_line_reaches_console0)
{
	struct file *f = open_console0();
	if (!f)
		return tty_get(0) ? -1 : 0;
	char buf[64];
	con_input_push("ab", 2);
	long early = read_str(f, buf, sizeof buf); /* no Enter yet: nothing */
	con_input_push("c\x7f"
		       "d\n",
		       4);
	long n = read_str(f, buf, sizeof buf);
	long after = read_str(f, buf + 32, 32);
	file_put(f);
	ST_CHECK(early == -EAGAIN);
	ST_CHECK(n == 4 && strcmp(buf, "abd\n") == 0);
	ST_CHECK(after == -EAGAIN);
	return 0;
}

SELFTEST(tty_raw_mode_and_ioctls)
{
	struct file *f = open_console0();
	if (!f)
		return tty_get(0) ? -1 : 0;
	struct optios_termios tio, raw;
	ST_CHECK(f->ops->ioctl(f, OPTIOS_TCGETS, &tio) == 0);
	ST_CHECK(tio.c_lflag & OPTIOS_ICANON);
	raw = tio;
	raw.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO);
	ST_CHECK(f->ops->ioctl(f, OPTIOS_TCSETS, &raw) == 0);
	con_input_push("q", 1);
	char buf[16];
	long n = read_str(f, buf, sizeof buf);
	struct optios_winsize ws = {0};
	int wret = f->ops->ioctl(f, OPTIOS_TIOCGWINSZ, &ws);
	int bad = f->ops->ioctl(f, 0x1234, &ws);
	f->ops->ioctl(f, OPTIOS_TCSETS, &tio);
	file_put(f);
	ST_CHECK(n == 1 && buf[0] == 'q');
	ST_CHECK(wret == 0 && ws.ws_row >= 24 && ws.ws_col >= 80);
	ST_CHECK(bad == -ENOTTY);
	return 0;
}

SELFTEST(tty_ctrl_c_discards_and_counts)
{
	struct file *f = open_console0();
	if (!f)
		return tty_get(0) ? -1 : 0;
	struct tty *t = tty_get(0);
	uint64_t before = t->interrupts;
	con_input_push("half\x03", 5);
	char buf[16];
	long n = read_str(f, buf, sizeof buf);
	file_put(f);
	ST_CHECK(t->interrupts == before + 1);
	ST_CHECK(n == -EAGAIN);
	return 0;
}

SELFTEST(tty_switch_and_write_to_other_console)
{
	unsigned count = tty_count();
	ST_CHECK(tty_switch(count) == -EINVAL);
	if (count < 2) {
		kprintf("selftest:   one console (foreground.max = 1): no switch to check\n");
		return 0;
	}
	struct file *f = tty_open(tty_get(1));
	ST_CHECK(f != NULL);
	long w = f->ops->write(f, "console 1\n", 10);
	file_put(f);
	ST_CHECK(w == 10);
	ST_CHECK(tty_switch(1) == 0);
	bool shown = tty_active() == 1;
	struct con_fb_info fi;
	bool on_screen = con_display_info(&fi) != 0 || con_screen_shown() == 1;
	ST_CHECK(tty_switch(0) == 0);
	ST_CHECK(shown && on_screen);
	ST_CHECK(tty_active() == 0);
	return 0;
}

SELFTEST(tty_foreground_program_starts_cooked_and_shell_mode_returns)
{
	struct tty *t = tty_get(0);
	if (!t)
		return 0;
	struct tty keep = *t;
	struct proc *shell = kzalloc(sizeof *shell), *child = kzalloc(sizeof *child);
	ST_CHECK(shell && child);
	shell->pid = 9001, child->pid = 9002;
	child->parent = shell;
	struct optios_termios raw = t->ld.tio;
	raw.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO | OPTIOS_ISIG);
	tty_set_foreground(t, shell);
	ldisc_set_termios(&t->ld, &raw, false); /* the shell's line editor */
	t->mode_pid = shell->pid;
	tty_set_foreground(t, child);
	bool child_cooked =
		(t->ld.tio.c_lflag & (OPTIOS_ICANON | OPTIOS_ISIG)) == (OPTIOS_ICANON | OPTIOS_ISIG);
	int saved = t->saved_pid;
	tty_set_foreground(t, shell);
	bool shell_raw = !(t->ld.tio.c_lflag & OPTIOS_ICANON);
	int mode_pid = t->mode_pid;
	tty_proc_exit(shell);
	bool reset = (t->ld.tio.c_lflag & OPTIOS_ICANON) && t->mode_pid == 0 && t->fg_pid == 0;
	*t = keep;
	kfree(shell);
	kfree(child);
	ST_CHECK(child_cooked && saved == 9001);
	ST_CHECK(shell_raw && mode_pid == 9001);
	ST_CHECK(reset);
	return 0;
}

/* Was: a job the shell had put in the background (Ctrl+Z, bg) ended while
 * the shell edited a line in raw mode; the foreground came back to the
 * shell with the mode set aside when the job started (cooked, echo on):
 * every key was echoed twice. The shell's own newer mode stays. */
SELFTEST(tty_background_job_end_reset_the_shells_raw_mode)
{
	struct tty *t = tty_get(0);
	if (!t)
		return 0;
	struct tty keep = *t;
	struct proc *shell = kzalloc(sizeof *shell), *job = kzalloc(sizeof *job);
	ST_CHECK(shell && job);
	shell->pid = 9011, job->pid = 9012;
	job->parent = shell;
	struct optios_termios raw = t->ld.tio;
	raw.c_lflag &= ~(uint32_t)(OPTIOS_ICANON | OPTIOS_ECHO | OPTIOS_ISIG);
	struct optios_termios cooked;
	ldisc_default_termios(&cooked);
	tty_set_foreground(t, shell);
	ldisc_set_termios(&t->ld, &cooked, false); /* cooked while it runs a program */
	t->mode_pid = shell->pid;
	tty_set_foreground(t, job); /* the job starts: the shell's cooked mode set aside */
	ldisc_set_termios(&t->ld, &raw, false); /* Ctrl+Z; the shell's line editor again */
	t->mode_pid = shell->pid;
	tty_set_foreground(t, shell); /* the background job ends */
	bool still_raw = !(t->ld.tio.c_lflag & (OPTIOS_ICANON | OPTIOS_ECHO));
	int mode_pid = t->mode_pid, saved = t->saved_pid;
	*t = keep;
	kfree(shell);
	kfree(job);
	ST_CHECK(still_raw && mode_pid == 9011 && saved == 0);
	return 0;
}
