/* test_fmt.c - the kernel's formatter agrees with the C library's. */
#include <stdarg.h>
#include <string.h>

#include "lib/lib.h"
#include "unit.h"

/* Formats with both and compares text and returned length. */
static void same(const char *fmt, ...)
{
	char mine[128], libc[128];
	va_list a, b;
	va_start(a, fmt);
	va_copy(b, a);
	int n1 = kvsnprintf(mine, sizeof mine, fmt, a);
	int n2 = vsnprintf(libc, sizeof libc, fmt, b);
	va_end(a);
	va_end(b);
	CHECK_STR(mine, libc);
	CHECK_EQ(n1, n2);
}

TEST(fmt_matches_libc)
{
	same("plain");
	same("%d %i %u", -42, 7, 3000000000u);
	same("%x %X %#x %#X %#x %#08x", 0xbeefu, 0xbeefu, 0x10u, 0xabu, 0u, 0x1fu);
	same("%5d|%-5d|%05d", 42, 42, 42);
	same("%ld %lu %lx", -1L, (unsigned long)-1, 0xfffffffffUL);
	same("%lld %llu", (long long)-9000000000LL, 18000000000ULL);
	same("%zu %zd", (size_t)123, (ssize_t)-5);
	same("%s|%10s|%-10s|%.3s", "abc", "abc", "abc", "abcdef");
	same("%c%c", 'o', 'k');
	same("100%%");
	same("%hhu %hd", 300, 70000);
	same("%.5d %8.3d", 42, 7);
	same("%*d %-*d", 6, 1, 6, 2);
	same("%p", (void *)0x1234);
	same("%d", -2147483647 - 1);
	same("%lld", (long long)(-9223372036854775807LL - 1));
}

TEST(fmt_truncates_and_terminates)
{
	char buf[8];
	memset(buf, 'x', sizeof buf);
	int n = ksnprintf(buf, sizeof buf, "%s", "hello world");
	CHECK_EQ(n, 11);
	CHECK_STR(buf, "hello w");
	CHECK_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
	char one[1] = {'x'};
	CHECK_EQ(ksnprintf(one, 1, "abc"), 3);
	CHECK_EQ(one[0], '\0');
}

TEST(parse_u64_accepts_and_rejects)
{
	uint64_t v;
	CHECK_EQ(kparse_u64("1234", 4, &v), 0);
	CHECK_EQ(v, 1234);
	CHECK_EQ(kparse_u64("0x1F", 4, &v), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(kparse_u64("18446744073709551615", 20, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(kparse_u64("18446744073709551616", 20, &v), -1);
	CHECK_EQ(kparse_u64("12a", 3, &v), -1);
	CHECK_EQ(kparse_u64("", 0, &v), -1);
	CHECK_EQ(kparse_u64("0x", 2, &v), -1);
}
