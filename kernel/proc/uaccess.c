/*
 * uaccess.c - copying between the kernel and user memory (contract in
 * uaccess.h).
 *
 * Every access walks the process's page tables with vm_translate and copies
 * through the direct map; the user pointer itself is never dereferenced, so
 * SMAP needs no stac/clac and a bad pointer is an error code, never a kernel
 * fault. Pages must be user pages (VM_USER) of ordinary memory (not a device
 * mapping); a write needs VM_WRITE, or VM_COW which is broken first. A page
 * missing from the stack region is mapped as the CPU fault would have.
 */
#include "kernel/proc/uaccess.h"

#include "kernel/exec/exec.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess_internal.h"
#include "lib/lib.h"

bool uaccess_in_stack(uint64_t va)
{
	return va >= EXEC_STACK_LIMIT && va < EXEC_STACK_TOP;
}

int uaccess_fault_in(struct vm_space *s, uint64_t va, bool write)
{
	uint64_t pa;
	unsigned fl;
	va = ALIGN_DOWN(va, PAGE_SIZE);
	if (vm_translate(s, va, &pa, &fl) == 0) {
		if (!(fl & VM_USER) || (fl & VM_DEVICE))
			return -EFAULT;
		if (write && (fl & VM_COW))
			return vm_cow_break(s, va) == -ENOMEM ? -ENOMEM : 0;
		return write && !(fl & VM_WRITE) ? -EFAULT : 0;
	}
	if (!uaccess_in_stack(va))
		return -EFAULT;
	if (perm_memory(proc_current(), 1) != 0) /* the manifest's limit counts the stack too */
		return -ENOMEM;
	pa = exec_page_alloc();
	if (!pa)
		return -ENOMEM;
	int err = vm_map(s, va, pa, VM_USER | VM_WRITE);
	if (err)
		pmm_free(pa);
	return err;
}

/* The kernel address of user byte va (its page allowing the access), or NULL. */
static uint8_t *user_byte(struct vm_space *s, uint64_t va, bool write)
{
	uint64_t page = ALIGN_DOWN(va, PAGE_SIZE), pa;
	unsigned fl;
	for (int tries = 0; tries < 2; tries++) {
		if (vm_translate(s, page, &pa, &fl) == 0 && (fl & VM_USER) && !(fl & VM_DEVICE) &&
		    (!write || (fl & VM_WRITE)))
			return (uint8_t *)phys_to_virt(ALIGN_DOWN(pa, PAGE_SIZE)) + (va - page);
		if (tries || uaccess_fault_in(s, page, write) != 0)
			return NULL;
	}
	return NULL;
}

static bool range_ok(uint64_t va, size_t n)
{
	return va + n >= va && va + n <= VM_USER_END;
}

/* Copies n bytes between kernel buf and user va in space s, page by page. */
static int copy_user(struct vm_space *s, uint64_t va, void *buf, size_t n, bool to_user)
{
	if (n == 0)
		return 0;
	if (!s || !range_ok(va, n))
		return -EFAULT;
	uint8_t *k = buf;
	while (n) {
		size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		uint8_t *u = user_byte(s, va, to_user);
		if (!u)
			return -EFAULT;
		if (to_user)
			memcpy(u, k, chunk);
		else
			memcpy(k, u, chunk);
		va += chunk;
		k += chunk;
		n -= chunk;
	}
	return 0;
}

static struct vm_space *current_space(void)
{
	struct proc *p = proc_current();
	return p ? p->space : NULL;
}

int copy_from_user(void *dst, uptr src, size_t n)
{
	return copy_user(current_space(), src, dst, n, false);
}

int copy_to_user(uptr dst, const void *src, size_t n)
{
	return copy_user(current_space(), dst, (void *)src, n, true);
}

/* Length of the user string at src if a NUL comes within max bytes: the
 * length, -EFAULT, or -ENAMETOOLONG. Copies it to dst when dst is not NULL. */
static long user_string(struct vm_space *s, char *dst, uptr src, size_t max)
{
	size_t len = 0;
	while (len < max) {
		if (!s || !range_ok(src + len, 1))
			return -EFAULT;
		const uint8_t *u = user_byte(s, src + len, false);
		if (!u)
			return -EFAULT;
		size_t chunk = MIN(max - len, PAGE_SIZE - ((src + len) & (PAGE_SIZE - 1)));
		size_t take = 0;
		while (take < chunk && u[take])
			take++;
		bool nul = take < chunk;
		take += nul;
		if (dst)
			memcpy(dst + len, u, take);
		if (nul)
			return (long)(len + take - 1);
		len += take;
	}
	return -ENAMETOOLONG;
}

long strncpy_from_user(char *dst, uptr src, size_t max)
{
	if (max == 0)
		return -ENAMETOOLONG;
	return user_string(current_space(), dst, src, max);
}

/* Counts the strings of the user vector uv and their bytes (with NULs). */
static long strv_measure(struct vm_space *s, uptr uv, size_t max_count, size_t max_bytes, size_t *bytes)
{
	size_t count = 0;
	*bytes = 0;
	for (;; count++) {
		uint64_t p;
		if (copy_user(s, uv + count * 8, &p, sizeof p, false))
			return -EFAULT;
		if (!p)
			return (long)count;
		if (count == max_count)
			return -E2BIG;
		long len = user_string(s, NULL, p, max_bytes - *bytes + 1);
		if (len == -ENAMETOOLONG || (len >= 0 && *bytes + (size_t)len + 1 > max_bytes))
			return -E2BIG;
		if (len < 0)
			return len;
		*bytes += (size_t)len + 1;
	}
}

long copy_strv_from_user(char ***out, uptr uv, size_t max_count, size_t max_bytes)
{
	struct vm_space *s = current_space();
	size_t bytes;
	*out = NULL;
	long count = strv_measure(s, uv, max_count, max_bytes, &bytes);
	if (count < 0)
		return count;
	char **v = kmalloc((size_t)(count + 1) * sizeof(char *) + bytes);
	if (!v)
		return -ENOMEM;
	char *str = (char *)(v + count + 1);
	for (long i = 0; i < count; i++) {
		uint64_t p;
		long len;
		if (copy_user(s, uv + (uint64_t)i * 8, &p, sizeof p, false) ||
		    (len = user_string(s, str, p, bytes + 1)) < 0) {
			kfree(v);
			return -EFAULT;
		}
		v[i] = str;
		str += len + 1;
	}
	v[count] = NULL;
	*out = v;
	return count;
}
