/*
 * klog.c - kernel log lines and panic.
 *
 * Formatting happens into a bounded stack buffer, so klog works before the
 * heap and in fault context. Each line is appended to a byte ring (the oldest
 * text is overwritten) and written to the console if its level is high enough.
 */
#include "klog.h"

#include <stdarg.h>

#include "arch.h"
#include "kernel/console/console.h"
#include "kernel/debug/debug.h"
#include "lib/ring.h"

static char ring_store[64 * 1024];
static struct ring ring = RING_INIT(ring_store);

static enum klog_level console_level = KLOG_INFO;
static uint64_t (*clock_now)(void);
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void klog_set_level(enum klog_level level)
{
	console_level = level;
}

int klog_level_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void klog_set_clock(uint64_t (*now_ns)(void))
{
	clock_now = now_ns;
}

static void vklog(enum klog_level level, const char *fmt, va_list ap)
{
	char line[512];
	uint64_t ns = clock_now ? clock_now() : 0;
	int n = ksnprintf(line, sizeof line, "[%5lu.%06lu] %s: ", (unsigned long)(ns / 1000000000),
			  (unsigned long)(ns / 1000 % 1000000), level_names[level]);
	n += kvsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	line[n] = '\0';
	uint64_t f = irq_save();
	ring_put_overwrite(&ring, line, (size_t)n);
	if (level >= console_level)
		con_write(line, (size_t)n);
	irq_restore(f);
}

void klog(enum klog_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	size_t len = MIN((size_t)n, sizeof buf - 1);
	uint64_t f = irq_save();
	ring_put_overwrite(&ring, buf, len);
	con_write(buf, len);
	irq_restore(f);
}

size_t klog_read(char *out, size_t size)
{
	uint64_t f = irq_save();
	size_t n = ring_copy_newest(&ring, out, size);
	irq_restore(f);
	return n;
}

/* The level of a line klog wrote ("[  1.000000] warn: ..."), or -1 for
 * other text (kprintf output). */
static int line_level(const char *line, size_t len)
{
	const char *close = memchr(line, ']', len);
	if (line[0] != '[' || !close)
		return -1;
	const char *name = close + 2, *end = line + len;
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		size_t n = strlen(level_names[i]);
		if (name + n + 1 <= end && strncmp(name, level_names[i], n) == 0 && name[n] == ':')
			return (int)i;
	}
	return -1;
}

size_t klog_read_console(char *out, size_t size)
{
	size_t n = klog_read(out, size), kept = 0;
	size_t start = 0;
	if (n == size) { /* the oldest line is probably cut: skip to the next */
		while (start < n && out[start++] != '\n')
			;
	}
	while (start < n) {
		size_t end = start;
		while (end < n && out[end] != '\n')
			end++;
		if (end < n)
			end++; /* keep the newline */
		int level = line_level(out + start, end - start);
		if (level < 0 || level >= (int)console_level) {
			memmove(out + kept, out + start, end - start);
			kept += end - start;
		}
		start = end;
	}
	return kept;
}

void panic(const char *fmt, ...)
{
	static int panicking;
	irq_disable();
	if (panicking++) /* a panic while panicking: stop at once */
		arch_halt_forever();
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("\n*** KERNEL PANIC: %s\n", buf);
	arch_backtrace_print(read_rbp());
	kprintf("*** system halted\n");
	debug_panicked();
	arch_halt_forever();
}
