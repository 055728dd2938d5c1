/* hostile_write - granted file.write:/data/hostile/, writes there (allowed)
 * and then outside it, /data/other (the escape). */
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
	return hostile_escaped ? 1 : 0;
}
