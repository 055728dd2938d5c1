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
