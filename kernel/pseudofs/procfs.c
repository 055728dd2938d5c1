/*
 * procfs.c - /proc: process and system information as text, made at open
 * (procfs_text.c has the formats).
 *
 *   /proc/self            the caller's /proc/PID (readlink: "PID")
 *   /proc/uptime meminfo stat loadavg mounts version
 *   /proc/PID/            stat status cmdline comm
 *
 * A process is read in one proc_foreach pass into a struct procfs_proc
 * (interrupts off meanwhile, so the values are one moment's); nothing here
 * holds a pointer to a process afterwards, so one that ends is simply gone
 * at the next lookup (-ENOENT). Every file is read-only (mode 0444).
 *
 * Who sees what (docs/PERMISSIONS.md, "/proc"): /proc is checked by path as
 * any file: file.read:/proc/ (or file.read:/, as the shell and BusyBox
 * have) shows every process, as optios_proc_list does for every program
 * today; a narrower grant (file.read:/proc/meminfo) shows just that.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/vfs.h"
#include "kernel/inet/inet.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/time/time.h"
#include "kernel/tty/tty.h"
#include "lib/lib.h"
#include "procfs_text.h"
#include "pseudofs.h"
#include "pseudofs_internal.h"

_Static_assert(sizeof(((struct procfs_proc *)0)->cmdline) >= PROC_CMDLINE_MAX, "a whole cmdline fits");

#define TEXT_MAX 4096 /* every file's text fits (the mount table is the longest) */

/* ---- reading processes ---- */

struct snap {
	int pid; /* wanted; 0: only count */
	bool found;
	struct procfs_proc info;
	unsigned running, total;
	int last_pid;
	uint64_t busy_ns;
};

static void snap_one(struct proc *p, void *arg)
{
	struct snap *s = arg;
	s->total++;
	s->running += p->state == PROC_RUNNING || p->state == PROC_RUNNABLE;
	s->last_pid = MAX(s->last_pid, p->pid);
	s->busy_ns += sched_cpu_ns(p);
	if (p->pid != s->pid || s->pid == 0)
		return;
	struct procfs_proc *o = &s->info;
	s->found = true;
	o->pid = p->pid;
	o->ppid = p->parent ? p->parent->pid : 0;
	o->pgid = p->pgid;
	o->sid = p->sid;
	o->tty_nr = p->tty ? (int)((4u << 8) | (tty_index(p->tty) + 1)) : 0; /* /dev/ttyN */
	o->state = p->state == PROC_ZOMBIE ? 'Z' : p->state == PROC_BLOCKED ? 'S' : 'R';
	memcpy(o->name, p->name, MIN(sizeof o->name, sizeof p->name) - 1);
	o->cpu_ns = sched_cpu_ns(p);
	o->children_cpu_ns = p->children_cpu_ns;
	o->start_ns = p->start_ns;
	o->pages = p->space ? vm_space_pages(p->space) : 0;
	o->cmdline_len = MIN(sizeof o->cmdline, (size_t)p->cmdline_len);
	memcpy(o->cmdline, p->cmdline, o->cmdline_len);
}

/* Reads process pid (0: none) and the counts of all. */
static void snap_take(struct snap *s, int pid)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	proc_foreach(snap_one, s);
}

static void add_pid(struct proc *p, void *arg)
{
	int **at = arg;
	*(*at)++ = p->pid;
}

/* "/123" or "/123/..." -> 123 and the rest after it; "/self" as the caller's pid. */
static int pid_of(const char *rest, const char **after)
{
	const char *s = rest + 1;
	int pid = 0;
	if (strncmp(s, "self", 4) == 0 && (s[4] == '\0' || s[4] == '/')) {
		struct proc *p = proc_current();
		*after = s + 4;
		return p ? p->pid : -ENOENT;
	}
	while (*s >= '0' && *s <= '9' && pid < PROC_MAX * 1000000)
		pid = pid * 10 + (*s++ - '0');
	*after = s;
	return s > rest + 1 && (*s == '\0' || *s == '/') && pid > 0 ? pid : -ENOENT;
}

/* ---- the files ---- */

enum pfile { PF_STAT, PF_STATUS, PF_CMDLINE, PF_COMM };
static const char *const pid_files[] = {"cmdline", "comm", "stat", "status"};
static const enum pfile pid_kinds[] = {PF_CMDLINE, PF_COMM, PF_STAT, PF_STATUS};

enum gfile { GF_LOADAVG, GF_MEMINFO, GF_MOUNTS, GF_RESOLV, GF_STAT, GF_UPTIME, GF_VERSION };
static const char *const global_files[] = {"loadavg", "meminfo", "mounts", "resolv.conf",
					   "stat",    "uptime",	 "version"};

/* The DNS servers the stack uses (DHCP's, or /etc/net.conf's) in
 * resolv.conf's format: /etc/resolv.conf is a link here, so musl's
 * resolver asks the servers the network gave (docs/NETWORK.md). */
static int resolv_text(char *buf, size_t size)
{
	uint32_t dns[2];
	inet_dns_servers(dns);
	int n = ksnprintf(buf, size, "# the DNS servers in use (DHCP or /etc/net.conf)\n");
	for (int i = 0; i < 2; i++) {
		const uint8_t *b = (const uint8_t *)&dns[i];
		if (dns[i] && (size_t)n < size)
			n += ksnprintf(buf + n, size - (size_t)n, "nameserver %u.%u.%u.%u\n", b[0], b[1],
				       b[2], b[3]);
	}
	return n;
}

/* What `df` reads (Linux's format): the mounts of kernel/fs's vfs_init and
 * ours. The root image is "/dev/root" as Linux names a root it mounted
 * itself (df skips a device named "rootfs": Linux's empty first root);
 * /data is "store" when it is on the disk store (docs/STORAGE.md), else in memory. */
static int mounts_text(char *buf, size_t size)
{
	struct vfs_fsinfo data = {0};
	vfs_fsinfo(NULL, "/data", &data);
	return ksnprintf(buf, size,
			 "/dev/root / rootfs ro 0 0\n%s /data %s %s 0 0\ntmpfs /tmp tmpfs rw 0 0\n"
			 "devtmpfs /dev devtmpfs rw 0 0\nproc /proc proc ro 0 0\n",
			 data.persistent ? "store" : "ramfs", data.persistent ? "optios-store" : "ramfs",
			 data.readonly ? "ro" : "rw");
}

static int global_text(enum gfile g, char *buf, size_t size)
{
	struct snap s;
	snap_take(&s, 0);
	uint64_t up = clock_now_ns(), idle = up > s.busy_ns ? up - s.busy_ns : 0;
	switch (g) {
	case GF_LOADAVG: return procfs_loadavg_text(buf, size, s.running, s.total, s.last_pid);
	case GF_MEMINFO: {
		struct procfs_mem m = {pmm_total_count(), pmm_free_count()};
		return procfs_meminfo_text(buf, size, &m);
	}
	case GF_MOUNTS: return mounts_text(buf, size);
	case GF_RESOLV: return resolv_text(buf, size);
	case GF_STAT: return procfs_cpustat_text(buf, size, s.busy_ns, idle, s.running, s.total);
	case GF_UPTIME: return procfs_uptime_text(buf, size, up, idle);
	case GF_VERSION: return ksnprintf(buf, size, "OptiOS version 0.1 (optios) #1 x86_64\n");
	}
	return 0;
}

static int pid_text(enum pfile k, const struct procfs_proc *p, char *buf, size_t size)
{
	switch (k) {
	case PF_STAT: return procfs_stat_text(buf, size, p);
	case PF_STATUS: return procfs_status_text(buf, size, p);
	case PF_COMM: return ksnprintf(buf, size, "%s\n", p->name);
	case PF_CMDLINE: /* none for the kernel's own (the handler runner), as Linux's threads */
		memcpy(buf, p->cmdline, MIN(size, p->cmdline_len));
		return (int)p->cmdline_len;
	}
	return 0;
}

static int find_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* What rest names: a global file (*g), a process directory (*pid, *k = -1)
 * or a process file (*pid, *k), the root (all -1). 0 or -ENOENT. */
static int resolve(const char *rest, int *g, int *pid, int *k)
{
	const char *after;
	*g = *pid = *k = -1;
	if (rest[0] == '\0')
		return 0;
	if ((*g = find_name(global_files, ARRAY_SIZE(global_files), rest + 1)) >= 0)
		return 0;
	if ((*pid = pid_of(rest, &after)) < 0)
		return -ENOENT;
	struct snap s;
	snap_take(&s, *pid);
	if (!s.found)
		return -ENOENT;
	if (*after == '\0')
		return 0;
	*k = find_name(pid_files, ARRAY_SIZE(pid_files), after + 1);
	return *k >= 0 ? 0 : -ENOENT;
}

static int open_text(int g, int pid, int k, struct file **out)
{
	char *buf = kmalloc(TEXT_MAX);
	if (!buf)
		return -ENOMEM;
	int n;
	if (g >= 0) {
		n = global_text((enum gfile)g, buf, TEXT_MAX);
	} else {
		struct snap s;
		snap_take(&s, pid);
		if (!s.found) {
			kfree(buf);
			return -ENOENT;
		}
		n = pid_text(pid_kinds[k], &s.info, buf, TEXT_MAX);
	}
	*out = pseudofs_text_file(buf, (size_t)MIN(n, TEXT_MAX - 1));
	return *out ? 0 : -ENOMEM;
}

static int open_root(struct file **out)
{
	const char *names[ARRAY_SIZE(global_files) + 1 + PROC_MAX];
	unsigned char types[ARRAY_SIZE(names)];
	char pidtext[PROC_MAX][12];
	int pids[PROC_MAX], *at = pids;
	size_t n = 0;
	proc_foreach(add_pid, &at);
	for (size_t i = 0; i < ARRAY_SIZE(global_files); i++, n++) {
		names[n] = global_files[i];
		types[n] = DT_REG;
	}
	names[n] = "self";
	types[n++] = PSEUDOFS_DT_LNK;
	for (int *p = pids; p < at; p++, n++) {
		ksnprintf(pidtext[p - pids], sizeof pidtext[0], "%d", *p);
		names[n] = pidtext[p - pids];
		types[n] = DT_DIR;
	}
	*out = pseudofs_dir_file("/proc", names, types, n);
	return *out ? 0 : -ENOMEM;
}

static int open_pid_dir(int pid, struct file **out)
{
	char path[24];
	unsigned char types[ARRAY_SIZE(pid_files)];
	for (size_t i = 0; i < ARRAY_SIZE(pid_files); i++)
		types[i] = DT_REG;
	ksnprintf(path, sizeof path, "/proc/%d", pid);
	*out = pseudofs_dir_file(path, pid_files, types, ARRAY_SIZE(pid_files));
	return *out ? 0 : -ENOMEM;
}

int procfs_open(const char *rest, int flags, struct file **out)
{
	int g, pid, k;
	int err = resolve(rest, &g, &pid, &k);
	if (err)
		return flags & O_CREAT ? -EACCES : err;
	bool dir = g < 0 && k < 0;
	if ((flags & O_ACCMODE) != O_RDONLY)
		return dir ? -EISDIR : -EACCES;
	if (!dir && (flags & O_DIRECTORY))
		return -ENOTDIR;
	if (!dir)
		return open_text(g, pid, k, out);
	return pid < 0 ? open_root(out) : open_pid_dir(pid, out);
}

int procfs_stat(const char *rest, struct kstat *st)
{
	int g, pid, k;
	int err = resolve(rest, &g, &pid, &k);
	if (err)
		return err;
	bool dir = g < 0 && k < 0;
	uint64_t ino = pid < 0 ? (uint64_t)g + 2 : (uint64_t)pid * 16 + (uint64_t)(k + 1) + 100;
	pseudofs_stat_fill(st, dir ? S_IFDIR | 0555 : S_IFREG | 0444, PSEUDOFS_DEV_PROC, ino);
	return 0;
}

long procfs_readlink(const char *rest, char *buf, size_t size)
{
	int g, pid, k;
	int err = resolve(rest, &g, &pid, &k);
	if (err)
		return err;
	if (strcmp(rest, "/self") != 0)
		return -EINVAL;
	char text[12];
	int n = ksnprintf(text, sizeof text, "%d", pid);
	size_t len = MIN((size_t)n, size);
	memcpy(buf, text, len);
	return (long)len;
}
