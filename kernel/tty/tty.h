/*
 * tty.h - consoles: the screen + keyboard (and serial on console 0) as
 * terminals programs read and write through descriptors 0-2.
 *
 * The console model. There are foreground.max consoles (kernel.conf, default
 * 1; the kernel command line may override it: optios.conf.foreground.max=N).
 * Each has its own text screen (kernel/console's con_screen_*, kept while not shown),
 * its own input line discipline (cooked: echo, Backspace, Ctrl+U, Enter,
 * Ctrl+D; raw when a program clears ICANON/ECHO with TCSETS) and its own
 * programs: every process runs on one console (proc->tty). One console is on
 * screen; Alt+F1..Fn (or optios_console_switch) shows another. Keyboard input
 * goes to the console on screen. Console 0 is also the serial port: its
 * output goes to serial as well as its screen (it is where the kernel log is
 * shown), and serial input is typed into console 0 whatever is on screen.
 *
 * Ctrl+C (with ISIG) ends the console's foreground program: the one named by
 * tty_set_foreground if it is still alive there, else the newest live process
 * on the console (the shell's child rather than the shell). A console is busy
 * while any live process runs on it; a free one can take a program started
 * with OPTIOS_SPAWN_NEW_CONSOLE.
 *
 * Terminal settings (TCSETS) belong to the program that set them: when the
 * foreground passes to a new program (tty_set_foreground) the console goes
 * back to cooked mode with echo and Ctrl+C, and the previous program's
 * settings come back when the foreground returns to it. So a program started
 * from a shell whose line editor uses raw mode starts cooked, and a raw-mode
 * program ended by Ctrl+C leaves no raw console behind.
 *
 * A program that maps the framebuffer (optios_fb_map) owns its console's
 * screen: text for that console is kept but not drawn until it exits. While
 * another console is shown the program draws into memory (shadow pages put
 * in place of the framebuffer in its address space); showing its console
 * again puts its picture back on screen.
 *
 * Until tty_init runs, and again once the kernel monitor starts, input goes
 * to the kernel console ring instead (kernel/console).
 */
#ifndef KERNEL_TTY_TTY_H
#define KERNEL_TTY_TTY_H

#include <stdbool.h>
#include <stdint.h>

struct tty;
struct file;
struct proc;

#define TTY_MAX 8 /* the most consoles foreground.max may ask for */

/* Where optios_fb_map puts the framebuffer in a program's address space. */
#define TTY_FB_USER_BASE 0x00007e0000000000ull

/* Creates the consoles (after kernel.conf is read) and takes over keyboard and
 * serial input from the kernel monitor. */
void tty_init(unsigned count);
unsigned tty_count(void);
/* Console index (0-based), or NULL. */
struct tty *tty_get(unsigned index);
unsigned tty_index(const struct tty *t);
/* A new open file on t (for descriptors 0-2), or NULL. */
struct file *tty_open(struct tty *t);
/* Whether f is an open console (tty_open's). */
bool tty_file_is(const struct file *f);
/* The process Ctrl+C ends on t (the newest foreground program), or NULL.
 * PROC calls it when a program starts on t and, as it ends, with its parent
 * (or NULL). A foreground program replaced by one it did not start is ending:
 * its screen and terminal settings are given back at once. */
void tty_set_foreground(struct tty *t, struct proc *p);
/* Shows console index on the screen. 0 or -EINVAL. */
int tty_switch(unsigned index);
/* The console on screen. */
unsigned tty_active(void);
/* Whether a program owns console t; a console with none is free for
 * OPTIOS_SPAWN_NEW_CONSOLE. */
bool tty_busy(const struct tty *t);
/* The pid tty_set_foreground named last on t (0: none). */
int tty_foreground_pid(const struct tty *t);
/* PROC calls this as process p exits (before it becomes a zombie): it gives
 * back the screen p drew on, forgets p as a foreground program, and restores
 * the default (cooked) settings if p changed them. Safe for any p. */
void tty_proc_exit(struct proc *p);

#endif
