/*
 * exec.h - loading a static ELF program into a new user address space, and
 * the layout of that space.
 *
 *   [0x1000 ...)                 the ELF's PT_LOAD segments (W^X, NX data)
 *   [brk_base, brk_end)          the heap (brk), growing up after them
 *   [EXEC_MMAP_BASE, ...)        anonymous mmap, growing up
 *   ... at least 1 GiB unmapped ...
 *   [EXEC_STACK_LIMIT, EXEC_STACK_TOP)  the stack: mapped on demand up to 8 MiB
 *   [EXEC_STACK_TOP, VM_USER_END) one unmapped page
 *
 * Programs only ever get zeroed pages; user memory is refused (-ENOMEM) once
 * fewer than EXEC_RESERVE_PAGES physical pages would stay free, so a greedy
 * program cannot starve the kernel.
 */
#ifndef KERNEL_EXEC_EXEC_H
#define KERNEL_EXEC_EXEC_H

#include <optios/abi/manifest.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_STACK_TOP 0x00007FFFFFFFF000ull
#define EXEC_STACK_MAX (8ull << 20)
#define EXEC_STACK_LIMIT (EXEC_STACK_TOP - EXEC_STACK_MAX)
#define EXEC_MMAP_BASE 0x0000100000000000ull
#define EXEC_MMAP_END (EXEC_STACK_LIMIT - (1ull << 30))
#define EXEC_BRK_MAX (1ull << 36) /* the heap never grows past brk_base + 64 GiB */
#define EXEC_RESERVE_PAGES 1024
/* argv + envp, strings and pointers: a quarter of the stack, as Linux
 * (musl's sysconf(_SC_ARG_MAX) reads the same from RLIMIT_STACK); the count
 * is bounded by the bytes (each argument takes its NUL and a pointer) */
#define EXEC_ARGS_MAX (EXEC_STACK_MAX / 4)
#define EXEC_ARGC_MAX (EXEC_ARGS_MAX / 9)

struct vm_space;

/* A loaded program, ready to enter. */
struct exec_image {
	struct vm_space *space;
	uint64_t entry, rsp; /* initial rip and rsp (rsp points at argc) */
	uint64_t brk_base; /* first page after the highest segment */
};

/*
 * Reads the program at path (through vfs_read_file), validates it, and builds
 * a new address space with its segments, a stack holding argv, envp and the
 * auxiliary vector musl expects. Returns 0, -ENOENT (no such file), -EISDIR
 * (a directory), -ENOEXEC (logged with the reason), -ENOMEM, -E2BIG
 * (arguments over EXEC_ARGS_MAX).
 */
int exec_load(const char *path, char *const argv[], char *const envp[], struct exec_image *out);
/* The same for the file already read into data (len bytes; path names it). */
int exec_load_image(const char *path, const void *data, size_t len, char *const argv[], char *const envp[],
		    struct exec_image *out);
/* The program's name as messages say it: the last component of path. */
const char *exec_program_name(const char *path);

/* A zeroed page for user memory, or 0 when memory is short (see above). */
uint64_t exec_page_alloc(void);

/*
 * A program's identity, read without loading it (identity.c): its manifest
 * (the ELF section MANIFEST_SECTION) into *m and the SHA-256 of the whole file
 * into hash (NULL: not computed). Returns 0, -ENOENT (no such file), -EISDIR (a directory),
 * -ENOMEM, -ENOEXEC (not a program, or no manifest section: err says which,
 * "counter: no manifest section (.optios.manifest)"), -EINVAL (the manifest
 * is damaged - its section, or the section table, malformed: "counter:
 * manifest section damaged: section bytes outside the file" - or wrong: err
 * gets manifest_parse's reason after the program's name and ".manifest",
 * "counter.manifest line 3: unknown policy 'often' ..."). Only -ENOEXEC may
 * be taken as "no manifest": a damaged one must be refused wherever the
 * program would run. err (if not NULL) always receives a NUL-terminated
 * line, "" on success; *m is zeroed on failure.
 */
int exec_manifest(const char *path, struct manifest *m, uint8_t hash[32], char *err, size_t errlen);
/* The same for a file already in memory; name is the program's name for messages. */
int exec_manifest_image(const char *name, const void *image, size_t len, struct manifest *m,
			uint8_t hash[32], char *err, size_t errlen);

/* Supplied by the file system: a kmalloc'd copy of the whole file. 0 or -E. */
int vfs_read_file(const char *path, void **data, size_t *len);

#endif
