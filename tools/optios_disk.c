/*
 * optios-disk - an OptiOS store (docs/STORAGE.md) on the host, with the
 * kernel's own code (the files of kernel/store over a file-backed block device), so a
 * user gets their data out on Linux and a test can look inside a disk image.
 *
 *   optios-disk mkfs IMAGE [SIZE]       a new, empty store (SIZE in bytes or
 *                                       with K/M/G; default: IMAGE's size, or 64M
 *                                       for a new file); refuses a file holding data
 *   optios-disk fsck IMAGE              every invariant: exit 0 clean, 1 damaged
 *   optios-disk ls IMAGE [PATH]         entries: type (d/l/-), size, name
 *   optios-disk get IMAGE PATH [OUT]    a file's bytes (also: cat)
 *   optios-disk put IMAGE PATH < FILE   a file from stdin, created or replaced
 *                                       atomically
 *   optios-disk mkdir IMAGE PATH
 *   optios-disk rm IMAGE PATH           a file, or an empty directory
 *   optios-disk df IMAGE
 *   optios-disk log IMAGE [--verify]    the persisted event log; --verify checks
 *                                       its audit chain with lib/logchain.c
 *   optios-disk log-fill IMAGE N        appends N linked records to the persisted
 *                                       log, one commit each as N handler runs
 *                                       would (the recovery benchmark's images)
 *
 * Reading commands mount read-only (a crashed image is recovered in memory,
 * not written). Exit status: 0 done, 1 damaged or a failed check, 2 a usage
 * error or a file that cannot be read, 3 the operation failed (with why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optios/abi/handler.h>

#include "kernel/block/block.h"
#include "kernel/store/store.h"
#include "lib/logchain.h"

#define SECTOR 512
#define CHUNK (64 * 1024)

static int fd = -1;
static char msg[256];

static int file_read(struct blkdev *dev, uint64_t sector, uint32_t count, void *buf)
{
	(void)dev;
	ssize_t want = (ssize_t)count * SECTOR, n = pread(fd, buf, (size_t)want, (off_t)(sector * SECTOR));
	if (n >= 0 && n < want)
		memset((char *)buf + n, 0, (size_t)(want - n)); /* past a short file: zeros */
	return n < 0 ? -EIO : 0;
}

static int file_write(struct blkdev *dev, uint64_t sector, uint32_t count, const void *buf)
{
	(void)dev;
	ssize_t want = (ssize_t)count * SECTOR;
	return pwrite(fd, buf, (size_t)want, (off_t)(sector * SECTOR)) == want ? 0 : -EIO;
}

static int file_flush(struct blkdev *dev)
{
	(void)dev;
	return fsync(fd) == 0 ? 0 : -EIO;
}

static const struct blkdev_ops file_ops = {file_read, file_write, file_flush};
static struct blkdev dev = {.name = "image", .sector_size = SECTOR, .ops = &file_ops};

static void *host_alloc(size_t n)
{
	return malloc(n ? n : 1);
}
static const struct store_env env = {.alloc = host_alloc, .free = free};

static int fail(int status, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "optios-disk: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	return status;
}

static int open_image(const char *path, int flags)
{
	struct stat sb;
	fd = open(path, flags, 0644);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return fail(2, "%s: %s", path, strerror(errno));
	dev.sectors = (uint64_t)sb.st_size / SECTOR;
	return 0;
}

static struct store *mount_image(const char *path, int rdonly)
{
	struct store *st = NULL;
	if (open_image(path, rdonly ? O_RDONLY : O_RDWR))
		return NULL;
	int r = store_mount(&dev, &env, (rdonly ? STORE_RDONLY : 0) | STORE_NOFORMAT, &st, msg, sizeof msg);
	if (r < 0) {
		fail(1, "%s: %s", path, msg);
		return NULL;
	}
	return st;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	*out = v;
	return *end ? -1 : 0;
}

static int cmd_mkfs(int argc, char **argv)
{
	uint64_t size = 0;
	if (argc > 3 && parse_size(argv[3], &size))
		return fail(2, "bad size %s%s", argv[3], "");
	if (open_image(argv[2], O_RDWR | O_CREAT))
		return 2;
	if (!size)
		size = dev.sectors ? dev.sectors * SECTOR : 64ull << 20;
	if (dev.sectors * SECTOR < size && ftruncate(fd, (off_t)size) < 0)
		return fail(2, "%s: %s", argv[2], strerror(errno));
	dev.sectors = size / SECTOR;
	if (store_format(&dev, &env, size / STORE_BLOCK, 0, msg, sizeof msg) < 0)
		return fail(3, "%s: %s", argv[2], msg);
	printf("%s: %s\n", argv[2], msg);
	return 0;
}

static int cmd_fsck(struct store *st, const char *image)
{
	struct store_stats s;
	if (store_check(st, msg, sizeof msg) < 0)
		return fail(1, "%s: damaged: %s", image, msg);
	store_stats_get(st, &s);
	printf("%s: clean: %llu blocks, %llu keys, seq %llu, %llu keys from the index checkpoint%s, %llu units "
	       "replayed\n",
	       image, (unsigned long long)s.blocks, (unsigned long long)s.keys,
	       (unsigned long long)s.committed_seq, (unsigned long long)s.ckpt_loaded_keys,
	       s.ckpt_loaded_keys ? " (it agrees with a full replay)" : "", (unsigned long long)s.recovered_units);
	return 0;
}

static void print_entry(const char *name, const struct store_fs_attr *a)
{
	printf("%c %10llu %s\n",
	       a->type == STORE_FS_DIR	 ? 'd'
	       : a->type == STORE_FS_LNK ? 'l'
					 : '-',
	       (unsigned long long)a->size, name);
}

static int cmd_ls(struct store *st, const char *path)
{
	struct store_tx *tx = store_tx_begin(st);
	struct store_fs_attr a;
	struct store_fs_dirent de;
	uint64_t ino, cookie = 0;
	int r = store_fs_resolve(tx, path, &ino);
	if (r == 0)
		r = store_fs_stat(tx, ino, &a);
	if (r == 0 && a.type != STORE_FS_DIR)
		print_entry(path, &a);
	else if (r == 0)
		while ((r = store_fs_readdir(tx, ino, &cookie, &de)) == 0) {
			struct store_fs_attr e;
			if (store_fs_stat(tx, de.ino, &e) == 0)
				print_entry(de.name, &e);
		}
	store_tx_abort(tx);
	if (r == -ENOENT && cookie)
		r = 0; /* the end of the directory */
	if (r == -ENOENT && cookie == 0 && a.type == STORE_FS_DIR && ino)
		r = 0; /* an empty directory */
	return r < 0 ? fail(3, "%s: %s", path, strerror(-r)) : 0;
}

static int cmd_get(struct store *st, const char *path, const char *out)
{
	struct store_tx *tx = store_tx_begin(st);
	FILE *f = out ? fopen(out, "wb") : stdout;
	static char buf[CHUNK];
	uint64_t ino, off = 0;
	long n = 0;
	int r = f ? store_fs_resolve(tx, path, &ino) : -errno;
	while (r == 0 && (n = store_fs_read(tx, ino, off, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
			r = -EIO;
		off += (uint64_t)n;
	}
	if (n < 0)
		r = (int)n;
	store_tx_abort(tx);
	if (f && f != stdout && fclose(f) != 0)
		r = -EIO;
	return r < 0 ? fail(3, "%s: %s", path, strerror(-r)) : 0;
}

/* The last component of path and its parent's inode. */
static int parent_of(struct store_tx *tx, const char *path, uint64_t *dir, const char **name)
{
	static char up[4096];
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1] || (size_t)(slash - path) >= sizeof up)
		return -EINVAL;
	memcpy(up, path, (size_t)(slash - path));
	up[slash - path] = 0;
	*name = slash + 1;
	return store_fs_resolve(tx, slash == path ? "/" : up, dir);
}

static int commit_sync(struct store *st, struct store_tx *tx, int r)
{
	if (r < 0) {
		store_tx_abort(tx);
		return r;
	}
	int64_t seq = store_tx_commit(tx);
	return seq < 0 ? (int)seq : store_sync(st, (uint64_t)seq);
}

/* put: the file is written under a temporary name in commits of a bounded
 * size, then renamed over PATH in one commit: PATH is the old file or the
 * new one, whatever happens. */
static int cmd_put(struct store *st, const char *path)
{
	static char buf[CHUNK], tmp[4200];
	struct store_tx *tx = store_tx_begin(st);
	const char *name;
	uint64_t dir, ino, off = 0;
	int r = parent_of(tx, path, &dir, &name);
	snprintf(tmp, sizeof tmp, ".%s.optios-disk-tmp", name);
	if (r == 0)
		store_fs_unlink(tx, dir, tmp, 0);
	if (r == 0)
		r = store_fs_create(tx, dir, tmp, STORE_FS_REG, 0644, 0, &ino);
	r = commit_sync(st, tx, r);
	size_t n;
	while (r == 0 && (n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		tx = store_tx_begin(st);
		long w = store_fs_write(tx, ino, off, buf, n, 0);
		r = commit_sync(st, tx, w < 0 ? (int)w : 0);
		off += n;
	}
	if (r == 0) {
		tx = store_tx_begin(st);
		r = commit_sync(st, tx, store_fs_rename(tx, dir, tmp, dir, name, 0));
	} else if (r != -EIO) {
		tx = store_tx_begin(st); /* a full disk: the temporary goes */
		commit_sync(st, tx, store_fs_unlink(tx, dir, tmp, 0));
	}
	return r < 0 ? fail(3, "%s: %s", path, strerror(-r)) : 0;
}

static int cmd_mkdir_rm(struct store *st, const char *path, int mk)
{
	struct store_tx *tx = store_tx_begin(st);
	const char *name;
	uint64_t dir, ino;
	int r = parent_of(tx, path, &dir, &name);
	if (r == 0)
		r = mk ? store_fs_create(tx, dir, name, STORE_FS_DIR, 0755, 0, &ino)
		       : store_fs_unlink(tx, dir, name, 0);
	r = commit_sync(st, tx, r);
	return r < 0 ? fail(3, "%s: %s", path, strerror(-r)) : 0;
}

static int cmd_df(struct store *st)
{
	struct store_stats s;
	store_stats_get(st, &s);
	printf("blocks %llu (%llu KiB), log %llu, used %llu, live %llu, keys %llu, seq %llu\n",
	       (unsigned long long)s.blocks, (unsigned long long)s.blocks * 4,
	       (unsigned long long)s.log_blocks, (unsigned long long)s.used_blocks,
	       (unsigned long long)s.live_blocks, (unsigned long long)s.keys,
	       (unsigned long long)s.committed_seq);
	return 0;
}

static int cmd_log(struct store *st, int verify)
{
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), 0},
			 end = {STORE_OBJ(STORE_CLASS_LOG, 0), UINT64_MAX};
	struct optios_log_record *recs = NULL;
	size_t n = 0, cap = 0;
	/* records stored unlinked (a cut before the kernel linked them) are
	 * read linked, as the kernel's next boot will store them; nothing is written */
	struct store_tx *tx = store_tx_begin(st);
	uint64_t owed;
	int r = tx ? store_log_owed(tx, &owed) : -ENOMEM;
	if (r > 0)
		r = store_log_relink(tx, owed);
	if (r < 0)
		printf("the log's unlinked records cannot be linked: %s\n", strerror(-r));
	while (tx && store_tx_next(tx, k, end, &k) == 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			recs = realloc(recs, cap * sizeof *recs);
		}
		memset(&recs[n], 0, sizeof recs[n]);
		if (store_tx_get(tx, k, &recs[n], sizeof recs[n]) == (int)sizeof recs[n])
			n++;
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	store_tx_abort(tx);
	int status = 0;
	if (verify) {
		struct logchain_problem p[8];
		size_t bad = logchain_verify(recs, n, p, 8);
		for (size_t i = 0; i < bad && i < 8; i++)
			printf("record %llu: %s (%llu)\n", (unsigned long long)p[i].seq,
			       p[i].what == LOGCHAIN_ALTERED   ? "altered"
			       : p[i].what == LOGCHAIN_MISSING ? "missing"
							       : "out of order",
			       (unsigned long long)p[i].count);
		printf("%zu records, %s\n", n, bad ? "chain BROKEN" : "chain intact");
		status = bad ? 1 : 0;
	} else {
		for (size_t i = 0; i < n; i++)
			printf("#%llu %llu.%09llu kind=%u %.*s %.*s %.*s\n", (unsigned long long)recs[i].seq,
			       (unsigned long long)(recs[i].time_ns / 1000000000),
			       (unsigned long long)(recs[i].time_ns % 1000000000), recs[i].kind,
			       (int)sizeof recs[i].handler, recs[i].handler[0] ? recs[i].handler : "-",
			       (int)sizeof recs[i].topic, recs[i].topic[0] ? recs[i].topic : "-",
			       (int)sizeof recs[i].text, recs[i].text);
	}
	free(recs);
	return status;
}

/* N records after the newest stored one, linked to it, one commit each. */
static int cmd_log_fill(struct store *st, const char *count)
{
	char *end;
	unsigned long long n = strtoull(count, &end, 10);
	if (*end || end == count)
		return fail(2, "log-fill: %s: not a number%s", count, "");
	struct optios_log_record prev, r;
	struct store_key k = {STORE_OBJ(STORE_CLASS_LOG, 0), 0}, hi = {k.obj, UINT64_MAX};
	int have = 0;
	while (store_next(st, k, hi, &k) == 0) { /* the newest: the store has no reverse walk */
		have = store_get(st, k, &prev, sizeof prev) == (int)sizeof prev;
		if (k.sub == UINT64_MAX)
			break;
		k.sub++;
	}
	for (unsigned long long i = 0; i < n; i++) {
		memset(&r, 0, sizeof r);
		r.seq = have ? prev.seq + 1 : 1;
		r.kind = OPTIOS_LOG_OUTPUT;
		snprintf(r.handler, sizeof r.handler, "log-fill");
		snprintf(r.text, sizeof r.text, "record %llu of %llu", i + 1, n);
		if (have)
			logchain_hash(&prev, r.prev_hash);
		struct store_tx *tx = store_tx_begin(st);
		int64_t seq = tx ? store_log_append(tx, &r) : -ENOMEM;
		if (tx)
			seq = seq < 0 ? (store_tx_abort(tx), seq) : store_tx_commit(tx);
		if (seq < 0)
			return fail(3, "log-fill: %s after %s records", strerror((int)-seq), "some");
		prev = r;
		have = 1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: optios-disk mkfs IMAGE [SIZE] | fsck IMAGE | ls IMAGE [PATH] | get IMAGE PATH [OUT]\n"
		"                   | put IMAGE PATH < FILE | mkdir IMAGE PATH | rm IMAGE PATH | df IMAGE\n"
		"                   | log IMAGE [--verify] | log-fill IMAGE N\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *cmd = argv[1], *image = argv[2];
	if (strcmp(cmd, "mkfs") == 0)
		return cmd_mkfs(argc, argv);
	int writes = !strcmp(cmd, "put") || !strcmp(cmd, "mkdir") || !strcmp(cmd, "rm") ||
		     !strcmp(cmd, "log-fill");
	int needs_path = writes || !strcmp(cmd, "get") || !strcmp(cmd, "cat");
	if (needs_path && argc < 4)
		return usage();
	if (!writes && strcmp(cmd, "fsck") && strcmp(cmd, "ls") && strcmp(cmd, "get") && strcmp(cmd, "cat") &&
	    strcmp(cmd, "df") && strcmp(cmd, "log"))
		return usage();
	struct store *st = mount_image(image, !writes);
	if (!st)
		return fd < 0 ? 2 : 1;
	int r;
	if (!strcmp(cmd, "fsck"))
		r = cmd_fsck(st, image);
	else if (!strcmp(cmd, "ls"))
		r = cmd_ls(st, argc > 3 ? argv[3] : "/");
	else if (!strcmp(cmd, "get") || !strcmp(cmd, "cat"))
		r = cmd_get(st, argv[3], argc > 4 ? argv[4] : NULL);
	else if (!strcmp(cmd, "put"))
		r = cmd_put(st, argv[3]);
	else if (!strcmp(cmd, "mkdir") || !strcmp(cmd, "rm"))
		r = cmd_mkdir_rm(st, argv[3], !strcmp(cmd, "mkdir"));
	else if (!strcmp(cmd, "df"))
		r = cmd_df(st);
	else if (!strcmp(cmd, "log-fill"))
		r = cmd_log_fill(st, argv[3]);
	else
		r = cmd_log(st, argc > 3 && !strcmp(argv[3], "--verify"));
	if (writes && store_checkpoint(st) < 0 && r == 0)
		r = fail(3, "%s: %s", image, "the final flush failed");
	store_unmount(st);
	close(fd);
	return r;
}
