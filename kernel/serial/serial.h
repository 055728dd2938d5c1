/*
 * serial.h - serial ports beyond the console: the interface a UART driver
 * fills for each port it finds (COM2, COM3, ...), and the registry the
 * kernel's users of a line (kernel/sensor) find them in.
 *
 * A port is closed until serial_port_open: the driver then sets the line
 * (baud, 8N1), turns its receive interrupt on, and from its interrupt hands
 * every byte it read to rx together with the time the interrupt ran
 * (clock_now_ns, taken once per interrupt before reading the FIFO: the
 * time the last byte of the batch had arrived by). rx runs with interrupts
 * off and must be short. write sends a few bytes, polled (a 9-byte command
 * at 9600 baud waits ~9 ms in the worst case for the FIFO; the 16550's is 16
 * bytes, so a command that fits never waits). Counters only grow.
 */
#ifndef KERNEL_SERIAL_SERIAL_H
#define KERNEL_SERIAL_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct serial_port;
typedef void (*serial_rx_fn)(void *arg, const uint8_t *buf, size_t n, uint64_t now_ns);

struct serial_port {
	/* Set by the driver before serial_port_register, constant afterwards. */
	const char *name; /* "COM2" */
	uint16_t io;
	uint8_t irq;
	/* 0 or -EINVAL: 8N1 at baud, receive interrupt when trigger (1, 4, 8, 14) bytes wait, or after 4 quiet characters */
	int (*open)(struct serial_port *p, uint32_t baud, unsigned trigger);
	void (*close)(struct serial_port *p);
	void (*write)(struct serial_port *p, const uint8_t *buf, size_t n);
	/* Set by serial_port_open while closed; read by the driver's interrupt. */
	serial_rx_fn rx;
	void *rx_arg;
	/* Written by the driver's interrupt. */
	uint64_t rx_bytes, overruns, interrupts;
	/* Private to the registry. */
	struct serial_port *next;
	int opened;
};

/* Adds p (a driver's, static) to the registry. */
void serial_port_register(struct serial_port *p);
/* The port named name ("COM2"), or NULL. */
struct serial_port *serial_port_find(const char *name);
/* Opens p at baud and FIFO trigger level with rx as its receiver: 0,
 * -EBUSY (already open), -EINVAL. */
int serial_port_open(struct serial_port *p, uint32_t baud, unsigned trigger, serial_rx_fn rx, void *arg);

#endif
