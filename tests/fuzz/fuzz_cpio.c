/*
 * fuzz_cpio.c - libFuzzer target for the newc reader: iteration ends (at the
 * trailer or with -EINVAL) without reading outside the archive, and every
 * entry it hands out lies inside it, its name NUL-terminated where it says.
 */
#include <string.h>

#include <optios/abi/errno.h>

#include "fuzz.h"
#include "kernel/fs/cpio.h"

static void check_entry(const struct cpio_entry *e, const uint8_t *data, size_t size)
{
	const uint8_t *name = (const uint8_t *)e->name;
	const uint8_t *bytes = e->data;
	FUZZ_ASSERT(name >= data && e->namelen >= 1 && (size_t)(name - data) + e->namelen < size);
	FUZZ_ASSERT(name[e->namelen] == '\0' && strlen(e->name) == e->namelen);
	FUZZ_ASSERT(bytes >= data && (size_t)(bytes - data) <= size && e->size <= size - (size_t)(bytes - data));
	fuzz_touch(bytes, e->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int r, n = 0;
	cpio_iter_init(&it, data, size);
	while ((r = cpio_next(&it, &e)) == 1) {
		check_entry(&e, data, size);
		n++;
		FUZZ_ASSERT((size_t)n <= size / (CPIO_HEADER_SIZE + 2)); /* each member takes room */
	}
	FUZZ_ASSERT(r == 0 || (r == -EINVAL && it.why[0] != '\0'));
	FUZZ_ASSERT(cpio_next(&it, &e) == r);
	r = cpio_find(data, size, "/etc/kernel.conf", &e);
	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EINVAL);
	if (r == 0)
		check_entry(&e, data, size);
	return 0;
}
