/*
 * unit.h - the host unit-test runner: TEST(name) defines a test, CHECK and
 * CHECK_EQ record failures (with file:line) and let the test go on. Tests
 * register themselves; unit.c runs them all (or those named on the command
 * line) and prints "host: N passed, M failed".
 */
#ifndef TESTS_HOST_UNIT_H
#define TESTS_HOST_UNIT_H

#include <stdio.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *what);
/* The whole file at path in a malloc'd buffer (free it), or NULL. */
unsigned char *unit_read_file(const char *path, size_t *len);

#define TEST(name)                                                                     \
	static void name(void);                                                        \
	__attribute__((constructor)) static void unit_reg_##name(void) { unit_register(#name, name); } \
	static void name(void)

#define CHECK(cond)                                           \
	do {                                                  \
		if (!(cond))                                  \
			unit_fail(__FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                                      \
	do {                                                                                \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);               \
		if (unit_a_ != unit_b_) {                                                   \
			char unit_m_[256];                                                  \
			snprintf(unit_m_, sizeof unit_m_, "%s == %s (%lld != %lld)", #a, #b, unit_a_, unit_b_); \
			unit_fail(__FILE__, __LINE__, unit_m_);                             \
		}                                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                                                  \
	do {                                                                                             \
		const char *unit_a_ = (a), *unit_b_ = (b);                                               \
		if (strcmp(unit_a_, unit_b_) != 0) {                                                     \
			char unit_m_[1024];                                                              \
			snprintf(unit_m_, sizeof unit_m_, "%s == %s (\"%.200s\" != \"%.200s\")", #a, #b, \
				 unit_a_, unit_b_);                                                      \
			unit_fail(__FILE__, __LINE__, unit_m_);                                          \
		}                                                                                        \
	} while (0)

#endif
