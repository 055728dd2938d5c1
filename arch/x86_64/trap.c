/*
 * trap.c - the IDT, exception reports, fault catching and backtraces.
 *
 * Every vector enters through entry.S and reaches trap_dispatch() with a
 * struct trapframe. Vectors 0-31 are exceptions: a kernel-mode exception is
 * either caught (an armed trap_catch, used by self-tests) or fatal; either way
 * it first prints a report with a symbolised backtrace. Vectors 32 and up are
 * interrupts and go to irq_dispatch(), then the local APIC gets its EOI.
 */
#include <stddef.h>

#include "arch.h" /* and the kernel's irq_dispatch, proc_fault, ksym_lookup, kprintf: its upcalls */

_Static_assert(offsetof(struct trapframe, vector) == TF_VECTOR, "trapframe vector offset");
_Static_assert(offsetof(struct trapframe, rip) == TF_RIP, "trapframe rip offset");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe size");

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern char trap_vectors_start[];
void arch_load_idt(void *idtr);

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
	"invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
	"invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved (15)", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection exception", "reserved (22)", "reserved (23)", "reserved (24)",
	"reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection",
	"VMM communication", "security exception", "reserved (31)",
};

const char *trap_name(unsigned vector)
{
	return vector < 32 ? exception_names[vector] : "interrupt";
}

static void set_gate(int v, uint8_t ist)
{
	uint64_t addr = (uint64_t)trap_vectors_start + 16 * (uint64_t)v;
	idt[v] = (struct idt_gate){
		.off_lo = addr & 0xFFFF,
		.sel = GDT_KCODE,
		.ist = ist,
		.type = 0x8E, /* present, ring 0, 64-bit interrupt gate */
		.off_mid = addr >> 16 & 0xFFFF,
		.off_hi = addr >> 32,
	};
}

void arch_idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(2, IST_NMI);
	set_gate(8, IST_DOUBLE_FAULT);
	set_gate(18, IST_MACHINE_CHECK);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)idt};
	arch_load_idt(&idtr);
}

/* ---- backtraces ---- */

static bool frame_readable(uintptr_t p)
{
	/* Only follow frames inside the kernel's half and, when paging is up,
	 * on mapped pages: a corrupt chain must not fault the reporter. */
	if (p < 0xFFFF800000000000ull || (p & 7))
		return false;
	return arch_kernel_mapped(p) && arch_kernel_mapped(p + 15);
}

static void print_frame(int depth, uintptr_t pc)
{
	uint64_t off = 0;
	const char *name = ksym_lookup(pc, &off);
	if (name)
		kprintf("  #%-2d %016lx %s+0x%lx\n", depth, (unsigned long)pc, name, (unsigned long)off);
	else
		kprintf("  #%-2d %016lx ?\n", depth, (unsigned long)pc);
}

void arch_backtrace_from(uintptr_t rip, uintptr_t rbp)
{
	kprintf("backtrace:\n");
	int depth = 0;
	if (rip)
		print_frame(depth++, rip);
	while (depth < 32 && frame_readable(rbp)) {
		uintptr_t ret = ((uintptr_t *)rbp)[1];
		uintptr_t next = ((uintptr_t *)rbp)[0];
		if (ret == 0)
			break;
		/* ret points after the call; name the call itself */
		print_frame(depth++, ret - 1);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

void arch_backtrace_print(uintptr_t rbp)
{
	arch_backtrace_from(0, rbp);
}

/* ---- exceptions ---- */

static struct trap_catch *catch_armed;

void trap_catch_arm(struct trap_catch *c)
{
	c->double_fault = 0;
	catch_armed = c;
}

void trap_catch_end(void)
{
	catch_armed = NULL;
}

static void report(const struct trapframe *tf, const char *what)
{
	uint64_t cr2 = read_cr2();
	kprintf("\n*** %s: %s (vector %lu) in %s mode\n", what, trap_name((unsigned)tf->vector),
		(unsigned long)tf->vector, (tf->cs & 3) ? "user" : "kernel");
	kprintf("error code %#lx  rip %016lx  cr2 %016lx\n", (unsigned long)tf->error, (unsigned long)tf->rip,
		(unsigned long)cr2);
	if (tf->vector == 14)
		kprintf("page fault: %s %s, %s page, %s\n", (tf->error & 2) ? "write" : "read",
			(tf->error & 16) ? "(instruction fetch)" : "", (tf->error & 1) ? "present" : "not-present",
			(tf->error & 4) ? "user access" : "supervisor access");
	kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	kprintf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("cs %04lx ss %04lx rflags %08lx cr3 %016lx\n", tf->cs, tf->ss, tf->rflags,
		(unsigned long)read_cr3());
	arch_backtrace_from(tf->rip, tf->rbp);
}

static void exception(struct trapframe *tf)
{
	struct trap_catch *c = catch_armed;
	if (c && !(tf->cs & 3) && (tf->vector != 8 || c->double_fault)) {
		catch_armed = NULL;
		c->vector = tf->vector;
		c->error = tf->error;
		c->addr = read_cr2();
		c->rip = tf->rip;
		report(tf, "caught exception");
		arch_longjmp(&c->jb, 1);
	}
	report(tf, "KERNEL FAULT");
	panic("unhandled %s at %016lx", trap_name((unsigned)tf->vector), (unsigned long)tf->rip);
}

/* A trap from ring 3: exceptions go to the process code (which resolves the
 * fault or ends the process); on the way back the process may be preempted
 * or, if killed, end. Nothing a user program does reaches exception(). */
void trap_dispatch(struct trapframe *tf)
{
	bool user = tf->cs & 3;
	if (tf->vector < 32) {
		if (user)
			proc_fault(tf);
		else
			exception(tf);
	} else {
		irq_dispatch((unsigned)tf->vector);
	}
	if (user)
		proc_return_to_user(tf);
}
