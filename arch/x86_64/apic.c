/*
 * apic.c - interrupt controllers: the legacy 8259 pair (silenced), the boot
 * CPU's local APIC (EOI, NMI pins, the timer) and the I/O APICs (ISA lines).
 *
 * Theory of operation. arch_irq_init runs once, with interrupts off, with
 * the wiring kernel/acpi read from the MADT (struct arch_irq_wiring). It remaps the 8259s to vectors 32-47 and masks every line, so a
 * spurious 8259 interrupt lands on a harmless vector instead of an exception.
 * It then enables the local APIC (spurious vector 255, task priority 0, every
 * local vector masked except the NMI pins the MADT names) and masks every
 * I/O APIC redirection entry. Devices then ask for their ISA line with
 * arch_irq_route_isa, which applies the MADT's interrupt source overrides
 * (wiring.routes: ISA IRQ n may arrive on another GSI, with other polarity
 * and trigger) and unmasks exactly that entry, delivered to the boot CPU.
 *
 * Nothing assumes QEMU: without a MADT the local APIC is found through its
 * MSR and one I/O APIC is probed at the architectural default 0xFEC00000
 * (used only if its version register answers). Firmware that left the local
 * APIC in x2APIC mode is driven through MSRs; otherwise through MMIO.
 *
 * The local APIC timer is driven from kernel/time through arch_timer_*: one
 * deadline at a time, TSC-deadline mode when the CPU has it, else one-shot
 * mode counting at the bus clock / 16. It is never put in periodic mode.
 *
 * State: the fields below (wiring: arch_irq_init's copy of its argument)
 * are written by arch_irq_init only; I/O APIC index/data accesses run with
 * interrupts off (one CPU for now). Logging and mapping the registers go
 * through the kernel's upcalls (klog, vm_map_mmio: arch.h).
 */
#include "arch.h"

#include <optios/abi/errno.h>

/* Local APIC registers (xAPIC MMIO offsets; x2APIC MSR = 0x800 + off / 16). */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0

#define SVR_ENABLE (1u << 8)
#define SPURIOUS_VECTOR 255
#define LVT_MASKED (1u << 16)
#define LVT_NMI (4u << 8)
#define LVT_ACTIVE_LOW (1u << 13)
#define LVT_LEVEL (1u << 15)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TIMER_DIVIDE_16 0x3

#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define MMIO_PAGE 4096 /* the registers of one APIC: one page */
#define DEFAULT_IOAPIC 0xFEC00000u

#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* I/O APIC: an index register and a data window. */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_NMI (4u << 8)

struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base;
	unsigned entries;
};

static volatile uint32_t *lapic_mmio;
static bool lapic_x2;
static bool lapic_up;
static uint32_t lapic_id;
static struct arch_irq_wiring wiring;
static struct ioapic ioapics[ARCH_IRQ_MAX_IOAPICS];
static size_t ioapic_count;
static uint32_t timer_lvt; /* the timer LVT value when armed-capable */

/* ---- local APIC access ---- */

static uint32_t lapic_read(unsigned reg)
{
	if (lapic_x2)
		return (uint32_t)rdmsr(0x800 + reg / 16);
	return lapic_mmio[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (lapic_x2)
		wrmsr(0x800 + reg / 16, v);
	else
		lapic_mmio[reg / 4] = v;
}

static inline void mfence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* ---- legacy 8259 ---- */

/* Remaps both 8259s to vectors 32-47 (so a spurious IRQ 7/15 is not taken
 * for an exception), then masks every line. Harmless if they are absent. */
static void pic_disable(void)
{
	outb(0x20, 0x11); /* ICW1: init, ICW4 follows */
	outb(0xA0, 0x11);
	io_wait();
	outb(0x21, 32); /* ICW2: vector base */
	outb(0xA1, 40);
	io_wait();
	outb(0x21, 1 << 2); /* ICW3: slave on IRQ 2 */
	outb(0xA1, 2);
	io_wait();
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xA1, 0x01);
	io_wait();
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

/* ---- local APIC setup ---- */

static uint32_t lint_entry(bool active_low)
{
	uint32_t v = LVT_NMI;
	if (active_low)
		v |= LVT_ACTIVE_LOW;
	return v; /* NMIs are always edge-triggered at the LVT */
}

/* LINT0 (the 8259's ExtINT path) stays masked; LINT1 is the NMI pin unless
 * the MADT says otherwise. MADT NMI entries are applied as given: this runs
 * on the boot CPU only, so entries for "all CPUs" and for it are the same. */
static void lapic_setup_lint(const struct arch_irq_wiring *w)
{
	uint32_t lint[2] = {LVT_MASKED, LVT_NMI};
	if (w->has_madt) {
		lint[1] = LVT_MASKED;
		for (size_t i = 0; i < w->nmi_count; i++)
			if (w->nmis[i].lapic && w->nmis[i].lint < 2)
				lint[w->nmis[i].lint] = lint_entry(w->nmis[i].active_low);
	}
	lapic_write(LAPIC_LVT_LINT0, lint[0]);
	lapic_write(LAPIC_LVT_LINT1, lint[1]);
}

static void lapic_mask_local_vectors(void)
{
	unsigned max_lvt = (lapic_read(LAPIC_VERSION) >> 16) & 0xFF;
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	if (max_lvt >= 4)
		lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
	if (max_lvt >= 5)
		lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
	if (max_lvt >= 6 && !lapic_x2) /* CMCI; in x2APIC mode its MSR is always there */
		lapic_write(LAPIC_LVT_CMCI, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
}

static int lapic_init(const struct arch_irq_wiring *w)
{
	if (!(cpuid(1, 0).edx & CPUID1_EDX_APIC)) {
		klog(KLOG_ERROR, "apic: this CPU has no local APIC: no interrupts, no timer");
		return -ENODEV;
	}
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint64_t phys = base & APIC_BASE_ADDR_MASK;
	if (w->has_madt && w->lapic_addr != phys)
		klog(KLOG_WARN, "apic: MADT says local APIC %#lx, the CPU says %#lx; using the CPU's",
		     (unsigned long)w->lapic_addr, (unsigned long)phys);
	lapic_x2 = base & APIC_BASE_X2APIC;
	if (!lapic_x2 && !(lapic_mmio = vm_map_mmio(phys, MMIO_PAGE))) {
		klog(KLOG_ERROR, "apic: cannot map the local APIC at %#lx", (unsigned long)phys);
		return -ENOMEM;
	}
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_mask_local_vectors();
	lapic_setup_lint(w);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_id = lapic_x2 ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
	lapic_up = true;
	klog(KLOG_INFO, "apic: local APIC id %u at %#lx (%s), version %#x", lapic_id, (unsigned long)phys,
	     lapic_x2 ? "x2APIC" : "xAPIC", lapic_read(LAPIC_VERSION) & 0xFF);
	return 0;
}

/* ---- I/O APIC ---- */

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	return io->regs[IOAPIC_WINDOW / 4];
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	io->regs[IOAPIC_WINDOW / 4] = v;
}

/* Writes one redirection entry: destination first, the low half (with the
 * mask bit) last, so a half-written entry is never live. */
static void ioapic_set_entry(const struct ioapic *io, unsigned pin, uint32_t low, uint32_t dest)
{
	uint64_t f = irq_save();
	ioapic_write(io, IOAPIC_REDIR(pin), REDIR_MASKED);
	ioapic_write(io, IOAPIC_REDIR(pin) + 1, dest << 24);
	ioapic_write(io, IOAPIC_REDIR(pin), low);
	irq_restore(f);
}

/* Probes an I/O APIC and masks all its entries; false if nothing answers. */
static bool ioapic_add(uint64_t phys, uint32_t gsi_base)
{
	if (ioapic_count == ARCH_IRQ_MAX_IOAPICS)
		return false;
	struct ioapic io = {.regs = vm_map_mmio(phys, MMIO_PAGE), .gsi_base = gsi_base};
	if (!io.regs)
		return false;
	uint32_t version = ioapic_read(&io, IOAPIC_REG_VERSION);
	if (version == 0xFFFFFFFF || version == 0)
		return false;
	io.entries = ((version >> 16) & 0xFF) + 1;
	for (unsigned pin = 0; pin < io.entries; pin++)
		ioapic_set_entry(&io, pin, REDIR_MASKED, 0);
	ioapics[ioapic_count++] = io;
	klog(KLOG_INFO, "apic: I/O APIC at %#lx: GSIs %u-%u", (unsigned long)phys, gsi_base,
	     gsi_base + io.entries - 1);
	return true;
}

static const struct ioapic *ioapic_for(uint32_t gsi, unsigned *pin)
{
	for (size_t i = 0; i < ioapic_count; i++) {
		const struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->entries) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

/* Redirection-entry polarity and trigger bits. Neither (the MADT's
 * "conforms to the bus") means edge, active high for ISA (PCI lines:
 * arch_irq_route_pci). */
static uint32_t redir_flags(bool active_low, bool level)
{
	uint32_t v = 0;
	if (active_low)
		v |= REDIR_ACTIVE_LOW;
	if (level)
		v |= REDIR_LEVEL;
	return v;
}

static void ioapic_setup_nmis(const struct arch_irq_wiring *w)
{
	for (size_t i = 0; w->has_madt && i < w->nmi_count; i++) {
		unsigned pin;
		const struct ioapic *io = w->nmis[i].lapic ? NULL : ioapic_for(w->nmis[i].gsi, &pin);
		if (io)
			ioapic_set_entry(io, pin,
					 REDIR_NMI | redir_flags(w->nmis[i].active_low, w->nmis[i].level),
					 lapic_id);
	}
}

static void ioapics_init(const struct arch_irq_wiring *w)
{
	if (w->has_madt)
		for (size_t i = 0; i < w->ioapic_count; i++)
			if (!ioapic_add(w->ioapics[i].addr, w->ioapics[i].gsi_base))
				klog(KLOG_ERROR, "apic: I/O APIC %u at %#x does not answer", w->ioapics[i].id,
				     w->ioapics[i].addr);
	if (ioapic_count == 0) {
		klog(KLOG_ERROR, "apic: no I/O APIC in the MADT: probing the default address %#x",
		     DEFAULT_IOAPIC);
		if (!ioapic_add(DEFAULT_IOAPIC, 0))
			klog(KLOG_ERROR, "apic: no I/O APIC: ISA interrupts unavailable");
	}
	ioapic_setup_nmis(w);
}

/* ---- the interface ---- */

int arch_irq_init(const struct arch_irq_wiring *w)
{
	wiring = *w;
	pic_disable();
	if (!wiring.has_madt)
		klog(KLOG_ERROR, "apic: no ACPI MADT: assuming a PC with default APIC addresses");
	int err = lapic_init(&wiring);
	if (err)
		return err;
	ioapics_init(&wiring);
	return 0;
}

/* Where ISA IRQ isa_irq arrives: its GSI, and its entry's polarity and
 * trigger bits (overrides applied). Without a MADT, the MP specification's
 * default PC wiring: identity, except the 8254's IRQ 0 on I/O APIC input 2
 * (input 0 carries the 8259's INTR). */
static uint32_t isa_gsi(unsigned isa_irq, uint32_t *flags)
{
	uint32_t gsi = isa_irq == 0 && !wiring.has_madt ? 2 : isa_irq;
	*flags = 0; /* ISA default: edge, active high */
	for (size_t i = 0; wiring.has_madt && i < wiring.route_count; i++) {
		if (wiring.routes[i].isa_irq == isa_irq) {
			gsi = wiring.routes[i].gsi;
			*flags = redir_flags(wiring.routes[i].active_low, wiring.routes[i].level);
		}
	}
	return gsi;
}

int arch_irq_route_isa(unsigned isa_irq, unsigned vector)
{
	if (isa_irq >= 16 || vector < 32 || vector >= SPURIOUS_VECTOR)
		return -EINVAL;
	if (!lapic_up)
		return -ENODEV;
	uint32_t flags;
	uint32_t gsi = isa_gsi(isa_irq, &flags);
	unsigned pin;
	const struct ioapic *io = ioapic_for(gsi, &pin);
	if (!io)
		return -ENODEV;
	ioapic_set_entry(io, pin, vector | flags, lapic_id);
	klog(KLOG_DEBUG, "apic: ISA IRQ %u -> GSI %u -> vector %u", isa_irq, gsi, vector);
	return 0;
}

/* A PCI INTx line, as the firmware wrote it in the device's interrupt line
 * register. Below 16 it names an ISA IRQ the chipset steers the PCI link
 * to (PIIX/ICH PIRQ routing, SeaBIOS's choice): the MADT override for it,
 * if any, gives the GSI and polarity (QEMU: level, active high, matching
 * its ACPI link devices); without one the GSI is the line, active high.
 * From 16 up it is an I/O APIC input wired to PCI directly: active low.
 * Always level-triggered, as PCI interrupts are. Shared lines are fine: the
 * entry is the same for every device on it. */
int arch_irq_route_pci(unsigned line, unsigned vector)
{
	if (line == 0 || line == 0xFF || vector < 32 || vector >= SPURIOUS_VECTOR)
		return -EINVAL;
	if (!lapic_up)
		return -ENODEV;
	uint32_t flags = REDIR_LEVEL | (line >= 16 ? REDIR_ACTIVE_LOW : 0);
	uint32_t gsi = line;
	if (line < 16) {
		uint32_t isa_flags;
		gsi = isa_gsi(line, &isa_flags);
		flags = REDIR_LEVEL | (isa_flags & REDIR_ACTIVE_LOW);
	}
	unsigned pin;
	const struct ioapic *io = ioapic_for(gsi, &pin);
	if (!io)
		return -ENODEV;
	ioapic_set_entry(io, pin, vector | flags, lapic_id);
	klog(KLOG_DEBUG, "apic: PCI INTx line %u -> GSI %u (level, active %s) -> vector %u", line, gsi,
	     flags & REDIR_ACTIVE_LOW ? "low" : "high", vector);
	return 0;
}

int arch_irq_unroute_isa(unsigned isa_irq)
{
	if (isa_irq >= 16)
		return -EINVAL;
	uint32_t flags;
	unsigned pin;
	const struct ioapic *io = lapic_up ? ioapic_for(isa_gsi(isa_irq, &flags), &pin) : NULL;
	if (!io)
		return -ENODEV;
	ioapic_set_entry(io, pin, REDIR_MASKED, 0);
	return 0;
}

int arch_irq_route_gsi(uint32_t gsi, unsigned vector, bool level, bool active_low)
{
	if (vector < 32 || vector >= SPURIOUS_VECTOR)
		return -EINVAL;
	unsigned pin;
	const struct ioapic *io = lapic_up ? ioapic_for(gsi, &pin) : NULL;
	if (!io)
		return -ENODEV;
	ioapic_set_entry(io, pin, vector | redir_flags(active_low, level), lapic_id);
	klog(KLOG_DEBUG, "apic: GSI %u (%s, active %s) -> vector %u", gsi, level ? "level" : "edge",
	     active_low ? "low" : "high", vector);
	return 0;
}

int arch_irq_unroute_gsi(uint32_t gsi)
{
	unsigned pin;
	const struct ioapic *io = lapic_up ? ioapic_for(gsi, &pin) : NULL;
	if (!io)
		return -ENODEV;
	ioapic_set_entry(io, pin, REDIR_MASKED, 0);
	return 0;
}

void arch_irq_eoi(void)
{
	if (lapic_up)
		lapic_write(LAPIC_EOI, 0);
}

uint32_t arch_lapic_id(void)
{
	return lapic_id;
}

/* ---- the local APIC timer ---- */

enum arch_timer_mode arch_timer_init(unsigned vector, bool allow_tsc_deadline)
{
	if (!lapic_up)
		return ARCH_TIMER_NONE;
	bool deadline = allow_tsc_deadline && (cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	timer_lvt = vector | (deadline ? LVT_TIMER_TSC_DEADLINE : 0);
	lapic_write(LAPIC_LVT_TIMER, timer_lvt);
	if (deadline) {
		mfence(); /* the LVT write must land before the deadline MSR is used */
		wrmsr(MSR_TSC_DEADLINE, 0);
	}
	return deadline ? ARCH_TIMER_TSC_DEADLINE : ARCH_TIMER_ONESHOT;
}

void arch_timer_arm_tsc(uint64_t tsc)
{
	wrmsr(MSR_TSC_DEADLINE, tsc ? tsc : 1);
}

void arch_timer_arm_count(uint32_t count)
{
	lapic_write(LAPIC_TIMER_INITIAL, count ? count : 1);
}

void arch_timer_disarm(void)
{
	if (timer_lvt & LVT_TIMER_TSC_DEADLINE)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_INITIAL, 0);
}

/* The current count read between two TSC reads; *tsc is their midpoint.
 * The tightest of a few tries, so a stall (an emulator's, an SMI) during
 * one read does not skew the result. */
static uint32_t timer_count_at(uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	uint32_t count = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t t0 = rdtsc();
		uint32_t c = lapic_read(LAPIC_TIMER_CURRENT);
		uint64_t t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			count = c;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return count;
}

/* Both ends are read the same way (count between two TSC reads), so the
 * cost of a register access, large under emulation, cancels out. */
uint64_t arch_timer_measure(uint64_t tsc_ticks)
{
	if (!lapic_up || tsc_ticks == 0)
		return 0;
	uint64_t f = irq_save(), t0, t1;
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_TIMER_INITIAL, 0xFFFFFFFF);
	uint32_t c0 = timer_count_at(&t0);
	while (rdtsc() - t0 < tsc_ticks)
		cpu_relax();
	uint32_t c1 = timer_count_at(&t1);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	lapic_write(LAPIC_LVT_TIMER, timer_lvt ? timer_lvt : LVT_MASKED);
	irq_restore(f);
	if (c1 == 0 || c1 > c0 || t1 <= t0)
		return 0; /* ran out, or nonsense */
	uint64_t ticks = c0 - c1;
	return ticks > UINT64_MAX / tsc_ticks ? 0 : ticks * tsc_ticks / (t1 - t0);
}
