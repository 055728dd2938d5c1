/*
 * console.c - fan-out of kernel output, fan-in of console input.
 *
 * Sinks form a singly linked list, appended at registration and never removed.
 * The input ring (lib/ring.h) is written from interrupt context and read with
 * interrupts disabled. While a consumer is set (the consoles, after tty_init)
 * input bypasses the ring.
 */
#include "console.h"

#include "arch.h"
#include "lib/lib.h"
#include "lib/ring.h"

static struct con_sink *sinks;

static char input_store[1024];
static struct ring input = RING_INIT(input_store);
static uint64_t in_dropped;
static con_input_fn consumer; /* written with interrupts off */
static size_t (*consumer_room)(void);
static void (*producer_resume)(void);

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
	if (consumer)
		consumer(s, n);
	else
		in_dropped += n - ring_put(&input, s, n);
	irq_restore(f);
}

int con_getc(void)
{
	uint64_t f = irq_save();
	char c;
	size_t got = ring_get(&input, &c, 1);
	irq_restore(f);
	if (got)
		con_input_resume();
	return got ? (unsigned char)c : -1;
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

size_t con_input_room(void)
{
	if (consumer)
		return consumer_room ? consumer_room() : SIZE_MAX;
	return input.size - ring_used(&input);
}

void con_input_set_room(size_t (*room)(void))
{
	consumer_room = room;
}

void con_input_set_resume(void (*resume)(void))
{
	producer_resume = resume;
}

void con_input_resume(void)
{
	uint64_t f = irq_save();
	if (producer_resume)
		producer_resume();
	irq_restore(f);
}
