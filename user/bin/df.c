/* df - the disk store under /data (blocks, used, live, keys, seqs) and the
 * RAM /data's cache and /tmp hold (optios_store_info). */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <string.h>

static unsigned long long kib(unsigned long long blocks, unsigned bs)
{
	return blocks * bs / 1024;
}

int main(int argc, char **argv)
{
	struct optios_store_info s;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: df\n");
		return 2;
	}
	if (optios_store_info(&s) < 0) {
		fprintf(stderr, "df: %s\n", strerror(errno));
		return 1;
	}
	if (s.flags & OPTIOS_STORE_MOUNTED) {
		printf("/data  store on %s: %llu KiB, log %llu KiB, used %llu KiB, live %llu KiB, %llu "
		       "keys\n",
		       s.device, kib(s.blocks, s.block_size), kib(s.log_blocks, s.block_size),
		       kib(s.used_blocks, s.block_size), kib(s.live_blocks, s.block_size),
		       (unsigned long long)s.keys);
		printf("       committed %llu, durable %llu, %llu flushes, %llu blocks written since "
		       "boot%s%s\n",
		       (unsigned long long)s.committed_seq, (unsigned long long)s.durable_seq,
		       (unsigned long long)s.flushes, (unsigned long long)s.blocks_written,
		       (s.flags & OPTIOS_STORE_FAILED) ? "; the disk FAILED: read-only until reboot" : "",
		       (s.flags & OPTIOS_STORE_DATA_RO) ? "; /data read-only (larger than its RAM)" : "");
		printf("       RAM cache %llu KiB of %llu KiB\n", (unsigned long long)s.data_used / 1024,
		       (unsigned long long)s.data_limit / 1024);
	} else {
		printf("/data  in RAM (no disk store: nothing persists)\n");
	}
	printf("/tmp   RAM %llu KiB of %llu KiB\n", (unsigned long long)s.tmp_used / 1024,
	       (unsigned long long)s.tmp_limit / 1024);
	return 0;
}
