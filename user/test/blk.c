/* blk - raw sectors of a block device, for the tests (optios_blk, which
 * needs dev.block: granted in the test image only).
 *   blk info DEV                          sectors, sector size, counters
 *   blk write DEV SECTOR COUNT BYTE       fill COUNT sectors with BYTE
 *   blk read DEV SECTOR COUNT             print each sector's first byte and
 *                                         whether it is uniform
 *   blk flush DEV
 * Prints "blk: OP: ok" or "blk: OP: ERROR" (strerror); exit status 0 or 1. */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char buf[OPTIOS_BLK_MAX_SECTORS * 4096];

static int report(const char *op, int r)
{
	if (r < 0) {
		printf("blk: %s: %s\n", op, strerror(errno));
		return 1;
	}
	printf("blk: %s: ok\n", op);
	return 0;
}

static int info(const char *dev)
{
	struct optios_blk_info i;
	int r = optios_blk(OPTIOS_BLK_INFO, dev, 0, &i, 0);
	if (r == 0)
		printf("blk: %s: %llu sectors of %u bytes; reads %llu writes %llu flushes %llu errors %llu\n",
		       dev, (unsigned long long)i.sectors, i.sector_size, (unsigned long long)i.reads,
		       (unsigned long long)i.writes, (unsigned long long)i.flushes,
		       (unsigned long long)i.errors);
	return report("info", r);
}

static int readback(const char *dev, unsigned long long sector, unsigned long count)
{
	struct optios_blk_info i;
	if (optios_blk(OPTIOS_BLK_INFO, dev, 0, &i, 0) < 0)
		return report("read", -1);
	int r = optios_blk(OPTIOS_BLK_READ, dev, sector, buf, count);
	if (r == 0 && i.sector_size <= 4096) {
		for (unsigned long s = 0; s < count && s < OPTIOS_BLK_MAX_SECTORS; s++) {
			const unsigned char *p = buf + s * i.sector_size;
			int uniform = 1;
			for (unsigned b = 1; b < i.sector_size; b++)
				uniform &= p[b] == p[0];
			printf("blk: sector %llu: %02x%s\n", sector + s, p[0], uniform ? "" : " (mixed)");
		}
	}
	return report("read", r);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "info") == 0)
		return info(argv[2]);
	if (argc == 3 && strcmp(argv[1], "flush") == 0)
		return report("flush", optios_blk(OPTIOS_BLK_FLUSH, argv[2], 0, NULL, 0));
	if (argc == 5 && strcmp(argv[1], "read") == 0)
		return readback(argv[2], strtoull(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (argc == 6 && strcmp(argv[1], "write") == 0) {
		unsigned long count = strtoul(argv[4], NULL, 0);
		memset(buf, (int)strtoul(argv[5], NULL, 0), sizeof buf);
		return report("write",
			      optios_blk(OPTIOS_BLK_WRITE, argv[2], strtoull(argv[3], NULL, 0), buf, count));
	}
	fprintf(stderr, "usage: blk info|flush DEV | read DEV SECTOR COUNT | write DEV SECTOR COUNT BYTE\n");
	return 2;
}
