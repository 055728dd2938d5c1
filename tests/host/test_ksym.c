/* test_ksym.c - symbol lookup on a small hand-made table. */
#include <string.h>

#include "kernel/debug/ksym.h"
#include "unit.h"

const struct ksym ksym_table[] = {
	{0x1000, "alpha"},
	{0x1040, "beta"},
	{0x1100, "gamma"},
	{0x1200, "_text_end"},
};
const size_t ksym_count = 4;

TEST(ksym_lookup_finds_containing_function)
{
	uint64_t off = 99;
	CHECK_STR(ksym_lookup(0x1000, &off), "alpha");
	CHECK_EQ(off, 0);
	CHECK_STR(ksym_lookup(0x103f, &off), "alpha");
	CHECK_EQ(off, 0x3f);
	CHECK_STR(ksym_lookup(0x1040, &off), "beta");
	CHECK_STR(ksym_lookup(0x11ff, &off), "gamma");
	CHECK_EQ(off, 0xff);
}

TEST(ksym_lookup_rejects_outside_text)
{
	CHECK(ksym_lookup(0xfff, NULL) == NULL);
	CHECK(ksym_lookup(0x1200, NULL) == NULL);
	CHECK(ksym_lookup(0, NULL) == NULL);
}

TEST(ksym_address_by_name)
{
	CHECK_EQ(ksym_address("beta"), 0x1040);
	CHECK_EQ(ksym_address("nope"), 0);
}
