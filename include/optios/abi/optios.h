/*
 * optios.h (ABI) - structures and constants of OptiOS's own system calls
 * (numbers from 1000, listed in syscalls.def). Shared by the kernel and the SDK.
 */
#ifndef OPTIOS_ABI_OPTIOS_H
#define OPTIOS_ABI_OPTIOS_H

#include <stdint.h>

#define OPTIOS_SYSCALL_BASE 1000

/*
 * long optios_spawn(const char *path, char *const argv[], char *const envp[],
 *                   unsigned flags)
 * Starts the program at path (an absolute path, or a name looked up in /bin)
 * as a child of the caller with the given arguments and environment (envp may
 * be NULL: the caller's is not inherited implicitly). The child inherits the
 * caller's working directory and descriptors 0-2. Returns the child's pid, or
 * -ENOENT, -ENOEXEC (not a valid static ELF), -ENOMEM, -EFAULT, -E2BIG.
 * Wait for it with wait4(pid, &status, 0, NULL).
 */
#define OPTIOS_SPAWN_NEW_CONSOLE 0x1 /* run on a free console (foreground slot);
					 -EBUSY when all foreground.max are taken */

/* long optios_proc_list(struct optios_proc_info *out, unsigned long max):
 * fills up to max entries, returns how many processes exist. */
struct optios_proc_info {
	int32_t pid, ppid;
	uint32_t state; /* OPTIOS_PROC_* */
	uint32_t console; /* 0-based; UINT32_MAX: none */
	uint64_t mem_pages; /* user pages mapped */
	uint64_t cpu_ns; /* CPU time used */
	uint64_t start_ns; /* monotonic time it started */
	char name[32];
};
#define OPTIOS_PROC_RUNNABLE 1
#define OPTIOS_PROC_RUNNING 2
#define OPTIOS_PROC_BLOCKED 3
#define OPTIOS_PROC_ZOMBIE 4

/* long optios_mem_info(struct optios_mem_info *out) */
struct optios_mem_info {
	uint64_t page_size;
	uint64_t total_pages, free_pages;
	uint64_t kernel_heap_bytes;
	uint64_t handlers; /* handlers registered (each has one snapshot) */
	uint64_t snapshot_pages; /* user pages in their snapshots */
};

/* long optios_fb_map(struct optios_fb_info *out): maps the framebuffer into the
 * caller (writable, not executable) and describes it; the console stops drawing
 * on that screen until the caller exits. -ENODEV without a framebuffer. */
struct optios_fb_info {
	uint64_t addr; /* where it is mapped in the caller */
	uint32_t width, height, pitch, bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	uint8_t reserved[2];
};

/* long optios_console_info(struct optios_console_info *out) */
struct optios_console_info {
	uint32_t current; /* the console the caller runs on (0-based) */
	uint32_t active; /* the console on screen */
	uint32_t count; /* consoles that exist = foreground.max */
	uint32_t busy; /* bitmask: consoles with a foreground program */
};

/* long optios_console_switch(unsigned index): shows console index (0-based). */

#endif
