/*
 * tty.h - consoles: the screen + keyboard (and serial on console 0) as
 * terminals programs read and write through descriptors 0-2.
 *
 * There are foreground.max consoles (kernel.conf, default 1). Each has its own
 * text screen, input line discipline (cooked: echo, line editing, Ctrl+C ends
 * the foreground program; raw: bytes as typed) and at most one foreground
 * process group (the shell and what it waits for). Alt+F1..Fn shows console n.
 */
#ifndef KERNEL_TTY_TTY_H
#define KERNEL_TTY_TTY_H

#include <stdbool.h>
#include <stdint.h>

struct tty;
struct file;
struct proc;

/* Creates the consoles (after kernel.conf is read) and takes over keyboard and
 * serial input from the kernel monitor. */
void tty_init(unsigned count);
unsigned tty_count(void);
/* Console index (0-based), or NULL. */
struct tty *tty_get(unsigned index);
unsigned tty_index(const struct tty *t);
/* A new open file on t (for descriptors 0-2), or NULL. */
struct file *tty_open(struct tty *t);
/* The process Ctrl+C ends on t (the newest foreground program), or NULL. */
void tty_set_foreground(struct tty *t, struct proc *p);
/* Shows console index on the screen. 0 or -EINVAL. */
int tty_switch(unsigned index);
/* Whether a program owns console t; a console with none is free for
 * OPTIOS_SPAWN_NEW_CONSOLE. */
bool tty_busy(const struct tty *t);

#endif
