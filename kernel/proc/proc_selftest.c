/*
 * proc_selftest.c - the context switch, ring-3 entry and exit, user faults
 * and time slicing, checked in the kernel with hand-made programs (a few
 * bytes of machine code in one page, no ELF, no file system).
 */
#include "kernel/exec/exec.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/syscall/syscall.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define CODE_VA 0x400000ull

/* ---- bare context switch between two kernel stacks ---- */

static struct arch_context *main_ctx, *side_ctx;
static volatile int pingpong;

static void side(void)
{
	for (;;) {
		pingpong++;
		arch_switch(&side_ctx, main_ctx);
	}
}

SELFTEST(sched_context_switch)
{
	void *top = vm_stack_alloc(2);
	ST_CHECK(top != NULL);
	struct arch_context *c = (struct arch_context *)((uint8_t *)top - 64) - 1;
	memset(c, 0, sizeof *c);
	c->rip = (uint64_t)side;
	c->rbx = 0x1234;
	side_ctx = c;
	pingpong = 0;
	uint64_t keep = 0xfeedface;
	arch_opaque(keep); /* a live register across the switches */
	for (int i = 0; i < 1000; i++)
		arch_switch(&main_ctx, side_ctx);
	ST_CHECK(pingpong == 1000);
	ST_CHECK(keep == 0xfeedface);
	vm_stack_free(top);
	return 0;
}

/* ---- hand-made user programs ---- */

static const uint8_t prog_exit42[] = {0xb8, 0xe7, 0, 0, 0, 0xbf, 42, 0, 0, 0, 0x0f, 0x05};
static const uint8_t prog_exit_pid[] = {0xb8, 39,   0,	  0, 0, 0x0f, 0x05, 0x89,
					0xc7, 0xb8, 0xe7, 0, 0, 0,    0x0f, 0x05};
static const uint8_t prog_null[] = {0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0};
static const uint8_t prog_cli[] = {0xfa};
static const uint8_t prog_spin[] = {0xeb, 0xfe};

static struct proc *start(const uint8_t *code, size_t len)
{
	syscall_init();
	sched_init();
	struct exec_image img = {
		.entry = CODE_VA, .rsp = EXEC_STACK_TOP - 64, .brk_base = CODE_VA + PAGE_SIZE};
	img.space = vm_space_create();
	uint64_t text = pmm_alloc_zeroed(), stack = pmm_alloc_zeroed();
	if (!img.space || !text || !stack)
		return NULL;
	memcpy(phys_to_virt(text), code, len);
	if (vm_map(img.space, CODE_VA, text, VM_USER | VM_EXEC) ||
	    vm_map(img.space, EXEC_STACK_TOP - PAGE_SIZE, stack, VM_USER | VM_WRITE))
		return NULL;
	struct proc *p = proc_create(&img, "selftest", NULL, NULL, NULL);
	if (!p)
		vm_space_destroy(img.space);
	return p;
}

/* Runs everything, then reaps the zombie of pid; returns its status or -1. */
static int finish(int pid, void (*between)(void *), void *arg)
{
	sched_run_until_idle(between, arg);
	int status, got, found = -1;
	while ((got = proc_reap_orphan(&status)) > 0)
		if (got == pid)
			found = status;
	vm_space_activate(NULL);
	return found;
}

SELFTEST(proc_ring3_exit_status)
{
	struct proc *p = start(prog_exit42, sizeof prog_exit42);
	ST_CHECK(p != NULL);
	ST_CHECK(finish(p->pid, NULL, NULL) == PROC_EXITED(42));
	p = start(prog_exit_pid, sizeof prog_exit_pid);
	ST_CHECK(p != NULL);
	int pid = p->pid;
	ST_CHECK(finish(pid, NULL, NULL) == PROC_EXITED(pid));
	return 0;
}

SELFTEST(proc_user_faults_end_the_program)
{
	struct proc *p = start(prog_null, sizeof prog_null);
	ST_CHECK(p != NULL);
	ST_CHECK(finish(p->pid, NULL, NULL) == PROC_SIGNALED(SIGSEGV));
	p = start(prog_cli, sizeof prog_cli);
	ST_CHECK(p != NULL);
	ST_CHECK(finish(p->pid, NULL, NULL) == PROC_SIGNALED(SIGSEGV));
	return 0;
}

struct spin_state {
	int pids[2];
	int turns;
};

static void kill_after_turns(void *arg)
{
	struct spin_state *st = arg;
	if (++st->turns == 8) {
		proc_kill(st->pids[0], SIGKILL);
		proc_kill(st->pids[1], SIGKILL);
	}
}

SELFTEST(sched_time_slices_spinning_programs)
{
	struct spin_state st = {{0, 0}, 0};
	struct proc *a = start(prog_spin, sizeof prog_spin);
	ST_CHECK(a != NULL);
	st.pids[0] = a->pid;
	struct proc *b = start(prog_spin, sizeof prog_spin);
	ST_CHECK(b != NULL);
	st.pids[1] = b->pid;
	/* each turn ends only by the slice timer: 8 turns prove preemption */
	int sa = finish(st.pids[0], kill_after_turns, &st);
	ST_CHECK(st.turns >= 8);
	ST_CHECK(sa == -1 || sa == PROC_SIGNALED(SIGKILL));
	ST_CHECK(proc_find(st.pids[1]) == NULL);
	return 0;
}

/* ---- CPU time and the share of each class ---- */

#define IRQ_BUSY_NS (20 * NS_PER_MS)

static struct timer busy_timer, stop_timer;
static int spin_pids[2];
static uint64_t spun_ns[2];

static void busy_fire(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	uint64_t end = clock_now_ns() + IRQ_BUSY_NS;
	while (clock_now_ns() < end)
		;
}

static void stop_fire(struct timer *t, void *arg)
{
	(void)t, (void)arg;
	for (int i = 0; i < 2; i++)
		if (spin_pids[i])
			proc_kill(spin_pids[i], SIGKILL);
}

static void note_cpu(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		struct proc *p = spin_pids[i] ? proc_find(spin_pids[i]) : NULL;
		if (p)
			spun_ns[i] = p->cpu_ns;
	}
}

/* Starts the spinners (background: the second one is background work). */
static int spin_start(int n, bool background)
{
	memset(spin_pids, 0, sizeof spin_pids);
	memset(spun_ns, 0, sizeof spun_ns);
	for (int i = 0; i < n; i++) {
		struct proc *p = start(prog_spin, sizeof prog_spin);
		if (!p)
			return -1;
		spin_pids[i] = p->pid;
		if (background && i == 1)
			sched_set_background(p);
	}
	timer_init(&busy_timer, busy_fire, NULL);
	timer_init(&stop_timer, stop_fire, NULL);
	return 0;
}

/* A program is charged its own time: not the 20 ms an interrupt handler
 * spun while it was on the CPU. */
SELFTEST(sched_cpu_time_excludes_interrupts)
{
	ST_CHECK(spin_start(1, false) == 0);
	uint64_t t0 = clock_now_ns();
	timer_arm(&busy_timer, t0 + 5 * NS_PER_MS);
	timer_arm(&stop_timer, t0 + 60 * NS_PER_MS);
	ST_CHECK(finish(spin_pids[0], note_cpu, NULL) == PROC_SIGNALED(SIGKILL));
	uint64_t wall = clock_now_ns() - t0;
	ST_CHECK(spun_ns[0] > 0);
	ST_CHECK(spun_ns[0] + IRQ_BUSY_NS <= wall);
	return 0;
}

/* A foreground and a background program spinning side by side: they take
 * turns, the foreground's five times longer (10 ms against 2 ms). */
SELFTEST(sched_foreground_share_against_background)
{
	ST_CHECK(spin_start(2, true) == 0);
	timer_arm(&stop_timer, clock_now_ns() + 300 * NS_PER_MS);
	finish(spin_pids[0], note_cpu, NULL);
	ST_CHECK(proc_find(spin_pids[1]) == NULL);
	uint64_t fg = spun_ns[0], bg = spun_ns[1];
	ST_CHECK(bg > 0 && fg > 0);
	ST_CHECK(fg >= 2 * bg); /* 5x in theory (4.6x seen); a loaded host stretches turns */
	ST_CHECK(bg * 10 >= fg); /* the background is not starved */
	return 0;
}
