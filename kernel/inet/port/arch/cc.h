/*
 * arch/cc.h - lwIP's compiler and platform hooks for OptiOS (kernel/inet:
 * the port). lwIP is built freestanding with the kernel's flags: no C
 * library, so no <inttypes.h>, <ctype.h> or <unistd.h>; the few string
 * functions it uses are lib/'s (port/libc/string.h). Diagnostics go to the
 * kernel log; a failed lwIP assertion is a broken invariant of the stack,
 * which the kernel treats like its own (panic) - never reachable from
 * frame contents, which lwIP checks as input (the fuzz target
 * tests/fuzz/fuzz_net.c runs it with assertions on).
 */
#ifndef OPTIOS_LWIP_ARCH_CC_H
#define OPTIOS_LWIP_ARCH_CC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The compiler's <limits.h> may define SSIZE_MAX, and then lwIP expects
 * <unistd.h> to have given ssize_t. */
#ifdef SSIZE_MAX
typedef long ssize_t;
#endif

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

void inet_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void inet_port_assert(const char *msg, int line, const char *file) __attribute__((noreturn));
uint32_t inet_port_rand(void);

#define LWIP_PLATFORM_DIAG(x)     \
	do {                      \
		inet_port_diag x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) inet_port_assert((x), __LINE__, __FILE__)
#define LWIP_RAND() inet_port_rand()

#endif
