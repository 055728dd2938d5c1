/* hostile_spawn - granted spawn:/test/proc_hello, starts it (allowed), then
 * /bin/ls (the escape). */
#include <optios.h>
#include <sys/wait.h>

#include "hostile.h"

static long start(const char *path)
{
	char *argv[] = {(char *)path, NULL};
	int st, pid = optios_spawn(path, argv, NULL, 0);
	if (pid >= 0)
		waitpid(pid, &st, 0);
	return pid;
}

int main(void)
{
	hostile_report("hostile_spawn", "spawn /test/proc_hello", start("/test/proc_hello"), false);
	hostile_report("hostile_spawn", "spawn /bin/ls", start("/bin/ls"), true);
	return hostile_escaped ? 1 : 0;
}
