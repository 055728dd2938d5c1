/*
 * exec.c - the ELF loader: from a file to an address space a process can
 * enter (theory of the layout in exec.h).
 *
 * Flat sequence: read the file, elf_parse it (which guarantees segments are
 * page-disjoint, inside the user half, W^X, and that their file bytes lie in
 * the image), map each segment page by page with the segment's rights (a
 * page wholly of file bytes is copied whole, any other zeroed first), map the
 * stack pages the arguments need and one more, and write the initial stack:
 *
 *   EXEC_STACK_TOP -> [16 random bytes][execfn][envp strings][argv strings]
 *                     (padding to 16) auxv pairs, NULL, envp[], NULL, argv[], argc <- rsp
 *
 * rsp is 16-byte aligned at argc, as the x86_64 ABI's process entry requires.
 */
#include "kernel/exec/exec.h"

#include "kernel/exec/elf.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/rand/rand.h"
#include "lib/lib.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#define AUXV_PAIRS 16

/* Stack pages mapped at the start below the arguments; the rest of the
 * stack is mapped when first touched (proc_fault, uaccess_fault_in). */
#define STACK_FREE_PAGES 1

/* A page for a user image, its contents undefined; 0 below the reserve. */
static uint64_t page_alloc(void)
{
	if (pmm_free_count() < EXEC_RESERVE_PAGES)
		return 0;
	return pmm_alloc();
}

uint64_t exec_page_alloc(void)
{
	uint64_t pa = page_alloc();
	if (pa)
		arch_page_zero(phys_to_virt(pa));
	return pa;
}

static unsigned seg_rights(uint32_t flags)
{
	unsigned f = VM_USER;
	if (flags & ELF_SEG_W)
		f |= VM_WRITE;
	if (flags & ELF_SEG_X)
		f |= VM_EXEC;
	return f;
}

/* Maps [vaddr, vaddr + memsz) with the file bytes at its start, zeros after. */
static int map_segment(struct vm_space *s, const uint8_t *image, const struct elf_segment *seg)
{
	uint64_t start = ALIGN_DOWN(seg->vaddr, PAGE_SIZE);
	uint64_t end = ALIGN_UP(seg->vaddr + seg->memsz, PAGE_SIZE);
	uint64_t file_end = seg->vaddr + seg->filesz;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t lo = MAX(va, seg->vaddr), hi = MIN(va + PAGE_SIZE, file_end);
		bool whole = lo == va && hi == va + PAGE_SIZE; /* file bytes only: copied, not zeroed first */
		uint64_t pa = whole ? page_alloc() : exec_page_alloc();
		if (!pa)
			return -ENOMEM;
		if (whole)
			arch_page_copy(phys_to_virt(pa), image + seg->offset + (va - seg->vaddr));
		else if (lo < hi)
			memcpy((uint8_t *)phys_to_virt(pa) + (lo - va),
			       image + seg->offset + (lo - seg->vaddr), hi - lo);
		int err = vm_map(s, va, pa, seg_rights(seg->flags));
		if (err) {
			pmm_free(pa);
			return err;
		}
	}
	return 0;
}

static int map_stack(struct vm_space *s, size_t pages)
{
	for (size_t i = 1; i <= pages; i++) {
		uint64_t pa = exec_page_alloc();
		if (!pa)
			return -ENOMEM;
		int err = vm_map(s, EXEC_STACK_TOP - i * PAGE_SIZE, pa, VM_USER | VM_WRITE);
		if (err) {
			pmm_free(pa);
			return err;
		}
	}
	return 0;
}

static size_t strv_bytes(char *const v[], size_t *count)
{
	size_t bytes = 0, n = 0;
	for (; v && v[n]; n++)
		bytes += strlen(v[n]) + 1 + sizeof(uint64_t);
	*count = n;
	return bytes + sizeof(uint64_t);
}

/* Writes n bytes at va in s, into pages the loader mapped writable itself
 * (map_stack), through the direct map: the loader needs no process. 0 or
 * -EFAULT (a page not mapped). */
static int space_write(struct vm_space *s, uint64_t va, const void *src, size_t n)
{
	const uint8_t *from = src;
	while (n) {
		size_t off = va & (PAGE_SIZE - 1), chunk = MIN(n, PAGE_SIZE - off);
		uint64_t pa;
		unsigned fl;
		if (vm_translate(s, va - off, &pa, &fl) != 0 || !(fl & VM_WRITE))
			return -EFAULT;
		memcpy((uint8_t *)phys_to_virt(ALIGN_DOWN(pa, PAGE_SIZE)) + off, from, chunk);
		va += chunk;
		from += chunk;
		n -= chunk;
	}
	return 0;
}

/* Writes the strings of v downward from *sp; records their user addresses in ptrs. */
static int push_strings(struct vm_space *s, uint64_t *sp, char *const v[], size_t n, uint64_t *ptrs)
{
	for (size_t i = n; i-- > 0;) {
		size_t len = strlen(v[i]) + 1;
		*sp -= len;
		ptrs[i] = *sp;
		if (space_write(s, *sp, v[i], len))
			return -EFAULT;
	}
	return 0;
}

/* Builds the initial stack (see the top of the file); returns rsp in *rsp. */
static int build_stack(struct vm_space *s, const struct elf_image *img, const char *path, char *const argv[],
		       char *const envp[], uint64_t *rsp)
{
	size_t argc, envc;
	size_t bytes = strv_bytes(argv, &argc) + strv_bytes(envp, &envc) + strlen(path) + 1;
	if (bytes > EXEC_ARGS_MAX || argc > EXEC_ARGC_MAX || envc > EXEC_ARGC_MAX)
		return -E2BIG;
	size_t words = 1 + argc + 1 + envc + 1 + 2 * AUXV_PAIRS;
	/* the strings, the random bytes, the vectors, alignment; and a page for the program's first frames */
	size_t pages =
		(16 + bytes + words * sizeof(uint64_t) + 16 + PAGE_SIZE - 1) / PAGE_SIZE + STACK_FREE_PAGES;
	int err = map_stack(s, pages);
	if (err)
		return err;
	uint64_t *vec = kzalloc(words * sizeof(uint64_t));
	if (!vec)
		return -ENOMEM;
	uint64_t sp = EXEC_STACK_TOP - 16, random_at = sp;
	uint8_t random[16];
	rand_fill(random, sizeof random);
	err = space_write(s, sp, random, sizeof random);
	sp -= strlen(path) + 1;
	uint64_t execfn = sp;
	err = err ?: space_write(s, sp, path, strlen(path) + 1);
	err = err ?: push_strings(s, &sp, envp, envc, vec + 1 + argc + 1);
	err = err ?: push_strings(s, &sp, argv, argc, vec + 1);
	vec[0] = argc;
	uint64_t *aux = vec + 1 + argc + 1 + envc + 1;
	uint64_t pairs[][2] = {{AT_PHDR, img->phdr_vaddr},
			       {AT_PHENT, ELF_PHENT_SIZE},
			       {AT_PHNUM, img->phnum},
			       {AT_PAGESZ, PAGE_SIZE},
			       {AT_ENTRY, img->entry},
			       {AT_UID, 0},
			       {AT_EUID, 0},
			       {AT_GID, 0},
			       {AT_EGID, 0},
			       {AT_HWCAP, 0},
			       {AT_CLKTCK, 100},
			       {AT_SECURE, 0},
			       {AT_RANDOM, random_at},
			       {AT_EXECFN, execfn},
			       {AT_NULL, 0}};
	_Static_assert(ARRAY_SIZE(pairs) <= AUXV_PAIRS, "auxv room");
	memcpy(aux, pairs, sizeof pairs);
	sp = ALIGN_DOWN(sp - words * sizeof(uint64_t), 16);
	err = err ?: space_write(s, sp, vec, words * sizeof(uint64_t));
	kfree(vec);
	*rsp = sp;
	return err;
}

static int load_image(const char *path, const void *data, size_t len, char *const argv[], char *const envp[],
		      struct exec_image *out)
{
	struct elf_image img;
	const char *why = NULL;
	if (elf_parse(data, len, &img, &why)) {
		klog(KLOG_WARN, "exec: %s: not a runnable program: %s", path, why ? why : "invalid ELF");
		return -ENOEXEC;
	}
	struct vm_space *s = vm_space_create();
	if (!s)
		return -ENOMEM;
	int err = 0;
	for (unsigned i = 0; i < img.nsegs && !err; i++)
		err = map_segment(s, data, &img.segs[i]);
	err = err ?: build_stack(s, &img, path, argv, envp, &out->rsp);
	if (err) {
		vm_space_destroy(s);
		return err;
	}
	const struct elf_segment *last = &img.segs[img.nsegs - 1];
	out->space = s;
	out->entry = img.entry;
	out->brk_base = ALIGN_UP(last->vaddr + last->memsz, PAGE_SIZE);
	return 0;
}

int exec_load_image(const char *path, const void *data, size_t len, char *const argv[], char *const envp[],
		    struct exec_image *out)
{
	return load_image(path, data, len, argv, envp, out);
}

int exec_load(const char *path, char *const argv[], char *const envp[], struct exec_image *out)
{
	void *data = NULL;
	size_t len = 0;
	int err = vfs_read_file(path, &data, &len);
	if (err)
		return err == -ENOTDIR ? -ENOENT : err;
	err = load_image(path, data, len, argv, envp, out);
	kfree(data);
	return err;
}
