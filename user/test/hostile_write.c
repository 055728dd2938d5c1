/* hostile_write - granted file.write:/data/hostile/, writes there (allowed)
 * and then outside it, /data/other (the escape: absent to it, ENOENT), and
 * reads its own file, which it sees but may not read (EACCES). */
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

int main(void)
{
	hostile_report("hostile_write", "create /data/hostile/mine", create("/data/hostile/mine"), false);
	hostile_report("hostile_write", "create /data/other", create("/data/other"), true);
	int fd = open("/data/hostile/mine", O_RDONLY); /* seen, but not granted file.read */
	hostile_report("hostile_write", "read /data/hostile/mine", fd, true);
	if (fd >= 0)
		close(fd);
	return hostile_escaped ? 1 : 0;
}
