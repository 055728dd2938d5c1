/*
 * port.c - the operating-system hooks lwIP calls (arch/cc.h, lwipopts.h):
 * time, memory, diagnostics, random numbers.
 *
 * Memory: every lwIP allocation (pools and heap: MEM_LIBC_MALLOC,
 * MEMP_MEM_MALLOC) is a kernel heap block with a 16-byte header holding
 * its size, charged to one budget (net.memory_kib, /etc/kernel.conf). An
 * allocation past the budget fails (counted in `refused`); lwIP treats
 * that as it treats an empty pool: the frame or segment is dropped.
 * Invariant: in_use is the sum of the sizes (headers included) of the
 * blocks allocated and not yet freed.
 */
#include "lwip/opt.h"

#include "lwip/sys.h"

#include "kernel/inet/inet.h"
#include "kernel/inet/inet_internal.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/rand/rand.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define HDR 16

static uint64_t in_use, limit = 1024 * 1024, refused;

uint64_t inet_now_ms(void)
{
	return clock_now_ns() / NS_PER_MS;
}

u32_t sys_now(void)
{
	return (u32_t)inet_now_ms();
}

void inet_mem_set_limit(uint64_t bytes)
{
	limit = bytes;
}

void inet_mem_stats(struct inet_mem_stats *out)
{
	out->in_use = in_use;
	out->limit = limit;
	out->refused = refused;
}

void *inet_mem_alloc(size_t size)
{
	size_t total = size + HDR;
	if (total < size || in_use + total > limit) {
		refused++;
		return NULL;
	}
	uint8_t *p = kmalloc(total);
	if (!p) {
		refused++;
		return NULL;
	}
	*(size_t *)p = total;
	in_use += total;
	return p + HDR;
}

void *inet_mem_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = inet_mem_alloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void inet_mem_free(void *p)
{
	if (!p)
		return;
	uint8_t *b = (uint8_t *)p - HDR;
	in_use -= *(size_t *)b;
	kfree(b);
}

void inet_port_diag(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	klog(KLOG_DEBUG, "lwip: %s", buf);
}

void inet_port_assert(const char *msg, int line, const char *file)
{
	panic("lwip: %s (%s:%d)", msg, file, line);
}

uint32_t inet_port_rand(void)
{
	uint32_t v;
	rand_fill(&v, sizeof v);
	return v;
}

/* <stdlib.h>'s atoi for lwIP (port/libc/stdlib.h): decimal digits, no sign. */
int atoi(const char *s)
{
	int v = 0;
	while (*s >= '0' && *s <= '9' && v < 100000000)
		v = v * 10 + (*s++ - '0');
	return v;
}
