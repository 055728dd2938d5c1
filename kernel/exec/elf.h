/*
 * elf.h - validating static x86_64 ELF executables held in memory, and
 * finding a named section in them (the program manifest lives in one).
 *
 * OptiOS runs what `musl-gcc -static` produces: ET_EXEC, no interpreter, no
 * dynamic section, PT_LOAD segments in the user half, usually one PT_TLS.
 * elf_parse() accepts exactly such images and describes them so the loader
 * can map them without looking at the ELF again; anything else is -ENOEXEC
 * with a one-line reason.
 */
#ifndef KERNEL_EXEC_ELF_H
#define KERNEL_EXEC_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16           /* PT_LOAD segments an image may have */
#define ELF_MAX_PHNUM 256             /* program headers of any type */
#define ELF_MAX_ALIGN 0x200000        /* largest p_align accepted (2 MiB) */
#define ELF_USER_BOTTOM 0x1000ull     /* page 0 is never mapped */
#define ELF_USER_TOP 0x800000000000ull /* first address above the user half */
#define ELF_PHENT_SIZE 56             /* sizeof(Elf64_Phdr): AT_PHENT */

/* Segment permissions: the ELF p_flags bits. */
#define ELF_SEG_X 1u
#define ELF_SEG_W 2u
#define ELF_SEG_R 4u

/* One PT_LOAD segment: memory [vaddr, vaddr + memsz) gets file bytes
 * [offset, offset + filesz) at its start and zeros after them. */
struct elf_segment {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	uint32_t flags; /* ELF_SEG_* */
};

/* The thread-local storage template (PT_TLS): filesz bytes at vaddr
 * (inside a loaded segment), then zeros up to memsz. */
struct elf_tls {
	uint64_t vaddr, filesz, memsz, align;
};

/*
 * What elf_parse() found. Invariants when it returned 0:
 *   - 1 <= nsegs <= ELF_MAX_SEGMENTS; segs are in ascending vaddr order and
 *     no two share a page; each has filesz <= memsz, memsz > 0,
 *     ELF_USER_BOTTOM <= vaddr, vaddr + memsz <= ELF_USER_TOP,
 *     offset + filesz <= the image length, and never both W and X;
 *   - entry lies in the file-backed part of an executable segment;
 *   - if has_tls, the TLS template's file part lies in a segment's file part.
 */
struct elf_image {
	uint64_t entry;
	unsigned nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	bool has_tls;
	struct elf_tls tls;
	uint64_t phdr_vaddr; /* program headers once loaded (AT_PHDR), 0 if no segment holds them */
	uint16_t phnum;      /* AT_PHNUM */
	uint32_t stack_flags; /* PT_GNU_STACK's ELF_SEG_* (R|W if there is none); never X */
};

/*
 * Validates the executable image [image, image + len) (any alignment) and
 * describes it in *out. Returns 0, or -ENOEXEC when the image is not a static
 * x86_64 ELF executable OptiOS can run; then *why (if why is not NULL) points
 * at a constant string saying what is wrong, e.g. "dynamically linked
 * (PT_INTERP): not supported". Reads nothing outside the image.
 */
int elf_parse(const void *image, size_t len, struct elf_image *out, const char **why);

/* A section found by elf_section_find(). */
struct elf_section {
	const void *data; /* size bytes inside the image; NULL for SHT_NOBITS */
	uint64_t offset, size;
	uint64_t addr;    /* sh_addr: where it is once loaded, 0 if not loaded */
	uint64_t flags;   /* sh_flags */
	uint32_t type;    /* sh_type */
};

/*
 * Finds the section called name (e.g. ".optios.manifest") through the section
 * headers and their string table, all bounds-checked. Returns 0, -ENOENT if
 * there is no such section (or no section headers), or -ENOEXEC if the
 * header, the section table, the name table or the section's bytes are
 * malformed, or if two sections carry the name (a manifest must be unique).
 */
int elf_section_find(const void *image, size_t len, const char *name, struct elf_section *out,
		     const char **why);

#endif
