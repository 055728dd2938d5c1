/*
 * probe CAP... - for each capability, attempts the action it stands for and
 * prints "CAP allow" or "CAP deny" (deny: the kernel said EACCES, or for a
 * file ENOENT: a path a program cannot see reads as absent, and every path
 * the table probes exists where a probe may act on it; any other answer,
 * success or another error, means the permission check let it through). The golden table test (tests/system/test_policy_table.py) runs
 * it under several manifests (probe_*.c include this file) and compares with
 * the host tool's `policy check`.
 *
 *   file.read:P  open P read-only       file.write:P  open P to write, creating it
 *   emit:T       emit T                 spawn:P       start P and wait
 *   log.read     read one log record    handler.manage  remove a handler that is not there
 *   policy.manage  revoke a grant that is not there
 *   power        reboot(2) with a bad magic number (EINVAL when allowed)
 *   display      optios_fb_map(NULL) (EFAULT or ENODEV when allowed)
 *   console      write 0 bytes to descriptor 1
 *   dev.block    optios_blk INFO of a device that is not there (ENODEV when allowed)
 */
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long start(const char *path)
{
	char *argv[] = {(char *)path, NULL};
	int st, pid = optios_spawn(path, argv, NULL, 0);
	if (pid >= 0)
		waitpid(pid, &st, 0);
	return pid;
}

/* Attempts what cap stands for; returns the call's result (errno set). */
static long attempt(const char *cap)
{
	static struct optios_log_record rec;
	char out[16];
	const char *colon = strchr(cap, ':'), *obj = colon ? colon + 1 : "";
	size_t klen = colon ? (size_t)(colon - cap) : strlen(cap);
#define IS(kind) (klen == strlen(kind) && strncmp(cap, kind, klen) == 0)
	if (IS("file.read"))
		return open(obj, O_RDONLY);
	if (IS("file.write"))
		return open(obj, O_WRONLY | O_CREAT, 0644);
	if (IS("emit"))
		return optios_emit(obj, "", 0);
	if (IS("spawn"))
		return start(obj);
	if (IS("log.read"))
		return optios_log_read(0, &rec, 1);
	if (IS("handler.manage"))
		return optios_handler_remove("no-such-handler");
	if (IS("policy.manage"))
		return optios_policy(OPTIOS_POLICY_REVOKE, "no-such-program", "console", out, sizeof out);
	if (IS("power"))
		return syscall(SYS_reboot, 1, 2, 3, 0);
	if (IS("display"))
		return optios_fb_map(NULL);
	if (IS("console"))
		return write(1, "", 0);
	if (IS("dev.block"))
		return optios_blk(OPTIOS_BLK_INFO, "nosuchdisk", 0, NULL, 0);
#undef IS
	errno = EINVAL;
	return -2;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long r = attempt(argv[i]);
		if (r == -2) {
			fprintf(stderr, "probe: %s: unknown capability\n", argv[i]);
			return 2;
		}
		bool file = strncmp(argv[i], "file.", 5) == 0;
		bool denied = r < 0 && (errno == EACCES || (file && errno == ENOENT));
		printf("%s %s\n", argv[i], denied ? "deny" : "allow");
		fflush(stdout);
	}
	return 0;
}
