/*
 * tty_sys.c - OptiOS's console calls: optios_console_info,
 * optios_console_switch, optios_fb_map (structures in optios/abi/optios.h).
 *
 * optios_fb_map maps the framebuffer's physical pages at TTY_FB_USER_BASE in
 * the caller (VM_DEVICE: uncached, no page references; writable, never
 * executable) and suspends text drawing on the caller's console until the
 * caller exits (tty_proc_exit, or noticed lazily by tty_screen_check). A
 * second call by the same program returns the same mapping. While the
 * caller's console is not on screen it draws into memory (tty_fb.c).
 */
#include <optios/abi/errno.h>
#include <optios/abi/optios.h>

#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "tty.h"
#include "tty_internal.h"

long sys_optios_console_info(SYS_ARGS)
{
	struct proc *p = proc_current();
	struct optios_console_info ci = {
		.current = p && p->tty ? tty_index(p->tty) : 0,
		.active = tty_active(),
		.count = tty_count(),
	};
	for (unsigned i = 0; i < ci.count; i++)
		if (tty_busy(tty_get(i)))
			ci.busy |= 1u << i;
	return copy_to_user((uptr)a0, &ci, sizeof ci);
}

long sys_optios_console_switch(SYS_ARGS)
{
	if ((unsigned long)a0 >= tty_count())
		return -EINVAL;
	return tty_switch((unsigned)a0);
}

/* Unmaps the first n bytes of the framebuffer window in s. */
static void unmap_fb(struct vm_space *s, uint64_t n)
{
	for (uint64_t off = 0; off < n; off += PAGE_SIZE)
		(void)vm_unmap(s, TTY_FB_USER_BASE + off);
}

/* Maps [first, end) of physical memory at TTY_FB_USER_BASE in s; on failure
 * nothing stays mapped. 0, -EEXIST (the program has memory there), -ENOMEM. */
static int map_fb(struct vm_space *s, uint64_t first, uint64_t end)
{
	for (uint64_t pa = first; pa < end; pa += PAGE_SIZE) {
		int err = vm_map(s, TTY_FB_USER_BASE + (pa - first), pa, VM_DEVICE | VM_WRITE | VM_USER);
		if (err) {
			unmap_fb(s, pa - first);
			return err;
		}
	}
	return 0;
}

static void fill_info(struct optios_fb_info *out, const struct con_fb_info *fi)
{
	*out = (struct optios_fb_info){
		.addr = TTY_FB_USER_BASE + (fi->phys & (PAGE_SIZE - 1)),
		.width = fi->width,
		.height = fi->height,
		.pitch = fi->pitch,
		.bpp = fi->bpp,
		.red_pos = fi->red_pos,
		.red_size = fi->red_size,
		.green_pos = fi->green_pos,
		.green_size = fi->green_size,
		.blue_pos = fi->blue_pos,
		.blue_size = fi->blue_size,
	};
}

/* Takes t's screen for p: -EBUSY if another live program has it. */
static int claim_screen(struct tty *t, struct proc *p)
{
	tty_screen_check(t);
	uint64_t f = irq_save();
	int err = tty_fb_claim(t, p->pid);
	irq_restore(f);
	return err;
}

/* A console not on screen gets its picture in memory until it is shown. */
static void park_if_hidden(struct tty *t)
{
	uint64_t f = irq_save();
	if (tty_index(t) != tty_active())
		tty_fb_park(t);
	irq_restore(f);
}

long sys_optios_fb_map(SYS_ARGS)
{
	struct proc *p = proc_current();
	struct con_fb_info fi;
	struct optios_fb_info out = {0};
	if (!p || !p->tty || !p->space)
		return -ENODEV;
	if (con_display_info(&fi) != 0)
		return -ENODEV;
	int err = copy_to_user((uptr)a0, &out, sizeof out); /* validate before acting */
	if (err)
		return err;
	bool again = p->tty->fb_pid == p->pid; /* mapped by an earlier call */
	err = claim_screen(p->tty, p);
	if (err)
		return err;
	if (again) {
		fill_info(&out, &fi);
		return copy_to_user((uptr)a0, &out, sizeof out);
	}
	uint64_t first = ALIGN_DOWN(fi.phys, PAGE_SIZE);
	uint64_t end = ALIGN_UP(fi.phys + (uint64_t)fi.pitch * fi.height, PAGE_SIZE);
	err = map_fb(p->space, first, end);
	if (err)
		return err; /* the screen stays claimed until p exits: harmless */
	park_if_hidden(p->tty);
	fill_info(&out, &fi);
	return copy_to_user((uptr)a0, &out, sizeof out);
}
