/*
 * unixcalls - the small POSIX calls that need no process model
 * (tests/system/test_busybox.py): process group and session ids, groups,
 * umask and the modes it gives new files, fsync/fdatasync on ramfs,
 * sendfile from a file to the console (with and without an offset),
 * chmod/fchmod, chown (single user: to root only), utimensat/futimens/utimes.
 * Prints one line per call; the test compares them with what it expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void say(const char *what, long r)
{
	printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

#define NSEC_PER_SEC_BAD 1000000000l

static void mode_of(const char *what, const char *path);

static void mtime_of(const char *what, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		printf("%s: stat: %s\n", what, strerror(errno));
	else
		printf("%s: %ld.%09ld\n", what, (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
}

/* The attribute calls on path (a file in the caller's directory). */
static void attributes(const char *path)
{
	say("chmod 0640", chmod(path, 0640));
	mode_of("mode", path);
	int fd = open(path, O_WRONLY);
	say("fchmod 0604", fchmod(fd, 0604));
	mode_of("mode", path);
	say("chown 0 0", chown(path, 0, 0));
	say("chown -1 -1", chown(path, (uid_t)-1, (gid_t)-1));
	say("chown 1000 0", chown(path, 1000, 0));
	say("fchown 0 1000", fchown(fd, 0, 1000));
	struct timespec ts[2] = {{0, UTIME_OMIT}, {1577934245, 5}};
	say("utimensat", utimensat(AT_FDCWD, path, ts, 0));
	mtime_of("mtime", path);
	ts[1].tv_nsec = UTIME_OMIT;
	say("utimensat omit", utimensat(AT_FDCWD, path, ts, 0));
	mtime_of("mtime", path);
	ts[1].tv_nsec = NSEC_PER_SEC_BAD;
	say("utimensat bad ns", utimensat(AT_FDCWD, path, ts, 0));
	struct timeval tv[2] = {{0, 0}, {1000000000, 7}};
	say("utimes", utimes(path, tv));
	mtime_of("mtime", path);
	ts[1] = (struct timespec){42, 0};
	say("futimens", futimens(fd, ts));
	mtime_of("mtime", path);
	close(fd);
	fd = open(path, O_RDONLY);
	say("futimens(read-only fd)", futimens(fd, ts));
	say("fchmod(read-only fd)", fchmod(fd, 0600));
	close(fd);
	say("chmod(missing)", chmod("/tmp/no/such", 0600));
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
	printf("getsid(0) is the parent's: %d\n", getsid(0) == getsid(getppid()));
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
	umask(022);
	attributes(path);
	unlink(path);
	rmdir(dir);
	return 0;
}
