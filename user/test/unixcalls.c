/*
 * unixcalls - the small POSIX calls that need no process model
 * (tests/system/test_busybox.py): process group and session ids, groups,
 * umask and the modes it gives new files, fsync/fdatasync on ramfs,
 * sendfile from a file to the console (with and without an offset).
 * Prints one line per call; the test compares them with what it expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *what, long r)
{
	printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void mode_of(const char *what, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		printf("%s: stat: %s\n", what, strerror(errno));
	else
		printf("%s: %03o\n", what, (unsigned)st.st_mode & 0777);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/unixcalls";
	char path[256];
	pid_t pid = getpid();
	printf("getpgid(0) is pid: %d\n", getpgid(0) == pid);
	printf("getpgrp() is pid: %d\n", getpgrp() == pid);
	printf("getsid(0) is pid: %d\n", getsid(0) == pid);
	printf("getpgid(parent) is parent: %d\n", getpgid(getppid()) == getppid());
	say("getpgid(999999)", getpgid(999999));
	say("getgroups(0)", getgroups(0, NULL));
	printf("umask(077) was: %03o\n", (unsigned)umask(077));
	printf("umask(022) was: %03o\n", (unsigned)umask(022));
	umask(077);
	mkdir(dir, 0777);
	mode_of("mkdir 0777 under 077", dir);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0666);
	say("open", fd < 0 ? -1 : 0);
	mode_of("open 0666 under 077", path);
	say("write", write(fd, "x", 1));
	say("fsync", fsync(fd));
	say("fdatasync", fdatasync(fd));
	close(fd);
	say("fsync(closed)", fsync(fd));
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0666);
	say("write", write(fd, "0123456789\n", 11));
	close(fd);
	fd = open(path, O_RDONLY);
	fflush(stdout);
	off_t off = 4;
	say("\nsendfile(off 4, 3)", sendfile(1, fd, &off, 3));
	printf("off now %ld, file offset %ld\n", (long)off, (long)lseek(fd, 0, SEEK_CUR));
	fflush(stdout);
	say("\nsendfile(NULL, 100)", sendfile(1, fd, NULL, 100));
	printf("file offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	say("sendfile(at end)", sendfile(1, fd, NULL, 100));
	say("sendfile(bad fd)", sendfile(1, 99, NULL, 100));
	close(fd);
	unlink(path);
	rmdir(dir);
	return 0;
}
