/* hostile_nomanifest - a program without a manifest (deliberately: no
 * hostile_nomanifest.manifest) gets its console and its own memory, nothing
 * else: creating a file in /tmp is refused, and it cannot be a handler. */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

int main(void)
{
	int fd = open("/tmp/nomanifest", O_WRONLY | O_CREAT, 0644);
	hostile_report("hostile_nomanifest", "create /tmp/nomanifest", fd, true);
	if (fd >= 0)
		close(fd);
	return hostile_escaped ? 1 : 0;
}
