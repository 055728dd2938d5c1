/*
 * tty_fb.c - a program's picture on a console's screen.
 *
 * A program that called optios_fb_map owns its console's screen (fb_pid):
 * the console stops drawing text there (con_screen_suspend). The
 * framebuffer is one piece of memory, so while another console is shown the
 * owner must not draw on it: switching away "parks" the owner - the screen's
 * pages are copied into shadow pages and the owner's framebuffer window is
 * remapped onto them, so it goes on drawing, into memory. Switching back
 * copies the shadow to the screen and maps the real framebuffer again. When
 * the owner ends the shadow pages are freed (the owner's address space holds
 * its own reference to each while it maps them) and the console's text is
 * drawn again.
 *
 * Everything here runs with interrupts off (switches come from the keyboard
 * interrupt). If shadow pages cannot be had, the owner is left on the real
 * screen: its drawing then shows over other consoles, which is all we lose.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "tty.h"
#include "tty_internal.h"

struct geometry {
	uint64_t first; /* physical address of the first page */
	size_t pages;
	uint8_t *virt; /* the kernel's address of that first page */
};

static bool geometry(struct geometry *g)
{
	struct con_fb_info fi;
	if (con_display_info(&fi) != 0)
		return false;
	g->first = ALIGN_DOWN(fi.phys, PAGE_SIZE);
	g->pages = (ALIGN_UP(fi.phys + (uint64_t)fi.pitch * fi.height, PAGE_SIZE) - g->first) / PAGE_SIZE;
	g->virt = (uint8_t *)fi.virt - (fi.phys - g->first);
	return true;
}

struct find {
	int pid;
	struct vm_space *space;
};

static void find_visit(struct proc *p, void *arg)
{
	struct find *f = arg;
	if (p->pid == f->pid && p->state != PROC_ZOMBIE)
		f->space = p->space;
}

/* The address space of live process pid, or NULL. */
static struct vm_space *space_of(int pid)
{
	struct find f = {.pid = pid};
	proc_foreach(find_visit, &f);
	return f.space;
}

static void free_shadow(struct tty *t)
{
	for (size_t i = 0; t->shadow && i < t->shadow_pages; i++)
		if (t->shadow[i])
			pmm_free(t->shadow[i]);
	kfree(t->shadow);
	t->shadow = NULL;
	t->shadow_pages = 0;
}

static bool alloc_shadow(struct tty *t, size_t pages)
{
	if (t->shadow)
		return true;
	t->shadow = kzalloc(pages * sizeof *t->shadow);
	if (!t->shadow)
		return false;
	t->shadow_pages = pages;
	for (size_t i = 0; i < pages; i++) {
		if (!(t->shadow[i] = pmm_alloc())) {
			free_shadow(t);
			return false;
		}
	}
	return true;
}

/* Points page i of the owner's window at pa (our reference stays ours). */
static void remap(struct vm_space *s, size_t i, uint64_t pa, bool device)
{
	uintptr_t va = TTY_FB_USER_BASE + i * PAGE_SIZE;
	(void)vm_unmap(s, va);
	if (!device && pmm_get(pa) != 0)
		return; /* cannot happen: a shadow page has one reference */
	if (vm_map(s, va, pa, device ? VM_DEVICE | VM_WRITE | VM_USER : VM_WRITE | VM_USER) != 0 && !device)
		pmm_free(pa);
}

void tty_fb_park(struct tty *t)
{
	struct geometry g;
	struct vm_space *s;
	if (!t->fb_pid || t->parked || !geometry(&g) || !(s = space_of(t->fb_pid)))
		return;
	if (!alloc_shadow(t, g.pages))
		return;
	for (size_t i = 0; i < g.pages; i++) {
		memcpy(phys_to_virt(t->shadow[i]), g.virt + i * PAGE_SIZE, PAGE_SIZE);
		remap(s, i, t->shadow[i], false);
	}
	t->parked = true;
}

void tty_fb_unpark(struct tty *t)
{
	struct geometry g;
	if (!t->parked || !geometry(&g))
		return;
	struct vm_space *s = space_of(t->fb_pid);
	for (size_t i = 0; i < g.pages && i < t->shadow_pages; i++) {
		memcpy(g.virt + i * PAGE_SIZE, phys_to_virt(t->shadow[i]), PAGE_SIZE);
		if (s)
			remap(s, i, g.first + i * PAGE_SIZE, true);
	}
	t->parked = false;
}

int tty_fb_claim(struct tty *t, int pid)
{
	if (t->fb_pid == pid)
		return 0;
	if (t->fb_pid)
		return -EBUSY;
	t->fb_pid = pid;
	con_screen_suspend(t->index);
	return 0;
}

void tty_fb_release(struct tty *t)
{
	if (!t->fb_pid)
		return;
	free_shadow(t);
	t->parked = false;
	t->fb_pid = 0;
	con_screen_resume(t->index);
}
