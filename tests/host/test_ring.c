/* test_ring.c - the byte ring: both write policies, wrap-around, limits. */
#include <string.h>

#include "lib/ring.h"
#include "unit.h"

TEST(ring_put_refuses_what_does_not_fit)
{
	char store[8], out[16];
	struct ring r = RING_INIT(store);
	CHECK_EQ(ring_put(&r, "abcdef", 6), 6);
	CHECK_EQ(ring_put(&r, "ghijk", 5), 2); /* only 2 of 5 fit */
	CHECK_EQ(ring_used(&r), 8);
	CHECK_EQ(ring_get(&r, out, sizeof out), 8);
	CHECK(memcmp(out, "abcdefgh", 8) == 0);
	CHECK_EQ(ring_get(&r, out, sizeof out), 0);
}

TEST(ring_wraps_around_many_times)
{
	char store[4], out[4];
	struct ring r = RING_INIT(store);
	for (int i = 0; i < 1000; i++) {
		char in[3] = {(char)i, (char)(i + 1), (char)(i + 2)};
		CHECK_EQ(ring_put(&r, in, 3), 3);
		CHECK_EQ(ring_get(&r, out, 3), 3);
		CHECK(memcmp(in, out, 3) == 0);
	}
	CHECK_EQ(ring_used(&r), 0);
}

TEST(ring_overwrite_keeps_newest)
{
	char store[8], out[16];
	struct ring r = RING_INIT(store);
	ring_put_overwrite(&r, "0123456789", 10);
	CHECK_EQ(ring_used(&r), 8);
	CHECK_EQ(ring_copy_newest(&r, out, sizeof out), 8);
	CHECK(memcmp(out, "23456789", 8) == 0);
	CHECK_EQ(ring_copy_newest(&r, out, 3), 3);
	CHECK(memcmp(out, "789", 3) == 0);
	CHECK_EQ(ring_get(&r, out, 2), 2); /* reading takes the oldest */
	CHECK(memcmp(out, "23", 2) == 0);
}
