/*
 * aml.c - finding the \_S5 sleep type in AML without an interpreter.
 *
 * Entering S5 needs the SLP_TYPa/SLP_TYPb values the firmware publishes as
 *	Name (\_S5, Package () { a, b, ... })
 * which compiles to NameOp (0x08), optionally the root prefix '\', the name
 * "_S5_", PackageOp (0x12), a PkgLength (1-4 bytes), NumElements, then the
 * elements as constant integers (ZeroOp, OneOp, or Byte/Word/DWord/QWord
 * prefix + value). That is what nearly every firmware emits, so a byte scan
 * for it suffices. _S5 returned from a Method, or built from named objects,
 * is not understood: the caller gets -ENOENT and must fall back.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include <optios/abi/errno.h>

#include "acpi_internal.h"

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0A
#define AML_WORD 0x0B
#define AML_DWORD 0x0C
#define AML_QWORD 0x0E
#define AML_PACKAGE 0x12
#define AML_ONES 0xFF

/* Decodes a PkgLength at *pos (< end); advances *pos past it. */
static int pkg_length(const uint8_t *aml, size_t *pos, size_t end, size_t *out)
{
	uint8_t lead = aml[*pos];
	size_t extra = lead >> 6;
	if (end - *pos < extra + 1)
		return -EINVAL;
	size_t len = extra ? (lead & 0x0F) : (lead & 0x3F);
	for (size_t i = 0; i < extra; i++)
		len |= (size_t)aml[*pos + 1 + i] << (4 + 8 * i);
	*pos += extra + 1;
	*out = len;
	return 0;
}

/* Reads one constant integer element at *pos (< end); advances *pos. */
static int integer(const uint8_t *aml, size_t *pos, size_t end, uint64_t *out)
{
	static const uint8_t widths[] = {[AML_BYTE] = 1, [AML_WORD] = 2, [AML_DWORD] = 4, [AML_QWORD] = 8};
	uint8_t op = aml[(*pos)++];
	if (op == AML_ZERO || op == AML_ONE || op == AML_ONES) {
		*out = op == AML_ONES ? ~0ull : op;
		return 0;
	}
	if (op >= sizeof widths || widths[op] == 0 || end - *pos < widths[op])
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < widths[op]; i++)
		v |= (uint64_t)aml[*pos + i] << (8 * i);
	*pos += widths[op];
	*out = v;
	return 0;
}

/* Parses the package that starts at pos (the PackageOp). */
static int s5_package(const uint8_t *aml, size_t pos, size_t len, uint8_t *a, uint8_t *b)
{
	size_t start = ++pos, plen;
	if (pos >= len || pkg_length(aml, &pos, len, &plen) != 0)
		return -EINVAL;
	if (plen > len - start || plen < pos - start + 1)
		return -EINVAL;
	size_t end = start + plen;
	uint8_t count = aml[pos++];
	uint64_t v0, v1;
	if (count == 0 || pos >= end || integer(aml, &pos, end, &v0) != 0)
		return -EINVAL;
	if (count == 1) {
		/* old firmware: one integer, SLP_TYPa in bits 0-7, SLP_TYPb in 8-15 */
		v1 = v0 >> 8;
	} else if (pos >= end || integer(aml, &pos, end, &v1) != 0) {
		return -EINVAL;
	}
	*a = (uint8_t)(v0 & 7);
	*b = (uint8_t)(v1 & 7);
	return 0;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb)
{
	int result = -ENOENT;
	for (size_t i = 1; i + 5 <= len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		bool named =
			aml[i - 1] == AML_NAME || (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == AML_NAME);
		if (!named || aml[i + 4] != AML_PACKAGE)
			continue;
		if (s5_package(aml, i + 4, len, slp_typa, slp_typb) == 0)
			return 0;
		result = -EINVAL;
	}
	return result;
}
