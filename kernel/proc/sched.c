/*
 * sched.c - the scheduler: one CPU, two FIFO run queues, a loop on the boot
 * kernel stack that runs processes one after another.
 *
 * Theory of operation. sched_run() is the scheduler's own context (xv6
 * style): it takes the next process, installs it (kernel stack for syscalls
 * and ring-3 interrupts, address space, FS base) and switches to it. The
 * process comes back here only through sched_leave() (it blocked, yielded or
 * ended). With both queues empty the loop halts with interrupts on until the
 * next interrupt.
 *
 * Two classes share the CPU: foreground (every program) and background (the
 * handler runner, which executes every handler run; p->background). Each
 * class has a FIFO queue. While both have work they alternate, one turn
 * each: a foreground turn lasts at most PROC_SLICE_NS (10 ms), a background
 * turn at most SCHED_BG_SLICE_NS (2 ms). So when both are runnable,
 * foreground work gets at least 5/6 of the CPU the interrupts leave and the
 * runner at least 1/6; a class alone gets all of it. A program that wakes
 * while the runner runs waits at most SCHED_BG_SLICE_NS, however much work
 * handlers queue (the shell stays responsive under any load handlers cause),
 * and no program can starve the handlers either.
 *
 * Preemption is tickless: the slice timer is armed only while another
 * process is waiting (at switch-in, or when one becomes runnable while a
 * process runs). When it fires it only sets need_resched; the switch happens
 * on the next way back to ring 3 (proc_return_to_user), so kernel code is
 * never preempted.
 *
 * CPU time: a process is charged the wall time of its turns less the time
 * interrupt handlers took meanwhile (irq_time_tsc), so budgets and the CPU
 * clocks count a process's own work, not interrupts it happened to be under.
 *
 * Invariants: the queues, current, last_class and the slice change only with
 * interrupts disabled; a process is in the queue of its class iff its state
 * is PROC_RUNNABLE; at most one process is PROC_RUNNING and it is current.
 */
#include "kernel/block/block.h"
#include "kernel/fs/vfs.h" /* proc_current_name, which it asks of us */
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/net/net.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

static struct proc *current;
static struct arch_context *scheduler_context;
/* The run queues: [0] foreground, [1] background (index = p->background). */
static struct runq {
	struct proc *head, *tail;
} queues[2];
static bool last_background; /* the class of the last turn */
static struct timer slice;
static uint64_t slice_end; /* the slice's deadline while it is armed */
static struct timer cpu_limit; /* fires when current reaches its cpu_limit_ns */
static bool need_resched;
static uint64_t switched_in_ns, switched_in_irq; /* clock_now_ns and irq_time_tsc at switch-in */
/* Each process's x87/SSE registers while it is switched out (slot order). */
static uint8_t fpu_areas[PROC_MAX][ARCH_FPU_AREA] __attribute__((aligned(16)));
static uint8_t fpu_clean[ARCH_FPU_AREA] __attribute__((aligned(16)));

void proc_fpu_clean(void *area)
{
	memcpy(area, fpu_clean, ARCH_FPU_AREA);
}

/* The current turn's CPU time: its wall time less the interrupt handling in
 * it. Interrupts disabled. */
static uint64_t turn_ns(void)
{
	uint64_t wall = clock_now_ns() - switched_in_ns;
	uint64_t irq = clock_ticks_to_ns(irq_time_tsc() - switched_in_irq);
	return wall > irq ? wall - irq : 0;
}

uint64_t sched_cpu_ns(const struct proc *p)
{
	uint64_t f = irq_save();
	uint64_t ns = p->cpu_ns + (p == current ? turn_ns() : 0);
	irq_restore(f);
	return ns;
}

void sched_set_cpu_limit(struct proc *p, uint64_t limit_ns)
{
	uint64_t f = irq_save();
	p->cpu_limit_ns = limit_ns;
	if (p == current && limit_ns) {
		uint64_t used = sched_cpu_ns(p);
		timer_arm(&cpu_limit, clock_now_ns() + (limit_ns > used ? limit_ns - used : 0));
	} else if (p == current) {
		timer_cancel(&cpu_limit);
	}
	irq_restore(f);
}

void sched_fpu_reset(struct proc *p, size_t slot)
{
	(void)p;
	memcpy(fpu_areas[slot], fpu_clean, ARCH_FPU_AREA);
}

void sched_fpu_copy(struct proc *child, size_t slot)
{
	(void)child;
	arch_fpu_save(fpu_areas[slot]); /* the caller's live registers: its user state */
}

void sched_fpu_load(struct proc *p, size_t slot)
{
	(void)p;
	arch_fpu_restore(fpu_areas[slot]);
}

struct proc *proc_current(void)
{
	return current;
}

/* For kernel/fs (declared in vfs.h): who makes a file change at once. */
const char *proc_current_name(void)
{
	return current ? current->name : "kernel";
}

/* For kernel/fs (vfs.h): a handler run passes the data gate. */
bool proc_current_in_run(void)
{
	return current && current->handler;
}

bool sched_need_resched(void)
{
	return need_resched;
}

static void slice_fire(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	need_resched = true;
}

/* Wakes the CPU: the way back to ring 3 checks the limit. Armed on the
 * wall clock, it fires early by the interrupt time in between; then it is
 * armed again for the CPU time still missing. */
static void cpu_limit_fire(struct timer *t, void *arg)
{
	(void)arg;
	if (!current || !current->cpu_limit_ns)
		return;
	uint64_t used = sched_cpu_ns(current);
	if (used < current->cpu_limit_ns)
		timer_arm(t, clock_now_ns() + (current->cpu_limit_ns - used));
}

/* kernel/block's waits (a device's answer, the store's lock): not
 * interruptible by a kill (the request must end first) and allowed for a
 * process running a handler (the wait is the kernel's, not the run's). */
static bool io_sleep(const void *chan)
{
	struct proc *p = current;
	if (!p)
		return false;
	p->wait_chan = chan;
	p->state = PROC_BLOCKED;
	sched_leave();
	p->wait_chan = NULL;
	return true;
}

static bool io_can_sleep(void)
{
	return current != NULL;
}

static const struct block_waiter io_waiter = {io_sleep, sched_wakeup, io_can_sleep};

void sched_init(void)
{
	block_wait_register(&io_waiter);
	timer_init(&slice, slice_fire, NULL);
	timer_init(&cpu_limit, cpu_limit_fire, NULL);
	arch_fpu_init(fpu_clean);
}

/* The end of current's turn, if anyone waits: a background turn is short
 * once foreground work waits (armed again, shorter, when that happens). */
static void slice_arm(void)
{
	if (!current || (!queues[0].head && !queues[1].head))
		return;
	uint64_t now = clock_now_ns(), end = now + PROC_SLICE_NS;
	if (current->background && queues[0].head)
		end = now + SCHED_BG_SLICE_NS;
	if (!timer_armed(&slice) || end < slice_end) {
		slice_end = end;
		timer_arm(&slice, end);
	}
}

void sched_make_runnable(struct proc *p)
{
	struct runq *q = &queues[p->background];
	p->state = PROC_RUNNABLE;
	p->run_next = NULL;
	if (q->tail)
		q->tail->run_next = p;
	else
		q->head = p;
	q->tail = p;
	slice_arm();
}

void sched_set_background(struct proc *p)
{
	uint64_t f = irq_save();
	struct runq *q = &queues[p->background];
	if (p->state == PROC_RUNNABLE) {
		struct proc **link = &q->head, *prev = NULL;
		while (*link && *link != p) {
			prev = *link;
			link = &(*link)->run_next;
		}
		if (*link) {
			*link = p->run_next;
			if (q->tail == p)
				q->tail = prev;
		}
	}
	p->background = true;
	if (p->state == PROC_RUNNABLE)
		sched_make_runnable(p);
	irq_restore(f);
}

/* The next turn: the other class's if it waits (they alternate), else this one's. */
static struct proc *dequeue(void)
{
	bool bg = queues[!last_background].head ? !last_background : last_background;
	struct runq *q = &queues[bg];
	struct proc *p = q->head;
	if (p) {
		q->head = p->run_next;
		if (!q->head)
			q->tail = NULL;
		p->run_next = NULL;
		last_background = bg;
	}
	return p;
}

/* Runs p until it gives the CPU back. Interrupts disabled. */
static void run(struct proc *p)
{
	p->state = PROC_RUNNING;
	current = p;
	need_resched = false;
	arch_set_user_kstack((uint64_t)p->kstack_top);
	vm_space_activate(p->space);
	arch_set_fs_base(p->fs_base);
	slice_arm();
	switched_in_ns = clock_now_ns();
	switched_in_irq = irq_time_tsc();
	if (p->cpu_limit_ns)
		timer_arm(&cpu_limit, switched_in_ns + (p->cpu_limit_ns > p->cpu_ns ? p->cpu_limit_ns - p->cpu_ns : 0));
	uint8_t *fpu = fpu_areas[proc_slot(p)];
	arch_fpu_restore(fpu);
	arch_switch(&scheduler_context, p->context);
	arch_fpu_save(fpu);
	timer_cancel(&slice);
	timer_cancel(&cpu_limit);
	p->cpu_ns += turn_ns();
	current = NULL;
}

static void reap_orphans(void)
{
	int status, pid;
	while ((pid = proc_reap_orphan(&status)) > 0) {
		irq_enable();
		proc_init_exited(pid, status);
		irq_disable();
	}
}

/* The network's work (kernel/net), in the scheduler's own context between
 * two turns: interrupts only queue it. Interrupts disabled; on return too. */
static void run_net(void)
{
	while (net_pending()) {
		irq_enable();
		net_run();
		irq_disable();
	}
}

/* proc_create_kernel_soon's request: written in any context with
 * interrupts off, taken here. One at a time: a second waits for the first
 * to start. */
static struct {
	const char *name;
	void (*fn)(void);
} soon;

bool proc_create_kernel_soon(const char *name, void (*fn)(void))
{
	uint64_t f = irq_save();
	bool taken = soon.fn == NULL;
	if (taken) {
		soon.name = name, soon.fn = fn;
		need_resched = true; /* a running program yields on its way back to ring 3 */
	}
	irq_restore(f);
	return taken;
}

/* A kernel process asked for from an interrupt, created in the scheduler's
 * own context. Interrupts disabled; on return too. */
static void start_soon(void)
{
	if (!soon.fn)
		return;
	const char *name = soon.name;
	void (*fn)(void) = soon.fn;
	irq_enable();
	if (!proc_create_kernel(name, fn))
		klog(KLOG_ERROR, "proc: could not start the kernel process %s (no slot or memory)", name);
	irq_disable();
	soon.fn = NULL;
}

NORETURN void sched_run(void)
{
	for (;;) {
		irq_disable();
		reap_orphans();
		run_net();
		start_soon();
		struct proc *p = dequeue();
		if (p)
			run(p);
		else
			arch_idle(); /* sti; hlt: wakes with interrupts on */
	}
}

void sched_run_until_idle(void (*between)(void *arg), void *arg)
{
	for (;;) {
		irq_disable();
		run_net();
		struct proc *p = dequeue();
		if (p)
			run(p);
		irq_enable();
		if (!p)
			return;
		if (between)
			between(arg);
	}
}

void sched_leave(void)
{
	uint64_t f = irq_save();
	arch_switch(&current->context, scheduler_context);
	irq_restore(f);
}

int sched_sleep(const void *chan)
{
	struct proc *p = current;
	if (!p) { /* kernel context: wait for any interrupt (a spurious wake-up) */
		arch_idle();
		irq_disable();
		return 0;
	}
	if (p->handler)
		return -EAGAIN;
	if (p->killed || proc_signal_ready(p))
		goto interrupted;
	p->wait_chan = chan;
	p->state = PROC_BLOCKED;
	sched_leave();
	p->wait_chan = NULL;
	if (p->killed || proc_signal_ready(p))
		goto interrupted;
	return 0;
interrupted:
	p->sig_interrupted = !p->killed;
	return -EINTR;
}

void sched_sleep_nosignal(const void *chan)
{
	struct proc *p = current;
	p->wait_chan = chan;
	p->state = PROC_BLOCKED;
	sched_leave();
	p->wait_chan = NULL;
}

static void wake_one(struct proc *p, void *chan)
{
	if (p->state == PROC_BLOCKED && p->wait_chan == chan)
		sched_make_runnable(p);
}

void sched_wakeup(const void *chan)
{
	proc_foreach(wake_one, (void *)chan);
}

void sched_yield(void)
{
	uint64_t f = irq_save();
	struct proc *p = current;
	if (p) {
		sched_make_runnable(p);
		sched_leave();
	}
	irq_restore(f);
}
