/*
 * wait.c - how a block driver (and the store's lock) waits: the current
 * process sleeps when kernel/proc has registered how, the CPU halts
 * otherwise (contract: block.h).
 */
#include "arch.h"
#include "kernel/block/block.h"

static const struct block_waiter *waiter;

void block_wait_register(const struct block_waiter *w)
{
	waiter = w;
}

void block_wait(const void *chan)
{
	if (!waiter || !waiter->sleep(chan)) {
		arch_idle(); /* sti; hlt: no interrupt is lost between the test and the halt */
		return;
	}
	irq_enable();
}

void block_wake(const void *chan)
{
	if (waiter)
		waiter->wake(chan);
}

bool block_wait_sleeps(void)
{
	return waiter && waiter->can_sleep();
}
