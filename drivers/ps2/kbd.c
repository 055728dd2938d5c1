/*
 * kbd.c - the PS/2 keyboard behind the i8042 controller.
 *
 * Theory of operation. Init puts the controller in a known state: both ports
 * off, stale output drained, configuration byte set to "translate to scancode
 * set 1, port-1 clock on, no interrupts", controller self-test and port-1
 * test, port 1 back on. The keyboard is asked for scancode set 2 (which the
 * controller translates to set 1), its LEDs are put out and scanning enabled,
 * all by polling. Only then is IRQ 1 attached and the port-1 interrupt turned
 * on. Each interrupt drains the controller's output: every byte goes through
 * the translator (keymap.c); every key event goes with the bytes it types
 * to kernel/console (key_input), which hands it to its listener or types it.
 *
 * Lock keys relight the LEDs without waiting in the interrupt: we send the
 * LED command (ED) and send the mask when its ACK arrives, in a later interrupt.
 *
 * State: xlate and leds are touched only by the interrupt handler (and by
 * init before the interrupt is on).
 */
#include "arch.h"
#include "kbd_internal.h"
#include "kernel/driver/driver.h"
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"

#define PS2_DATA 0x60
#define PS2_STATUS 0x64 /* read: status; write: controller command */
#define KBD_ISA_IRQ 1

/* status register */
#define ST_OUT_FULL 0x01 /* a byte waits in PS2_DATA for us */
#define ST_IN_FULL 0x02	 /* the controller has not taken our last byte yet */
#define ST_AUX 0x20	 /* the waiting byte came from port 2 (mouse) */

/* configuration byte */
#define CFG_IRQ1 0x01
#define CFG_IRQ12 0x02
#define CFG_CLOCK1_OFF 0x10
#define CFG_TRANSLATE 0x40

/* controller commands */
#define CTL_READ_CONFIG 0x20
#define CTL_WRITE_CONFIG 0x60
#define CTL_DISABLE_PORT2 0xA7
#define CTL_SELF_TEST 0xAA
#define CTL_TEST_PORT1 0xAB
#define CTL_DISABLE_PORT1 0xAD
#define CTL_ENABLE_PORT1 0xAE
#define CTL_FAKE_PORT1_BYTE 0xD2 /* the next data byte comes back as if the keyboard sent it */
#define SELF_TEST_PASSED 0x55

/* keyboard commands and replies */
#define KBD_SET_LEDS 0xED
#define KBD_SCANCODE_SET 0xF0
#define KBD_ENABLE_SCAN 0xF4
#define KBD_ACK 0xFA
#define KBD_RESEND 0xFE

#define POLL_LIMIT 1000000 /* status reads before we call a wait a timeout */

static struct kbd_xlate xlate;
static enum { LEDS_IDLE, LEDS_SENT_COMMAND, LEDS_SENT_MASK } leds;
static bool up; /* init finished: the interrupt is attached and on */

/* ---- talking to the controller (polling) ---- */

static int wait_writable(void)
{
	for (int i = 0; i < POLL_LIMIT; i++)
		if (!(inb(PS2_STATUS) & ST_IN_FULL))
			return 0;
	return -ETIMEDOUT;
}

static int read_byte(void)
{
	for (int i = 0; i < POLL_LIMIT; i++)
		if (inb(PS2_STATUS) & ST_OUT_FULL)
			return inb(PS2_DATA);
	return -ETIMEDOUT;
}

static int write_port(uint16_t port, uint8_t v)
{
	int err = wait_writable();
	if (err == 0)
		outb(port, v);
	return err;
}

/* A controller command; with want_reply, returns its reply byte. */
static int ctl_command(uint8_t cmd, bool want_reply)
{
	int err = write_port(PS2_STATUS, cmd);
	if (err)
		return err;
	return want_reply ? read_byte() : 0;
}

static int write_config(uint8_t cfg)
{
	int err = ctl_command(CTL_WRITE_CONFIG, false);
	return err ? err : write_port(PS2_DATA, cfg);
}

static void drain_output(void)
{
	for (int i = 0; i < 64 && (inb(PS2_STATUS) & ST_OUT_FULL); i++)
		(void)inb(PS2_DATA);
}

/* Sends a byte to the keyboard and waits for its ACK, resending when asked.
 * Key bytes that arrive meanwhile are dropped (nobody is typing yet). */
static int kbd_command(uint8_t byte)
{
	for (int tries = 0; tries < 3; tries++) {
		int err = write_port(PS2_DATA, byte);
		if (err)
			return err;
		int r = -ETIMEDOUT;
		for (int skipped = 0; skipped < 16; skipped++) {
			r = read_byte();
			if (r < 0 || r == KBD_ACK || r == KBD_RESEND)
				break;
		}
		if (r == KBD_ACK)
			return 0;
		if (r != KBD_RESEND)
			return r < 0 ? r : -EIO;
	}
	return -EIO;
}

/* ---- interrupt time ---- */

static uint8_t led_mask(uint8_t mods)
{
	return (uint8_t)((mods & KEY_MOD_NUMLOCK ? 0x02 : 0) | (mods & KEY_MOD_CAPSLOCK ? 0x04 : 0));
}

/* Advances the LED exchange on a reply byte; returns true if it was one. */
static bool leds_reply(uint8_t b)
{
	if (leds == LEDS_IDLE || (b != KBD_ACK && b != KBD_RESEND))
		return false;
	if (b == KBD_ACK && leds == LEDS_SENT_COMMAND && write_port(PS2_DATA, led_mask(xlate.mods)) == 0)
		leds = LEDS_SENT_MASK;
	else
		leds = LEDS_IDLE; /* done, or refused: the LEDs are only a courtesy */
	return true;
}

static void leds_update(void)
{
	if (leds == LEDS_IDLE && write_port(PS2_DATA, KBD_SET_LEDS) == 0)
		leds = LEDS_SENT_COMMAND;
}

static void handle_byte(uint8_t b)
{
	if (leds_reply(b))
		return;
	uint8_t locks = xlate.mods & (KEY_MOD_CAPSLOCK | KEY_MOD_NUMLOCK);
	struct key_event ev;
	if (!kbd_xlate_byte(&xlate, b, &ev))
		return;
	if ((ev.mods & (KEY_MOD_CAPSLOCK | KEY_MOD_NUMLOCK)) != locks)
		leds_update();
	char bytes[8];
	size_t n = kbd_event_bytes(&ev, bytes, sizeof bytes);
	key_input(&ev, bytes, n);
}

static void kbd_irq(void *arg)
{
	(void)arg;
	for (int i = 0; i < 32; i++) {
		uint8_t st = inb(PS2_STATUS);
		if (!(st & ST_OUT_FULL))
			break;
		uint8_t b = inb(PS2_DATA);
		if (!(st & ST_AUX)) /* a mouse byte is not ours: port 2 is off */
			handle_byte(b);
	}
}

/* ---- bring-up ---- */

/* Controller to a known state, self-tested; port 1 on, its interrupt still off. */
static int controller_init(uint8_t *cfg)
{
	if (inb(PS2_STATUS) == 0xFF)
		return -ENODEV; /* nothing decodes the port: no i8042 */
	if (ctl_command(CTL_DISABLE_PORT1, false) || ctl_command(CTL_DISABLE_PORT2, false))
		return -ENODEV;
	drain_output();
	int c = ctl_command(CTL_READ_CONFIG, true);
	if (c < 0)
		return -ENODEV;
	*cfg = (uint8_t)((c & ~(CFG_IRQ1 | CFG_IRQ12 | CFG_CLOCK1_OFF)) | CFG_TRANSLATE);
	int err = write_config(*cfg);
	if (err)
		return err;
	if (ctl_command(CTL_SELF_TEST, true) != SELF_TEST_PASSED) {
		klog(KLOG_WARN, "ps2: controller self-test failed");
		return -EIO;
	}
	err = write_config(*cfg); /* some controllers reset themselves in the self-test */
	if (err)
		return err;
	if (ctl_command(CTL_TEST_PORT1, true) != 0) {
		klog(KLOG_WARN, "ps2: keyboard port test failed");
		return -ENODEV;
	}
	return ctl_command(CTL_ENABLE_PORT1, false);
}

/* Scancode set 2 (translated to 1), LEDs off, scanning on. A keyboard that
 * refuses the first two is still usable; one that never answers is absent. */
static int keyboard_init(void)
{
	int err = kbd_command(KBD_SCANCODE_SET);
	if (err == -ETIMEDOUT)
		goto absent;
	if (err || kbd_command(2) != 0)
		klog(KLOG_DEBUG, "ps2: keyboard kept its scancode set");
	if (kbd_command(KBD_SET_LEDS) == 0)
		(void)kbd_command(0);
	err = kbd_command(KBD_ENABLE_SCAN);
	if (err)
		goto absent;
	return 0;
absent:
	klog(KLOG_INFO, "ps2: no keyboard answers on port 1 (%d)", err);
	return -ENODEV;
}

static int kbd_init(const struct bootinfo *bi)
{
	(void)bi;
	uint8_t cfg;
	int err = controller_init(&cfg);
	if (err)
		return err;
	kbd_xlate_init(&xlate);
	err = keyboard_init();
	if (err)
		return err;
	drain_output();
	err = irq_attach_isa(KBD_ISA_IRQ, "ps2-keyboard", kbd_irq, NULL);
	if (err) {
		klog(KLOG_WARN, "ps2: IRQ %d not routed (%d): keys will not arrive", KBD_ISA_IRQ, err);
		return err;
	}
	err = write_config(cfg | CFG_IRQ1);
	up = err == 0;
	return err;
}

int kbd_inject(uint8_t code)
{
	if (!up)
		return -ENODEV;
	uint64_t f = irq_save(); /* the command and its byte must not be split */
	int err = ctl_command(CTL_FAKE_PORT1_BYTE, false);
	if (err == 0)
		err = write_port(PS2_DATA, code);
	irq_restore(f);
	return err;
}

const struct driver ps2kbd_driver = {.name = "ps2-keyboard", .init = kbd_init};
