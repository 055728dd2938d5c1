/*
 * sys_mem.c - memory system calls: brk, anonymous mmap, munmap, mprotect,
 * mremap, madvise, and optios_mem_info.
 *
 * User memory is allocated eagerly (every page of a mapping exists once the
 * call returns) from exec_page_alloc, which refuses when the kernel's reserve
 * would be touched: an over-large request gets -ENOMEM, never a kernel
 * out-of-memory later. There is no list of regions: the page tables are the
 * record, and range operations visit the mappings inside the range (so a
 * huge length costs what is mapped, not what it spans).
 *
 * W^X holds for programs too: a request for writable and executable memory
 * is refused with -EACCES. File mappings are not supported (-ENODEV).
 * PROT_NONE pages are mapped without VM_USER: present, but neither the
 * program nor uaccess can touch them until mprotect gives rights.
 */
#include <optios/abi/optios.h>

#include "kernel/exec/exec.h"
#include "kernel/handler/handler.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define BATCH 64

/* ---- page ranges ---- */

struct range_scan {
	uint64_t lo, hi;
	uint64_t found[BATCH];
	size_t n;
};

static void scan_one(void *arg, uintptr_t va, uint64_t pa, unsigned flags)
{
	(void)pa, (void)flags;
	struct range_scan *r = arg;
	if (va >= r->lo && va < r->hi && r->n < BATCH)
		r->found[r->n++] = va;
}

/* Up to BATCH mapped pages of [lo, hi), in address order. */
static size_t mapped_in(struct vm_space *s, uint64_t lo, uint64_t hi, struct range_scan *r)
{
	r->lo = lo;
	r->hi = hi;
	r->n = 0;
	vm_space_visit(s, scan_one, r);
	return r->n;
}

/* 0, or -ENOMEM when a handler run's journal could not record a page (the
 * pages from there on stay mapped). */
static int unmap_range(struct vm_space *s, uint64_t lo, uint64_t hi)
{
	struct range_scan r;
	while (mapped_in(s, lo, hi, &r) > 0) {
		for (size_t i = 0; i < r.n; i++)
			if (vm_unmap(s, r.found[i]) == -ENOMEM)
				return -ENOMEM;
		lo = r.found[r.n - 1] + PAGE_SIZE;
	}
	return 0;
}

/* Maps zeroed pages over [lo, hi); all or nothing. 0, -ENOMEM (also past
 * the manifest's memory limit: logged as a denial), -EEXIST. */
static int map_range(struct vm_space *s, uint64_t lo, uint64_t hi, unsigned flags)
{
	if ((hi - lo) / PAGE_SIZE + EXEC_RESERVE_PAGES > pmm_free_count())
		return -ENOMEM;
	int err = perm_memory(proc_current(), (hi - lo) / PAGE_SIZE);
	if (err)
		return err;
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		uint64_t pa = exec_page_alloc();
		int err = pa ? vm_map(s, va, pa, flags) : -ENOMEM;
		if (err) {
			if (pa)
				pmm_free(pa);
			unmap_range(s, lo, va);
			return err;
		}
	}
	return 0;
}

static bool user_range(uint64_t addr, uint64_t len)
{
	return addr >= PAGE_SIZE && addr + len > addr && addr + len <= VM_USER_END;
}

static int prot_flags(long prot, unsigned *flags)
{
	if (prot & ~(long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;
	*flags = prot ? VM_USER : 0;
	*flags |= (prot & PROT_WRITE) ? VM_WRITE : 0;
	*flags |= (prot & PROT_EXEC) ? VM_EXEC : 0;
	return 0;
}

/* ---- brk ---- */

long sys_brk(long addr, UNUSED long a1, SYS_ARGS_FROM2)
{
	struct proc *p = proc_current();
	uint64_t want = (uint64_t)addr;
	if (want < p->brk_base || want > p->brk_base + EXEC_BRK_MAX)
		return (long)p->brk_end;
	uint64_t old_top = ALIGN_UP(p->brk_end, PAGE_SIZE), new_top = ALIGN_UP(want, PAGE_SIZE);
	if (new_top > old_top) {
		struct range_scan r;
		if (mapped_in(p->space, old_top, new_top, &r) ||
		    map_range(p->space, old_top, new_top, VM_USER | VM_WRITE))
			return (long)p->brk_end;
	} else if (new_top < old_top) {
		unmap_range(p->space, new_top, old_top);
	}
	p->brk_end = want;
	return (long)want;
}

/* ---- mmap ---- */

/* A free range of len bytes at or above the hint, or 0. */
static uint64_t find_free(struct proc *p, uint64_t len)
{
	uint64_t at = MAX(p->mmap_hint, EXEC_MMAP_BASE);
	struct range_scan r;
	while (at + len > at && at + len <= EXEC_MMAP_END) {
		if (mapped_in(p->space, at, at + len, &r) == 0)
			return at;
		at = r.found[r.n - 1] + PAGE_SIZE;
	}
	return 0;
}

long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
	(void)fd;
	struct proc *p = proc_current();
	unsigned vmf;
	uint64_t size = ALIGN_UP((uint64_t)len, PAGE_SIZE);
	if (len <= 0 || size < (uint64_t)len || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	int err = prot_flags(prot, &vmf);
	if (err)
		return err;
	if (!(flags & MAP_ANONYMOUS))
		return -ENODEV;
	if (!(flags & (MAP_SHARED | MAP_PRIVATE)))
		return -EINVAL;
	uint64_t at;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		at = (uint64_t)addr;
		if ((at & (PAGE_SIZE - 1)) || !user_range(at, size))
			return -EINVAL;
		struct range_scan r;
		if ((flags & MAP_FIXED_NOREPLACE) && mapped_in(p->space, at, at + size, &r))
			return -EEXIST;
		unmap_range(p->space, at, at + size);
	} else if ((at = find_free(p, size)) == 0) {
		return -ENOMEM;
	}
	err = map_range(p->space, at, at + size, vmf);
	if (err)
		return err;
	if (!(flags & MAP_FIXED) && at >= EXEC_MMAP_BASE)
		p->mmap_hint = at + size;
	return (long)at;
}

long sys_munmap(long addr, long len, SYS_ARGS_FROM2)
{
	uint64_t size = ALIGN_UP((uint64_t)len, PAGE_SIZE);
	if ((addr & (PAGE_SIZE - 1)) || len <= 0 || size < (uint64_t)len || !user_range((uint64_t)addr, size))
		return -EINVAL;
	return unmap_range(proc_current()->space, (uint64_t)addr, (uint64_t)addr + size);
}

long sys_mprotect(long addr, long len, long prot, long a3, long a4, long a5)
{
	(void)a3, (void)a4, (void)a5;
	struct vm_space *s = proc_current()->space;
	uint64_t size = ALIGN_UP((uint64_t)len, PAGE_SIZE), lo = (uint64_t)addr;
	unsigned vmf;
	if ((lo & (PAGE_SIZE - 1)) || len < 0 || size < (uint64_t)len || (len && !user_range(lo, size)))
		return -EINVAL;
	int err = prot_flags(prot, &vmf);
	if (err)
		return err;
	struct range_scan r;
	while (mapped_in(s, lo, (uint64_t)addr + size, &r) > 0) {
		for (size_t i = 0; i < r.n; i++) {
			uint64_t pa;
			unsigned old = 0;
			vm_translate(s, r.found[i], &pa, &old);
			unsigned f = vmf;
			if ((old & VM_COW) && (f & VM_WRITE))
				f = (f & ~VM_WRITE) | VM_COW; /* still shared: the next write copies */
			if (vm_protect(s, r.found[i], f | (old & VM_DEVICE)) == -ENOMEM)
				return -ENOMEM; /* a handler run's journal is full */
		}
		lo = r.found[r.n - 1] + PAGE_SIZE;
	}
	return 0;
}

/* ---- mremap: shrink, grow in place, or move the pages (no copying) ---- */

#define MREMAP_MAYMOVE 1

/* Moves every mapped page of [from, from + size) to the same offset at to. */
static int move_pages(struct vm_space *s, uint64_t from, uint64_t size, uint64_t to)
{
	struct range_scan r;
	uint64_t lo = from;
	while (mapped_in(s, lo, from + size, &r) > 0) {
		for (size_t i = 0; i < r.n; i++) {
			uint64_t pa;
			unsigned fl;
			vm_translate(s, r.found[i], &pa, &fl);
			if ((fl & VM_DEVICE) || pmm_get(ALIGN_DOWN(pa, PAGE_SIZE)))
				return -EINVAL;
			int err = vm_map(s, to + (r.found[i] - from), ALIGN_DOWN(pa, PAGE_SIZE),
					 fl & (VM_WRITE | VM_EXEC | VM_USER | VM_COW));
			if (err) {
				pmm_free(ALIGN_DOWN(pa, PAGE_SIZE));
				return err;
			}
		}
		lo = r.found[r.n - 1] + PAGE_SIZE;
	}
	unmap_range(s, from, from + size);
	return 0;
}

long sys_mremap(long addr, long old_len, long new_len, long flags, long a4, long a5)
{
	(void)a4, (void)a5;
	struct proc *p = proc_current();
	uint64_t old = (uint64_t)addr, osz = ALIGN_UP((uint64_t)old_len, PAGE_SIZE);
	uint64_t nsz = ALIGN_UP((uint64_t)new_len, PAGE_SIZE);
	struct range_scan r;
	if ((old & (PAGE_SIZE - 1)) || old_len <= 0 || new_len <= 0 || osz < (uint64_t)old_len ||
	    nsz < (uint64_t)new_len || (flags & ~(long)MREMAP_MAYMOVE) || !user_range(old, MAX(osz, nsz)))
		return -EINVAL;
	uint64_t pa;
	unsigned fl;
	if (vm_translate(p->space, old, &pa, &fl) || (fl & VM_DEVICE))
		return -EFAULT;
	fl &= VM_WRITE | VM_EXEC | VM_USER;
	if (nsz <= osz) {
		unmap_range(p->space, old + nsz, old + osz);
		return (long)old;
	}
	if (mapped_in(p->space, old + osz, old + nsz, &r) == 0 && old + nsz <= EXEC_MMAP_END &&
	    map_range(p->space, old + osz, old + nsz, fl) == 0)
		return (long)old;
	uint64_t to = (flags & MREMAP_MAYMOVE) ? find_free(p, nsz) : 0;
	if (!to || (nsz - osz) / PAGE_SIZE + EXEC_RESERVE_PAGES > pmm_free_count())
		return -ENOMEM;
	int err = map_range(p->space, to + osz, to + nsz, fl);
	if (!err && (err = move_pages(p->space, old, osz, to)) != 0)
		unmap_range(p->space, to, to + nsz);
	if (err)
		return err;
	p->mmap_hint = to + nsz;
	return (long)to;
}

long sys_madvise(SYS_ARGS)
{
	return 0;
}

long sys_optios_mem_info(long uout, UNUSED long a1, SYS_ARGS_FROM2)
{
	struct optios_mem_info info = {
		.page_size = PAGE_SIZE,
		.total_pages = pmm_total_count(),
		.free_pages = pmm_free_count(),
		.kernel_heap_bytes = kmalloc_bytes_in_use(),
	};
	handler_counts(&info.handlers, &info.snapshot_pages);
	return copy_to_user((uptr)uout, &info, sizeof info);
}
