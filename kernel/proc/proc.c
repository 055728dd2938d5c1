/*
 * proc.c - the process table: creating, ending, waiting for and killing
 * processes, and what happens when a program faults.
 *
 * Theory of operation. A process is a slot in procs[] (PROC_MAX). Its life:
 *   UNUSED -> EMBRYO (proc_spawn builds it) -> RUNNABLE <-> RUNNING <-> BLOCKED
 *          -> ZOMBIE (proc_exit: memory, descriptors and cwd released; only
 *             the kernel stack it still runs on and the slot remain)
 *          -> UNUSED (its parent's wait4 reaps it, or, for a process without
 *             a parent, the scheduler loop via proc_reap_orphan).
 * A new process's kernel stack holds a trapframe for its first entry into
 * ring 3 (rip = ELF entry, rsp = the stack exec_load built, rflags = IF) and
 * under it an arch_context whose rip is trap_exit: the first switch to it
 * "returns" into the iretq path.
 *
 * Invariants: the table and every state field change with interrupts
 * disabled (one CPU; interrupt handlers may call proc_kill and
 * sched_wakeup). A parent pointer is either NULL or points at a live
 * (not UNUSED) process; when a parent ends its children get NULL. Nothing a
 * program does leads to panic: a fault ends it with a report.
 */
#include "kernel/proc/proc.h"

#include <optios/abi/handler.h>

#include "kernel/event/event.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/handler/handler.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/net/net.h"
#include "kernel/perm/perm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/proc/uaccess_internal.h"
#include "kernel/time/time.h"
#include "kernel/tty/tty.h"
#include "lib/lib.h"

/* VFS and TTY may be absent from a build: then programs get no descriptors. */
/* TTY's hook as a program ends (screen and terminal settings back). */
void tty_proc_exit(struct proc *p);

static struct proc procs[PROC_MAX];
static struct timer sleep_timers[PROC_MAX];
static int kill_signal[PROC_MAX];
static int next_pid = 1;

struct proc *proc_find(int pid)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

size_t proc_slot(const struct proc *p)
{
	return (size_t)(p - procs);
}

struct timer *proc_sleep_timer(struct proc *p)
{
	return &sleep_timers[p - procs];
}

int proc_status_code(int status)
{
	return (status & 0x7F) ? 128 + (status & 0x7F) : (status >> 8) & 0xFF;
}

void proc_foreach(void (*fn)(struct proc *p, void *arg), void *arg)
{
	uint64_t f = irq_save();
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_UNUSED)
			fn(&procs[i], arg);
	irq_restore(f);
}

static void sleep_timer_fire(struct timer *t, void *arg)
{
	(void)t;
	sched_wakeup(arg);
}

/* ---- creation ---- */

static struct proc *slot_alloc(void)
{
	uint64_t f = irq_save();
	struct proc *p = NULL;
	for (int i = 0; i < PROC_MAX && !p; i++)
		if (procs[i].state == PROC_UNUSED)
			p = &procs[i];
	if (p) {
		memset(p, 0, sizeof *p);
		p->state = PROC_EMBRYO;
		p->pid = next_pid++;
		kill_signal[p - procs] = 0;
		proc_signal_init(p);
		timer_init(proc_sleep_timer(p), sleep_timer_fire, proc_sleep_timer(p));
	}
	irq_restore(f);
	return p;
}

static bool proc_slot_free(void)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state == PROC_UNUSED)
			return true;
	return false;
}

static const char *basename(const char *path)
{
	const char *b = path;
	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			b = s + 1;
	return b;
}

/* Descriptors 0-2: the parent's when the child runs on the parent's console,
 * else three references to a new file on its own console; none at all (an
 * empty table) for a program without the console capability. */
static int setup_files(struct proc *p, struct proc *parent, struct tty *tty, const struct policy_set *perm)
{
	if (tty && perm && !policy_set_allows(perm, CAP_CONSOLE, "")) {
		p->fds = fdtable_create();
		return p->fds ? 0 : -ENOMEM;
	}
	if (parent && parent->fds && parent->tty == tty) {
		p->fds = fdtable_clone(parent->fds, 3);
		return p->fds ? 0 : -ENOMEM;
	}
	if (!tty)
		return 0; /* no console: the process has no descriptors */
	p->fds = fdtable_create();
	struct file *f = p->fds ? tty_open(tty) : NULL;
	if (!f)
		return -ENOMEM;
	fd_install(p->fds, f, 0);
	fd_install(p->fds, file_get(f), 1);
	fd_install(p->fds, file_get(f), 2);
	return 0;
}

/* A frame entering img's program with every other register 0. */
static void entry_frame(struct trapframe *tf, const struct exec_image *img)
{
	memset(tf, 0, sizeof *tf);
	tf->rip = img->entry;
	tf->cs = GDT_UCODE | 3;
	tf->rflags = 0x202; /* IF */
	tf->rsp = img->rsp;
	tf->ss = GDT_UDATA | 3;
}

struct trapframe *proc_top_frame(struct proc *p)
{
	return (struct trapframe *)((uint8_t *)p->kstack_top - sizeof(struct trapframe));
}

/* The first switch to p "returns" into trap_exit: a context under its frame. */
static void first_switch(struct proc *p)
{
	struct arch_context *c = (struct arch_context *)proc_top_frame(p) - 1;
	memset(c, 0, sizeof *c);
	c->rip = (uint64_t)trap_exit;
	p->context = c;
}

/* The first entry to ring 3: a trapframe at the stack top, a context below. */
static void setup_entry(struct proc *p, const struct exec_image *img)
{
	entry_frame(proc_top_frame(p), img);
	first_switch(p);
}

/* Whether another live process uses s (a vfork child and its parent). */
static bool space_shared(const struct proc *p, const struct vm_space *s)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (&procs[i] != p && procs[i].state != PROC_UNUSED && procs[i].space == s)
			return true;
	return false;
}

/* A vfork child is done with its parent's memory (exec or exit): the
 * parent goes on. */
static void vfork_release(struct proc *p)
{
	if (!p->vfork)
		return;
	p->vfork = false;
	sched_wakeup(&p->vfork);
}

static void release_resources(struct proc *p)
{
	if (p->fds)
		fdtable_destroy(p->fds);
	p->fds = NULL;
	kfree(p->cwd);
	p->cwd = NULL;
	if (p->space && !space_shared(p, p->space))
		vm_space_destroy(p->space);
	p->space = NULL;
	perm_put(p->perm);
	p->perm = NULL;
	perm_refusal_set(p, ""); /* frees it */
}

static void slot_free(struct proc *p)
{
	if (p->kstack_top)
		vm_stack_free(p->kstack_top);
	uint64_t f = irq_save();
	p->state = PROC_UNUSED;
	irq_restore(f);
}

/* Keeps argv (a kernel copy, NULL-terminated; NULL: none) as p's cmdline. */
static void set_cmdline(struct proc *p, char *const argv[])
{
	size_t len = 0;
	for (size_t i = 0; argv && argv[i] && len < sizeof p->cmdline; i++) {
		size_t n = MIN(strlen(argv[i]) + 1, sizeof p->cmdline - len);
		memcpy(p->cmdline + len, argv[i], n);
		len += n;
	}
	if (len == sizeof p->cmdline)
		p->cmdline[len - 1] = '\0'; /* cut: still a string */
	p->cmdline_len = (uint16_t)len;
}

struct proc *proc_create(const struct exec_image *img, const char *name, struct proc *parent, struct tty *tty,
			 struct policy_set *perm)
{
	struct proc *p = slot_alloc();
	if (!p)
		return NULL;
	p->space = img->space;
	p->kstack_top = vm_stack_alloc(PROC_KSTACK_PAGES);
	p->cwd = kmalloc(parent && parent->cwd ? strlen(parent->cwd) + 1 : 2);
	if (!p->kstack_top || !p->cwd || setup_files(p, parent, tty, perm) != 0) {
		p->space = NULL; /* the caller's to free */
		release_resources(p);
		slot_free(p);
		return NULL;
	}
	const char *cwd = parent && parent->cwd ? parent->cwd : "/";
	memcpy(p->cwd, cwd, strlen(cwd) + 1);
	memcpy(p->name, name, MIN(strlen(name), (size_t)PROC_NAME_MAX - 1));
	p->parent = parent;
	p->umask = parent ? parent->umask : 022;
	p->pgid = p->pid; /* a spawned program leads its own group (a job) */
	p->sid = parent ? parent->sid : p->pid;
	p->tty = tty;
	p->perm = perm;
	p->refusal = NULL;
	p->start_ns = clock_now_ns();
	p->brk_base = p->brk_end = img->brk_base;
	p->mmap_hint = EXEC_MMAP_BASE;
	setup_entry(p, img);
	sched_fpu_reset(p, proc_slot(p));
	if (tty)
		tty_set_foreground(tty, p);
	uint64_t f = irq_save();
	sched_make_runnable(p);
	irq_restore(f);
	klog(KLOG_DEBUG, "proc: %s[%d] started", p->name, p->pid);
	return p;
}

struct proc *proc_create_kernel(const char *name, void (*fn)(void))
{
	struct proc *p = slot_alloc();
	if (!p)
		return NULL;
	p->kstack_top = vm_stack_alloc(PROC_KSTACK_PAGES);
	p->cwd = vfs_cwd_copy(NULL);
	p->umask = 022;
	if (!p->kstack_top || !p->cwd) {
		release_resources(p);
		slot_free(p);
		return NULL;
	}
	memcpy(p->name, name, MIN(strlen(name), (size_t)PROC_NAME_MAX - 1));
	p->kernel_owned = true;
	p->background = true;
	p->start_ns = clock_now_ns();
	struct arch_context *c = (struct arch_context *)((uint8_t *)p->kstack_top - sizeof(struct trapframe)) - 1;
	memset(c, 0, sizeof *c);
	c->rip = (uint64_t)arch_thread_start;
	c->rbx = (uint64_t)fn;
	p->context = c;
	sched_fpu_reset(p, proc_slot(p));
	uint64_t f = irq_save();
	sched_make_runnable(p);
	irq_restore(f);
	return p;
}

/* The permissions of the program at path (its file: data, len; see
 * perm_for_image) in the foreground; a refusal is logged and kept for the
 * parent to explain (perm_refusal). The message is asked for only then (a
 * second computation: a refusal is rare, a 16 KiB buffer on every start is
 * not). */
static int spawn_perm(const char *path, const void *data, size_t len, bool writable, bool immutable,
		      struct proc *parent, struct policy_set **perm)
{
	int err =
		perm_for_image(path, data, len, writable, immutable, MANIFEST_CTX_FOREGROUND, perm, NULL, 0);
	if (!err || err == -ENOENT || err == -EISDIR || err == -ENOMEM)
		return err;
	char *msg = kmalloc(PERM_REFUSAL_MAX);
	if (!msg)
		return -ENOMEM;
	err = perm_for_image(path, data, len, writable, immutable, MANIFEST_CTX_FOREGROUND, perm, msg,
			     PERM_REFUSAL_MAX);
	if (err && err != -ENOENT && err != -EISDIR && err != -ENOMEM) {
		klog(KLOG_WARN, "proc: %s not started: %s", path, msg);
		if (parent)
			perm_refusal_set(parent, msg);
	}
	kfree(msg);
	return err;
}

#define SHEBANG_MAX 256 /* a script's "#!" line, at most (Linux: BINPRM_BUF_SIZE) */

/*
 * A script's first line, "#!INTERP [ARG]", copied into line (SHEBANG_MAX
 * bytes) and split: *interp and *arg (NULL: none; one argument, the rest of
 * the line, as Linux passes it). 0, or -ENOEXEC: not a script, or a line
 * without an interpreter or longer than SHEBANG_MAX.
 */
static int shebang(const char *data, size_t len, char *line, char **interp, char **arg)
{
	if (len < 2 || data[0] != '#' || data[1] != '!')
		return -ENOEXEC;
	size_t n = 2;
	while (n < len && data[n] != '\n' && n < SHEBANG_MAX)
		n++;
	if (n == SHEBANG_MAX)
		return -ENOEXEC;
	memcpy(line, data + 2, n - 2);
	line[n - 2] = '\0';
	char *s = line;
	while (*s == ' ' || *s == '\t')
		s++;
	*interp = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	if (*s)
		*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	*arg = *s ? s : NULL;
	return **interp ? 0 : -ENOEXEC;
}

/* The interpreter's argv: INTERP [ARG] SCRIPT argv[1..] (kmalloc'd pointers
 * into the strings given), or NULL. */
static char **script_argv(char *interp, char *arg, const char *script, char *const argv[])
{
	size_t n = 0;
	while (argv && argv[n])
		n++;
	char **v = kmalloc((n + 4) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	v[k++] = interp;
	if (arg)
		v[k++] = arg;
	v[k++] = (char *)script;
	for (size_t i = 1; i < n; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	return v;
}

static int program_load(const char *path, char *const argv[], char *const envp[], struct proc *parent,
			struct policy_set **perm, struct exec_image *img, bool script_ok);

/* Runs the script path (its first line in data) through its interpreter,
 * which the caller (parent, if any) must be allowed to start too; the
 * interpreter runs with its own permissions. */
static int script_load(const char *path, const void *data, size_t len, char *const argv[], char *const envp[],
		       struct proc *parent, struct policy_set **perm, struct exec_image *img)
{
	char *line = kmalloc(SHEBANG_MAX), *interp, *arg, **v = NULL;
	int err = line ? shebang(data, len, line, &interp, &arg) : -ENOMEM;
	if (err == 0 && interp[0] != '/')
		err = -ENOEXEC; /* an interpreter is named by its absolute path */
	if (err == 0 && parent && parent->perm && perm_check(parent, CAP_SPAWN, interp, NULL) != 0)
		err = -EACCES;
	if (err == 0 && !(v = script_argv(interp, arg, path, argv)))
		err = -ENOMEM;
	if (err == 0)
		err = program_load(interp, v, envp, parent, perm, img, false);
	kfree(v);
	kfree(line);
	return err;
}

/* The program at path read once (not even copied from the root image), its
 * permissions computed and its image built: what spawn and exec share. A
 * "#!" script (script_ok) runs its interpreter. 0 or an error (nothing held). */
static int program_load(const char *path, char *const argv[], char *const envp[], struct proc *parent,
			struct policy_set **perm, struct exec_image *img, bool script_ok)
{
	const void *data = NULL;
	void *copy;
	size_t len = 0;
	bool writable;
	int err = vfs_file_bytes(path, &data, &len, &copy, &writable);
	if (err)
		return err == -ENOTDIR ? -ENOENT : err;
	if (len >= 2 && ((const char *)data)[0] == '#' && ((const char *)data)[1] == '!')
		err = script_ok ? script_load(path, data, len, argv, envp, parent, perm, img) : -ENOEXEC;
	else if ((err = spawn_perm(path, data, len, writable, !copy, parent, perm)) == 0 &&
		 (err = exec_load_image(path, data, len, argv, envp, img)) != 0)
		perm_put(*perm);
	kfree(copy);
	return err;
}

int proc_spawn(const char *path, char *const argv[], char *const envp[], struct proc *parent, struct tty *tty)
{
	if (!proc_slot_free())
		return -EAGAIN;
	struct policy_set *perm;
	struct exec_image img;
	int err = program_load(path, argv, envp, parent, &perm, &img, true);
	if (err)
		return err;
	struct proc *p = proc_create(&img, basename(path), parent, tty, perm);
	if (!p) {
		perm_put(perm);
		vm_space_destroy(img.space);
		return -ENOMEM;
	}
	set_cmdline(p, argv);
	return p->pid;
}

/* ---- fork and exec ---- */

/* The child's first switch "returns" into trap_exit with a copy of the
 * parent's trapframe above its context: it enters user mode where the
 * parent's fork returns, with rax = 0. */
static void setup_fork_entry(struct proc *c, const struct trapframe *tf)
{
	struct trapframe *ctf = proc_top_frame(c);
	*ctf = *tf;
	ctf->rax = 0;
	first_switch(c);
}

/* Everything the child shares or copies (share: the memory itself); 0 or
 * -ENOMEM (the caller frees). */
static int fork_resources(struct proc *c, struct proc *p, bool share)
{
	c->kstack_top = vm_stack_alloc(PROC_KSTACK_PAGES);
	c->cwd = kmalloc(strlen(p->cwd ? p->cwd : "/") + 1);
	if (p->fds)
		c->fds = fdtable_clone(p->fds, FD_MAX);
	if (p->perm)
		c->perm = perm_get(p->perm);
	if (!c->kstack_top || !c->cwd || (p->fds && !c->fds))
		return -ENOMEM;
	c->space = share ? p->space : vm_space_clone_cow(p->space);
	if (!c->space)
		return -ENOMEM;
	memcpy(c->cwd, p->cwd ? p->cwd : "/", strlen(p->cwd ? p->cwd : "/") + 1);
	return 0;
}

/* The child of fork or vfork, ready to be made runnable; NULL with *err. */
static struct proc *fork_child(const struct trapframe *tf, bool share, int *err)
{
	struct proc *p = proc_current();
	*err = -EPERM; /* a handler's run: no rollback could undo a process */
	if (!p || p->handler || !p->space)
		return NULL;
	struct proc *c = slot_alloc();
	*err = -EAGAIN;
	if (!c)
		return NULL;
	if ((*err = fork_resources(c, p, share)) != 0) {
		if (share)
			c->space = NULL; /* the parent's */
		release_resources(c);
		slot_free(c);
		return NULL;
	}
	c->vfork = share;
	memcpy(c->name, p->name, sizeof c->name);
	memcpy(c->cmdline, p->cmdline, sizeof c->cmdline);
	c->cmdline_len = p->cmdline_len;
	c->parent = p;
	c->umask = p->umask; /* was lost: a forked child had umask 0 (BusyBox's uuencode) */
	c->pgid = p->pgid;
	c->sid = p->sid;
	c->tty = p->tty;
	c->start_ns = clock_now_ns();
	c->brk_base = p->brk_base;
	c->brk_end = p->brk_end;
	c->mmap_hint = p->mmap_hint;
	c->fs_base = p->fs_base;
	proc_signal_fork(c, p);
	setup_fork_entry(c, tf);
	sched_fpu_copy(c, proc_slot(c));
	klog(KLOG_DEBUG, "proc: %s[%d] forked %d", p->name, p->pid, c->pid);
	return c;
}

int proc_fork(const struct trapframe *tf)
{
	int err;
	struct proc *c = fork_child(tf, false, &err);
	if (!c)
		return err;
	uint64_t f = irq_save();
	sched_make_runnable(c);
	irq_restore(f);
	return c->pid;
}

int proc_vfork(const struct trapframe *tf, uint64_t sp)
{
	int err;
	struct proc *c = fork_child(tf, true, &err);
	if (!c)
		return err;
	int pid = c->pid;
	if (sp)
		proc_top_frame(c)->rsp = sp;
	uint64_t f = irq_save();
	sched_make_runnable(c);
	/* the child cannot be reaped meanwhile: only this process waits for it */
	/* not ended by signals: the child runs on this memory until it execs */
	while (c->vfork && !proc_current()->killed)
		sched_sleep_nosignal(&c->vfork);
	irq_restore(f);
	return pid; /* killed meanwhile: the memory stays the child's too (space_shared) */
}

static bool cloexec_console(const struct file *f, const void *arg)
{
	(void)arg;
	return tty_file_is(f);
}

/* The new image's entry: tf rewritten in place (all registers 0). */
static void exec_entry(struct proc *p, struct trapframe *tf, const struct exec_image *img)
{
	entry_frame(tf, img);
	tf->vector = ARCH_SYSCALL_VECTOR;
	p->frame_rewritten = true; /* leave by iretq: every register from tf */
}

int proc_exec(struct trapframe *tf, const char *path, char *const argv[], char *const envp[])
{
	struct proc *p = proc_current();
	if (!p || p->handler || !p->space)
		return -EPERM;
	struct policy_set *perm;
	struct exec_image img;
	int err = program_load(path, argv, envp, p, &perm, &img, true);
	if (err)
		return err;
	/* past here nothing fails: the old image goes */
	struct vm_space *old = p->space;
	uint64_t f = irq_save();
	p->space = img.space;
	vm_space_activate(img.space);
	bool shared = space_shared(p, old);
	irq_restore(f);
	if (!shared)
		vm_space_destroy(old);
	vfork_release(p);
	perm_put(p->perm);
	p->perm = perm;
	if (p->fds) {
		fd_close_cloexec(p->fds);
		proc_signal_exec(p);
		if (p->tty && !policy_set_allows(perm, CAP_CONSOLE, ""))
			fd_close_if(p->fds, cloexec_console, NULL); /* the console rule */
	}
	memset(p->name, 0, sizeof p->name);
	memcpy(p->name, basename(path), MIN(strlen(basename(path)), (size_t)PROC_NAME_MAX - 1));
	set_cmdline(p, argv);
	p->brk_base = p->brk_end = img.brk_base;
	p->mmap_hint = EXEC_MMAP_BASE;
	p->fs_base = 0;
	arch_set_fs_base(0);
	memset(p->enosys_logged, 0, sizeof p->enosys_logged);
	sched_fpu_reset(p, proc_slot(p));
	sched_fpu_load(p, proc_slot(p));
	exec_entry(p, tf, &img);
	klog(KLOG_DEBUG, "proc: %s[%d] exec %s", p->name, p->pid, path);
	return 0;
}

/* ---- ending ---- */

NORETURN void proc_exit(int status)
{
	struct proc *p = proc_current();
	if (!p)
		panic("proc_exit: no current process");
	timer_cancel(proc_sleep_timer(p));
	proc_signal_exit(p);
	vfork_release(p);
	bool foreground = p->tty && tty_foreground_pid(p->tty) == p->pid;
	tty_proc_exit(p);
	release_resources(p);
	if (foreground) { /* a forked helper of the foreground job hands nothing back */
		struct proc *back = p->parent && p->parent->tty == p->tty ? p->parent : NULL;
		tty_set_foreground(p->tty, back);
	}
	irq_disable();
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].parent == p)
			procs[i].parent = NULL;
	p->exit_status = status;
	p->state = PROC_ZOMBIE;
	klog(KLOG_DEBUG, "proc: %s[%d] ended, status %d", p->name, p->pid, proc_status_code(status));
	proc_signal_child_exit(p, status);
	sched_leave();
	panic("proc_exit: a zombie ran again");
}

static bool wait_match(const struct proc *c, const struct proc *self, int pid)
{
	if (c->state == PROC_UNUSED || c->parent != self)
		return false;
	if (pid == -1)
		return true;
	if (pid > 0)
		return c->pid == pid;
	return c->pgid == (pid == 0 ? self->pgid : -pid);
}

int proc_wait(int pid, int *status, uint64_t *cpu_ns, bool nohang)
{
	return proc_wait_opts(pid, status, cpu_ns, PROC_WAIT_EXITED | (nohang ? PROC_WAIT_NOHANG : 0));
}

/* A stop or continue of c the caller's flags want reported, or 0. */
static int state_change(const struct proc *c, int flags)
{
	if (!c->wait_report || c->state == PROC_ZOMBIE)
		return 0;
	if (c->wait_report == 0xffff)
		return (flags & PROC_WAIT_CONTINUED) ? c->wait_report : 0;
	return (flags & PROC_WAIT_UNTRACED) ? c->wait_report : 0;
}

int proc_wait_opts(int pid, int *status, uint64_t *cpu_ns, int flags)
{
	bool nohang = flags & PROC_WAIT_NOHANG, nowait = flags & PROC_WAIT_NOWAIT;
	struct proc *self = proc_current();
	if (!self)
		return -ECHILD;
	uint64_t f = irq_save();
	int ret;
	for (;;) {
		struct proc *zombie = NULL;
		bool any = false;
		for (int i = 0; i < PROC_MAX; i++) {
			if (!wait_match(&procs[i], self, pid))
				continue;
			any = true;
			if (procs[i].state == PROC_ZOMBIE && !zombie && (flags & PROC_WAIT_EXITED))
				zombie = &procs[i];
			int change = zombie ? 0 : state_change(&procs[i], flags);
			if (change) {
				if (status)
					*status = change;
				if (cpu_ns)
					*cpu_ns = 0;
				if (!nowait)
					procs[i].wait_report = 0;
				irq_restore(f);
				return procs[i].pid;
			}
		}
		if (zombie) {
			ret = zombie->pid;
			if (status)
				*status = zombie->exit_status;
			uint64_t cpu = zombie->cpu_ns + zombie->children_cpu_ns;
			if (cpu_ns)
				*cpu_ns = cpu;
			if (!nowait) {
				self->children_cpu_ns += cpu;
				slot_free(zombie);
			}
			break;
		}
		if (!any || nohang) {
			ret = any ? 0 : -ECHILD;
			break;
		}
		if ((ret = sched_sleep(self)) != 0)
			break;
	}
	irq_restore(f);
	return ret;
}

int proc_reap_orphan(int *status)
{
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = &procs[i];
		if (p->state == PROC_ZOMBIE && !p->parent) {
			int pid = p->pid;
			*status = p->exit_status;
			slot_free(p);
			return pid;
		}
	}
	return 0;
}

void proc_mark_killed(struct proc *p, int sig)
{
	if (p->state != PROC_ZOMBIE && p->state != PROC_EMBRYO && !p->killed) {
		p->killed = true;
		kill_signal[p - procs] = sig;
		if (p->state == PROC_BLOCKED)
			sched_make_runnable(p);
	}
}

int proc_kill(int pid, int sig)
{
	uint64_t f = irq_save();
	struct proc *p = proc_find(pid);
	int ret = p ? proc_signal_send(p, sig, 0x80 /* SI_KERNEL */, 0, 0) : -ESRCH;
	irq_restore(f);
	return ret;
}

void proc_return_to_user(struct trapframe *tf)
{
	struct proc *p = proc_current();
	if (!p)
		return;
	if (p->killed)
		proc_exit(PROC_SIGNALED(kill_signal[p - procs]));
	if (p->cpu_limit_ns && p->handler && sched_cpu_ns(p) >= p->cpu_limit_ns)
		handler_over_budget(tf);
	if (sched_need_resched() || net_pending())
		sched_yield(); /* the scheduler's loop runs the network's work first */
	if (p->killed)
		proc_exit(PROC_SIGNALED(kill_signal[p - procs]));
	proc_signal_deliver(tf);
	if (p->killed)
		proc_exit(PROC_SIGNALED(kill_signal[p - procs]));
}

void proc_report_enosys(struct proc *p, long nr, unsigned key, const char *name)
{
	if (p) {
		uint64_t *seen = handler_enosys_logged(p), bit = 1ull << (key % 64);
		if (!seen)
			seen = p->enosys_logged;
		if (seen[key / 64 % 8] & bit)
			return;
		seen[key / 64 % 8] |= bit;
	}
	const char *who = p ? p->name : "kernel";
	const struct optios_event *ev = handler_event(p); /* a handler's run: the event it handles */
	int pid = p ? p->pid : 0;
	klog(KLOG_WARN, "syscall: %s[%d] called unimplemented %s (%ld): -ENOSYS", who, pid, name, nr);
	evlog_add(OPTIOS_LOG_ENOSYS, who, ev ? ev->topic : "", ev ? ev->seq : 0, -ENOSYS, (uint64_t)nr,
		  (uint64_t)pid, 0, "called unimplemented %s (%ld)", name, nr);
}

/* ---- faults ---- */

static int fault_signal(unsigned vector)
{
	switch (vector) {
	case 0: /* divide error */
	case 16: /* x87 */
	case 19: /* SIMD */ return SIGFPE;
	case 6: return SIGILL;
	case 1:
	case 3: return SIGTRAP;
	default: return SIGSEGV;
	}
}

/* siginfo's si_code for a fault, as Linux gives it. */
static int fault_code(const struct trapframe *tf)
{
	switch (tf->vector) {
	case 14: return (tf->error & 1) ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */;
	case 0: return 1; /* FPE_INTDIV */
	case 6: return 2; /* ILL_ILLOPN */
	case 1:
	case 3: return 1; /* TRAP_BRKPT */
	case 16:
	case 19: return 7; /* FPE_FLTINV */
	default: return 0x80; /* SI_KERNEL: #GP and the rest */
	}
}

/* "page fault at 0x0 (write, not present) rip 0x401000" and the like. */
static void describe_fault(char *line, size_t size, const struct proc *p, const struct trapframe *tf,
			   uint64_t addr)
{
	if (tf->vector == 14)
		ksnprintf(line, size, "%s[%d]: page fault at 0x%lx (%s, %s) rip 0x%lx", p->name,
			  p->pid, (unsigned long)addr,
			  (tf->error & 16)  ? "execute"
			  : (tf->error & 2) ? "write"
					    : "read",
			  (tf->error & 1) ? "protection" : "not present", (unsigned long)tf->rip);
	else
		ksnprintf(line, size, "%s[%d]: %s (error %#lx) rip 0x%lx", p->name, p->pid,
			  trap_name((unsigned)tf->vector), (unsigned long)tf->error, (unsigned long)tf->rip);
}

static void report_fault(struct proc *p, const struct trapframe *tf, uint64_t addr)
{
	char line[192];
	describe_fault(line, sizeof line, p, tf, addr);
	klog(KLOG_WARN, "%s", line);
	struct file *err = p->fds ? fd_get(p->fds, 2) : NULL;
	if (err) {
		size_t n = strlen(line);
		line[n] = '\n';
		if (err->ops && err->ops->write)
			err->ops->write(err, line, n + 1);
		file_put(err);
	}
}

void proc_fault(struct trapframe *tf)
{
	struct proc *p = proc_current();
	if (!p)
		panic("proc_fault: user-mode trap without a process");
	uint64_t addr = read_cr2();
	if (tf->vector == 14 && !(tf->error & 16)) {
		bool present = tf->error & 1, write = tf->error & 2;
		uint64_t pa;
		unsigned fl = 0;
		bool cow = present && write && vm_translate(p->space, addr, &pa, &fl) == 0 && (fl & VM_COW);
		if ((cow || (!present && uaccess_in_stack(addr))) &&
		    uaccess_fault_in(p->space, addr, write) == 0)
			return;
	}
	int sig = fault_signal((unsigned)tf->vector);
	if (!p->handler && proc_signal_fault(p, sig, fault_code(tf), tf, tf->vector == 14 ? addr : tf->rip))
		return;
	irq_enable();
	if (p->handler) { /* a handler's run: rolled back, the runner goes on */
		char line[192];
		describe_fault(line, sizeof line, p, tf, addr);
		handler_fault(tf, line);
		return;
	}
	report_fault(p, tf, addr);
	proc_exit(PROC_SIGNALED(fault_signal((unsigned)tf->vector)));
}
