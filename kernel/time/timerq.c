/*
 * timerq.c - the ordered queue of armed timers (plain C, host-tested).
 *
 * Invariant: q->head is the earliest deadline; along next, deadlines never
 * decrease, and equal deadlines keep arming order (a new timer goes after
 * every queued timer with the same deadline). t->armed is true exactly when
 * t is in a queue; prev/next are meaningful only then.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "time_internal.h"

void timerq_insert(struct timerq *q, struct timer *t)
{
	struct timer *prev = NULL, *cur = q->head;
	while (cur && cur->deadline_ns <= t->deadline_ns) {
		prev = cur;
		cur = cur->next;
	}
	t->prev = prev;
	t->next = cur;
	if (prev)
		prev->next = t;
	else
		q->head = t;
	if (cur)
		cur->prev = t;
	t->armed = true;
	q->count++;
}

void timerq_remove(struct timerq *q, struct timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		q->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
	q->count--;
}

struct timer *timerq_pop_due(struct timerq *q, uint64_t now)
{
	struct timer *t = q->head;
	if (!t || t->deadline_ns > now)
		return NULL;
	timerq_remove(q, t);
	return t;
}
