/*
 * hostile_symlink - granted /data/mine/ (read and write), makes symbolic
 * links there to what it may not see (/data/other/secret, /etc/policy, a
 * directory /data/other) and tries to read and write through them, to make
 * a hard link to /data/other/secret and to follow a link that another
 * program left in /data/other. The kernel checks the path a link resolves
 * to, and follows a link only where the program sees it, so each is
 * refused as absent (ENOENT); a link inside its grant works, and making a
 * link (any target text) or reading its own links' targets is allowed.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static long read_one(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = read(fd, &c, 1);
	close(fd);
	return n;
}

static long create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	return fd;
}

int main(void)
{
	const char *me = "hostile_symlink";
	struct stat st;
	char buf[64];
	hostile_report(me, "create /data/mine/f", create("/data/mine/f"), false);
	hostile_report(me, "symlink to f", symlink("f", "/data/mine/ok"), false);
	hostile_report(me, "read through ok", read_one("/data/mine/ok"), false);
	hostile_report(me, "symlink to /data/other/secret", symlink("/data/other/secret", "/data/mine/s"),
		       false);
	hostile_report(me, "readlink s", readlink("/data/mine/s", buf, sizeof buf), false);
	hostile_report(me, "read through s", read_one("/data/mine/s"), true);
	hostile_report(me, "stat through s", stat("/data/mine/s", &st), true);
	hostile_report(me, "lstat s", lstat("/data/mine/s", &st), false);
	hostile_report(me, "symlink to ../other", symlink("../other", "/data/mine/d"), false);
	hostile_report(me, "create through d", create("/data/mine/d/new"), true);
	hostile_report(me, "read through d", read_one("/data/mine/d/secret"), true);
	hostile_report(me, "symlink to /etc/policy", symlink("/etc/policy", "/data/mine/p"), false);
	hostile_report(me, "read through p", read_one("/data/mine/p"), true);
	hostile_report(me, "link /data/other/secret", link("/data/other/secret", "/data/mine/h"), true);
	hostile_report(me, "symlink to /data/other/hop", symlink("/data/other/hop", "/data/mine/via"), false);
	hostile_report(me, "read through via", read_one("/data/mine/via"), true);
	hostile_report(me, "open s O_NOFOLLOW", open("/data/mine/s", O_RDONLY | O_NOFOLLOW), false);
	return hostile_escaped ? 1 : 0;
}
