/*
 * logtamper - alters a dump of the event log (log dump FILE) the way an
 * attacker would, for the audit tests (tests/system/test_audit.py):
 *
 *   logtamper flip FILE SEQ [BYTE]   flips the low bit of byte BYTE (default
 *                                    200: inside the text) of record #SEQ
 *   logtamper remove FILE SEQ        takes record #SEQ out
 *
 * The file is rewritten in place; prints what it did, exit status 1 when
 * the record is not in the dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RECORDS 4096

static struct optios_log_record recs[MAX_RECORDS];

static long load(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t have = 0;
	ssize_t got;
	while (have < sizeof recs && (got = read(fd, (char *)recs + have, sizeof recs - have)) > 0)
		have += (size_t)got;
	close(fd);
	return (long)(have / sizeof recs[0]);
}

static int store(const char *path, long n)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	size_t len = (size_t)n * sizeof recs[0], done = 0;
	ssize_t put = 0;
	while (done < len && (put = write(fd, (const char *)recs + done, len - done)) > 0)
		done += (size_t)put;
	return close(fd) < 0 || done < len ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "flip") && strcmp(argv[1], "remove"))) {
		fprintf(stderr, "usage: logtamper flip FILE SEQ [BYTE] | logtamper remove FILE SEQ\n");
		return 2;
	}
	unsigned long long seq = strtoull(argv[3], NULL, 10);
	unsigned long byte = argc > 4 ? strtoul(argv[4], NULL, 10) % sizeof recs[0] : 200;
	long n = load(argv[2]), k = 0;
	if (n < 0) {
		fprintf(stderr, "logtamper: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (k < n && recs[k].seq != seq)
		k++;
	if (k == n) {
		fprintf(stderr, "logtamper: no record #%llu in %s\n", seq, argv[2]);
		return 1;
	}
	if (argv[1][0] == 'f') {
		((unsigned char *)&recs[k])[byte] ^= 1;
		printf("logtamper: flipped byte %lu of record #%llu\n", byte, seq);
	} else {
		memmove(&recs[k], &recs[k + 1], (size_t)(n - k - 1) * sizeof recs[0]);
		n--;
		printf("logtamper: removed record #%llu\n", seq);
	}
	if (store(argv[2], n) < 0) {
		fprintf(stderr, "logtamper: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
