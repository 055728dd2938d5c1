"""Boot paths: direct -kernel (multiboot1), the ISO under SeaBIOS and under
OVMF (GRUB, multiboot2). Each must print the banner, say which loader and
protocol it came by, reach "boot complete" with no error line, and keep
running afterwards."""

import optios


def boots_cleanly(ctx, mode, protocol):
	with ctx.machine(mode) as m:
		log = optios.boot(m, protocol)
		optios.check_clean_boot_log(log)
		if mode != "kernel":  # tools/iso/grub.cfg passes this command line
			assert 'cmdline "optios.boot=iso"' in log, "GRUB's command line did not arrive"
		m.sleep(0.5)  # still alive (no fault, reset or panic) just after boot


def reports_memory(ctx, mode):
	with ctx.machine(mode) as m:
		optios.check_memory_summary(optios.boot(m))


def test_kernel(ctx):
	boots_cleanly(ctx, "kernel", 1)


def test_seabios_iso(ctx):
	boots_cleanly(ctx, "seabios", 2)


def test_ovmf_iso(ctx):
	boots_cleanly(ctx, "ovmf", 2)


def test_kernel_memory_summary(ctx):
	reports_memory(ctx, "kernel")


def test_seabios_memory_summary(ctx):
	reports_memory(ctx, "seabios")


def test_ovmf_memory_summary(ctx):
	reports_memory(ctx, "ovmf")
