/* string.c - the mem and str functions for the freestanding kernel. */
#include "lib.h"

/* Eight bytes at a time where the length allows (x86 takes unaligned words),
 * 32 a loop turn for long runs (LONG_RUN bytes and more: a 4 KiB page is
 * ~1,500 instructions instead of ~2,800), in helpers of their own so that
 * the short copies, most of them, pay one comparison and no register saves;
 * the compiler must not turn these loops back into calls to themselves. */
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

#define LONG_RUN 256

/* memcpy of LONG_RUN bytes or more: a tail call from memcpy, so the short
 * copies save no registers for it. */
NO_LIBCALL __attribute__((noinline)) static void *copy_long(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (; n >= 32; n -= 32, d += 32, s += 32) {
		word_t a = ((const word_t *)s)[0], b = ((const word_t *)s)[1];
		word_t c = ((const word_t *)s)[2], e = ((const word_t *)s)[3];
		((word_t *)d)[0] = a;
		((word_t *)d)[1] = b;
		((word_t *)d)[2] = c;
		((word_t *)d)[3] = e;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(word_t *)d = *(const word_t *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}

/* memset of LONG_RUN bytes or more, w the byte repeated. */
NO_LIBCALL __attribute__((noinline)) static void *set_long(void *dst, uint64_t w, size_t n)
{
	unsigned char *d = dst;
	for (; n >= 32; n -= 32, d += 32) {
		((word_t *)d)[0] = w;
		((word_t *)d)[1] = w;
		((word_t *)d)[2] = w;
		((word_t *)d)[3] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(word_t *)d = w;
	while (n--)
		*d++ = (unsigned char)w;
	return dst;
}

NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	if (n >= LONG_RUN)
		return copy_long(dst, src, n);
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(word_t *)d = *(const word_t *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n); /* forward copy is safe */
	for (; n >= 8; n -= 8)
		*(word_t *)(d + n - 8) = *(const word_t *)(s + n - 8);
	while (n--)
		d[n] = s[n];
	return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	uint64_t w = 0x0101010101010101ull * (unsigned char)c;
	if (n >= LONG_RUN)
		return set_long(dst, w, n);
	unsigned char *d = dst;
	for (; n >= 8; n -= 8, d += 8)
		*(word_t *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
