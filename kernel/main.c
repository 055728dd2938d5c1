/*
 * main.c - the boot, in order. Each line brings up one subsystem on top of
 * those before it; read top to bottom, this is the table of contents of
 * OptiOS's start-up.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/block/block.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/conf/conf.h"
#include "kernel/driver/driver.h"
#include "kernel/event/event.h"
#include "kernel/fs/vfs.h"
#include "kernel/handler/handler.h"
#include "kernel/inet/inet.h"
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/pci/pci.h"
#include "kernel/persist/persist.h"
#include "kernel/power/power.h"
#include "kernel/monitor/monitor.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/sensor/sensor.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"
#include "kernel/tty/tty.h"

static struct bootinfo bootinfo;

/* Until the real page tables exist, the boot tables map the first 4 GiB at
 * DIRECT_MAP_BASE; the loader's structures live there. */
static const void *early_phys(uint64_t pa, size_t len)
{
	if (pa + len < pa || pa + len > (4ull << 30))
		return NULL;
	return (const void *)(DIRECT_MAP_BASE + pa);
}

static void apply_log_level(void)
{
	char val[16];
	if (!bootinfo_arg(&bootinfo, "optios.log", val, sizeof val))
		return;
	int level = klog_level_parse(val);
	if (level >= 0)
		klog_set_level((enum klog_level)level);
	else
		klog(KLOG_WARN, "optios.log=%s: unknown level (debug, info, warn, error)", val);
}

/* The network stack on every network device, configured by /etc/net.conf
 * (none: DHCP everywhere) and optios.net.KEY=VALUE on the command line. */
static void net_init(void)
{
	void *text = NULL;
	size_t len = 0;
	int err = vfs_read_file("/etc/net.conf", &text, &len);
	if (err && err != -ENOENT)
		klog(KLOG_WARN, "net: /etc/net.conf unreadable (error %d): DHCP on every interface", err);
	inet_init(text, len, bootinfo.cmdline);
	kfree(text);
}

static void report_cmdline_conf(void *ctx, const char *msg)
{
	(void)ctx;
	klog(KLOG_WARN, "%s", msg);
}

/* What every self-test must give back (kernel/test checks it). */
static void count_for_selftests(struct selftest_counts *c)
{
	c->free_pages = pmm_free_count();
	c->heap_bytes = kmalloc_bytes_in_use();
	handler_counts(&c->snapshots, &c->snapshot_pages);
}

static void print_banner(void)
{
	kprintf("\nOptiOS 0.1 (x86_64) - event-driven, snapshot-based\n");
	klog(KLOG_INFO, "boot: %s via multiboot%d, cmdline \"%s\"",
	     bootinfo.loader[0] ? bootinfo.loader : "unknown loader", bootinfo.protocol, bootinfo.cmdline);
}

/* Second half of the boot, on a kernel stack with a guard page below it. */
static void kmain_late(void)
{
	heap_init();
	evlog_init();
	acpi_init(&bootinfo);
	arch_irq_init(acpi_irq_wiring());
	clock_init();
	klog_set_clock(clock_now_ns);
	drivers_init(&bootinfo);
	pci_init(&bootinfo); /* after the drivers: PCI drivers are matched to devices */
	persist_init(&bootinfo); /* the store on the first disk: mount, recovery */
	handler_persist_resume(); /* the event log goes on from the disk's */
	vfs_init(&bootinfo);
	perm_init();
	conf_apply_cmdline(bootinfo.cmdline, report_cmdline_conf, NULL); /* after kernel.conf is read */
	tty_init((unsigned)conf_int(CONF_FOREGROUND_MAX));
	net_init(); /* after kernel.conf (net.memory_kib) */
	power_init(); /* the power button: after the event log, before handlers subscribe */
	sensor_init(); /* /etc/sensors.conf: before the handlers that subscribe */
	mm_report();
	klog(KLOG_INFO, "boot complete");

	char tests[128];
	if (bootinfo_arg(&bootinfo, "optios.test", tests, sizeof tests))
		selftest_run(tests, count_for_selftests);
	proc_init_run(&bootinfo);
}

void kmain(uint32_t magic, uint32_t info_phys)
{
	drivers_early_init(); /* the serial console first, so everything after can be seen */
	arch_gdt_init();
	arch_idt_init();
	int err = bootinfo_parse(magic, info_phys, early_phys, &bootinfo);
	if (err)
		panic("kmain: boot information unreadable (magic %#x, error %d)", magic, err);
	apply_log_level();
	print_banner();
	pmm_init(&bootinfo);
	vm_init(&bootinfo);
	arch_call_on_stack(vm_kernel_stack_top(), kmain_late);
}
