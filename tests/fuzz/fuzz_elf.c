/*
 * fuzz_elf.c - libFuzzer target for elf_parse() and elf_section_find(): no
 * input may read outside itself, and every image accepted must satisfy the
 * invariants elf.h promises to the loader.
 */
#include <optios/abi/errno.h>

#include "fuzz.h"
#include "kernel/exec/elf.h"

static void check_image(const struct elf_image *img, size_t size)
{
	FUZZ_ASSERT(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGMENTS);
	bool entry_ok = false;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		FUZZ_ASSERT(s->filesz <= s->memsz && s->memsz > 0);
		FUZZ_ASSERT(s->offset <= size && s->filesz <= size - s->offset);
		FUZZ_ASSERT(s->vaddr >= ELF_USER_BOTTOM && s->vaddr < ELF_USER_TOP);
		FUZZ_ASSERT(s->memsz <= ELF_USER_TOP - s->vaddr);
		FUZZ_ASSERT((s->flags & (ELF_SEG_W | ELF_SEG_X)) != (ELF_SEG_W | ELF_SEG_X));
		if (i > 0) {
			const struct elf_segment *p = &img->segs[i - 1];
			FUZZ_ASSERT(s->vaddr / 4096 > (p->vaddr + p->memsz - 1) / 4096);
		}
		if ((s->flags & ELF_SEG_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->filesz)
			entry_ok = true;
	}
	FUZZ_ASSERT(entry_ok);
	FUZZ_ASSERT(!(img->stack_flags & ELF_SEG_X));
	if (img->has_tls)
		FUZZ_ASSERT(img->tls.filesz <= img->tls.memsz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	struct elf_section sec;
	const char *why = NULL;
	int r = elf_parse(data, size, &img, &why);
	FUZZ_ASSERT(why != NULL);
	if (r == 0)
		check_image(&img, size);
	else
		FUZZ_ASSERT(r == -ENOEXEC && why[0] != '\0' && img.nsegs == 0);

	r = elf_section_find(data, size, ".optios.manifest", &sec, &why);
	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -ENOEXEC);
	if (r == 0 && sec.data) {
		FUZZ_ASSERT((const uint8_t *)sec.data >= data && sec.size <= size);
		FUZZ_ASSERT((size_t)((const uint8_t *)sec.data - data) <= size - sec.size);
		fuzz_touch(sec.data, sec.size);
	}
	return 0;
}
