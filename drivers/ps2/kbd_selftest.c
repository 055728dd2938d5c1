/*
 * kbd_selftest.c - the whole keyboard path, from the controller on.
 *
 * The i8042 can be told to hand back a byte as if the keyboard had sent it
 * (kbd_inject). Each injected scancode must raise IRQ 1, go through the
 * translator, reach the listener as an event and the console input ring as
 * bytes. Without a working IRQ 1 the driver is not up and there is nothing
 * to check.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kbd_internal.h"
#include "kernel/console/console.h"
#include "kernel/irq/irq.h"
#include "kernel/test/selftest.h"

#define IRQ_NAME "ps2-keyboard"

static struct key_event seen[16];
static int nseen;
static bool consume;

static bool record(const struct key_event *ev, const char *bytes, size_t n)
{
	(void)bytes, (void)n;
	if (nseen < (int)ARRAY_SIZE(seen))
		seen[nseen++] = *ev;
	return consume;
}

/* Injects one scancode and lets the interrupt take it. */
static int deliver(uint8_t code)
{
	uint64_t before = irq_count_by_name(IRQ_NAME);
	int err = kbd_inject(code);
	if (err)
		return err;
	bool was_on = irq_enabled();
	irq_enable();
	for (long i = 0; i < 1000000 && irq_count_by_name(IRQ_NAME) == before; i++)
		cpu_relax();
	if (!was_on)
		irq_disable();
	return irq_count_by_name(IRQ_NAME) != before ? 0 : -ETIMEDOUT;
}

static int deliver_all(const uint8_t *codes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = deliver(codes[i]);
		if (err)
			return err;
	}
	return 0;
}

static con_input_fn saved_consumer;

static void drain_input(void)
{
	while (con_getc() >= 0)
		;
}

/* Installs the recording listener. Returns 1 to go on, 0 when there is no
 * keyboard to test, or a negative error. */
static int start(bool consume_events, key_listener_fn *old)
{
	int err = deliver(0); /* 0 is no key: a probe that types nothing */
	if (err == -ENODEV) {
		kprintf("selftest:   keyboard driver not up: nothing to check\n");
		return 0;
	}
	if (err)
		return err;
	saved_consumer = con_input_set_consumer(NULL); /* the bytes must reach the ring */
	drain_input();
	nseen = 0;
	consume = consume_events;
	*old = key_listener_set(record);
	return 1;
}

SELFTEST(kbd_injected_keys_become_events_and_bytes)
{
	key_listener_fn old;
	int r = start(false, &old);
	if (r <= 0)
		return r;
	/* Shift down, A down, A up, Shift up, Up down, Up up */
	static const uint8_t codes[] = {0x2A, 0x1E, 0x9E, 0xAA, 0xE0, 0x48, 0xE0, 0xC8};
	int err = deliver_all(codes, sizeof codes);
	key_listener_set(old);
	con_input_set_consumer(saved_consumer);
	ST_CHECK(err == 0);
	ST_CHECK(nseen == 6);
	ST_CHECK(seen[1].key == KEY_A && seen[1].pressed && (seen[1].mods & KEY_MOD_SHIFT));
	ST_CHECK(seen[2].key == KEY_A && !seen[2].pressed);
	ST_CHECK(seen[3].key == KEY_LEFTSHIFT && seen[3].mods == 0);
	ST_CHECK(seen[4].key == KEY_UP && seen[4].pressed);
	ST_CHECK(con_getc() == 'A');
	ST_CHECK(con_getc() == 0x1b && con_getc() == '[' && con_getc() == 'A');
	ST_CHECK(con_getc() == -1);
	return 0;
}

SELFTEST(kbd_listener_consumes_events)
{
	key_listener_fn old;
	int r = start(true, &old);
	if (r <= 0)
		return r;
	static const uint8_t codes[] = {0x38, 0x3B, 0xBB, 0xB8}; /* Alt+F1 */
	int err = deliver_all(codes, sizeof codes);
	key_listener_set(old);
	con_input_set_consumer(saved_consumer);
	ST_CHECK(err == 0);
	ST_CHECK(nseen == 4);
	ST_CHECK(seen[1].key == KEY_F1 && seen[1].pressed && (seen[1].mods & KEY_MOD_ALT));
	ST_CHECK(con_getc() == -1);
	return 0;
}
