/*
 * fbcon.h - the framebuffer console: kernel output drawn as text on the
 * linear framebuffer the boot loader set up (GRUB's VBE mode or UEFI GOP).
 *
 * The console is a sink of kernel/console: once up, everything the kernel
 * prints also appears on screen. It is also kernel/console's display: the
 * consoles (kernel/tty) reach the functions below through
 * con_display_register's table, never by name. A program that wants the screen for itself
 * takes it with fbcon_suspend() and hands it back with fbcon_resume(); in
 * between, console text is still kept (in the text grid) but not drawn.
 *
 * Several text consoles: console 0 is the kernel's (every sink write lands
 * there); fbcon_consoles_create adds more, each with its own text grid, and
 * fbcon_console_show chooses the one on screen. Writes to a console not on
 * screen are kept and appear when it is shown. A console can be suspended on
 * its own (a program drew on it): while it is on screen nothing is drawn.
 */
#ifndef DRIVERS_FB_FBCON_H
#define DRIVERS_FB_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/console/console.h" /* struct con_fb_info */

/* Fills *out with the framebuffer's geometry; 0, or -ENODEV without one. */
int fbcon_info(struct con_fb_info *out);

/* Stops drawing (text is still recorded). Nests: each suspend needs a resume. */
void fbcon_suspend(void);
/* Undoes one fbcon_suspend; the last one redraws the whole text screen. */
void fbcon_resume(void);

#define FBCON_CONSOLES_MAX 8
/* Makes consoles 1..count-1 (0 exists). 0, -ENODEV (no framebuffer),
 * -EINVAL (count 0 or > FBCON_CONSOLES_MAX), -ENOMEM. */
int fbcon_consoles_create(unsigned count);
/* Text for console idx (ignored without a framebuffer or such a console). */
void fbcon_console_write(unsigned idx, const char *s, size_t n);
/* Puts console idx on screen (a full redraw). 0 or -EINVAL. */
int fbcon_console_show(unsigned idx);
unsigned fbcon_console_shown(void);
/* Stop and restart drawing console idx; nest like fbcon_suspend. */
void fbcon_console_suspend(unsigned idx);
void fbcon_console_resume(unsigned idx);

#endif
