/*
 * console.h - the kernel console: one output stream, many devices.
 *
 * Output goes to every registered sink (serial, framebuffer) in order.
 * Input arrives as bytes from the serial port and the keyboard (keys become
 * bytes, arrows become ANSI escape sequences) into one bounded ring that the
 * consumer drains; bytes that do not fit are counted, never silently lost
 * (and the serial port waits instead: flow control, below).
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

/* Flow control, for a producer whose bytes can wait in their device (the
 * UART's FIFO, and behind it the other end of the line): con_input_room is
 * how many bytes the input side takes now - the consumer's room function
 * while a consumer is set, else the ring's free space. A producer that finds
 * no room stops reading its device and leaves the bytes there; the consumer
 * calls con_input_resume whenever it has read, which calls the producer's
 * resume function. So a paste longer than the queues waits, none of it lost. */
size_t con_input_room(void);
void con_input_set_room(size_t (*room)(void)); /* the consumer's; NULL: no limit */
void con_input_set_resume(void (*resume)(void)); /* the producer's */
void con_input_resume(void);

#endif
