/*
 * init.c - the first process. After the boot the kernel starts /bin/sh on
 * console 0 (or the program named by optios.init=PATH) and runs the
 * scheduler. The shell is started again when it ends, unless it keeps dying
 * at once (5 times within 5 s): then, as when it cannot start at all, the
 * kernel says why and falls back to the kernel monitor.
 *
 * optios.init=monitor starts the kernel monitor instead of any program.
 * With optios.init (system tests), the program's end is reported as
 *   init: PATH exited with status N
 * (N: the exit code, or 128 + signal) and QEMU is ended through
 * isa-debug-exit (debug_exit): 33 if N is 0, 35 otherwise.
 */
#include "kernel/boot/bootinfo.h"
#include "kernel/debug/debug.h"
#include "kernel/handler/handler.h"
#include "kernel/log/klog.h"
#include "kernel/monitor/monitor.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "kernel/tty/tty.h"

#define INIT_PATH_MAX 128
#define RESPAWN_BURST 5
#define RESPAWN_WINDOW_NS (5 * NS_PER_SEC)

static char init_path[INIT_PATH_MAX] = "/bin/sh";
static bool init_from_cmdline;
static int init_pid;
static uint64_t burst_start_ns;
static int burst_count;

static int start_init(void)
{
	char *argv[] = {init_path, NULL};
	/* The shell's own search order (BusyBox's applets in /usr/bin): a
	 * program that searches PATH itself (BusyBox's sh) finds them too. */
	char *envp[] = {"PATH=/bin:/usr/bin", "HOME=/", "TERM=linux", NULL};
	struct tty *tty = tty_get(0);
	int pid = proc_spawn(init_path, argv, envp, NULL, tty);
	if (pid > 0)
		init_pid = pid;
	return pid;
}

static NORETURN void give_up(const char *why, int err)
{
	klog(KLOG_ERROR, "init: %s %s (error %d); starting the kernel monitor", init_path, why, err);
	if (init_from_cmdline)
		debug_exit(DEBUG_EXIT_FAIL);
	monitor_run();
}

void proc_init_exited(int pid, int status)
{
	if (pid != init_pid)
		return;
	int code = proc_status_code(status);
	if (init_from_cmdline) {
		kprintf("init: %s exited with status %d\n", init_path, code);
		debug_exit(code == 0 ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
		give_up("exited", code);
	}
	uint64_t now = clock_now_ns();
	if (now - burst_start_ns > RESPAWN_WINDOW_NS) {
		burst_start_ns = now;
		burst_count = 0;
	}
	if (++burst_count > RESPAWN_BURST)
		give_up("keeps ending at once", code);
	klog(KLOG_INFO, "init: %s exited with status %d; starting it again", init_path, code);
	int err = start_init();
	if (err < 0)
		give_up("cannot start", err);
}

NORETURN void proc_init_run(const struct bootinfo *bi)
{
	syscall_init();
	sched_init();
	char path[INIT_PATH_MAX];
	if (bootinfo_arg(bi, "optios.init", path, sizeof path) && path[0]) {
		if (strcmp(path, "monitor") == 0) {
			klog(KLOG_INFO, "init: the kernel monitor, as optios.init asks");
			monitor_run();
		}
		memcpy(init_path, path, sizeof path);
		init_from_cmdline = true;
	}
	handler_boot();
	int err = start_init();
	if (err < 0)
		give_up("cannot start", err);
	klog(KLOG_INFO, "init: started %s (pid %d)", init_path, err);
	sched_run();
}
