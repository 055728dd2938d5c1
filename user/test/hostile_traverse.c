/*
 * hostile_traverse - granted /data/mine/ (read and write), tries to leave it
 * through "..", repeated slashes and "." in absolute and relative paths. The
 * kernel checks the normalised path (/data/other, /etc/x), so each is refused,
 * as absent (ENOENT: outside its grant nothing is visible);
 * a path that stays inside after normalising (/data/mine/..//mine/./c) is allowed.
 */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static long create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	return fd;
}

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

int main(void)
{
	static const char *const escapes[] = {"/data/mine/../other", "//data/mine/../../etc/x",
					      "/data/mine/./../../tmp/x", "../other"};
	const char *me = "hostile_traverse";
	char what[128];
	hostile_report(me, "create /data/mine/..//mine/./c", create("/data/mine/..//mine/./c"), false);
	hostile_report(me, "chdir /data/mine", chdir("/data/mine"), false);
	for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		snprintf(what, sizeof what, "create %s", escapes[i]);
		hostile_report(me, what, create(escapes[i]), true);
	}
	hostile_report(me, "read /data/mine/../../etc/policy", read_one("/data/mine/../../etc/policy"), true);
	return hostile_escaped ? 1 : 0;
}
