/*
 * bootinfo.h - what the boot loader told us, in one loader-neutral form.
 *
 * bootinfo_parse() reads a multiboot2 (GRUB) or multiboot1 (QEMU -kernel)
 * information structure and fills struct bootinfo. It is plain C with no
 * hardware access: the caller supplies how to reach a physical address, so
 * the host unit tests run it on hand-built structures.
 */
#ifndef KERNEL_BOOT_BOOTINFO_H
#define KERNEL_BOOT_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOT_MAGIC 0x36d76289u
#define MB1_BOOT_MAGIC 0x2badb002u

#define BOOT_MAX_REGIONS 128
#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 256

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_region {
	uint64_t base, len;
	uint32_t type;
};

struct boot_module {
	uint64_t start, end; /* physical, end exclusive */
	char cmdline[64];
};

struct boot_fb {
	bool present;
	uint64_t addr; /* physical */
	uint32_t pitch, width, height;
	uint8_t bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct bootinfo {
	int protocol; /* 1 or 2 */
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	struct boot_region regions[BOOT_MAX_REGIONS];
	size_t region_count;
	struct boot_module modules[BOOT_MAX_MODULES];
	size_t module_count;
	struct boot_fb fb;
	bool rsdp_present;
	uint8_t rsdp[36]; /* a copy of the ACPI RSDP (v1: first 20 bytes) */
	uint64_t info_phys, info_size; /* the structure itself, to keep reserved */
};

/* Returns a pointer through which len bytes at physical address pa can be
 * read, or NULL if that range cannot be reached. */
typedef const void *(*boot_phys_fn)(uint64_t pa, size_t len);

/*
 * Fills *bi from the structure at physical address info_pa. Returns 0, or
 * -EINVAL for an unknown magic or a malformed structure (bi then holds what
 * was read before the fault). Never reads outside what phys() hands out.
 */
int bootinfo_parse(uint32_t magic, uint64_t info_pa, boot_phys_fn phys, struct bootinfo *bi);

/* Finds "key=value" in the command line; copies value into out (NUL-
 * terminated, truncated to size). Returns true if the key is present. */
bool bootinfo_arg(const struct bootinfo *bi, const char *key, char *out, size_t size);

/* Sum of usable bytes in the memory map. */
uint64_t bootinfo_usable_bytes(const struct bootinfo *bi);

#endif
