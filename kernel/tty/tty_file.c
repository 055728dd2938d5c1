/*
 * tty_file.c - a console as an open file: what descriptors 0-2 do.
 *
 * read sleeps on the tty's address until the line discipline has input
 * (cooked: a whole line; raw: any byte), following proc.h's rule against lost
 * wake-ups: interrupts stay off from the test to the sleep. write goes to the
 * console's screen (and serial for console 0). ioctl handles the terminal
 * commands (termios.h); the buffers are kernel copies made by sys_ioctl.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/poll.h>
#include <optios/abi/termios.h>

#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/syscall/syscall.h"
#include "tty.h"
#include "tty_internal.h"

/* Without a screen (serial only) the size a terminal program assumes. */
#define SERIAL_ROWS 24
#define SERIAL_COLS 80

static long tty_read(struct file *f, void *buf, size_t len)
{
	struct tty *t = f->priv;
	if (len == 0)
		return 0;
	for (;;) {
		uint64_t fl = irq_save();
		long n = ldisc_read(&t->ld, buf, len);
		if (n != -EAGAIN || (f->flags & O_NONBLOCK)) {
			irq_restore(fl);
			con_input_resume(); /* room again: a throttled serial port goes on */
			return n;
		}
		int err = sched_sleep(t);
		irq_restore(fl);
		if (err)
			return err;
	}
}

static long tty_write(struct file *f, const void *buf, size_t len)
{
	struct tty *t = f->priv;
	tty_screen_check(t);
	tty_output(t, buf, len);
	return (long)len;
}

static void winsize(struct optios_winsize *ws)
{
	struct con_fb_info fi;
	if (con_display_info(&fi) == 0)
		*ws = (struct optios_winsize){(uint16_t)fi.rows, (uint16_t)fi.cols, (uint16_t)fi.width,
					      (uint16_t)fi.height};
	else
		*ws = (struct optios_winsize){SERIAL_ROWS, SERIAL_COLS, 0, 0};
}

static int set_termios(struct tty *t, const struct optios_termios *tio, bool flush)
{
	struct proc *p = proc_current();
	uint64_t fl = irq_save();
	unsigned r = ldisc_set_termios(&t->ld, tio, flush);
	t->mode_pid = p ? p->pid : 0;
	irq_restore(fl);
	con_input_resume(); /* input may no longer wait in this mode */
	if (r & LDISC_WAKE) {
		sched_wakeup(t);
		poll_wake();
	}
	return 0;
}

static int tty_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct tty *t = f->priv;
	switch (cmd) {
	case OPTIOS_TCGETS: *(struct optios_termios *)arg = t->ld.tio; return 0;
	case OPTIOS_TCSETS:
	case OPTIOS_TCSETSW: return set_termios(t, arg, false);
	case OPTIOS_TCSETSF: return set_termios(t, arg, true);
	case OPTIOS_TIOCGWINSZ: winsize(arg); return 0;
	case OPTIOS_TIOCSWINSZ:
	case OPTIOS_TIOCSPGRP: return 0; /* the size is the screen's; process groups are not kept */
	case OPTIOS_TIOCGPGRP: {
		struct proc *p = proc_current();
		*(int *)arg = t->fg_pid ? t->fg_pid : (p ? p->pid : 0);
		return 0;
	}
	default: return -ENOTTY;
	}
}

static unsigned tty_poll(struct file *f)
{
	struct tty *t = f->priv;
	uint64_t fl = irq_save();
	bool in = ldisc_readable(&t->ld);
	irq_restore(fl);
	return (in ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

static void tty_release(struct file *f)
{
	(void)f; /* consoles live forever; an open file holds nothing */
}

const struct file_ops tty_file_ops = {
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
	.release = tty_release,
};

bool tty_file_is(const struct file *f)
{
	return f->ops == &tty_file_ops;
}

struct file *tty_open(struct tty *t)
{
	return t ? file_create(&tty_file_ops, t, O_RDWR) : NULL;
}
