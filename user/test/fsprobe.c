/*
 * fsprobe - the file system calls as a static musl program sees them.
 *
 *   fsprobe [DIR]     (DIR defaults to /data; it must exist and be empty-ish)
 *
 * Works inside DIR/probe, printing one line per call: what was done and what
 * came back ("= 3", "= -1 ENOENT", or data). Nothing printed depends on DIR,
 * on timestamps or on directory order, so the output on OptiOS (DIR /data)
 * must equal the output of the same binary on Linux (DIR a temporary
 * directory): tests/system/test_vfs.py compares them. Exit status 0 when the
 * run got to the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e)
{
	static const struct {
		int e;
		const char *n;
	} names[] = {
		{ENOENT, "ENOENT"}, {EEXIST, "EEXIST"}, {ENOTDIR, "ENOTDIR"},
		{EISDIR, "EISDIR"}, {EROFS, "EROFS"},	{ENOTEMPTY, "ENOTEMPTY"},
		{EINVAL, "EINVAL"}, {EXDEV, "EXDEV"},	{ENAMETOOLONG, "ENAMETOOLONG"},
		{EBADF, "EBADF"},   {EACCES, "EACCES"}, {ENOTTY, "ENOTTY"},
		{ESPIPE, "ESPIPE"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
		{ERANGE, "ERANGE"}, {EMFILE, "EMFILE"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == e)
			return names[i].n;
	return "E?";
}

/* Prints "what = r" or "what = -1 ENAME". */
static long show(const char *what, long r)
{
	if (r < 0)
		printf("%s = %ld %s\n", what, r, ename(errno));
	else
		printf("%s = %ld\n", what, r);
	return r;
}

static void show_data(const char *what, const char *buf, long n)
{
	printf("%s = %ld \"", what, n);
	for (long i = 0; i < n; i++)
		putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
	printf("\"\n");
}

static void show_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("stat %s = -1 %s\n", path, ename(errno));
		return;
	}
	printf("stat %s = %s size %lld\n", path,
	       S_ISDIR(st.st_mode)   ? "dir"
	       : S_ISREG(st.st_mode) ? "file"
				     : "other",
	       S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted, "." and ".." included. */
static void show_dir(const char *path)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(path);
	if (!d) {
		printf("ls %s = -1 %s\n", path, ename(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 64) {
		names[n] = malloc(strlen(e->d_name) + 3);
		sprintf(names[n], "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
		n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp);
	printf("ls %s =", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void files(void)
{
	char buf[256];
	int fd = (int)show("open f creat", open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	show("write", write(fd, "hello world\n", 12));
	show("read on O_WRONLY", read(fd, buf, 1));
	show("close", close(fd));
	show("close again", close(fd));
	fd = (int)show("open f rdonly", open("f", O_RDONLY));
	show_data("read", buf, read(fd, buf, sizeof buf));
	show("read at end", read(fd, buf, sizeof buf));
	show("lseek 6", lseek(fd, 6, SEEK_SET));
	show_data("read", buf, read(fd, buf, sizeof buf));
	show("lseek end", lseek(fd, 0, SEEK_END));
	show("lseek -1", lseek(fd, -1, SEEK_SET));
	show_data("pread 5 at 0", buf, pread(fd, buf, 5, 0));
	show("write on O_RDONLY", write(fd, "x", 1));
	show("pread bad offset", pread(fd, buf, 1, -1));
	show("ioctl TCGETS", ioctl(fd, TCGETS, buf));
	show("isatty", isatty(fd));
	close(fd);
	fd = (int)show("open append", open("f", O_WRONLY | O_APPEND));
	show("lseek 0", lseek(fd, 0, SEEK_SET));
	show("write", write(fd, "more\n", 5));
	show("lseek cur", lseek(fd, 0, SEEK_CUR));
	show("pwrite at 100", pwrite(fd, "end", 3, 100)); /* O_APPEND: Linux appends */
	close(fd);
	show_stat("f");
	fd = (int)show("open rdwr", open("f", O_RDWR));
	show("pwrite at 100", pwrite(fd, "END", 3, 100));
	show_stat("f");
	show_data("pread hole", buf, pread(fd, buf, 8, 18));
	close(fd);
}

static void vectors_and_descriptors(void)
{
	char a[4], b[8];
	struct iovec w[2] = {{"abc", 3}, {"defgh", 5}}, r[2] = {{a, sizeof a}, {b, sizeof b}};
	int fd = (int)show("open v", open("v", O_RDWR | O_CREAT | O_EXCL, 0600));
	show("open v excl again", open("v", O_RDWR | O_CREAT | O_EXCL, 0600));
	show("writev", writev(fd, w, 2));
	show("lseek 0", lseek(fd, 0, SEEK_SET));
	long n = show("readv", readv(fd, r, 2));
	show_data("readv data", a, 4);
	show_data("readv data2", b, n - 4);
	int d = (int)show("dup", dup(fd));
	show("lseek via dup", lseek(d, 2, SEEK_SET));
	show("offset shared", lseek(fd, 0, SEEK_CUR));
	show("dup2 to 20", dup2(fd, 20));
	show("dup2 same", dup2(fd, fd));
	show("dup3 same", dup3(fd, fd, 0));
	show("dup3 cloexec", dup3(fd, 21, O_CLOEXEC));
	show("F_GETFD 21", fcntl(21, F_GETFD));
	show("F_GETFD 20", fcntl(20, F_GETFD));
	show("F_DUPFD 30", fcntl(fd, F_DUPFD, 30));
	show("F_GETFL", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND));
	show("F_SETFL append", fcntl(fd, F_SETFL, O_APPEND));
	show("F_GETFL", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND));
	show("close 20", close(20));
	show("close 21", close(21));
	show("close 30", close(30));
	show("close dup", close(d));
	show("dup bad", dup(99));
	show("fstat bad", fstat(99, &(struct stat){0}));
	show("unlink while open", unlink("v"));
	show("lseek 0", lseek(fd, 0, SEEK_SET));
	show_data("read unlinked", b, read(fd, b, sizeof b));
	close(fd);
	show_stat("v");
}

static void names(void)
{
	char buf[256];
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = '\0';
	show("mkdir d", mkdir("d", 0755));
	show("mkdir d again", mkdir("d", 0755));
	show("mkdir d/e/", mkdir("d/e/", 0755));
	show("mkdir missing/x", mkdir("missing/x", 0755));
	show("mkdir f/x", mkdir("f/x", 0755));
	show("open missing", open("missing", O_RDONLY));
	show("open f/x", open("f/x", O_RDONLY));
	show("open d wronly", open("d", O_WRONLY));
	show("open f directory", open("f", O_RDONLY | O_DIRECTORY));
	show("open f/", open("f/", O_RDONLY));
	show("open long name", open(longname, O_RDONLY | O_CREAT, 0644));
	show_stat("d/../d/./e//");
	show_stat("./f");
	show_stat("d/e/../../f");
	/* ".." and "." after a file or a missing name (regression: lexical ".." hid these) */
	show_stat("f/..");
	show_stat("f/.");
	show_stat("missing/../f");
	show("unlink f/.", unlink("f/."));
	show("rmdir f/..", rmdir("f/.."));
	show("open missing/../f", open("missing/../f", O_RDONLY));
	show("mkdir f/../x", mkdir("f/../x", 0755));
	show("access f F_OK", access("f", F_OK));
	show("access f R_OK|W_OK", access("f", R_OK | W_OK));
	show("access missing", access("missing", F_OK));
	show("readlink f", readlink("f", buf, sizeof buf));
	show("readlink missing", readlink("missing", buf, sizeof buf));
	int t = (int)show("creat d/e/t", open("d/e/t", O_WRONLY | O_CREAT, 0644));
	close(t);
	show("rmdir d", rmdir("d"));
	show("rmdir f", rmdir("f"));
	show("rmdir missing", rmdir("missing"));
	show("unlink d", unlink("d"));
	show("rename missing", rename("missing", "x"));
	show("rename d into itself", rename("d", "d/e/z"));
	show("rename f over d", rename("f", "d"));
	show("rename d over f", rename("d", "f"));
	show("mkdir m", mkdir("m", 0755));
	show("rename m over d (not empty)", rename("m", "d"));
	show("rename d over m (empty)", rename("d", "m"));
	show_stat("d");
	show_stat("m/e/t");
	show("rename f g", rename("f", "g"));
	show("rename g same", rename("g", "g"));
	show_dir(".");
	show_dir("m/e");
}

static void at_calls(void)
{
	struct stat st;
	int dfd = (int)show("open m dir", open("m", O_RDONLY | O_DIRECTORY));
	int fd = (int)show("openat e/t", openat(dfd, "e/t", O_RDWR));
	show("write", write(fd, "at", 2));
	close(fd);
	show("fstatat e/t", fstatat(dfd, "e/t", &st, 0));
	printf("size %lld\n", (long long)st.st_size);
	show("fstatat empty path", fstatat(dfd, "", &st, AT_EMPTY_PATH));
	printf("isdir %d\n", S_ISDIR(st.st_mode));
	show("mkdirat n", mkdirat(dfd, "n", 0755));
	show("faccessat n", faccessat(dfd, "n", F_OK, 0));
	show("unlinkat n as file", unlinkat(dfd, "n", 0));
	show("unlinkat n dir", unlinkat(dfd, "n", AT_REMOVEDIR));
	show("renameat e/t -> t2", renameat(dfd, "e/t", dfd, "t2"));
	/* regression: a getdents into a bad buffer moved the directory offset */
	show("getdents bad buffer", syscall(SYS_getdents64, dfd, (void *)8, 4096));
	char dents[512];
	show("getdents after it", syscall(SYS_getdents64, dfd, dents, sizeof dents) > 0);
	show("openat bad dirfd", openat(99, "x", O_RDONLY));
	int ffd = open("g", O_RDONLY);
	show("openat file dirfd", openat(ffd, "x", O_RDONLY));
	close(ffd);
	show("fchdir-less chdir m", chdir("m"));
	char cwd[512];
	char *c = getcwd(cwd, sizeof cwd);
	printf("getcwd ends with /probe/m = %d\n",
	       c && strlen(c) >= 8 && strcmp(c + strlen(c) - 8, "/probe/m") == 0);
	show("getcwd too small", getcwd(cwd, 2) ? 0 : -1);
	show("chdir ..", chdir(".."));
	show("chdir g", chdir("g"));
	close(dfd);
	show_dir("m");
}

static void stdio_files(void)
{
	char line[64];
	FILE *f = fopen("s.txt", "w");
	printf("fopen w = %d\n", f != NULL);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d\n", i);
	printf("fclose = %d\n", fclose(f));
	f = fopen("s.txt", "r");
	int count = 0;
	while (fgets(line, sizeof line, f))
		count++;
	printf("lines = %d last = %s", count, line);
	fseek(f, 7, SEEK_SET);
	printf("after fseek = %s", fgets(line, sizeof line, f));
	fclose(f);
	show_stat("s.txt");
	/* a large file, through big reads and writes */
	static char big[300000], back[300000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 31 + 7);
	int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("write big", write(fd, big, sizeof big));
	show("lseek 0", lseek(fd, 0, SEEK_SET));
	show("read big", read(fd, back, sizeof back));
	printf("big equal = %d\n", memcmp(big, back, sizeof big) == 0);
	close(fd);
	show("unlink big", unlink("big"));
	show("unlink s.txt", unlink("s.txt"));
}

static void truncation(void)
{
	char buf[8];
	int fd = (int)show("creat t", creat("t", 0644));
	show("write", write(fd, "0123456789", 10));
	show("ftruncate 4", ftruncate(fd, 4));
	show_stat("t");
	show("ftruncate 8192", ftruncate(fd, 8192));
	show_stat("t");
	show("ftruncate -1", ftruncate(fd, -1));
	close(fd);
	fd = (int)show("open t rdonly", open("t", O_RDONLY));
	show("ftruncate on O_RDONLY", ftruncate(fd, 0));
	show_data("pread 6", buf, pread(fd, buf, 6, 0));
	close(fd);
	show("ftruncate bad fd", ftruncate(99, 0));
	show("truncate 2", truncate("t", 2));
	show_stat("t");
	show("truncate missing", truncate("none", 0));
	show("truncate dir", truncate(".", 0));
	show("truncate -1", truncate("t", -1));
	fd = (int)show("open . dir", open(".", O_RDONLY | O_DIRECTORY));
	show("ftruncate dir", ftruncate(fd, 0));
	close(fd);
	show("unlink t", unlink("t"));
}

/* Regression (issue 9): rm -r of 100 or more entries failed with "Directory
 * not empty": a listing interleaved with unlinks skipped half the entries. */
static void listing_while_removing(void)
{
	char name[32];
	struct dirent *e;
	int made = 0, removed = 0;
	show("mkdir r", mkdir("r", 0755));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "r/f%d", i);
		int fd = creat(name, 0644);
		made += fd >= 0;
		close(fd);
	}
	DIR *d = opendir("r");
	while (d && (e = readdir(d)) != NULL) {
		snprintf(name, sizeof name, "r/%.24s", e->d_name);
		removed += e->d_name[0] != '.' && unlink(name) == 0;
	}
	if (d)
		closedir(d);
	printf("made %d, removed while listing %d\n", made, removed);
	show("rmdir r", rmdir("r"));
}

static void cleanup(void)
{
	show("unlink g", unlink("g"));
	show("unlink m/t2", unlink("m/t2"));
	show("rmdir m/e", rmdir("m/e"));
	show("rmdir m", rmdir("m"));
	show_dir(".");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/data";
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fsprobe: begin\n");
	if (chdir(dir) != 0 || (mkdir("probe", 0755) != 0 && errno != EEXIST) || chdir("probe") != 0) {
		printf("fsprobe: cannot use %s/probe (%s)\n", dir, ename(errno));
		return 1;
	}
	files();
	vectors_and_descriptors();
	names();
	at_calls();
	stdio_files();
	truncation();
	listing_while_removing();
	cleanup();
	show("chdir ..", chdir(".."));
	show("rmdir probe", rmdir("probe"));
	printf("fsprobe: end\n");
	return 0;
}
