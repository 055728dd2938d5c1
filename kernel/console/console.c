/*
 * console.c - fan-out of kernel output, fan-in of console input.
 *
 * Sinks form a singly linked list, appended at registration and never removed.
 * The input ring (lib/ring.h) is written from interrupt context and read with
 * interrupts disabled. While a consumer is set (the consoles, after tty_init)
 * input bypasses the ring. The display is set once, by its driver's init,
 * before kernel/tty uses it; until then the con_display_ and con_screen_
 * calls answer as a machine without a framebuffer.
 */
#include "console.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "lib/lib.h"
#include "lib/ring.h"

static struct con_sink *sinks;

static char input_store[1024];
static struct ring input = RING_INIT(input_store);
static uint64_t in_dropped;
static con_input_fn consumer; /* written with interrupts off */
static const struct con_display *display;

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
	return got ? (unsigned char)c : -1;
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

/* ---- the display ---- */

void con_display_register(const struct con_display *d)
{
	display = d;
}

int con_display_info(struct con_fb_info *out)
{
	return display ? display->info(out) : -ENODEV;
}

int con_screens_create(unsigned count)
{
	return display ? display->screens_create(count) : -ENODEV;
}

void con_screen_write(unsigned idx, const char *s, size_t n)
{
	if (display)
		display->screen_write(idx, s, n);
}

int con_screen_show(unsigned idx)
{
	return display ? display->screen_show(idx) : -EINVAL;
}

unsigned con_screen_shown(void)
{
	return display ? display->screen_shown() : 0;
}

void con_screen_suspend(unsigned idx)
{
	if (display)
		display->screen_suspend(idx);
}

void con_screen_resume(unsigned idx)
{
	if (display)
		display->screen_resume(idx);
}
