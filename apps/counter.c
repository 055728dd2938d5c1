/*
 * counter - state that lives across runs. A global count and a list on the
 * heap (a malloc'd node per run, the last KEEP counts) carry over from one
 * event to the next because each run resumes the memory the previous run
 * committed; nothing is saved or reloaded. The timer in counter.manifest
 * fires every second, and "latest" keeps at most one tick waiting, so a
 * slow run never builds a backlog.
 */
#include <stdio.h>
#include <stdlib.h>

#include <optios/handler.h>

#define KEEP 8

struct node {
	unsigned long value;
	struct node *next;
};

static unsigned long count;
static struct node *oldest, *newest; /* at most KEEP nodes, oldest first */
static int kept;

static void remember(unsigned long value)
{
	struct node *n = malloc(sizeof *n);
	if (!n)
		return; /* the list just misses this value */
	n->value = value;
	n->next = NULL;
	if (newest)
		newest->next = n;
	else
		oldest = n;
	newest = n;
	if (++kept > KEEP) {
		struct node *gone = oldest;
		oldest = gone->next;
		free(gone);
		kept--;
	}
}

void on_event(const struct optios_event *ev)
{
	(void)ev;
	remember(++count);
	printf("counter: count=%lu list=", count);
	for (struct node *n = oldest; n; n = n->next)
		printf("%lu%s", n->value, n->next ? "," : "\n");
	fflush(stdout);
}
