/*
 * uart.c - the 16550 UART on COM1: 115200 8N1, polled output, interrupt input.
 *
 * It is the first console: its early init runs before anything else in
 * kmain so every later message (and any fault) can be seen. Output turns a
 * bare "\n" into "\r\n". Received bytes go to the console input ring from the IRQ.
 */
#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/driver/driver.h"
#include "kernel/irq/irq.h"

#define COM1 0x3F8
#define COM1_IRQ 4

enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };

static bool present;

/* Waits for room in the transmitter. A host that reads slowly (a busy test
 * harness) keeps it full for a while, so the bound is generous: it exists
 * only so a wedged UART cannot hang the kernel forever. */
#define TX_SPINS 20000000

static void put_raw(char c)
{
	for (int i = 0; i < TX_SPINS && !(inb(COM1 + LSR) & 0x20); i++)
		cpu_relax();
	outb(COM1 + DATA, (uint8_t)c);
}

/* A bare "\n" goes out as "\r\n"; one that already follows "\r" (the
 * console's own newline translation) does not get a second "\r". */
static void uart_write(const char *s, size_t n)
{
	static char last;
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && last != '\r')
			put_raw('\r');
		put_raw(s[i]);
		last = s[i];
	}
}

static struct con_sink uart_sink = {.name = "serial", .write = uart_write};

static void uart_early_init(void)
{
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x80); /* DLAB: divisor follows */
	outb(COM1 + DATA, 0x01); /* 115200 / 1 */
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x03); /* 8N1 */
	outb(COM1 + FCR, 0xC7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + MCR, 0x1E); /* loopback to test the chip */
	outb(COM1 + DATA, 0xAE);
	if (inb(COM1 + DATA) != 0xAE)
		return; /* no UART here: stay silent rather than hang */
	outb(COM1 + MCR, 0x0B); /* normal: DTR, RTS, OUT2 (IRQ line enable) */
	present = true;
	con_sink_register(&uart_sink);
}

static void uart_irq(void *arg)
{
	(void)arg;
	char buf[16];
	size_t n = 0;
	while (inb(COM1 + LSR) & 0x01) {
		char c = (char)inb(COM1 + DATA);
		buf[n++] = c == '\r' ? '\n' : c;
		if (n == sizeof buf) {
			con_input_push(buf, n);
			n = 0;
		}
	}
	if (n)
		con_input_push(buf, n);
}

static int uart_init(const struct bootinfo *bi)
{
	(void)bi;
	if (!present)
		return -ENODEV;
	int err = irq_attach_isa(COM1_IRQ, "serial", uart_irq, NULL);
	if (err)
		return err;
	outb(COM1 + IER, 0x01); /* interrupt on received data */
	return 0;
}

const struct driver uart_driver = {.name = "serial", .early_init = uart_early_init, .init = uart_init};
