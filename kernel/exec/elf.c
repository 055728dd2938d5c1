/*
 * elf.c - validate a static ELF64 x86_64 executable and find sections in it.
 *
 * Theory of operation. The image is hostile and may sit at any alignment
 * (a cpio member is only 4-byte aligned), so every header is copied out with
 * memcpy into a local struct before it is looked at, and every (offset, size)
 * pair is checked with inside() - which subtracts, never adds - before a byte
 * of it is read. Parsing is one flat pass:
 *
 *   1. the ELF header: identity (64-bit, little endian, version 1, x86_64),
 *      type ET_EXEC, program header table size and place;
 *   2. each program header in order: PT_LOAD segments are checked and
 *      appended to out->segs (which must come in ascending, page-disjoint
 *      order, as the ELF spec and every linker have them); PT_INTERP and
 *      PT_DYNAMIC end the parse (dynamic linking is not supported); PT_TLS
 *      and PT_GNU_STACK are noted; everything else (NOTE, RELRO, EH_FRAME,
 *      PROPERTY...) is ignored;
 *   3. cross-checks needing all segments: the entry point, the TLS template,
 *      where the program headers land (AT_PHDR).
 *
 * The result's invariants are listed with struct elf_image in elf.h. The
 * section lookup shares step 1's identity check and walks the section header
 * table with the same care; it is independent of elf_parse().
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "elf.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

#define PAGE 4096ull

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551
#define SHT_STRTAB 3
#define SHT_NOBITS 8
#define SHN_XINDEX 0xffff

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

_Static_assert(sizeof(struct ehdr) == 64, "Elf64_Ehdr layout");
_Static_assert(sizeof(struct phdr) == ELF_PHENT_SIZE, "Elf64_Phdr layout");
_Static_assert(sizeof(struct shdr) == 64, "Elf64_Shdr layout");

/* Parse state: the image, the result being built, and why it failed. */
struct parse {
	const uint8_t *img;
	size_t len;
	struct ehdr eh;
	struct elf_image *out;
	const char *why;
	bool has_pt_phdr;
	uint64_t pt_phdr_vaddr;
};

static int bad(struct parse *p, const char *why)
{
	p->why = why;
	return -ENOEXEC;
}

/* [off, off + size) lies within [0, len). Never overflows. */
static bool inside(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

static bool pow2_or_zero(uint64_t x) { return (x & (x - 1)) == 0; }

/* Checks what every ELF we read must be, whatever its type. */
static int check_ident(struct parse *p)
{
	const uint8_t *id = p->eh.ident;
	if (p->len < sizeof p->eh)
		return bad(p, "too short for an ELF header");
	if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
		return bad(p, "not an ELF file (bad magic)");
	if (id[4] != 2)
		return bad(p, "not a 64-bit ELF (EI_CLASS)");
	if (id[5] != 1)
		return bad(p, "not little endian (EI_DATA)");
	if (id[6] != 1 || p->eh.version != 1)
		return bad(p, "unknown ELF version");
	if (id[7] != 0 && id[7] != 3)
		return bad(p, "unsupported OS ABI (EI_OSABI not System V or Linux)");
	if (p->eh.machine != EM_X86_64)
		return bad(p, "not an x86_64 program (e_machine)");
	if (p->eh.ehsize < sizeof p->eh)
		return bad(p, "ELF header size too small (e_ehsize)");
	return 0;
}

static int read_header(struct parse *p, const void *image, size_t len)
{
	p->img = image;
	p->len = image ? len : 0;
	memset(&p->eh, 0, sizeof p->eh);
	if (p->len >= sizeof p->eh)
		memcpy(&p->eh, p->img, sizeof p->eh);
	return check_ident(p);
}

static int check_exec_header(struct parse *p)
{
	const struct ehdr *eh = &p->eh;
	if (eh->type == ET_DYN)
		return bad(p, "position-independent (ET_DYN): not supported, link with musl-gcc -static");
	if (eh->type != ET_EXEC)
		return bad(p, "not an executable (e_type is not ET_EXEC)");
	if (eh->phentsize != ELF_PHENT_SIZE)
		return bad(p, "wrong program header size (e_phentsize)");
	if (eh->phnum == 0)
		return bad(p, "no program headers");
	if (eh->phnum > ELF_MAX_PHNUM)
		return bad(p, "too many program headers");
	if (!inside(eh->phoff, (uint64_t)eh->phnum * ELF_PHENT_SIZE, p->len))
		return bad(p, "program headers outside the file");
	return 0;
}

/* Appends a PT_LOAD segment after checking it alone and against the previous one. */
static int add_load(struct parse *p, const struct phdr *ph)
{
	struct elf_image *out = p->out;
	if (ph->filesz > ph->memsz)
		return bad(p, "PT_LOAD with filesz > memsz");
	if (!inside(ph->offset, ph->filesz, p->len))
		return bad(p, "PT_LOAD file bytes outside the file");
	if (ph->memsz == 0)
		return 0; /* maps nothing */
	if (ph->vaddr < ELF_USER_BOTTOM || ph->vaddr >= ELF_USER_TOP || ph->memsz > ELF_USER_TOP - ph->vaddr)
		return bad(p, "PT_LOAD outside user space (page 0 or above the user half)");
	if (!pow2_or_zero(ph->align) || ph->align > ELF_MAX_ALIGN)
		return bad(p, "PT_LOAD alignment not a power of two up to 2 MiB");
	if (ph->align > 1 && (ph->vaddr - ph->offset) % ph->align != 0)
		return bad(p, "PT_LOAD vaddr and offset disagree modulo p_align");
	if ((ph->flags & (ELF_SEG_W | ELF_SEG_X)) == (ELF_SEG_W | ELF_SEG_X))
		return bad(p, "PT_LOAD both writable and executable (W^X)");
	if (out->nsegs > 0) {
		const struct elf_segment *prev = &out->segs[out->nsegs - 1];
		if (ALIGN_DOWN(ph->vaddr, PAGE) < ALIGN_UP(prev->vaddr + prev->memsz, PAGE))
			return bad(p, "PT_LOAD segments overlap, share a page or are out of order");
	}
	if (out->nsegs == ELF_MAX_SEGMENTS)
		return bad(p, "too many PT_LOAD segments");
	out->segs[out->nsegs++] = (struct elf_segment){
		.vaddr = ph->vaddr,
		.memsz = ph->memsz,
		.offset = ph->offset,
		.filesz = ph->filesz,
		.flags = ph->flags & (ELF_SEG_R | ELF_SEG_W | ELF_SEG_X),
	};
	return 0;
}

static int note_tls(struct parse *p, const struct phdr *ph)
{
	if (p->out->has_tls)
		return bad(p, "more than one PT_TLS");
	if (ph->filesz > ph->memsz || ph->memsz >= ELF_USER_TOP)
		return bad(p, "PT_TLS with bad sizes");
	if (!pow2_or_zero(ph->align) || ph->align > ELF_MAX_ALIGN)
		return bad(p, "PT_TLS alignment not a power of two up to 2 MiB");
	p->out->has_tls = true;
	p->out->tls = (struct elf_tls){ph->vaddr, ph->filesz, ph->memsz, ph->align ? ph->align : 1};
	return 0;
}

static int check_one(struct parse *p, const struct phdr *ph)
{
	switch (ph->type) {
	case PT_LOAD:
		return add_load(p, ph);
	case PT_INTERP:
		return bad(p, "dynamically linked (PT_INTERP): not supported, link with musl-gcc -static");
	case PT_DYNAMIC:
		return bad(p, "dynamically linked (PT_DYNAMIC): not supported, link with musl-gcc -static");
	case PT_TLS:
		return note_tls(p, ph);
	case PT_GNU_STACK:
		if (ph->flags & ELF_SEG_X)
			return bad(p, "asks for an executable stack (PT_GNU_STACK): refused, W^X");
		p->out->stack_flags = ph->flags & (ELF_SEG_R | ELF_SEG_W);
		return 0;
	case PT_PHDR:
		p->has_pt_phdr = true;
		p->pt_phdr_vaddr = ph->vaddr;
		return 0;
	default:
		return 0; /* PT_NULL, PT_NOTE, GNU_RELRO, GNU_EH_FRAME, GNU_PROPERTY, ... */
	}
}

static int check_program_headers(struct parse *p)
{
	for (unsigned i = 0; i < p->eh.phnum; i++) {
		struct phdr ph;
		memcpy(&ph, p->img + p->eh.phoff + (uint64_t)i * ELF_PHENT_SIZE, sizeof ph);
		int err = check_one(p, &ph);
		if (err)
			return err;
	}
	if (p->out->nsegs == 0)
		return bad(p, "no PT_LOAD segment");
	return 0;
}

/* The segment whose file-backed bytes hold [va, va + size), or NULL. */
static const struct elf_segment *file_backed(const struct elf_image *img, uint64_t va, uint64_t size)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (va >= s->vaddr && inside(va - s->vaddr, size, s->filesz))
			return s;
	}
	return NULL;
}

/* Entry point, TLS template and program header address, once all segments are known. */
static int cross_check(struct parse *p)
{
	struct elf_image *out = p->out;
	const struct elf_segment *s = file_backed(out, p->eh.entry, 1);
	if (!s || !(s->flags & ELF_SEG_X))
		return bad(p, "entry point not in the file part of an executable segment");
	if (out->has_tls && !file_backed(out, out->tls.vaddr, out->tls.filesz))
		return bad(p, "PT_TLS template not inside a loaded segment");
	uint64_t phsize = (uint64_t)p->eh.phnum * ELF_PHENT_SIZE;
	for (unsigned i = 0; i < out->nsegs; i++) {
		s = &out->segs[i];
		if (p->eh.phoff >= s->offset && inside(p->eh.phoff - s->offset, phsize, s->filesz)) {
			out->phdr_vaddr = s->vaddr + (p->eh.phoff - s->offset);
			break;
		}
	}
	if (p->has_pt_phdr && p->pt_phdr_vaddr != out->phdr_vaddr)
		return bad(p, "PT_PHDR does not match where the program headers are loaded");
	return 0;
}

int elf_parse(const void *image, size_t len, struct elf_image *out, const char **why)
{
	struct parse p = {.out = out, .why = ""};
	int err;
	memset(out, 0, sizeof *out);
	out->stack_flags = ELF_SEG_R | ELF_SEG_W;
	if ((err = read_header(&p, image, len)) != 0 || (err = check_exec_header(&p)) != 0 ||
	    (err = check_program_headers(&p)) != 0 || (err = cross_check(&p)) != 0)
		goto out;
	out->entry = p.eh.entry;
	out->phnum = p.eh.phnum;
out:
	if (why)
		*why = p.why;
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

/* Reads section header i; the table was checked to be inside the image. */
static void read_shdr(const struct parse *p, unsigned i, struct shdr *sh)
{
	memcpy(sh, p->img + p->eh.shoff + (uint64_t)i * sizeof *sh, sizeof *sh);
}

/* Checks the section header table and loads the section name table into *names. */
static int section_table(struct parse *p, struct shdr *names)
{
	const struct ehdr *eh = &p->eh;
	if (eh->shoff == 0 || (eh->shnum == 0 && eh->shentsize == 0))
		return -ENOENT;
	if (eh->shentsize != sizeof(struct shdr))
		return bad(p, "wrong section header size (e_shentsize)");
	if (eh->shnum == 0 || eh->shstrndx == SHN_XINDEX)
		return bad(p, "extended section numbering: not supported");
	if (!inside(eh->shoff, (uint64_t)eh->shnum * sizeof(struct shdr), p->len))
		return bad(p, "section headers outside the file");
	if (eh->shstrndx == 0)
		return -ENOENT; /* no names */
	if (eh->shstrndx >= eh->shnum)
		return bad(p, "section name table index out of range (e_shstrndx)");
	read_shdr(p, eh->shstrndx, names);
	if (names->type != SHT_STRTAB || !inside(names->offset, names->size, p->len))
		return bad(p, "section name table malformed or outside the file");
	return 0;
}

/* Does the NUL-terminated name at table offset off equal want (n bytes)? */
static bool name_is(const struct parse *p, const struct shdr *names, uint32_t off, const char *want, size_t n)
{
	if (off >= names->size || n >= names->size - off)
		return false; /* want and its NUL would not fit */
	const char *s = (const char *)p->img + names->offset + off;
	return memcmp(s, want, n) == 0 && s[n] == '\0';
}

int elf_section_find(const void *image, size_t len, const char *name, struct elf_section *out,
		     const char **why)
{
	struct parse p = {.why = ""};
	struct shdr names, sh;
	bool found = false;
	size_t n = strlen(name);
	int err;
	memset(out, 0, sizeof *out);
	if ((err = read_header(&p, image, len)) != 0 || (err = section_table(&p, &names)) != 0)
		goto out;
	for (unsigned i = 1; i < p.eh.shnum; i++) {
		read_shdr(&p, i, &sh);
		if (!name_is(&p, &names, sh.name, name, n))
			continue;
		if (found) {
			err = bad(&p, "two sections with the name asked for");
			goto out;
		}
		if (sh.type != SHT_NOBITS && !inside(sh.offset, sh.size, p.len)) {
			err = bad(&p, "section bytes outside the file");
			goto out;
		}
		found = true;
		*out = (struct elf_section){sh.type == SHT_NOBITS ? NULL : p.img + sh.offset, sh.offset,
					    sh.size, sh.addr, sh.flags, sh.type};
	}
	err = found ? 0 : -ENOENT;
out:
	if (why)
		*why = err == -ENOENT ? "no such section" : p.why;
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}
