/*
 * syscall_arch.c - the CPU side of user mode: syscall MSRs, the kernel stack
 * a ring-3 process enters on, SMEP/SMAP, RDRAND and the CMOS clock.
 *
 * Segment order (gdt.c) is what syscall/sysret require: STAR[47:32] = kernel
 * CS (SS = CS + 8); STAR[63:48] + 16 = user CS and + 8 = user SS, so the base
 * is the kernel data selector with RPL 3.
 */
#include <stddef.h>

#include "arch.h"
#include "lib/date.h"
#include "lib/lib.h"

#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084
#define EFER_SCE (1ull << 0)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_AC (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

_Static_assert(offsetof(struct arch_context, rip) == 6 * 8, "arch_context layout (switch.S)");
_Static_assert(GDT_KDATA == GDT_KCODE + 8 && GDT_UCODE == GDT_UDATA + 8, "sysret segment order");

extern char arch_syscall_entry[];
extern uint64_t arch_syscall_kstack;

void arch_syscall_init(void)
{
	wrmsr(MSR_STAR, ((uint64_t)(GDT_KDATA | 3) << 48) | ((uint64_t)GDT_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)arch_syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void arch_set_user_kstack(uint64_t top)
{
	arch_syscall_kstack = top;
	arch_set_kernel_stack(top);
}

void arch_cpu_protect_init(bool *smep, bool *smap)
{
	*smep = *smap = false;
	if (cpuid(0, 0).eax < 7)
		return;
	uint32_t ebx = cpuid(7, 0).ebx;
	uint64_t cr4 = read_cr4();
	if (ebx & (1u << 7)) {
		cr4 |= CR4_SMEP;
		*smep = true;
	}
	if (ebx & (1u << 20)) {
		cr4 |= CR4_SMAP;
		*smap = true;
	}
	write_cr4(cr4);
}

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

void arch_fpu_init(void *clean_area)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	uint32_t mxcsr = 0x1F80; /* all exceptions masked, round to nearest */
	__asm__ volatile("fninit; ldmxcsr %0" ::"m"(mxcsr));
	arch_fpu_save(clean_area);
}

bool arch_rdrand(uint64_t *out)
{
	if (!(cpuid(1, 0).ecx & (1u << 30)))
		return false;
	for (int tries = 0; tries < 10; tries++) {
		uint8_t ok;
		uint64_t v;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* ---- CMOS real-time clock ---- */

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg | 0x80); /* keep NMIs masked */
	return inb(CMOS_DATA);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v & 0x0F) + (v >> 4) * 10;
}

uint64_t arch_rtc_read_unix(void)
{
	uint8_t r[6], again[6];
	static const uint8_t regs[6] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09};
	int tries = 0;
	do { /* read until two reads agree, outside an update */
		for (int spin = 0; spin < 100000 && (cmos_read(0x0A) & 0x80); spin++)
			cpu_relax();
		for (int i = 0; i < 6; i++)
			r[i] = cmos_read(regs[i]);
		for (int i = 0; i < 6; i++)
			again[i] = cmos_read(regs[i]);
	} while (memcmp(r, again, sizeof r) != 0 && ++tries < 5);
	uint8_t status_b = cmos_read(0x0B);
	bool binary = status_b & 0x04, h24 = status_b & 0x02;
	struct date d = {
		.year = bcd(r[5], binary) + 2000,
		.month = bcd(r[4], binary),
		.day = bcd(r[3], binary),
		.hour = bcd(r[2] & 0x7F, binary),
		.min = bcd(r[1], binary),
		.sec = bcd(r[0], binary),
	};
	if (!h24 && (r[2] & 0x80))
		d.hour = (d.hour % 12) + 12;
	return date_valid(&d) ? date_to_unix(&d) : 0;
}
