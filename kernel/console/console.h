/*
 * console.h - the kernel console: one output stream, many devices.
 *
 * Output goes to every registered sink (serial, framebuffer) in order.
 * Input arrives as bytes from the serial port and the keyboard (keys become
 * bytes, arrows become ANSI escape sequences: keys.h) into one bounded ring
 * that the consumer drains; bytes that do not fit are counted, never
 * silently lost.
 *
 * The display: a driver with a framebuffer (drivers/fb) registers it with
 * its text screens; kernel/tty gives each console one screen and lends the
 * framebuffer to a program that maps it. Drivers register here, the kernel
 * calls through here: no kernel code names a driver.
 */
#ifndef KERNEL_CONSOLE_CONSOLE_H
#define KERNEL_CONSOLE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct con_sink {
	const char *name;
	void (*write)(const char *s, size_t n);
	struct con_sink *next; /* owned by the console */
};

/* Adds a sink; later output also goes there. Safe before the heap exists. */
void con_sink_register(struct con_sink *sink);
/* Writes to every sink. Safe in interrupt and fault context. */
void con_write(const char *s, size_t n);
void con_puts(const char *s);

/* Input side: producers (IRQ handlers) push, the consumer reads. */
void con_input_push(const char *s, size_t n);
/* Returns the next input byte, or -1 if none is waiting. */
int con_getc(void);
uint64_t con_input_dropped(void);

/* Input consumer: once set, pushed bytes go to fn (in interrupt context)
 * instead of the ring - the consoles (kernel/tty) take serial input this way.
 * NULL gives input back to the ring and con_getc (the kernel monitor).
 * Returns the previous consumer. */
typedef void (*con_input_fn)(const char *s, size_t n);
con_input_fn con_input_set_consumer(con_input_fn fn);
con_input_fn con_input_consumer(void);

/* ---- the display: a framebuffer with text screens ---- */

struct con_fb_info {
	uint64_t phys; /* physical address of the first pixel */
	void *virt; /* where the kernel has it mapped */
	uint32_t width, height, pitch; /* pixels, pixels, bytes per line */
	uint8_t bpp; /* 16, 24 or 32 */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	unsigned cols, rows; /* the text grid, in 8x16 cells */
};

/* What a display driver provides. Screen 0 exists from the start and shows
 * the sinks' output; the others are made by screens_create. */
struct con_display {
	int (*info)(struct con_fb_info *out);
	int (*screens_create)(unsigned count);
	void (*screen_write)(unsigned idx, const char *s, size_t n);
	int (*screen_show)(unsigned idx);
	unsigned (*screen_shown)(void);
	void (*screen_suspend)(unsigned idx);
	void (*screen_resume)(unsigned idx);
};
/* Registers the display (once it works); d must live for ever. */
void con_display_register(const struct con_display *d);

/* The framebuffer's geometry: 0, or -ENODEV without a display. */
int con_display_info(struct con_fb_info *out);
/* Makes screens 1..count-1. 0, -ENODEV (no display), -EINVAL (count 0 or
 * too many for the display), -ENOMEM. */
int con_screens_create(unsigned count);
/* Text for screen idx (ignored without a display or such a screen). */
void con_screen_write(unsigned idx, const char *s, size_t n);
/* Puts screen idx on the display (a full redraw). 0 or -EINVAL. */
int con_screen_show(unsigned idx);
unsigned con_screen_shown(void);
/* Stop and restart drawing screen idx (a program draws there); they nest. */
void con_screen_suspend(unsigned idx);
void con_screen_resume(unsigned idx);

#endif
