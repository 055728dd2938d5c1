/*
 * fbcon.h - the framebuffer console: kernel output drawn as text on the
 * linear framebuffer the boot loader set up (GRUB's VBE mode or UEFI GOP).
 *
 * The console is a sink of kernel/console: once up, everything the kernel
 * prints also appears on screen. A program that wants the screen for itself
 * takes it with fbcon_suspend() and hands it back with fbcon_resume(); in
 * between, console text is still kept (in the text grid) but not drawn.
 */
#ifndef DRIVERS_FB_FBCON_H
#define DRIVERS_FB_FBCON_H

#include <stdbool.h>
#include <stdint.h>

struct fbcon_info {
	uint64_t phys;	/* physical address of the first pixel */
	void *virt;	/* where the kernel has it mapped */
	uint32_t width, height, pitch; /* pixels, pixels, bytes per line */
	uint8_t bpp;	/* 16, 24 or 32 */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	unsigned cols, rows; /* the text grid, in 8x16 cells */
};

/* Fills *out with the framebuffer's geometry; 0, or -ENODEV without one. */
int fbcon_info(struct fbcon_info *out);

/* Stops drawing (text is still recorded). Nests: each suspend needs a resume. */
void fbcon_suspend(void);
/* Undoes one fbcon_suspend; the last one redraws the whole text screen. */
void fbcon_resume(void);

#endif
