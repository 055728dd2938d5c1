/*
 * devprobe - /dev and statfs as a program granted only /tmp sees them
 * (tests/system/test_devproc.py): the free devices open without a grant
 * and behave as Linux's (null, zero, full, urandom, tty; poll ready), /proc
 * is not visible without file.read of it, statfs/fstatfs report /tmp's
 * size, readlink of a file that is no link is EINVAL, getrlimit gives the
 * kernel's fixed limits and setrlimit may not raise them.
 * Prints one line per call; the test compares them with what it expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void say(const char *what, long r)
{
	printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void devices(void)
{
	char buf[64];
	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDONLY);
	int full = open("/dev/full", O_WRONLY), rnd = open("/dev/urandom", O_RDONLY);
	say("write null", write(null, "abc", 3));
	say("read null", read(null, buf, sizeof buf));
	memset(buf, 'x', sizeof buf);
	long n = read(zero, buf, sizeof buf);
	int zeros = 0;
	for (int i = 0; i < (int)sizeof buf; i++)
		zeros += buf[i] == 0;
	printf("read zero: %ld, %d zero bytes\n", n, zeros);
	say("write full", write(full, "abc", 3));
	char a[16], b[16];
	n = read(rnd, a, sizeof a) + read(rnd, b, sizeof b);
	printf("read urandom twice: %ld, %s\n", n, memcmp(a, b, sizeof a) ? "different" : "same");
	struct pollfd p[2] = {{null, POLLIN | POLLOUT, 0}, {zero, POLLIN, 0}};
	say("poll null, zero", poll(p, 2, 1000));
	printf("revents %s %s\n", p[0].revents == (POLLIN | POLLOUT) ? "in|out" : "other",
	       p[1].revents == POLLIN ? "in" : "other");
	struct stat st;
	if (fstat(null, &st) == 0)
		printf("null: chr %d, %u:%u, mode %o\n", S_ISCHR(st.st_mode), major(st.st_rdev),
		       minor(st.st_rdev), st.st_mode & 07777);
	say("open tty", open("/dev/tty", O_RDWR));
	say("open /dev/nosuch", open("/dev/nosuch", O_RDONLY));
	say("create /dev/new", open("/dev/new", O_WRONLY | O_CREAT, 0644));
}

static void others(void)
{
	char buf[16];
	struct statfs sf;
	say("open /proc/meminfo", open("/proc/meminfo", O_RDONLY));
	say("statfs /tmp", statfs("/tmp", &sf));
	printf("/tmp: bsize %ld, blocks > 0: %d, free <= blocks: %d\n", (long)sf.f_bsize, sf.f_blocks > 0,
	       sf.f_bfree <= sf.f_blocks);
	int fd = open("/tmp/sf", O_RDWR | O_CREAT, 0644);
	struct statfs sf2;
	say("fstatfs file in /tmp", fstatfs(fd, &sf2));
	printf("same blocks: %d\n", sf2.f_blocks == sf.f_blocks);
	say("readlink /tmp/sf", readlink("/tmp/sf", buf, sizeof buf));
	unlink("/tmp/sf");
}

static void limits(void)
{
	struct rlimit r;
	say("getrlimit nofile", getrlimit(RLIMIT_NOFILE, &r));
	printf("nofile: %lu %lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	r.rlim_cur = 32;
	say("setrlimit nofile 32", setrlimit(RLIMIT_NOFILE, &r));
	r.rlim_cur = r.rlim_max = 1000;
	say("setrlimit nofile 1000", setrlimit(RLIMIT_NOFILE, &r));
	say("getrlimit cpu", getrlimit(RLIMIT_CPU, &r));
	printf("cpu: %s\n",
	       r.rlim_cur == RLIM_INFINITY && r.rlim_max == RLIM_INFINITY ? "unlimited" : "limited");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	devices();
	others();
	limits();
	return 0;
}
