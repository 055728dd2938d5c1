/*
 * console.c - fan-out of kernel output, fan-in of console input.
 *
 * Sinks form a singly linked list, appended at registration and never removed.
 * The input ring is a power-of-two byte ring written from interrupt context
 * and read with interrupts disabled around the index update. While a
 * consumer is set (the consoles, after tty_init) input bypasses the ring.
 */
#include "console.h"

#include "arch.h"
#include "lib/lib.h"

static struct con_sink *sinks;

#define INPUT_SIZE 1024
static char input[INPUT_SIZE];
static uint32_t in_head, in_tail; /* head: next to read; tail: next to write */
static uint64_t in_dropped;
static con_input_fn consumer; /* written with interrupts off */

void con_sink_register(struct con_sink *sink)
{
	struct con_sink **pp = &sinks;
	while (*pp)
		pp = &(*pp)->next;
	sink->next = NULL;
	*pp = sink;
}

void con_write(const char *s, size_t n)
{
	for (struct con_sink *k = sinks; k; k = k->next)
		k->write(s, n);
}

void con_puts(const char *s)
{
	con_write(s, strlen(s));
}

void con_input_push(const char *s, size_t n)
{
	uint64_t f = irq_save();
	if (consumer) {
		consumer(s, n);
		irq_restore(f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (in_tail - in_head == INPUT_SIZE) {
			in_dropped += n - i;
			break;
		}
		input[in_tail++ % INPUT_SIZE] = s[i];
	}
	irq_restore(f);
}

int con_getc(void)
{
	uint64_t f = irq_save();
	int c = -1;
	if (in_head != in_tail)
		c = (unsigned char)input[in_head++ % INPUT_SIZE];
	irq_restore(f);
	return c;
}

uint64_t con_input_dropped(void)
{
	return in_dropped;
}

con_input_fn con_input_set_consumer(con_input_fn fn)
{
	uint64_t f = irq_save();
	con_input_fn old = consumer;
	consumer = fn;
	irq_restore(f);
	return old;
}

con_input_fn con_input_consumer(void)
{
	return consumer;
}
