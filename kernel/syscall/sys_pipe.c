/*
 * sys_pipe.c - pipes: pipe, pipe2, and the pipe's two open files.
 *
 * A pipe is a struct pipe (kmalloc'd) holding its pipe_buf (pipe_core.c:
 * the rules) over a 64 KiB ring, and two files: the read end (O_RDONLY) and
 * the write end (O_WRONLY), each with priv = the pipe. The last close of an
 * end lowers readers or writers; the pipe is freed when both are 0.
 *
 * Waiting: a reader with nothing to read and a writer with no room sleep on
 * the pipe's address (proc.h's rule: interrupts off from the test to the
 * sleep); every change wakes both sides (when any sleeps: sleepers counts
 * them, a wake-up scans the process table) and poll_wake()s the pollers. A
 * blocking write returns only when all its bytes are in (or a reader-less
 * pipe stops it: the bytes written so far, else -EPIPE). A nonblocking one
 * returns what fitted, or -EAGAIN.
 *
 * SIGPIPE: without signal delivery, a write to a pipe with no reader ends
 * the writer as SIGPIPE's default action does (wait status: signal 13),
 * unless it set SIGPIPE to be ignored (or caught: the handler cannot run),
 * when it gets -EPIPE.
 *
 * Locking: the pipe's fields change with interrupts disabled (one CPU).
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>
#include <optios/abi/poll.h>
#include <optios/abi/stat.h>

#include "arch.h"
#include "kernel/fs/file.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/pipe_core.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

#define SIGPIPE 13

struct pipe {
	struct pipe_buf buf;
	uint64_t id; /* st_ino */
	int sleepers; /* readers and writers asleep on the pipe */
};

static uint64_t next_id = 1;

static void changed(struct pipe *p)
{
	if (p->sleepers)
		sched_wakeup(p);
	poll_wake();
}

/* Sleeps on p (interrupts off): 0, -EINTR (killed), -EAGAIN (a handler's run). */
static int wait_on(struct pipe *p)
{
	p->sleepers++;
	int r = sched_sleep(p);
	p->sleepers--;
	return r;
}

static long pipe_read(struct file *f, void *out, size_t n)
{
	struct pipe *p = f->priv;
	if (n == 0)
		return 0;
	for (;;) {
		uint64_t fl = irq_save();
		long r = pipe_buf_read(&p->buf, out, n);
		if (r > 0)
			changed(p);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK)) {
			irq_restore(fl);
			return r;
		}
		r = wait_on(p);
		irq_restore(fl);
		if (r)
			return r;
	}
}

/* No reader: SIGPIPE's default action, unless the writer ignores it. */
static void broken_pipe(void)
{
	struct proc *self = proc_current();
	if (self && !self->sigpipe_ignored)
		proc_kill(self->pid, SIGPIPE);
}

static long pipe_write(struct file *f, const void *in, size_t n)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	long r = 0;
	uint64_t fl = irq_save();
	while (done < n) {
		r = pipe_buf_write(&p->buf, (const char *)in + done, n - done);
		if (r > 0) {
			done += (size_t)r;
			changed(p);
			continue;
		}
		if (r != -EAGAIN || (f->flags & O_NONBLOCK) || (r = wait_on(p)) != 0)
			break;
	}
	irq_restore(fl);
	if (r == -EPIPE)
		broken_pipe();
	return done ? (long)done : r;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;
	return pipe_buf_poll(&p->buf, (f->flags & O_ACCMODE) == O_RDONLY);
}

static int pipe_stat(struct file *f, struct kstat *st)
{
	struct pipe *p = f->priv;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFIFO | 0600;
	st->st_ino = p->id;
	st->st_nlink = 1;
	st->st_blksize = OPTIOS_PIPE_BUF;
	return 0;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	uint64_t fl = irq_save();
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->buf.readers--;
	else
		p->buf.writers--;
	bool last = p->buf.readers == 0 && p->buf.writers == 0;
	changed(p); /* end of file for readers, EPIPE for writers */
	irq_restore(fl);
	if (last) {
		kfree(p->buf.ring.buf);
		kfree(p);
	}
}

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.stat = pipe_stat,
	.release = pipe_release,
};

/* A new pipe's two ends (flags: O_NONBLOCK). 0 or -ENOMEM. */
static int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof *p);
	char *store = p ? kmalloc(OPTIOS_PIPE_SIZE) : NULL;
	*rd = store ? file_create(&pipe_ops, p, O_RDONLY | flags) : NULL;
	*wr = *rd ? file_create(&pipe_ops, p, O_WRONLY | flags) : NULL;
	if (!*wr) {
		kfree(*rd); /* no release: nothing counted yet */
		kfree(store);
		kfree(p);
		return -ENOMEM;
	}
	p->buf.ring = (struct ring){store, OPTIOS_PIPE_SIZE, 0, 0};
	p->buf.readers = p->buf.writers = 1;
	uint64_t fl = irq_save();
	p->id = next_id++;
	irq_restore(fl);
	return 0;
}

long sys_pipe2(long ufds, long flags, SYS_ARGS_FROM2)
{
	struct proc *self = proc_current();
	if (flags & ~(long)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!self->fds)
		return -EMFILE;
	struct file *rd, *wr;
	if (pipe_create((int)(flags & O_NONBLOCK), &rd, &wr) != 0)
		return -ENOMEM;
	int fd[2] = {fd_install(self->fds, rd, 0), -1};
	if (fd[0] >= 0)
		fd[1] = fd_install(self->fds, wr, 0);
	long r = fd[1] < 0 ? -EMFILE : copy_to_user((uptr)ufds, fd, sizeof fd);
	if (r) { /* undo: the descriptors go, and with them the files */
		if (fd[0] >= 0)
			fd_close(self->fds, fd[0]);
		else
			file_put(rd);
		if (fd[1] >= 0)
			fd_close(self->fds, fd[1]);
		else
			file_put(wr);
		return r;
	}
	if (flags & O_CLOEXEC) {
		fd_flags_set(self->fds, fd[0], FD_CLOEXEC);
		fd_flags_set(self->fds, fd[1], FD_CLOEXEC);
	}
	return 0;
}

long sys_pipe(long ufds, SYS_ARGS_FROM1)
{
	return sys_pipe2(ufds, 0, 0, 0, 0, 0);
}
