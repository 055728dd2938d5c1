/*
 * elf_selftest.c - the ELF validator as built into the kernel (freestanding
 * flags, kernel memcpy) accepts a minimal static executable and refuses the
 * same image made dynamic or W+X.
 */
#include <optios/abi/errno.h>

#include "elf.h"
#include "kernel/test/selftest.h"
#include "lib/lib.h"

static uint8_t image[0x1100] __attribute__((aligned(8)));

static void put(size_t off, uint64_t v, size_t width) { memcpy(image + off, &v, width); }

/* ELF header, then one PT_LOAD (R+X, file offset 0x1000 at 0x401000) and one PT_GNU_STACK (RW). */
static void build(uint32_t type0)
{
	memset(image, 0, sizeof image);
	memcpy(image, "\177ELF\2\1\1", 7);
	put(16, 2, 2);         /* e_type ET_EXEC */
	put(18, 62, 2);        /* e_machine x86_64 */
	put(20, 1, 4);         /* e_version */
	put(24, 0x401000, 8);  /* e_entry */
	put(32, 64, 8);        /* e_phoff */
	put(52, 64, 2);        /* e_ehsize */
	put(54, 56, 2);        /* e_phentsize */
	put(56, 2, 2);         /* e_phnum */
	size_t ph = 64;
	put(ph, type0, 4);
	put(ph + 4, ELF_SEG_R | ELF_SEG_X, 4);
	put(ph + 8, 0x1000, 8);     /* p_offset */
	put(ph + 16, 0x401000, 8);  /* p_vaddr */
	put(ph + 32, 0x100, 8);     /* p_filesz */
	put(ph + 40, 0x100, 8);     /* p_memsz */
	put(ph + 48, 0x1000, 8);    /* p_align */
	put(ph + 56, 0x6474e551, 4); /* PT_GNU_STACK */
	put(ph + 60, ELF_SEG_R | ELF_SEG_W, 4);
}

SELFTEST(elf_parse_in_kernel)
{
	struct elf_image img;
	const char *why;
	build(1);
	ST_CHECK(elf_parse(image, sizeof image, &img, &why) == 0);
	ST_CHECK(img.nsegs == 1 && img.entry == 0x401000 && img.segs[0].filesz == 0x100);
	ST_CHECK(elf_parse(image, 0x10ff, &img, &why) == -ENOEXEC); /* text cut short */
	build(3); /* the segment becomes PT_INTERP */
	ST_CHECK(elf_parse(image, sizeof image, &img, &why) == -ENOEXEC && why[0]);
	build(1);
	put(64 + 4, ELF_SEG_W | ELF_SEG_X, 4);
	ST_CHECK(elf_parse(image, sizeof image, &img, &why) == -ENOEXEC);
	return 0;
}
