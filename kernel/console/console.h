/*
 * console.h - the kernel console: one output stream, many devices.
 *
 * Output goes to every registered sink (serial, framebuffer) in order.
 * Input arrives as bytes from the serial port and the keyboard (keys become
 * bytes, arrows become ANSI escape sequences) into one bounded ring that the
 * consumer drains; bytes that do not fit are counted, never silently lost.
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

#endif
