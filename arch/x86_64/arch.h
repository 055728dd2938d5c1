/*
 * arch.h - what arch/x86_64 provides to the rest of the kernel, and the few
 * kernel functions it calls back.
 *
 * Theory of operation. arch/x86_64 is the only code that knows it runs on an
 * x86_64 PC: the boot path to long mode (boot.S), segments and stacks
 * (gdt.c), the IDT and trap entry (trap.c, entry.S), the interrupt
 * controllers and their timer (apic.c), the PIT (pit.c), the page-table
 * format (mmu.c), the context switch and the syscall entry (switch.S,
 * syscall_arch.c), and every instruction portable code needs, as a named
 * inline wrapper below (port I/O, control registers, MSRs, TLB shootdown,
 * halting): portable code never says asm.
 *
 * Dependency rule: arch includes lib, the ABI and its own headers, never a
 * header of kernel/ or drivers/ (tools/includes.allowed). Control flows up
 * only through the upcall block at the end of this file: boot.S calls kmain,
 * a trap calls the kernel's interrupt and fault code, apic.c logs and maps
 * its registers. The kernel passes down what arch must know about the
 * machine as arguments (arch_irq_init takes the firmware's interrupt wiring).
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asm.h"
#include "lib/lib.h"
#include "trap.h"

/* Linker-script symbols (virtual addresses). */
extern char _kernel_start[], _kernel_end[];
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _bss_start[], _bss_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

static inline uint64_t kernel_virt_to_phys(const void *p)
{
	return (uint64_t)p - KERNEL_VMA;
}

/* Port I/O */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void io_wait(void) { outb(0x80, 0); }

/* Control registers */
#define CR4_PGE (1ull << 7) /* global pages */
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/* Whole 4 KiB pages (page-aligned destinations; a source may be anywhere):
 * zeroing and copying, rep stosq/movsq. */
static inline void arch_page_zero(void *page)
{
	void *d = page;
	uint64_t n = 512;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
}
static inline void arch_page_copy(void *dst, const void *src)
{
	void *d = dst;
	const void *s = src;
	uint64_t n = 512;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

/* MSRs */
#define MSR_EFER 0xC0000080
#define EFER_NXE (1ull << 11)
#define MSR_APIC_BASE 0x1B
#define MSR_TSC_DEADLINE 0x6E0
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
	return r;
}

/* Interrupt flag and halting */
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline bool irq_enabled(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f & (1 << 9);
}
/* Save the interrupt flag and disable; restore with irq_restore. */
static inline uint64_t irq_save(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}
static inline void irq_restore(uint64_t f)
{
	if (f & (1 << 9))
		irq_enable();
}
/* Atomically enable interrupts and halt until the next one (sti shadow). */
static inline void arch_idle(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
__attribute__((noreturn)) static inline void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
/* Makes the compiler keep v in a register it believes was changed here:
 * tests use it to hold a live value across a context switch. */
#define arch_opaque(v) __asm__ volatile("" : "+r"(v))

/* ud2: raises #UD on purpose (tests). */
static inline void arch_invalid_opcode(void) { __asm__ volatile("ud2"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline uintptr_t read_rbp(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%rbp, %0" : "=r"(v));
	return v;
}

/* ---- CPU setup (gdt.c, trap.c) ---- */
void arch_gdt_init(void);
void arch_idt_init(void);
/* Stack the CPU switches to when an interrupt arrives from ring 3. */
void arch_set_kernel_stack(uint64_t top);
/* Guard pages below the kernel's static stacks (boot, IST); the paging code
 * leaves them unmapped. Returns how many were written to out. */
size_t arch_stack_guards(uintptr_t *out, size_t max);
/* Switches to a new stack and calls fn there; never returns. */
__attribute__((noreturn)) void arch_call_on_stack(void *top, void (*fn)(void));
/* Calls fn(arg) on the stack ending at top, then returns (stack.S). */
void arch_run_on_stack(void *top, void (*fn)(void *), void *arg);

/* ---- backtraces (trap.c) and the mapped-address check (mmu_walk.c) ---- */
void arch_backtrace_print(uintptr_t rbp);
void arch_backtrace_from(uintptr_t rip, uintptr_t rbp);
bool arch_kernel_mapped(uintptr_t va);

/* ---- interrupt controllers (apic.c) ---- */
/* How the firmware (the ACPI MADT) says interrupts are wired; the kernel
 * (kernel/acpi) fills it. An input's polarity and trigger are decoded:
 * active_low, level (false, false: ISA's edge, active high). */
#define ARCH_IRQ_MAX_IOAPICS 8
#define ARCH_IRQ_MAX_ROUTES 24
#define ARCH_IRQ_MAX_NMIS 8
struct arch_irq_wiring {
	bool has_madt; /* false: a PC's default wiring, APICs at their default addresses */
	uint64_t lapic_addr; /* the local APIC, as the MADT says */
	size_t ioapic_count, route_count, nmi_count;
	struct {
		uint8_t id;
		uint32_t addr; /* physical */
		uint32_t gsi_base;
	} ioapics[ARCH_IRQ_MAX_IOAPICS];
	struct { /* ISA IRQ isa_irq arrives at global system interrupt gsi */
		uint8_t isa_irq;
		uint32_t gsi;
		bool active_low, level;
	} routes[ARCH_IRQ_MAX_ROUTES];
	struct { /* an NMI on a local APIC pin (lapic: LINT lint) or an I/O APIC GSI */
		bool lapic;
		uint8_t lint;
		uint32_t gsi;
		bool active_low, level;
	} nmis[ARCH_IRQ_MAX_NMIS];
};
/* Masks the legacy PIC, enables the local APIC and masks every I/O APIC
 * input, as w describes (copied: w need not outlive the call). */
int arch_irq_init(const struct arch_irq_wiring *w);
/* Routes an ISA IRQ line to vector on the boot CPU; 0 or -ENODEV/-EINVAL. */
int arch_irq_route_isa(unsigned isa_irq, unsigned vector);
/* Routes a PCI INTx line (the interrupt line register's value) to vector,
 * level-triggered (apic.c says how polarity is chosen); 0 or -E. */
int arch_irq_route_pci(unsigned line, unsigned vector);
/* Masks the I/O APIC entry an ISA IRQ line was routed to; 0 or -ENODEV/-EINVAL. */
int arch_irq_unroute_isa(unsigned isa_irq);
/* Routes global system interrupt gsi to vector on the boot CPU with the
 * polarity and trigger the caller decided (the ACPI SCI: kernel/acpi reads
 * them from the MADT); 0 or -ENODEV/-EINVAL. */
int arch_irq_route_gsi(uint32_t gsi, unsigned vector, bool level, bool active_low);
/* Masks gsi's I/O APIC entry; 0 or -ENODEV. */
int arch_irq_unroute_gsi(uint32_t gsi);
/* Signals end of interrupt to the local APIC. */
void arch_irq_eoi(void);
/* The boot CPU's local APIC id (0 before arch_irq_init). */
uint32_t arch_lapic_id(void);

/* ---- local APIC timer (apic.c): one deadline, never periodic ---- */
enum arch_timer_mode { ARCH_TIMER_NONE, ARCH_TIMER_TSC_DEADLINE, ARCH_TIMER_ONESHOT };
/* Points the timer at vector (masked, disarmed) and picks TSC-deadline mode
 * when CPUID offers it and allow_tsc_deadline, else one-shot. */
enum arch_timer_mode arch_timer_init(unsigned vector, bool allow_tsc_deadline);
/* TSC-deadline mode: interrupt once the TSC reaches tsc (at once if past). */
void arch_timer_arm_tsc(uint64_t tsc);
/* One-shot mode: interrupt after count (>= 1) ticks of arch_timer_hz. */
void arch_timer_arm_count(uint32_t count);
void arch_timer_disarm(void);
/* One-shot mode: timer ticks elapsed while the TSC advanced by tsc_ticks
 * (the timer runs masked meanwhile); for calibrating its frequency. */
uint64_t arch_timer_measure(uint64_t tsc_ticks);

/* ---- legacy 8254 PIT (pit.c): a reference clock for calibration ---- */
#define ARCH_PIT_HZ 1193182u
/* Measures pit_ticks (1..60000) of PIT channel 2 (gated through port 0x61,
 * polled, no interrupt) against the TSC: returns the TSC ticks in that span,
 * or 0 if no PIT counts or the count wrapped (a stall of 55 ms or more:
 * try again). Interrupts should be off. */
uint64_t arch_pit_tsc_ticks(uint16_t pit_ticks);

/* ---- user mode: context switch, syscall entry, CPU protections (switch.S, syscall_arch.c) ---- */
#define MSR_FS_BASE 0xC0000100
/* Callee-saved registers a switched-out kernel context left on its stack. */
struct arch_context {
	uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};
/* Saves the current context in *from and resumes to. */
void arch_switch(struct arch_context **from, struct arch_context *to);
/* Restores the trapframe at the stack pointer and iretq's (entry.S). A new
 * process's first context returns here. */
void trap_exit(void);
/* Leaves the kernel through tf with iretq, abandoning the current kernel stack. */
__attribute__((noreturn)) void arch_enter_user(struct trapframe *tf);
/* A context's rip for a process that starts in the kernel: calls the
 * function whose address is the context's rbx. */
void arch_thread_start(void);
/* Programs STAR/LSTAR/FMASK and EFER.SCE; entry is arch_syscall_entry, which
 * calls syscall_entry_c(tf) and returns with sysretq unless that returns 1. */
void arch_syscall_init(void);
/* The kernel stack the next syscall or ring-3 interrupt runs on. */
void arch_set_user_kstack(uint64_t top);
/* Turns on SMEP and SMAP when the CPU has them; reports which. */
void arch_cpu_protect_init(bool *smep, bool *smap);
static inline void arch_set_fs_base(uint64_t v) { wrmsr(MSR_FS_BASE, v); }
/* Whether va is canonical (bits 63..47 all equal). */
static inline bool arch_canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1FFFF;
}
/* x87/SSE state for user programs (the kernel itself never uses it):
 * arch_fpu_init enables SSE (CR0.MP, CR4.OSFXSR/OSXMMEXCPT) and fills
 * a clean image; save/restore move one 512-byte, 16-aligned FXSAVE area. */
#define ARCH_FPU_AREA 512
void arch_fpu_init(void *clean_area);
static inline void arch_fpu_save(void *area) { __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
static inline void arch_fpu_restore(const void *area) { __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }
/* A 64-bit hardware random number (RDRAND); false if the CPU has none or it failed. */
bool arch_rdrand(uint64_t *out);
/* The CMOS real-time clock as seconds since 1970-01-01 UTC; 0 if unreadable. */
uint64_t arch_rtc_read_unix(void);

/* ---- reset (reset.c) ---- */
/* Pulses the 8042 reset line, then triple-faults. */
__attribute__((noreturn)) void arch_reset(void);

/*
 * ---- upcalls: the kernel functions arch calls ----
 * Declared here so that arch needs no kernel header; the kernel defines each
 * in the file named. The compiler checks each declaration against the
 * kernel header's wherever the two meet: the defining file includes arch.h
 * (ksym.c is host-buildable, so kernel/debug/debug.c includes both for it).
 */
/* kernel/main.c: the C entry, from boot.S (multiboot magic, info address). */
void kmain(uint32_t magic, uint32_t info_phys);
/* kernel/irq/irq.c: interrupt vector >= 32 arrived; interrupts are off. */
void irq_dispatch(unsigned vector);
/* kernel/proc/proc.c: an exception in ring 3 (resolved, or the process
 * ends), and every way back to ring 3 (a killed process ends there, a
 * process whose slice ran out gives up the CPU). */
void proc_fault(struct trapframe *tf);
void proc_return_to_user(struct trapframe *tf);
/* kernel/syscall/syscall.c: the system call in tf (from switch.S); returns 1
 * to leave through iretq instead of sysretq. */
int syscall_entry_c(struct trapframe *tf);
/* kernel/debug/ksym.c: the function containing addr and the offset in it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
/* kernel/mm/vm.c: maps device memory (uncached) at a kernel address; NULL if it cannot. */
void *vm_map_mmio(uint64_t phys, size_t len);
/* kernel/log/klog.c: the kernel log's levels, a log line, unprefixed kernel
 * output, and a broken invariant (never returns). */
enum klog_level { KLOG_DEBUG, KLOG_INFO, KLOG_WARN, KLOG_ERROR };
void klog(enum klog_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
