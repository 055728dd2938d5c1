/*
 * uart.c - the 16550 UARTs: COM1, the console (115200 8N1, polled output,
 * interrupt input), and COM2-COM4, registered as serial ports for the
 * kernel's users of a line (kernel/serial/serial.h: the sensors).
 *
 * It is the first console: its early init runs before anything else in
 * kmain so every later message (and any fault) can be seen. Output turns a
 * bare "\n" into "\r\n". Received bytes go to the console input from the IRQ,
 * as many as it has room for (con_input_room); when it has none the UART is
 * throttled - its receive interrupt off, RTS dropped - and the bytes wait in
 * its FIFO (and at the other end of the line) until the reader resumes it.
 */
#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/driver/driver.h"
#include "kernel/irq/irq.h"
#include "kernel/serial/serial.h"
#include "kernel/time/time.h"

#define COM1 0x3F8
#define COM1_IRQ 4
#define UART_CLOCK 115200 /* the divisor's base: 1.8432 MHz / 16 */

enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };

static bool present;
static bool throttled; /* receive interrupt off until uart_resume */

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

/* No room for input: stop taking it (interrupt off, RTS off for a peer
 * that honours it) and leave it in the FIFO. */
static void throttle(void)
{
	throttled = true;
	outb(COM1 + IER, 0x00);
	outb(COM1 + MCR, 0x09); /* DTR, OUT2 */
}

/* The reader made room (con_input_resume, interrupts off): take input again;
 * bytes waiting in the FIFO raise the interrupt at once. */
static void uart_resume(void)
{
	if (!throttled || con_input_room() == 0)
		return;
	throttled = false;
	outb(COM1 + MCR, 0x0B); /* DTR, RTS, OUT2 */
	outb(COM1 + IER, 0x01);
}

static void console_irq(void)
{
	char buf[16];
	size_t n = 0, room = con_input_room();
	while (inb(COM1 + LSR) & 0x01) {
		if (room == 0) {
			throttle();
			break;
		}
		room--;
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

/* ---- COM2-COM4: serial ports for kernel/serial ----
 *
 * The PC's ports share two ISA lines (COM1 and COM3 IRQ 4, COM2 and COM4
 * IRQ 3), edge-triggered: one handler per line serves every port on it,
 * reading each until its FIFO is empty, so a byte that arrived on one port
 * while another's interrupt was being taken is not left behind. */

static struct serial_port extra[] = {
	{.name = "COM2", .io = 0x2F8, .irq = 3},
	{.name = "COM3", .io = 0x3E8, .irq = 4},
	{.name = "COM4", .io = 0x2E8, .irq = 3},
};
static bool extra_present[ARRAY_SIZE(extra)];

/* Is a 16550 at io? (Its loopback mode echoes a byte.) Leaves it quiet. */
static bool probe(uint16_t io)
{
	outb(io + IER, 0x00);
	outb(io + MCR, 0x1E);
	outb(io + DATA, 0xAE);
	bool ok = inb(io + DATA) == 0xAE;
	outb(io + MCR, 0x00);
	return ok;
}

/* 8N1 at baud (a divisor of 115200), FIFO on with the trigger level asked:
 * at 1 the interrupt comes with each byte, so a frame's time is its last
 * byte's; at 14 a frame's last bytes wait for the FIFO's timeout (4
 * character times), fewer interrupts for a later time. */
static int port_open(struct serial_port *p, uint32_t baud, unsigned trigger)
{
	static const uint8_t levels[] = {[1] = 0x00, [4] = 0x40, [8] = 0x80, [14] = 0xC0};
	if (baud == 0 || baud > UART_CLOCK || UART_CLOCK % baud || trigger >= ARRAY_SIZE(levels) ||
	    (trigger != 1 && !levels[trigger]))
		return -EINVAL;
	uint16_t div = (uint16_t)(UART_CLOCK / baud);
	outb(p->io + LCR, 0x80);
	outb(p->io + DATA, (uint8_t)div);
	outb(p->io + IER, (uint8_t)(div >> 8));
	outb(p->io + LCR, 0x03);
	outb(p->io + FCR, (uint8_t)(0x07 | levels[trigger])); /* FIFO on, both cleared */
	outb(p->io + MCR, 0x0B); /* DTR, RTS, OUT2 */
	(void)inb(p->io + LSR);
	outb(p->io + IER, 0x01);
	return 0;
}

static void port_close(struct serial_port *p)
{
	outb(p->io + IER, 0x00);
	outb(p->io + MCR, 0x00);
}

static void port_write(struct serial_port *p, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < TX_SPINS && !(inb(p->io + LSR) & 0x20); s++)
			cpu_relax();
		outb(p->io + DATA, buf[i]);
	}
}

/* Everything p's FIFO holds, to its receiver, stamped with one time. */
static void port_drain(struct serial_port *p)
{
	uint8_t buf[32];
	size_t n = 0;
	uint64_t now = clock_now_ns();
	uint8_t lsr;
	p->interrupts++;
	while ((lsr = inb(p->io + LSR)) & 0x01) {
		p->overruns += (lsr >> 1) & 1;
		buf[n++] = inb(p->io + DATA);
		if (n == sizeof buf) {
			p->rx_bytes += n;
			if (p->rx)
				p->rx(p->rx_arg, buf, n, now);
			n = 0;
		}
	}
	p->rx_bytes += n;
	if (n && p->rx)
		p->rx(p->rx_arg, buf, n, now);
}

static void line_irq(void *arg)
{
	unsigned line = (unsigned)(uintptr_t)arg;
	if (line == COM1_IRQ && present)
		console_irq();
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		if (extra_present[i] && extra[i].irq == line && extra[i].opened)
			port_drain(&extra[i]);
}

static void extra_init(void)
{
	bool line3 = false;
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		if (!probe(extra[i].io))
			continue;
		extra_present[i] = true;
		extra[i].open = port_open;
		extra[i].close = port_close;
		extra[i].write = port_write;
		serial_port_register(&extra[i]);
		line3 |= extra[i].irq == 3;
	}
	if (line3 && irq_attach_isa(3, "serial", line_irq, (void *)3) != 0)
		for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
			extra_present[i] &= extra[i].irq != 3;
}

static int uart_init(const struct bootinfo *bi)
{
	(void)bi;
	extra_init();
	if (!present)
		return -ENODEV;
	int err = irq_attach_isa(COM1_IRQ, "serial", line_irq, (void *)COM1_IRQ);
	if (err)
		return err;
	con_input_set_resume(uart_resume);
	outb(COM1 + IER, 0x01); /* interrupt on received data */
	return 0;
}

const struct driver uart_driver = {.name = "serial", .early_init = uart_early_init, .init = uart_init};
