/* forkrun - tries to fork, vfork, posix_spawn and exec inside a run: each
 * is refused with EPERM (a process made in a run could not be taken back by
 * a rollback). Prints the four results as "call=ret/errno". */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
	char *argv[] = {"/bin/hello", NULL};
	long f = syscall(SYS_fork);
	int fe = errno;
	long v = syscall(SYS_vfork);
	int ve = errno;
	pid_t pid;
	int se = posix_spawn(&pid, "/bin/hello", NULL, NULL, argv, NULL);
	long x = execve("/bin/hello", argv, NULL);
	int xe = errno;
	printf("forkrun: fork=%ld/%d vfork=%ld/%d spawn=%d execve=%ld/%d\n", f, fe, v, ve, se, x, xe);
}
