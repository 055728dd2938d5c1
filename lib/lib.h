/*
 * lib.h - freestanding helpers shared by the kernel, host tools and programs.
 *
 * Theory of operation. lib is plain C that depends on nothing: it includes
 * only the compiler's freestanding headers, its own headers and the ABI
 * (tools/includes.allowed), never the kernel, arch or a driver, and keeps no
 * global state. So the same file builds three ways: into the kernel
 * (-ffreestanding), into host tools and the host unit tests (tools/policy,
 * tests/host: with the host's C library), and into programs (/bin/log links
 * logchain.c and sha256.c). What lib holds: this header (mem and str
 * functions, ksnprintf, number parsing, small macros), and one header per
 * topic - ring.h (byte ring), date.h (calendar dates), sha256.h, logchain.h
 * (the event log's audit chain), span.h (lines and tokens of text files),
 * topic.h (topic patterns), policy.h (capabilities, the policy and its
 * queries; the manifest parser's contract is optios/abi/manifest.h).
 *
 * In the kernel, string.c supplies the mem and str functions (gcc may emit
 * calls to memcpy/memset itself); on the host the C library's are used and
 * string.c is not built. Inputs are untrusted everywhere: the parsers here
 * bound every length, and the manifest and policy parsers are fuzzed
 * (tests/fuzz).
 */
#ifndef LIB_LIB_H
#define LIB_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/*
 * Formatting: a subset of printf. Conversions d i u x X p s c %, flags '-' '0' '#',
 * width and precision (also '*'), length modifiers hh h l ll z. Always
 * NUL-terminates when size > 0; returns the length the full output would have.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Parse an unsigned decimal or 0x-hex number; 0 on success, -1 if malformed. */
int kparse_u64(const char *s, size_t len, uint64_t *out);

#endif
