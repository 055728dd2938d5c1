/*
 * klog.h - the kernel log: levelled, timestamped lines on every console,
 * kept in a ring buffer for later reading; and panic().
 */
#ifndef KERNEL_LOG_KLOG_H
#define KERNEL_LOG_KLOG_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h" /* enum klog_level: arch logs too (its upcall block) */
#include "lib/lib.h"

/* One line: "[   1.234567] warn: text". Lines below the console level are
 * kept in the ring but not printed. */
void klog(enum klog_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void klog_set_level(enum klog_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int klog_level_parse(const char *name);
/* Where timestamps come from (the clock, once it is calibrated). */
void klog_set_clock(uint64_t (*now_ns)(void));

/* Kernel output without a prefix (banners, reports): console and ring. */
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Copies up to size bytes of the most recent log text; returns bytes copied. */
size_t klog_read(char *out, size_t size);
/* The same, but only what the console showed (lines at or above the console
 * level, and unprefixed output): for a console that starts late to replay. */
size_t klog_read_console(char *out, size_t size);

/* A broken kernel invariant: report, backtrace, tell the host, stop. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
