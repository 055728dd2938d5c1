/*
 * tty.c - the consoles: input routing, line discipline, output, and the file
 * operations behind descriptors 0-2.
 *
 * Theory of operation (the console model is in tty.h). Input arrives in
 * interrupt handlers: the keyboard listener (key_event) sees every key first,
 * switches consoles on Alt+Fn and types the other keys' bytes into the
 * console on screen; serial bytes reach us as the kernel console's input
 * consumer (serial_input) and are typed into console 0. Typing goes through
 * the line discipline (ldisc.c), whose echo is written back to the same
 * console; when it reports a readable line we wake the readers (sleeping on
 * the tty's address) and on Ctrl+C we end the foreground program.
 * Output for console 0 goes through con_write (serial + console 0's screen,
 * like the kernel log); other consoles write their own screen (con_screen_write).
 *
 * Data: ttys[] and ntty are set by tty_init and then fixed; active changes
 * on a switch. Each tty's ld, fg_pid, fb_pid and mode_pid change with
 * interrupts disabled (typing happens in interrupts). Processes are named by
 * pid, never by pointer, so a process that ended without telling us leaves
 * nothing dangling: a pid that no longer names a live process on the console
 * is treated as gone (see live_on).
 */
#include "tty.h"

#include <optios/abi/errno.h>
#include <optios/abi/stat.h>
#include <optios/abi/termios.h>

#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/console/keys.h"
#include "kernel/fs/file.h"
#include "kernel/log/klog.h"
#include "kernel/proc/proc.h"
#include "kernel/syscall/syscall.h"
#include "tty_internal.h"

static struct tty ttys[TTY_MAX];
static unsigned ntty;
static unsigned active;

/* ---- which processes run on a console ---- */

struct scan {
	const struct tty *t;
	int want; /* a pid to look for (0: none) */
	bool found; /* want is alive on t */
	int newest; /* the newest live process on t (0: none) */
	uint64_t newest_start;
	unsigned count; /* live processes on t */
};

static void scan_visit(struct proc *p, void *arg)
{
	struct scan *s = arg;
	if (p->tty != s->t || p->state == PROC_UNUSED || p->state == PROC_ZOMBIE)
		return;
	s->count++;
	if (p->pid == s->want)
		s->found = true;
	if (!s->newest || p->start_ns > s->newest_start ||
	    (p->start_ns == s->newest_start && p->pid > s->newest)) {
		s->newest = p->pid;
		s->newest_start = p->start_ns;
	}
}

static struct scan scan(const struct tty *t, int want)
{
	struct scan s = {.t = t, .want = want};
	proc_foreach(scan_visit, &s);
	return s;
}

bool tty_live_on(const struct tty *t, int pid)
{
	return pid > 0 && scan(t, pid).found;
}

/* The pid Ctrl+C ends on t, or 0. */
static int foreground_pid(const struct tty *t)
{
	struct scan s = scan(t, t->fg_pid);
	return s.found ? t->fg_pid : s.newest;
}

int tty_foreground_pid(const struct tty *t)
{
	return t->fg_pid;
}

bool tty_busy(const struct tty *t)
{
	return t && scan(t, 0).count > 0;
}

/* Back to the settings a console starts with. Interrupts off. */
static void reset_mode(struct tty *t, bool flush)
{
	struct optios_termios tio;
	ldisc_default_termios(&tio);
	ldisc_set_termios(&t->ld, &tio, flush);
	t->mode_pid = 0;
	con_input_resume(); /* cooked input never waits */
}

/* Program pid no longer uses t: its screen goes back to text, its settings
 * to the defaults. Interrupts off. */
static void leave(struct tty *t, int pid)
{
	if (t->fb_pid == pid)
		tty_fb_release(t);
	if (t->mode_pid == pid)
		reset_mode(t, false);
	if (t->saved_pid == pid)
		t->saved_pid = 0;
}

/*
 * A new foreground program starts cooked; the settings of the one it
 * replaces (a shell's raw line editor) are set aside and come back when the
 * foreground returns to it - unless it has set its settings since (mode_pid
 * is its pid: a shell back at its prompt while a stopped or background job
 * still held the foreground): those are newer than the ones set aside.
 */
void tty_set_foreground(struct tty *t, struct proc *p)
{
	uint64_t f = irq_save();
	int pid = p ? p->pid : 0, old = t->fg_pid;
	bool started_by_old = p && p->parent && p->parent->pid == old;
	if (old && old != pid && !started_by_old)
		leave(t, old); /* the old foreground program is ending */
	if (pid && pid == t->saved_pid) {
		if (t->mode_pid != pid) {
			ldisc_set_termios(&t->ld, &t->saved_tio, false);
			con_input_resume();
			t->mode_pid = pid;
		}
		t->saved_pid = 0;
	} else if (pid && t->mode_pid && t->mode_pid != pid) {
		if (t->mode_pid == t->fg_pid) {
			t->saved_tio = t->ld.tio;
			t->saved_pid = t->mode_pid;
		}
		reset_mode(t, false);
	}
	t->fg_pid = pid;
	irq_restore(f);
}

/* ---- output ---- */

/* Both devices start a new line at "\n" themselves (ONLCR): the serial
 * sink adds the "\r", the grid returns to column 0. */
void tty_output(struct tty *t, const char *s, size_t n)
{
	if (t->index == 0)
		con_write(s, n); /* serial and console 0's screen */
	else
		con_screen_write(t->index, s, n);
}

static void echo_out(void *ctx, const char *s, size_t n)
{
	tty_output(ctx, s, n);
}

/* ---- input ---- */

struct group {
	const struct tty *t;
	int pid, pgid; /* a member, its process group (0: not found yet) */
	int sig, sid;
	bool alive;
};

static void find_group(struct proc *p, void *arg)
{
	struct group *g = arg;
	if (p->pid == g->pid)
		g->pgid = p->pgid;
}

static void find_member(struct proc *p, void *arg)
{
	struct group *g = arg;
	if (p->pgid == g->pgid && p->state != PROC_ZOMBIE && (!g->sid || p->sid == g->sid))
		g->alive = true;
}

static bool group_alive(int pgid, int sid)
{
	struct group g = {.pgid = pgid, .sid = sid};
	if (pgid > 0)
		proc_foreach(find_member, &g);
	return g.alive;
}

static void signal_member(struct proc *p, void *arg)
{
	struct group *g = arg;
	if (p->tty == g->t && p->pgid == g->pgid && p->pid != g->pid && p->state != PROC_ZOMBIE)
		proc_signal_send(p, g->sig, 0x80 /* SI_KERNEL */, 0, 0);
}

int tty_fg_pgrp(const struct tty *t)
{
	if (t->fg_pgrp && group_alive(t->fg_pgrp, 0))
		return t->fg_pgrp;
	struct group g = {t, foreground_pid(t), 0, 0, 0, false};
	if (g.pid > 0)
		proc_foreach(find_group, &g);
	return g.pgid;
}

/* Ctrl+C, Ctrl+\ and Ctrl+Z: sig to the foreground process group set by
 * tcsetpgrp while one of it lives; else (a program that never set one) to
 * the foreground program and every other process of its group on this
 * console (a pipeline the shell grouped). */
static void signal_foreground(struct tty *t, int sig)
{
	if (sig == 2)
		t->interrupts++;
	struct group g = {t, 0, t->fg_pgrp, sig, 0, false};
	if (t->fg_pgrp && group_alive(t->fg_pgrp, 0)) {
		proc_foreach(signal_member, &g);
		return;
	}
	g.pid = foreground_pid(t);
	if (g.pid <= 0)
		return;
	proc_kill(g.pid, sig);
	g.pgid = 0;
	proc_foreach(find_group, &g);
	if (g.pgid)
		proc_foreach(signal_member, &g);
}

int tty_set_pgrp(struct tty *t, int pgid)
{
	struct proc *self = proc_current();
	if (pgid < 0)
		return -EINVAL;
	if (!self || self->tty != t || !group_alive(pgid, self->sid))
		return -EPERM;
	uint64_t f = irq_save();
	t->fg_pgrp = pgid;
	irq_restore(f);
	return 0;
}

void tty_input(struct tty *t, const char *s, size_t n)
{
	uint64_t f = irq_save();
	unsigned flags = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned r = ldisc_input(&t->ld, s[i]);
		if (r & (LDISC_INTR | LDISC_QUIT | LDISC_SUSP))
			signal_foreground(t, (r & LDISC_INTR) ? 2 : (r & LDISC_QUIT) ? 3 : 20);
		flags |= r;
	}
	if (flags & LDISC_WAKE) {
		sched_wakeup(t);
		poll_wake();
	}
	irq_restore(f);
}

static void serial_input(const char *s, size_t n)
{
	tty_input(&ttys[0], s, n);
}

static size_t serial_room(void)
{
	return ldisc_room(&ttys[0].ld);
}

/* Alt+F1..F12 as 0..11, else -1. */
static int alt_fkey(const struct key_event *ev)
{
	if (!(ev->mods & KEY_MOD_ALT))
		return -1;
	if (ev->key >= KEY_F1 && ev->key <= KEY_F10)
		return ev->key - KEY_F1;
	if (ev->key == KEY_F11 || ev->key == KEY_F12)
		return 10 + (ev->key - KEY_F11);
	return -1;
}

static bool key_event(const struct key_event *ev, const char *bytes, size_t n)
{
	int fn = alt_fkey(ev);
	if (fn >= 0) {
		if (ev->pressed && !ev->repeat)
			(void)tty_switch((unsigned)fn); /* a console that does not exist: nothing */
		return true;
	}
	if (con_input_consumer() != serial_input)
		return false; /* the kernel monitor has the input */
	if (n)
		tty_input(&ttys[active], bytes, n);
	return true;
}

/* ---- the screen ---- */

/* Undoes what a program that ended left on t: its screen, its settings.
 * tty_proc_exit does it at once; this catches an exit it did not see. */
void tty_screen_check(struct tty *t)
{
	uint64_t f = irq_save();
	if (t->fb_pid && !tty_live_on(t, t->fb_pid))
		tty_fb_release(t);
	if (t->mode_pid && !tty_live_on(t, t->mode_pid))
		reset_mode(t, false);
	irq_restore(f);
}

int tty_switch(unsigned index)
{
	if (index >= ntty)
		return -EINVAL;
	tty_screen_check(&ttys[active]);
	tty_screen_check(&ttys[index]);
	uint64_t f = irq_save();
	if (index != active)
		tty_fb_park(&ttys[active]); /* its program goes on drawing, off screen */
	active = index;
	(void)con_screen_show(index); /* -EINVAL without a framebuffer: nothing to show */
	tty_fb_unpark(&ttys[index]);
	irq_restore(f);
	return 0;
}

unsigned tty_active(void)
{
	return active;
}

void tty_proc_exit(struct proc *p)
{
	uint64_t f = irq_save();
	for (unsigned i = 0; i < ntty; i++) {
		struct tty *t = &ttys[i];
		if (t->fg_pid == p->pid)
			t->fg_pid = 0;
		leave(t, p->pid);
	}
	irq_restore(f);
}

/* ---- lifetime and lookup ---- */

void tty_init(unsigned count)
{
	count = MAX(1u, MIN(count, (unsigned)TTY_MAX));
	int err = con_screens_create(count);
	if (err == -ENOMEM) {
		klog(KLOG_WARN, "tty: no memory for %u console screens: 1 console", count);
		count = 1;
	}
	for (unsigned i = 0; i < count; i++) {
		ttys[i].index = i;
		ldisc_init(&ttys[i].ld, echo_out, &ttys[i]);
	}
	ntty = count;
	key_listener_set(key_event);
	con_input_set_room(serial_room);
	con_input_set_consumer(serial_input);
	klog(KLOG_INFO, "tty: %u console%s (foreground.max)%s%s", count, count == 1 ? "" : "s",
	     count > 1 ? ", Alt+F1..Fn switches" : "",
	     err == -ENODEV ? ", serial only (no framebuffer)" : "");
}

unsigned tty_count(void)
{
	return ntty;
}

struct tty *tty_get(unsigned index)
{
	return index < ntty ? &ttys[index] : NULL;
}

unsigned tty_index(const struct tty *t)
{
	return t->index;
}
