/*
 * durable - file durability on /data, for tests/system/test_store.py:
 *
 *   durable write PATH TEXT      PATH := TEXT (O_CREAT|O_TRUNC), fsync; "synced"
 *   durable replace PATH TEXT    PATH.tmp := TEXT, fsync, rename over PATH,
 *                                fsync; "synced" (the old file or the new,
 *                                whole, whatever the instant of a crash)
 *   durable loop PATH N          N times: durable replace PATH "round I";
 *                                prints "round I synced" after each
 *   durable fill PATH            writes 16 KiB pieces until a call fails;
 *                                "filled N bytes, then ERRNO"
 *   durable cat PATH             the bytes of PATH, or "ERRNO"
 *   durable group N K            N children at once, each K times write +
 *                                fsync of its own file /data/gI; then
 *                                "group: F fsyncs, D flushes" (the device's
 *                                flushes meanwhile: fewer than F when fsyncs
 *                                that queued during a flush shared the next)
 *   durable watch TRIGGER PATH   creates TRIGGER (a file: event for a handler),
 *                                then polls PATH every millisecond until it
 *                                has bytes: "saw N bytes after T ms: durable
 *                                D of C committed" (the store's seqs right
 *                                after), or "PATH: nothing after 10 s"
 *
 * Errors print "durable: CALL: ERRNO" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	case EFBIG: return "EFBIG";
	case EROFS: return "EROFS";
	default: return strerror(e);
	}
}

static int fail(const char *call)
{
	printf("durable: %s: %s\n", call, errno_name(errno));
	return 1;
}

/* path := text, fsync'd. 0 or the failing call's exit status. */
static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open");
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n)
		return fail("write");
	if (fsync(fd) < 0)
		return fail("fsync");
	close(fd);
	return 0;
}

static int replace(const char *path, const char *text)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int r = put(tmp, text);
	if (r)
		return r;
	if (rename(tmp, path) < 0)
		return fail("rename");
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fsync(fd) < 0) /* the rename: every earlier change is synced with it */
		return fail("fsync");
	close(fd);
	return 0;
}

static int fill(const char *path)
{
	static char piece[16384];
	memset(piece, 'x', sizeof piece);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open");
	unsigned long long total = 0;
	for (;;) {
		ssize_t w = write(fd, piece, sizeof piece);
		if (w < 0)
			break;
		total += (unsigned long long)w;
	}
	int e = errno;
	printf("filled %llu bytes, then %s\n", total, errno_name(e));
	close(fd);
	return 0;
}

static int cat(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s\n", errno_name(errno));
		return 0;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	printf("\n");
	close(fd);
	return 0;
}

static int group(int n, int k)
{
	struct optios_store_info a, b;
	if (optios_store_info(&a) < 0)
		return fail("optios_store_info");
	int pids[16];
	if (n < 1 || n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		char path[32], count[16];
		snprintf(path, sizeof path, "/data/g%d", i);
		snprintf(count, sizeof count, "%d", k);
		char *argv[] = {"durable", "loop", path, count, NULL};
		char *envp[] = {"DURABLE_QUIET=1", NULL};
		pids[i] = optios_spawn("/test/durable", argv, envp, 0);
		if (pids[i] < 0)
			return fail("spawn");
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	if (optios_store_info(&b) < 0)
		return fail("optios_store_info");
	/* each round of loop: two fsyncs (the temporary, then the rename) */
	printf("group: %d fsyncs, %llu flushes%s\n", 2 * n * k,
	       (unsigned long long)(b.device_flushes - a.device_flushes), bad ? ", a child failed" : "");
	return bad ? 1 : 0;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The output gate seen by a program: PATH, written by a handler's run that
 * TRIGGER starts, shows only once that run's commit is durable. */
static int watch(const char *trigger, const char *path)
{
	long t0 = now_ms();
	int fd = open(trigger, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open");
	close(fd);
	char buf[256];
	while (now_ms() - t0 < 10000) {
		fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			long ms = now_ms() - t0;
			struct optios_store_info s;
			if (optios_store_info(&s) < 0)
				return fail("optios_store_info");
			printf("saw %ld bytes after %ld ms: durable %llu of %llu committed\n", (long)n, ms,
			       (unsigned long long)s.durable_seq, (unsigned long long)s.committed_seq);
			return 0;
		}
		struct timespec ms1 = {0, 1000000};
		nanosleep(&ms1, NULL);
	}
	printf("%s: nothing after 10 s\n", path);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && strcmp(argv[1], "write") == 0) {
		int r = put(argv[2], argv[3]);
		if (!r)
			printf("synced\n");
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "replace") == 0) {
		int r = replace(argv[2], argv[3]);
		if (!r)
			printf("synced\n");
		return r;
	}
	bool quiet = getenv("DURABLE_QUIET") != NULL;
	if (argc == 4 && strcmp(argv[1], "loop") == 0) {
		for (int i = 1; i <= atoi(argv[3]); i++) {
			char text[32];
			snprintf(text, sizeof text, "round %d", i);
			if (replace(argv[2], text))
				return 1;
			if (!quiet)
				printf("round %d synced\n", i);
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "group") == 0)
		return group(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2]);
	if (argc == 3 && strcmp(argv[1], "cat") == 0)
		return cat(argv[2]);
	if (argc == 4 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2], argv[3]);
	fprintf(stderr, "usage: durable write|replace PATH TEXT, loop PATH N, fill PATH, cat PATH, watch "
			"TRIGGER PATH\n");
	return 2;
}
