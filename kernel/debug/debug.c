/* debug.c - the machine's debug hooks (contract in debug.h). */
#include "debug.h"

#include "arch.h"
#include "ksym.h" /* with arch.h: the compiler checks ksym_lookup's upcall declaration */

static const struct debug_machine *machine;

void debug_machine_register(const struct debug_machine *m)
{
	machine = m;
}

void debug_exit(uint8_t code)
{
	if (machine && machine->exit)
		machine->exit(code);
}

void debug_panicked(void)
{
	if (machine && machine->panicked)
		machine->panicked();
}
