/*
 * test_sha256.c - SHA-256 against the FIPS 180-2 appendix vectors, the
 * padding boundaries (lengths around one block, digests from coreutils'
 * sha256sum), and the incremental interface fed in uneven pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sha256.h"
#include "unit.h"

static const char *hex(const uint8_t d[SHA256_DIGEST_SIZE])
{
	static char s[2 * SHA256_DIGEST_SIZE + 1];
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(s + 2 * i, 3, "%02x", d[i]);
	return s;
}

static const char *digest(const void *data, size_t len)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256(data, len, d);
	return hex(d);
}

TEST(sha256_fips_vectors)
{
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_STR(digest("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(digest(two_blocks, strlen(two_blocks)),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(digest("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_one_million_a_incrementally)
{
	char chunk[1000];
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	memset(chunk, 'a', sizeof chunk);
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, chunk, sizeof chunk);
	sha256_final(&c, d);
	CHECK_STR(hex(d), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_padding_boundaries)
{
	static const struct {
		size_t len;
		const char *want;
	} v[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
	};
	char a[128];
	memset(a, 'a', sizeof a);
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		CHECK_STR(digest(a, v[i].len), v[i].want);
}

/* Every split of a 200-byte message into three pieces gives the one-shot digest. */
TEST(sha256_pieces_match_one_shot)
{
	uint8_t msg[200], whole[SHA256_DIGEST_SIZE], d[SHA256_DIGEST_SIZE];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	sha256(msg, sizeof msg, whole);
	int bad = 0;
	for (size_t x = 0; x <= sizeof msg; x += 3) {
		for (size_t y = x; y <= sizeof msg; y += 5) {
			struct sha256_ctx c;
			sha256_init(&c);
			sha256_update(&c, msg, x);
			sha256_update(&c, msg + x, y - x);
			sha256_update(&c, msg + y, sizeof msg - y);
			sha256_final(&c, d);
			bad += memcmp(d, whole, sizeof d) != 0;
		}
	}
	CHECK_EQ(bad, 0);
}
