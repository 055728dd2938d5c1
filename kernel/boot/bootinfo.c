/*
 * bootinfo.c - parse multiboot1 and multiboot2 information into struct bootinfo.
 *
 * Everything the loader hands us is treated as untrusted input: every read goes
 * through phys() with its length, tag and entry sizes are checked against the
 * space that contains them, and strings are copied bounded.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "bootinfo.h"

#include <optios/abi/errno.h>

#include "lib/lib.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void copy_str(char *dst, size_t size, const uint8_t *src, size_t avail)
{
	size_t n = strnlen((const char *)src, avail);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copies a NUL-terminated string at physical address pa (at most size-1 bytes). */
static void copy_phys_str(char *dst, size_t size, uint64_t pa, boot_phys_fn phys)
{
	dst[0] = '\0';
	const uint8_t *s = phys(pa, size);
	if (s)
		copy_str(dst, size, s, size);
}

static void add_region(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->region_count >= BOOT_MAX_REGIONS || len == 0)
		return;
	if (type < BOOT_MEM_USABLE || type > BOOT_MEM_BAD)
		type = BOOT_MEM_RESERVED;
	bi->regions[bi->region_count++] = (struct boot_region){base, len, type};
}

static void add_module(struct bootinfo *bi, uint64_t start, uint64_t end, const uint8_t *name, size_t avail)
{
	if (bi->module_count >= BOOT_MAX_MODULES || end < start)
		return;
	struct boot_module *m = &bi->modules[bi->module_count++];
	m->start = start;
	m->end = end;
	copy_str(m->cmdline, sizeof m->cmdline, name, avail);
}

static void set_fb(struct bootinfo *bi, const uint8_t *p)
{
	/* p: addr u64, pitch, width, height u32, bpp u8, type u8, then colour info */
	if (p[21] != 1) /* only direct RGB; 0 is indexed, 2 is EGA text */
		return;
	bi->fb = (struct boot_fb){
		.present = true,
		.addr = rd64(p),
		.pitch = rd32(p + 8),
		.width = rd32(p + 12),
		.height = rd32(p + 16),
		.bpp = p[20],
	};
}

static int parse_mb2(uint64_t info_pa, boot_phys_fn phys, struct bootinfo *bi)
{
	const uint8_t *hdr = phys(info_pa, 8);
	if (!hdr)
		return -EINVAL;
	uint32_t total = rd32(hdr);
	if (total < 16 || total > (1u << 20))
		return -EINVAL;
	const uint8_t *base = phys(info_pa, total);
	if (!base)
		return -EINVAL;
	bi->info_size = total;

	for (uint32_t off = 8; off + 8 <= total;) {
		const uint8_t *t = base + off;
		uint32_t type = rd32(t), size = rd32(t + 4);
		if (size < 8 || size > total - off)
			return -EINVAL;
		const uint8_t *body = t + 8;
		uint32_t blen = size - 8;
		switch (type) {
		case 0:
			return 0;
		case 1:
			copy_str(bi->cmdline, sizeof bi->cmdline, body, blen);
			break;
		case 2:
			copy_str(bi->loader, sizeof bi->loader, body, blen);
			break;
		case 3:
			if (blen >= 8)
				add_module(bi, rd32(body), rd32(body + 4), body + 8, blen - 8);
			break;
		case 6: {
			if (blen < 8)
				return -EINVAL;
			uint32_t esize = rd32(body);
			if (esize < 24)
				return -EINVAL;
			for (uint32_t e = 8; e + esize <= blen; e += esize)
				add_region(bi, rd64(body + e), rd64(body + e + 8), rd32(body + e + 16));
			break;
		}
		case 8:
			if (blen >= 30) {
				set_fb(bi, body);
				if (bi->fb.present) {
					bi->fb.red_pos = body[24], bi->fb.red_size = body[25];
					bi->fb.green_pos = body[26], bi->fb.green_size = body[27];
					bi->fb.blue_pos = body[28], bi->fb.blue_size = body[29];
				}
			}
			break;
		case 14:
		case 15:
			if (blen >= 20) {
				memcpy(bi->rsdp, body, MIN(blen, sizeof bi->rsdp));
				bi->rsdp_present = true;
			}
			break;
		}
		off += ALIGN_UP(size, 8u);
	}
	return -EINVAL; /* no end tag */
}

static int parse_mb1(uint64_t info_pa, boot_phys_fn phys, struct bootinfo *bi)
{
	const uint8_t *mbi = phys(info_pa, 116);
	if (!mbi)
		return -EINVAL;
	uint32_t flags = rd32(mbi);
	bi->info_size = 116;

	if (flags & (1 << 2))
		copy_phys_str(bi->cmdline, sizeof bi->cmdline, rd32(mbi + 16), phys);
	if (flags & (1 << 9))
		copy_phys_str(bi->loader, sizeof bi->loader, rd32(mbi + 64), phys);
	if (flags & (1 << 3)) {
		uint32_t count = rd32(mbi + 20);
		const uint8_t *mods = phys(rd32(mbi + 24), (size_t)MIN(count, BOOT_MAX_MODULES) * 16);
		for (uint32_t i = 0; mods && i < count && i < BOOT_MAX_MODULES; i++) {
			const uint8_t *m = mods + 16 * i;
			char name[64];
			copy_phys_str(name, sizeof name, rd32(m + 8), phys);
			add_module(bi, rd32(m), rd32(m + 4), (const uint8_t *)name, sizeof name);
		}
	}
	if (flags & (1 << 6)) {
		uint32_t len = rd32(mbi + 44);
		const uint8_t *map = phys(rd32(mbi + 48), len);
		if (!map)
			return -EINVAL;
		for (uint32_t off = 0; off + 24 <= len;) {
			uint32_t size = rd32(map + off);
			if (size < 20)
				return -EINVAL;
			add_region(bi, rd64(map + off + 4), rd64(map + off + 12), rd32(map + off + 20));
			off += size + 4;
		}
	} else if (flags & (1 << 0)) {
		/* No map: lower memory from 0 and upper memory from 1 MiB. */
		add_region(bi, 0, (uint64_t)rd32(mbi + 4) * 1024, BOOT_MEM_USABLE);
		add_region(bi, 1 << 20, (uint64_t)rd32(mbi + 8) * 1024, BOOT_MEM_USABLE);
	}
	if (flags & (1 << 12)) {
		set_fb(bi, mbi + 88);
		if (bi->fb.present) {
			const uint8_t *c = mbi + 110;
			bi->fb.red_pos = c[0], bi->fb.red_size = c[1];
			bi->fb.green_pos = c[2], bi->fb.green_size = c[3];
			bi->fb.blue_pos = c[4], bi->fb.blue_size = c[5];
		}
	}
	return 0;
}

int bootinfo_parse(uint32_t magic, uint64_t info_pa, boot_phys_fn phys, struct bootinfo *bi)
{
	memset(bi, 0, sizeof *bi);
	bi->info_phys = info_pa;
	if (magic == MB2_BOOT_MAGIC) {
		bi->protocol = 2;
		return parse_mb2(info_pa, phys, bi);
	}
	if (magic == MB1_BOOT_MAGIC) {
		bi->protocol = 1;
		return parse_mb1(info_pa, phys, bi);
	}
	return -EINVAL;
}

bool bootinfo_arg(const struct bootinfo *bi, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = bi->cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t wlen = (size_t)(p - w);
		if (wlen < klen || strncmp(w, key, klen) != 0)
			continue;
		if (wlen == klen || w[klen] == '=') {
			const char *v = wlen == klen ? w + klen : w + klen + 1;
			size_t vlen = (size_t)(p - v);
			if (size) {
				size_t n = MIN(vlen, size - 1);
				memcpy(out, v, n);
				out[n] = '\0';
			}
			return true;
		}
	}
	return false;
}

uint64_t bootinfo_usable_bytes(const struct bootinfo *bi)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < bi->region_count; i++)
		if (bi->regions[i].type == BOOT_MEM_USABLE)
			sum += bi->regions[i].len;
	return sum;
}
