/*
 * mm.h - memory: physical pages, kernel page tables and address spaces, heap.
 *
 * Three layers, each built on the one before:
 *   pmm   physical pages, single or contiguous runs, reference counted
 *         (pmm.c; bookkeeping in pmm_core.c);
 *   vm    the kernel's page tables - W^X kernel image, direct map of RAM,
 *         MMIO window, guarded kernel stacks - and user address spaces with
 *         copy-on-write sharing (vm.c: theory and invariants; vm_space.c);
 *   heap  kmalloc/kfree in pmm pages reached through the direct map
 *         (heap.c; bookkeeping in heap_core.c).
 * Boot order: pmm_init, vm_init, (move to vm_kernel_stack_top), heap_init.
 * Locking: one CPU; each call runs with interrupts disabled where it touches
 * shared state. Errors are 0 or -E codes; misuse that can only be a kernel
 * bug (double free, freeing what was never allocated) panics.
 */
#ifndef KERNEL_MM_MM_H
#define KERNEL_MM_MM_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

#define PAGE_SIZE 4096
#define PAGE_SHIFT 12

struct bootinfo;

/* Every physical address the kernel may touch (all of [0, 4 GiB) and every
 * memory-map region above) is mapped at DIRECT_MAP_BASE + pa. */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}
/* Inverse of phys_to_virt; only for pointers into the direct map. */
static inline uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)p - DIRECT_MAP_BASE;
}

/* ---- physical pages (pmm.c) ---- */

void pmm_init(const struct bootinfo *bi);
/* One page with reference count 1 (contents undefined), or 0 if none is free. */
uint64_t pmm_alloc(void);
/* The same, filled with zeros. */
uint64_t pmm_alloc_zeroed(void);
/* count contiguous pages aligned to align_pages pages (a power of two), or 0. */
uint64_t pmm_alloc_contig(size_t count, size_t align_pages);
/* Drops one reference; the page is free when none remain. Panics on a double
 * free or a page the allocator never hands out. */
void pmm_free(uint64_t pa);
void pmm_free_contig(uint64_t pa, size_t count);
/* Adds a reference to an allocated page (sharing it, e.g. copy-on-write):
 * 0, or -EOVERFLOW at 65535 references. Panics if pa is not allocated. */
int pmm_get(uint64_t pa);
/* References to the page: 0 free, > 0 allocated; -ENOENT if it is not a page
 * the allocator manages (kernel image, modules, reserved, low 1 MiB). */
int pmm_refcount(uint64_t pa);
size_t pmm_free_count(void);
size_t pmm_total_count(void);

/* ---- kernel page tables (vm.c) ---- */

/* Builds the kernel's page tables and switches to them (see vm.c). */
void vm_init(const struct bootinfo *bi);
/* Device memory: below 4 GiB its direct-map address (uncached unless the
 * 2 MiB page holds RAM); above, a fresh uncached mapping in the MMIO window.
 * NULL if the window is full or out of memory. Never unmapped. */
void *vm_map_mmio(uint64_t phys, size_t size);
/* A kernel stack of pages pages (at most VM_STACK_MAX_PAGES) with at least
 * one unmapped guard page below it; returns its top, or NULL. */
#define VM_STACK_MAX_PAGES 15
void *vm_stack_alloc(size_t pages);
/* Frees a stack by the top vm_stack_alloc returned. */
void vm_stack_free(void *top);
/* The boot CPU's kernel stack (from vm_stack_alloc); kmain moves onto it. */
void *vm_kernel_stack_top(void);
/* Whether the CPU enforces no-execute (EFER.NXE); without it VM_EXEC is moot. */
bool vm_nx_enabled(void);

/* ---- address spaces (vm_space.c) ---- */

#define VM_USER_END 0x0000800000000000ull /* user half: [0, VM_USER_END) */

/* Mapping flags. */
#define VM_WRITE 0x01
#define VM_EXEC 0x02
#define VM_USER 0x04 /* ring 3 may access */
#define VM_COW 0x08 /* shared copy-on-write: read-only until vm_cow_break */
#define VM_DEVICE 0x10 /* not a pmm page: mapped uncached, holds no reference */
/* Reported by vm_translate and vm_space_visit only (set by the CPU). */
#define VM_ACCESSED 0x20
#define VM_DIRTY 0x40

struct vm_space;

/* A space whose user half is empty and whose kernel half is the kernel's. NULL if out of memory. */
struct vm_space *vm_space_create(void);
/* Drops every user mapping's page reference, frees the tables and the space.
 * If s is active, the kernel's own tables are activated first. */
void vm_space_destroy(struct vm_space *s);
/* Switches the CPU to s (NULL: the kernel's tables, user half empty). */
void vm_space_activate(struct vm_space *s);
/* The space activated last (NULL: the kernel's own tables). */
struct vm_space *vm_space_current(void);

/* Maps the page at pa at user address va. The mapping takes over one
 * reference to pa (unless VM_DEVICE). 0, -EINVAL (va not a page in the user
 * half, pa unaligned, VM_WRITE with VM_COW), -EEXIST, -ENOMEM. */
int vm_map(struct vm_space *s, uintptr_t va, uint64_t pa, unsigned flags);
/* Removes the mapping at va and drops its page reference. 0, -EINVAL, -EFAULT
 * (not mapped), -ENOMEM (only while a journal records: nothing changed). */
int vm_unmap(struct vm_space *s, uintptr_t va);
/* Changes VM_WRITE/VM_EXEC/VM_USER/VM_COW of the mapping at va; clears dirty.
 * VM_WRITE on a page someone else holds too becomes VM_COW. 0, -EINVAL,
 * -EFAULT, -ENOMEM (only while a journal records: nothing changed). */
int vm_protect(struct vm_space *s, uintptr_t va, unsigned flags);
/* The physical address va maps to and its VM_* flags; s NULL: the kernel's
 * tables. 0 or -EFAULT (not mapped). Works for kernel addresses too. */
int vm_translate(const struct vm_space *s, uintptr_t va, uint64_t *pa, unsigned *flags);
/* Calls fn for every user mapping of s, in address order. */
typedef void (*vm_visit_fn)(void *arg, uintptr_t va, uint64_t pa, unsigned flags);
void vm_space_visit(const struct vm_space *s, vm_visit_fn fn, void *arg);
/* A new space sharing all of src's user pages: writable and copy-on-write
 * pages become VM_COW in both (one more reference each); read-only pages are
 * shared read-only. NULL if out of memory (then pages of src may already be
 * COW: still correct, a write to one makes it writable again). */
struct vm_space *vm_space_clone_cow(struct vm_space *src);
/* Resolves a copy-on-write mapping for a write: the page becomes writable,
 * copied first unless no other reference remains. 0, -EINVAL (not COW),
 * -EFAULT (not mapped), -ENOMEM. */
int vm_cow_break(struct vm_space *s, uintptr_t va);

/* ---- snapshots: freezing a space and journaling a run (vm_journal.c) ----
 *
 * A handler's snapshot is its address space between runs (kernel/handler).
 * vm_space_freeze makes every writable page of s read-only copy-on-write.
 * Between vm_journal_begin and vm_journal_commit/rollback, every change to a
 * user mapping of s (vm_map, vm_unmap, vm_protect, vm_cow_break) first
 * records the mapping's previous entry, once per page: a write to a frozen
 * page always copies it (the journal keeps the original), even when no one
 * else shares it. Commit frees the originals and re-freezes the changed
 * pages; rollback puts every original entry back and frees the copies. Both
 * cost O(pages changed), never O(pages mapped).
 */
/* Freezes s; returns the user pages mapped (the snapshot's size). */
size_t vm_space_freeze(struct vm_space *s);
/* Starts recording changes to s. 0, -EBUSY (already recording), -ENOMEM. */
int vm_journal_begin(struct vm_space *s);
/* Keeps the changes; returns how many pages changed. Recording stops. */
size_t vm_journal_commit(struct vm_space *s);
/* Undoes the changes: s maps exactly what it mapped at vm_journal_begin,
 * with the same contents. Returns how many pages changed. Recording stops. */
size_t vm_journal_rollback(struct vm_space *s);
/* Pages changed since vm_journal_begin (0 when not recording). */
size_t vm_journal_pages(const struct vm_space *s);
/* User pages mapped in s. */
size_t vm_space_pages(const struct vm_space *s);
/* Calls fn for every page the recording journal lists, in the order they
 * were first changed: with what the page maps now, or pa 0 and flags 0 when
 * the run unmapped it (kernel/handler persists a run's dirty pages so). */
void vm_journal_visit(const struct vm_space *s, vm_visit_fn fn, void *arg);

/* ---- kernel heap (heap.c) ---- */

void heap_init(void);
/* 16-byte aligned; NULL when out of memory. kmalloc(0) gives a valid block. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* Resizes (moving the contents); krealloc(NULL, n) is kmalloc, krealloc(p, 0) frees and returns NULL. */
void *krealloc(void *p, size_t size);
/* Frees p (NULL: nothing). Panics "kfree: ..." on a double free, a pointer
 * kmalloc did not return, or (KDEBUG) bytes written past the block. */
void kfree(void *p);
/* The checks kfree does, without freeing or panicking: 0, -EFAULT (not a
 * heap block), -EINVAL (already freed), -EOVERFLOW (written past its end). */
int heap_check(const void *p);
size_t kmalloc_bytes_in_use(void);
/* Pages the heap holds from the page allocator (its slabs and large blocks). */
size_t heap_pages(void);

/* Prints the memory summary (RAM, free, kernel, reserved, heap, tables). */
void mm_report(void);

#endif
