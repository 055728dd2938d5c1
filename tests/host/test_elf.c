/*
 * test_elf.c - ELF validation on images built here with the host's <elf.h>
 * (a good static executable, then one defect at a time), on every truncation,
 * on a real `musl-gcc -static` binary when the build made one
 * (HOST_HAVE_MUSL), and on this test program itself (dynamic: refused).
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optios/abi/errno.h>

#include "kernel/exec/elf.h"
#include "unit.h"

#ifndef HOST_DATA_DIR
#define HOST_DATA_DIR "build/host/data"
#endif
#ifndef HOST_HAVE_MUSL
#define HOST_HAVE_MUSL 0
#endif

#define TEXT_VA 0x401000
#define DATA_VA 0x402000
#define IMG_LEN 0x2010

/* An image under construction: ELF header, up to 16 program headers at 64,
 * the text at file offset 0x1000, the data at 0x2000, sections appended. */
struct img {
	_Alignas(8) uint8_t buf[0x4000];
	size_t len;
};

static Elf64_Ehdr *eh(struct img *m) { return (Elf64_Ehdr *)m->buf; }
static Elf64_Phdr *ph(struct img *m, int i) { return (Elf64_Phdr *)(m->buf + 64) + i; }

static int add_ph(struct img *m, uint32_t type, uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz,
		  uint64_t memsz, uint64_t align)
{
	int i = eh(m)->e_phnum++;
	*ph(m, i) = (Elf64_Phdr){type, flags, off, va, va, filesz, memsz, align};
	return i;
}

/* What musl-gcc -static makes, in small: headers, text, data + bss, TLS. */
static void good(struct img *m)
{
	memset(m, 0, sizeof *m);
	memcpy(eh(m)->e_ident, ELFMAG, SELFMAG);
	eh(m)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(m)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(m)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(m)->e_type = ET_EXEC;
	eh(m)->e_machine = EM_X86_64;
	eh(m)->e_version = EV_CURRENT;
	eh(m)->e_entry = TEXT_VA + 0x10;
	eh(m)->e_phoff = 64;
	eh(m)->e_ehsize = sizeof(Elf64_Ehdr);
	eh(m)->e_phentsize = sizeof(Elf64_Phdr);
	add_ph(m, PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200, 0x1000);
	add_ph(m, PT_LOAD, PF_R | PF_X, 0x1000, TEXT_VA, 0x100, 0x100, 0x1000);
	add_ph(m, PT_LOAD, PF_R | PF_W, 0x2000, DATA_VA, 0x10, 0x3000, 0x1000);
	add_ph(m, PT_TLS, PF_R, 0x2000, DATA_VA, 8, 24, 8);
	add_ph(m, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	add_ph(m, PT_NOTE, PF_R, 0x100, 0x400100, 0x20, 0x20, 4);
	memset(m->buf + 0x1000, 0xc3, 0x100);
	m->len = IMG_LEN;
}

/* Parses a private copy of exactly len bytes at an odd address, so ASan sees
 * any read past the end and unaligned access is exercised. */
static int parse_copy(const uint8_t *p, size_t len, struct elf_image *out, const char **why)
{
	uint8_t *copy = malloc(len + 1);
	memcpy(copy + 1, p, len);
	int r = elf_parse(copy + 1, len, out, why);
	for (unsigned i = 0; r == 0 && i < out->nsegs; i++)
		CHECK(out->segs[i].offset + out->segs[i].filesz <= len);
	free(copy);
	return r;
}

static int parse(struct img *m, const char **why)
{
	struct elf_image out;
	return parse_copy(m->buf, m->len, &out, why);
}

TEST(elf_accepts_static_executable)
{
	static struct img m;
	struct elf_image out;
	const char *why = "unset";
	good(&m);
	CHECK_EQ(parse_copy(m.buf, m.len, &out, &why), 0);
	CHECK_STR(why, "");
	CHECK_EQ(out.entry, TEXT_VA + 0x10);
	CHECK_EQ(out.nsegs, 3);
	CHECK_EQ(out.segs[0].vaddr, 0x400000);
	CHECK_EQ(out.segs[0].flags, ELF_SEG_R);
	CHECK_EQ(out.segs[1].flags, ELF_SEG_R | ELF_SEG_X);
	CHECK_EQ(out.segs[2].flags, ELF_SEG_R | ELF_SEG_W);
	CHECK_EQ(out.segs[2].filesz, 0x10);
	CHECK_EQ(out.segs[2].memsz, 0x3000);
	CHECK_EQ(out.segs[2].offset, 0x2000);
	CHECK(out.has_tls);
	CHECK_EQ(out.tls.vaddr, DATA_VA);
	CHECK_EQ(out.tls.filesz, 8);
	CHECK_EQ(out.tls.memsz, 24);
	CHECK_EQ(out.tls.align, 8);
	CHECK_EQ(out.phdr_vaddr, 0x400040);
	CHECK_EQ(out.phnum, 6);
	CHECK_EQ(out.stack_flags, ELF_SEG_R | ELF_SEG_W);
	/* a NULL why is allowed */
	CHECK_EQ(elf_parse(m.buf, m.len, &out, NULL), 0);
}

TEST(elf_every_truncation_is_refused)
{
	static struct img m;
	struct elf_image out;
	const char *why;
	good(&m);
	for (size_t len = 0; len < m.len; len++) {
		CHECK_EQ(parse_copy(m.buf, len, &out, &why), -ENOEXEC);
		CHECK(why && why[0]);
		CHECK_EQ(out.nsegs, 0); /* nothing half-filled is left */
	}
	CHECK_EQ(elf_parse(NULL, 100, &out, &why), -ENOEXEC);
}

/* One defect per case, applied to the good image. */
struct defect {
	const char *what;
	void (*apply)(struct img *m);
};

static void bad_magic(struct img *m) { m->buf[1] = 'e'; }
static void class32(struct img *m) { m->buf[EI_CLASS] = ELFCLASS32; }
static void big_endian(struct img *m) { m->buf[EI_DATA] = ELFDATA2MSB; }
static void ident_version(struct img *m) { m->buf[EI_VERSION] = 2; }
static void e_version(struct img *m) { eh(m)->e_version = 0; }
static void os_abi(struct img *m) { m->buf[EI_OSABI] = ELFOSABI_FREEBSD; }
static void machine(struct img *m) { eh(m)->e_machine = EM_AARCH64; }
static void relocatable(struct img *m) { eh(m)->e_type = ET_REL; }
static void pie(struct img *m) { eh(m)->e_type = ET_DYN; }
static void core(struct img *m) { eh(m)->e_type = ET_CORE; }
static void ehsize(struct img *m) { eh(m)->e_ehsize = 52; }
static void phentsize(struct img *m) { eh(m)->e_phentsize = 32; }
static void phnum0(struct img *m) { eh(m)->e_phnum = 0; }
static void phnum_huge(struct img *m) { eh(m)->e_phnum = 0xffff; }
static void phoff_past(struct img *m) { eh(m)->e_phoff = IMG_LEN - 56; }
static void phoff_wrap(struct img *m) { eh(m)->e_phoff = ~0ull - 8; }
static void interp(struct img *m) { add_ph(m, PT_INTERP, PF_R, 0x100, 0x400100, 0x10, 0x10, 1); }
static void dynamic(struct img *m) { add_ph(m, PT_DYNAMIC, PF_R | PF_W, 0x2000, DATA_VA, 0x10, 0x10, 8); }
static void filesz_gt_memsz(struct img *m) { ph(m, 1)->p_filesz = 0x101; }
static void off_past(struct img *m) { ph(m, 2)->p_offset = IMG_LEN - 8; }
static void off_wrap(struct img *m) { ph(m, 2)->p_offset = ~0ull - 4; ph(m, 2)->p_align = 0; }
static void filesz_wrap(struct img *m) { ph(m, 2)->p_filesz = ph(m, 2)->p_memsz = ~0ull; }
static void page0(struct img *m) { ph(m, 0)->p_vaddr = 0; }
static void page0_end(struct img *m) { ph(m, 0)->p_vaddr = 0xe00; ph(m, 0)->p_align = 0; }
static void kernel_half(struct img *m) { ph(m, 2)->p_vaddr = 0xffff800000002000ull; }
static void crosses_top(struct img *m) { ph(m, 2)->p_vaddr = ELF_USER_TOP - 0x2000; }
static void vaddr_wrap(struct img *m) { ph(m, 2)->p_memsz = ~0ull - 0x1000; }
static void memsz_wrap(struct img *m) { ph(m, 2)->p_memsz = 0 - (uint64_t)DATA_VA; }
static void wx(struct img *m) { ph(m, 1)->p_flags = PF_R | PF_W | PF_X; }
static void wx_data(struct img *m) { ph(m, 2)->p_flags = PF_W | PF_X; }
static void align3(struct img *m) { ph(m, 1)->p_align = 0x3000; }
static void align_huge(struct img *m) { ph(m, 1)->p_align = 1ull << 40; ph(m, 1)->p_vaddr = 1ull << 40; }
static void incongruent(struct img *m) { ph(m, 1)->p_vaddr = TEXT_VA + 0x10; eh(m)->e_entry += 0x10; }
static void overlap(struct img *m) { ph(m, 2)->p_vaddr = TEXT_VA + 0x80; ph(m, 2)->p_align = 0; }
static void share_page(struct img *m) { ph(m, 2)->p_vaddr = TEXT_VA + 0x800; ph(m, 2)->p_align = 0; }
static void out_of_order(struct img *m) { ph(m, 0)->p_vaddr = 0x500000; }
static void no_load(struct img *m) { for (int i = 0; i < 3; i++) ph(m, i)->p_type = PT_NULL; }
static void entry_data(struct img *m) { eh(m)->e_entry = DATA_VA; }
static void entry_bss(struct img *m) { ph(m, 1)->p_filesz = 0x10; ph(m, 1)->p_memsz = 0x100; }
static void entry_nowhere(struct img *m) { eh(m)->e_entry = 0x900000; }
static void entry_zero(struct img *m) { eh(m)->e_entry = 0; }
static void exec_stack(struct img *m) { ph(m, 4)->p_flags = PF_R | PF_W | PF_X; }
static void two_tls(struct img *m) { add_ph(m, PT_TLS, PF_R, 0x2000, DATA_VA, 8, 8, 8); }
static void tls_outside(struct img *m) { ph(m, 3)->p_vaddr = 0x600000; }
static void tls_past_file(struct img *m) { ph(m, 3)->p_filesz = 0x11; ph(m, 3)->p_memsz = 0x11; }
static void tls_sizes(struct img *m) { ph(m, 3)->p_filesz = 32; }
static void tls_align(struct img *m) { ph(m, 3)->p_align = 24; }
static void phdr_wrong(struct img *m) { add_ph(m, PT_PHDR, PF_R, 64, 0x400080, 56 * 7, 56 * 7, 8); }

static void too_many_loads(struct img *m)
{
	for (int i = 0; i < ELF_MAX_SEGMENTS; i++)
		add_ph(m, PT_LOAD, PF_R, 0x100, 0x500100 + 0x1000 * (uint64_t)i, 0x10, 0x10, 0x1000);
}

static const struct defect defects[] = {
	{"bad magic", bad_magic}, {"32-bit", class32}, {"big endian", big_endian},
	{"EI_VERSION", ident_version}, {"e_version", e_version}, {"FreeBSD ABI", os_abi},
	{"aarch64", machine}, {"ET_REL", relocatable}, {"ET_DYN", pie}, {"ET_CORE", core},
	{"e_ehsize", ehsize}, {"e_phentsize", phentsize}, {"no phdrs", phnum0}, {"0xffff phdrs", phnum_huge},
	{"phdrs past end", phoff_past}, {"phoff wraps", phoff_wrap}, {"PT_INTERP", interp},
	{"PT_DYNAMIC", dynamic}, {"filesz > memsz", filesz_gt_memsz}, {"offset past end", off_past},
	{"offset wraps", off_wrap}, {"filesz wraps", filesz_wrap}, {"page 0", page0},
	{"ends in page 0", page0_end}, {"kernel half", kernel_half}, {"crosses user top", crosses_top},
	{"vaddr + memsz wraps", vaddr_wrap}, {"memsz to 2^64", memsz_wrap}, {"W+X text", wx},
	{"W+X data", wx_data}, {"align 0x3000", align3}, {"align 2^40", align_huge},
	{"vaddr/offset incongruent", incongruent}, {"overlap", overlap}, {"share a page", share_page},
	{"out of order", out_of_order}, {"no PT_LOAD", no_load}, {"entry in data", entry_data},
	{"entry in bss", entry_bss}, {"entry nowhere", entry_nowhere}, {"entry 0", entry_zero},
	{"executable stack", exec_stack}, {"two PT_TLS", two_tls}, {"TLS outside", tls_outside},
	{"TLS past file part", tls_past_file}, {"TLS filesz > memsz", tls_sizes},
	{"TLS align 24", tls_align}, {"PT_PHDR wrong", phdr_wrong}, {"17 PT_LOADs", too_many_loads},
};

TEST(elf_refuses_each_defect)
{
	static struct img m;
	for (size_t i = 0; i < sizeof defects / sizeof *defects; i++) {
		const char *why = NULL;
		good(&m);
		defects[i].apply(&m);
		int r = parse(&m, &why);
		if (r != -ENOEXEC)
			printf("host:   %s: accepted (%d)\n", defects[i].what, r);
		CHECK_EQ(r, -ENOEXEC);
		CHECK(why && why[0]);
	}
}

TEST(elf_reasons_name_the_problem)
{
	static struct img m;
	const char *why;
	good(&m);
	interp(&m);
	CHECK_EQ(parse(&m, &why), -ENOEXEC);
	CHECK(strstr(why, "PT_INTERP") != NULL);
	good(&m);
	dynamic(&m);
	CHECK_EQ(parse(&m, &why), -ENOEXEC);
	CHECK(strstr(why, "PT_DYNAMIC") != NULL);
	good(&m);
	wx(&m);
	CHECK_EQ(parse(&m, &why), -ENOEXEC);
	CHECK(strstr(why, "W^X") != NULL);
	good(&m);
	pie(&m);
	CHECK_EQ(parse(&m, &why), -ENOEXEC);
	CHECK(strstr(why, "ET_DYN") != NULL);
}

/* Variants that are unusual but valid must still pass. */
static void ok_no_tls_no_stack(struct img *m) { ph(m, 3)->p_type = PT_NULL; ph(m, 4)->p_type = PT_NULL; }
static void ok_linux_abi(struct img *m) { m->buf[EI_OSABI] = ELFOSABI_LINUX; }
static void ok_empty_load(struct img *m) { add_ph(m, PT_LOAD, PF_R, 0, 0, 0, 0, 0); }
static void ok_align0(struct img *m)
{
	ph(m, 2)->p_align = 0;
	ph(m, 2)->p_vaddr = ph(m, 3)->p_vaddr = 0x402010;
}
static void ok_adjacent(struct img *m) { ph(m, 1)->p_memsz = 0x1000; } /* text ends where data starts */
static void ok_top(struct img *m) { ph(m, 2)->p_vaddr = ph(m, 3)->p_vaddr = ELF_USER_TOP - 0x3000; }
static void ok_phdr(struct img *m) { add_ph(m, PT_PHDR, PF_R, 64, 0x400040, 56 * 7, 56 * 7, 8); }
static void ok_tbss_only(struct img *m) { ph(m, 3)->p_filesz = 0; ph(m, 3)->p_vaddr = DATA_VA + 0x10; }
static void ok_stack_ro(struct img *m) { ph(m, 4)->p_flags = PF_R; }
static void ok_max_loads(struct img *m)
{
	for (int i = 0; i < ELF_MAX_SEGMENTS - 3; i++)
		add_ph(m, PT_LOAD, PF_R, 0x100, 0x500100 + 0x1000 * (uint64_t)i, 0x10, 0x10, 0x1000);
}

static const struct defect fine[] = {
	{"no TLS, no GNU_STACK", ok_no_tls_no_stack}, {"Linux OS ABI", ok_linux_abi},
	{"empty PT_LOAD", ok_empty_load}, {"align 0", ok_align0}, {"adjacent pages", ok_adjacent},
	{"at the user top", ok_top}, {"PT_PHDR", ok_phdr}, {"tbss only", ok_tbss_only},
	{"read-only stack", ok_stack_ro}, {"16 PT_LOADs", ok_max_loads},
};

TEST(elf_accepts_valid_variants)
{
	static struct img m;
	for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
		const char *why = NULL;
		good(&m);
		fine[i].apply(&m);
		int r = parse(&m, &why);
		if (r != 0)
			printf("host:   %s: refused: %s\n", fine[i].what, why);
		CHECK_EQ(r, 0);
	}
	struct elf_image out;
	good(&m);
	ok_stack_ro(&m);
	CHECK_EQ(elf_parse(m.buf, m.len, &out, NULL), 0);
	CHECK_EQ(out.stack_flags, ELF_SEG_R);
	good(&m);
	ok_max_loads(&m);
	CHECK_EQ(elf_parse(m.buf, m.len, &out, NULL), 0);
	CHECK_EQ(out.nsegs, ELF_MAX_SEGMENTS);
}

/* Appends a name table and section headers: NULL, .text, the named ones, .shstrtab. */
static void add_sections(struct img *m, const char *const *names, int n, const char *content)
{
	size_t strtab = m->len;
	uint32_t offs[8];
	m->buf[m->len++] = 0;
	for (int i = 0; i < n; i++) {
		offs[i] = (uint32_t)(m->len - strtab);
		memcpy(m->buf + m->len, names[i], strlen(names[i]) + 1);
		m->len += strlen(names[i]) + 1;
	}
	uint32_t shstr_name = (uint32_t)(m->len - strtab);
	memcpy(m->buf + m->len, ".shstrtab", 10);
	m->len += 10;
	size_t data = m->len;
	memcpy(m->buf + m->len, content, strlen(content));
	m->len += strlen(content);
	m->len = (m->len + 7) & ~(size_t)7;
	Elf64_Shdr *sh = (Elf64_Shdr *)(m->buf + m->len);
	eh(m)->e_shoff = m->len;
	eh(m)->e_shentsize = sizeof(Elf64_Shdr);
	eh(m)->e_shnum = (uint16_t)(n + 2);
	eh(m)->e_shstrndx = (uint16_t)(n + 1);
	memset(sh, 0, sizeof(Elf64_Shdr) * (size_t)(n + 2));
	for (int i = 0; i < n; i++)
		sh[1 + i] = (Elf64_Shdr){.sh_name = offs[i], .sh_type = SHT_PROGBITS, .sh_offset = data,
					 .sh_size = strlen(content), .sh_addralign = 1};
	sh[n + 1] = (Elf64_Shdr){.sh_name = shstr_name, .sh_type = SHT_STRTAB, .sh_offset = strtab,
				 .sh_size = data - strtab, .sh_addralign = 1};
	m->len += sizeof(Elf64_Shdr) * (size_t)(n + 2);
}

static int find(struct img *m, const char *name, struct elf_section *s)
{
	const char *why;
	uint8_t *copy = malloc(m->len + 1);
	memcpy(copy, m->buf, m->len);
	int r = elf_section_find(copy, m->len, name, s, &why);
	CHECK(why && (r == 0 || why[0]));
	if (r == 0 && s->data) {
		CHECK((const uint8_t *)s->data >= copy && (const uint8_t *)s->data + s->size <= copy + m->len);
		s->data = m->buf + ((const uint8_t *)s->data - copy);
	}
	free(copy);
	return r;
}

TEST(elf_finds_sections)
{
	static struct img m;
	static const char *const names[] = {".text", ".optios.manifest", ".optios"};
	struct elf_section s;
	good(&m);
	add_sections(&m, names, 3, "name = x\n");
	CHECK_EQ(find(&m, ".optios.manifest", &s), 0);
	CHECK_EQ(s.size, 9);
	CHECK(s.data && memcmp(s.data, "name = x\n", 9) == 0);
	CHECK_EQ(s.type, SHT_PROGBITS);
	CHECK_EQ(find(&m, ".optios", &s), 0);
	CHECK_EQ(find(&m, ".shstrtab", &s), 0);
	CHECK_EQ(s.type, SHT_STRTAB);
	CHECK_EQ(find(&m, ".optio", &s), -ENOENT);
	CHECK_EQ(find(&m, ".optios.manifest2", &s), -ENOENT);
	CHECK_EQ(find(&m, ".data", &s), -ENOENT);
	good(&m);
	CHECK_EQ(find(&m, ".text", &s), -ENOENT); /* no section headers at all */
}

TEST(elf_section_lookup_is_bounded)
{
	static struct img m, base;
	static const char *const names[] = {".a", ".optios.manifest"};
	struct elf_section s;
	good(&base);
	add_sections(&base, names, 2, "0123456789");
	Elf64_Shdr *sh = (Elf64_Shdr *)(base.buf + eh(&base)->e_shoff);
	size_t full = base.len;
	/* every truncation: found only if everything it needs is there */
	for (size_t len = 0; len < full; len++) {
		m = base;
		m.len = len;
		int r = find(&m, ".optios.manifest", &s);
		CHECK(r == -ENOEXEC || (r == 0 && len >= eh(&base)->e_shoff + 4 * sizeof(Elf64_Shdr)));
	}
	struct {
		const char *what;
		size_t field;   /* byte offset inside the image */
		uint64_t value; /* stored with the field's width */
		int width, want;
	} cases[] = {
		{"shentsize", offsetof(Elf64_Ehdr, e_shentsize), 40, 2, -ENOEXEC},
		{"shnum huge", offsetof(Elf64_Ehdr, e_shnum), 0xff00, 2, -ENOEXEC},
		{"shnum 0 (extended)", offsetof(Elf64_Ehdr, e_shnum), 0, 2, -ENOEXEC},
		{"shstrndx out of range", offsetof(Elf64_Ehdr, e_shstrndx), 4, 2, -ENOEXEC},
		{"shstrndx XINDEX", offsetof(Elf64_Ehdr, e_shstrndx), SHN_XINDEX, 2, -ENOEXEC},
		{"shstrndx none", offsetof(Elf64_Ehdr, e_shstrndx), 0, 2, -ENOENT},
		{"shoff wraps", offsetof(Elf64_Ehdr, e_shoff), ~0ull - 63, 8, -ENOEXEC},
		{"strtab not STRTAB", (uint8_t *)&sh[3].sh_type - base.buf, SHT_PROGBITS, 4, -ENOEXEC},
		{"strtab past end", (uint8_t *)&sh[3].sh_size - base.buf, 0x10000, 8, -ENOEXEC},
		{"strtab offset wraps", (uint8_t *)&sh[3].sh_offset - base.buf, ~0ull, 8, -ENOEXEC},
		{"name offset past table", (uint8_t *)&sh[2].sh_name - base.buf, 0xffffffff, 4, -ENOENT},
		{"data past end", (uint8_t *)&sh[2].sh_size - base.buf, 0x10000, 8, -ENOEXEC},
		{"data offset wraps", (uint8_t *)&sh[2].sh_offset - base.buf, ~0ull - 2, 8, -ENOEXEC},
		{"NOBITS past end is fine", (uint8_t *)&sh[2].sh_type - base.buf, SHT_NOBITS, 4, 0},
		{"duplicate name", (uint8_t *)&sh[1].sh_name - base.buf, sh[2].sh_name, 4, -ENOEXEC},
		{"not ELF", 0, 0, 1, -ENOEXEC},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		m = base;
		memcpy(m.buf + cases[i].field, &cases[i].value, (size_t)cases[i].width);
		if (cases[i].want == 0) /* NOBITS: the size may be anything */
			memcpy(m.buf + ((uint8_t *)&sh[2].sh_size - base.buf), &(uint64_t){1ull << 40}, 8);
		int r = find(&m, ".optios.manifest", &s);
		if (r != cases[i].want)
			printf("host:   %s: got %d\n", cases[i].what, r);
		CHECK_EQ(r, cases[i].want);
	}
	/* a name running to the very end of the table without its NUL */
	m = base;
	Elf64_Shdr *msh = (Elf64_Shdr *)(m.buf + eh(&m)->e_shoff);
	msh[3].sh_size = msh[2].sh_name + strlen(".optios.manifest");
	CHECK_EQ(find(&m, ".optios.manifest", &s), -ENOENT);
	msh[3].sh_size++;
	CHECK_EQ(find(&m, ".optios.manifest", &s), 0);
}

TEST(elf_accepts_real_musl_static_binary)
{
	size_t len = 0;
	uint8_t *buf = unit_read_file(HOST_DATA_DIR "/musl_static.elf", &len);
	if (!buf) {
		CHECK(!HOST_HAVE_MUSL); /* the build made one if it could */
		printf("host:   (no musl-gcc: %s/musl_static.elf not built, skipped)\n", HOST_DATA_DIR);
		return;
	}
	struct elf_image out;
	struct elf_section s;
	const char *why = NULL;
	int r = parse_copy(buf, len, &out, &why);
	if (r)
		printf("host:   musl binary refused: %s\n", why);
	CHECK_EQ(r, 0);
	/* compare with what the host's own view of the headers says */
	Elf64_Ehdr e;
	memcpy(&e, buf, sizeof e);
	int loads = 0, tls = 0;
	for (int i = 0; i < e.e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, buf + e.e_phoff + (size_t)i * sizeof p, sizeof p);
		loads += p.p_type == PT_LOAD && p.p_memsz > 0;
		tls += p.p_type == PT_TLS;
	}
	CHECK_EQ(out.entry, e.e_entry);
	CHECK_EQ(out.nsegs, loads);
	CHECK_EQ(out.has_tls, tls == 1);
	CHECK(out.phdr_vaddr != 0);
	CHECK_EQ(out.phnum, e.e_phnum);
	CHECK_EQ(elf_section_find(buf, len, ".optios.manifest", &s, &why), 0);
	CHECK(s.data && s.size == sizeof "name = hello\nversion = 1\n" &&
	      memcmp(s.data, "name = hello\nversion = 1\n", s.size) == 0);
	CHECK_EQ(elf_section_find(buf, len, ".tdata", &s, &why), 0);
	CHECK_EQ(s.addr, out.tls.vaddr);
	free(buf);
}

TEST(elf_refuses_this_dynamic_test_program)
{
	size_t len = 0;
	uint8_t *buf = unit_read_file("/proc/self/exe", &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	struct elf_image out;
	const char *why = NULL;
	CHECK_EQ(parse_copy(buf, len, &out, &why), -ENOEXEC);
	CHECK(why && (strstr(why, "ET_DYN") || strstr(why, "PT_INTERP")));
	free(buf);
}
