/*
 * serial.c - the registry of serial ports beyond the console (serial.h):
 * a list in registration order, ports opened at most once.
 */
#include "serial.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "lib/lib.h"

static struct serial_port *ports, **ports_tail = &ports; /* drivers' init, then read-only */

void serial_port_register(struct serial_port *p)
{
	p->next = NULL;
	*ports_tail = p;
	ports_tail = &p->next;
}

struct serial_port *serial_port_find(const char *name)
{
	for (struct serial_port *p = ports; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

int serial_port_open(struct serial_port *p, uint32_t baud, unsigned trigger, serial_rx_fn rx, void *arg)
{
	if (p->opened)
		return -EBUSY;
	uint64_t f = irq_save();
	p->rx = rx;
	p->rx_arg = arg;
	irq_restore(f);
	int err = p->open(p, baud, trigger);
	if (err == 0)
		p->opened = 1;
	return err;
}
