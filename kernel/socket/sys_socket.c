/*
 * sys_socket.c - the socket system calls of the Linux ABI: socket, bind,
 * listen, accept/accept4, connect, sendto/recvfrom/sendmsg/recvmsg,
 * shutdown, getsockname/getpeername, setsockopt/getsockopt. Each copies in
 * and checks its user arguments (sockaddr_in, msghdr and its iovecs,
 * option values), then calls socket.c, which never sees a user pointer;
 * data moves through a kernel buffer of at most SOCK_IO_MAX bytes at a
 * time. read, write, close, poll, select, fcntl and dup reach sockets as
 * any file (socket.c's file ops).
 *
 * Only IPv4 (AF_INET): other families are -EAFNOSUPPORT, so musl's
 * resolver and getaddrinfo fall back to IPv4 as they do on a Linux without
 * IPv6. A handler's run may not make sockets (-EPERM): its network effects
 * are net: events and staged sends, which a rollback can take back.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/file.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/socket/socket_internal.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define IOV_MAX 1024
#define OPT_MAX 64 /* bytes of an option value */

struct k_sockaddr_in {
	uint16_t family;
	uint16_t port; /* network order */
	uint32_t addr;
	uint8_t zero[8];
};

struct k_iovec {
	uint64_t base, len;
};

struct k_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};

static uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* The socket at fd with a reference on its file (file_put *f when done). */
static struct sock *get_sock(long fd, struct file **f, long *err)
{
	*f = fd_get(proc_current()->fds, (int)fd);
	struct sock *s = sock_of(*f);
	*err = !*f ? -EBADF : !s ? -ENOTSOCK : 0;
	if (*f && !s)
		file_put(*f);
	return s;
}

/* A user sockaddr: 0 with *out, 1 for AF_UNSPEC (when allowed), or -E... */
static int addr_in(uptr uaddr, long len, bool unspec_ok, struct sock_addr *out)
{
	struct k_sockaddr_in sa = {0};
	if (len < 0 || (size_t)len > 128)
		return -EINVAL;
	if (len < 2)
		return -EINVAL;
	if (copy_from_user(&sa, uaddr, MIN((size_t)len, sizeof sa)))
		return -EFAULT;
	if (sa.family == AF_UNSPEC && unspec_ok)
		return 1;
	if (sa.family != AF_INET)
		return -EAFNOSUPPORT;
	if ((size_t)len < sizeof sa)
		return -EINVAL;
	*out = (struct sock_addr){sa.addr, swap16(sa.port)};
	return 0;
}

/* Writes a to the user's sockaddr (cut at *ulen) and its full size to *ulen. */
static int addr_out(uptr uaddr, uptr ulen, struct sock_addr a)
{
	if (!uaddr)
		return 0;
	int32_t len;
	if (copy_from_user(&len, ulen, sizeof len))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	struct k_sockaddr_in sa = {.family = AF_INET, .port = swap16(a.port), .addr = a.addr};
	if (copy_to_user(uaddr, &sa, MIN((size_t)len, sizeof sa)))
		return -EFAULT;
	len = sizeof sa;
	return copy_to_user(ulen, &len, sizeof len) ? -EFAULT : 0;
}

static long install(struct file *f, bool cloexec)
{
	struct fdtable *t = proc_current()->fds;
	int fd = t ? fd_install(t, f, 0) : -EMFILE;
	if (fd < 0) {
		file_put(f);
		return fd;
	}
	if (cloexec)
		fd_flags_set(t, fd, FD_CLOEXEC);
	return fd;
}

long sys_socket(long domain, long type, long proto, SYS_ARGS_FROM3)
{
	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (type & ~(long)(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (proc_current()->handler)
		return -EPERM;
	struct file *f;
	long err = sock_create((int)(type & SOCK_TYPE_MASK), (int)proto, type & SOCK_NONBLOCK, &f);
	return err ? err : install(f, type & SOCK_CLOEXEC);
}

long sys_bind(long fd, long uaddr, long len, SYS_ARGS_FROM3)
{
	struct sock_addr a;
	int err = addr_in((uptr)uaddr, len, false, &a);
	if (err)
		return err;
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	r = sock_bind(s, a);
	file_put(f);
	return r;
}

long sys_listen(long fd, long backlog, SYS_ARGS_FROM2)
{
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	r = sock_listen(s, (int)backlog);
	file_put(f);
	return r;
}

long sys_accept4(long fd, long uaddr, long ulen, long flags, SYS_ARGS_FROM4)
{
	if (flags & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct file *f, *nf;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	struct sock_addr peer;
	r = sock_accept(s, f->flags & O_NONBLOCK, flags & SOCK_NONBLOCK, &nf, &peer);
	file_put(f);
	if (r)
		return r;
	r = install(nf, flags & SOCK_CLOEXEC);
	if (r >= 0) {
		int e = addr_out((uptr)uaddr, (uptr)ulen, peer);
		if (e) {
			fd_close(proc_current()->fds, (int)r);
			r = e;
		}
	}
	return r;
}

long sys_accept(long fd, long uaddr, long ulen, SYS_ARGS_FROM3)
{
	return sys_accept4(fd, uaddr, ulen, 0, 0, 0);
}

long sys_connect(long fd, long uaddr, long len, SYS_ARGS_FROM3)
{
	struct sock_addr a;
	int unspec = addr_in((uptr)uaddr, len, true, &a);
	if (unspec < 0)
		return unspec;
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	r = sock_connect(s, unspec ? NULL : &a, f->flags & O_NONBLOCK);
	file_put(f);
	return r;
}

long sys_shutdown(long fd, long how, SYS_ARGS_FROM2)
{
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	r = sock_shutdown(s, (int)how);
	file_put(f);
	return r;
}

static long name(long fd, long uaddr, long ulen, bool peer)
{
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	struct sock_addr a;
	r = sock_name(s, peer, &a);
	file_put(f);
	return r ? r : addr_out((uptr)uaddr, (uptr)ulen, a);
}

long sys_getsockname(long fd, long uaddr, long ulen, SYS_ARGS_FROM3)
{
	return name(fd, uaddr, ulen, false);
}

long sys_getpeername(long fd, long uaddr, long ulen, SYS_ARGS_FROM3)
{
	return name(fd, uaddr, ulen, true);
}

long sys_setsockopt(long fd, long level, long optname, long uval, long len, SYS_ARGS_FROM5)
{
	uint8_t val[OPT_MAX];
	if (len < 0)
		return -EINVAL;
	size_t n = MIN((size_t)len, sizeof val);
	if (copy_from_user(val, (uptr)uval, n))
		return -EFAULT;
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	r = sock_setopt(s, (int)level, (int)optname, val, n);
	file_put(f);
	return r;
}

long sys_getsockopt(long fd, long level, long optname, long uval, long ulen, SYS_ARGS_FROM5)
{
	int32_t len;
	uint8_t val[OPT_MAX];
	if (copy_from_user(&len, (uptr)ulen, sizeof len))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	size_t n = MIN((size_t)len, sizeof val);
	r = sock_getopt(s, (int)level, (int)optname, val, &n);
	file_put(f);
	if (r)
		return r;
	len = (int32_t)n;
	if (copy_to_user((uptr)uval, val, n) || copy_to_user((uptr)ulen, &len, sizeof len))
		return -EFAULT;
	return 0;
}

/* ---- moving data ---- */

/* Gathers bytes [skip, skip + max) of the iovecs into buf: how many, or -EFAULT. */
static long gather(const struct k_iovec *iov, size_t n, size_t skip, char *buf, size_t max)
{
	size_t done = 0;
	for (size_t i = 0; i < n && done < max; i++) {
		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		size_t k = MIN(iov[i].len - skip, max - done);
		if (copy_from_user(buf + done, (uptr)(iov[i].base + skip), k))
			return -EFAULT;
		done += k;
		skip = 0;
	}
	return (long)done;
}

static long scatter(const struct k_iovec *iov, size_t n, const char *buf, size_t len)
{
	size_t done = 0;
	for (size_t i = 0; i < n && done < len; i++) {
		size_t k = MIN(iov[i].len, len - done);
		if (copy_to_user((uptr)iov[i].base, buf + done, k))
			return -EFAULT;
		done += k;
	}
	return 0;
}

/*
 * Sends the bytes of iov (a stream: all of them, SOCK_IO_MAX at a time,
 * until one send takes less; a datagram: one, at most SOCK_IO_MAX).
 * Returns the bytes sent, or the error if none were.
 */
static long send_iov(long fd, const struct k_iovec *iov, size_t n, int flags, const struct sock_addr *to)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (iov[i].len > 0x7ffff000ul - total)
			return -EINVAL;
		total += iov[i].len;
	}
	struct file *f;
	long r;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	bool stream = sock_type(s) == SOCK_STREAM;
	char *buf = kmalloc(MIN(MAX(total, 1), (size_t)SOCK_IO_MAX));
	size_t done = 0;
	r = buf ? 0 : -ENOMEM;
	do {
		if (!buf)
			break;
		long k = gather(iov, n, done, buf, SOCK_IO_MAX);
		if (k < 0 || (size_t)k < MIN(total - done, (size_t)SOCK_IO_MAX)) {
			r = -EFAULT;
			break;
		}
		bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
		r = sock_send(s, buf, (size_t)k, flags, to, nonblock);
		if (r > 0)
			done += (size_t)r;
		if (r < k)
			break;
	} while (done < total && stream);
	kfree(buf);
	file_put(f);
	return done ? (long)done : r;
}

long sys_sendto(long fd, long ubuf, long len, long flags, long uaddr, long alen)
{
	struct sock_addr a;
	if (uaddr) {
		int err = addr_in((uptr)uaddr, alen, false, &a);
		if (err)
			return err;
	}
	struct k_iovec iov = {(uint64_t)ubuf, (uint64_t)len};
	return send_iov(fd, &iov, 1, (int)flags, uaddr ? &a : NULL);
}

long sys_recvfrom(long fd, long ubuf, long len, long flags, long uaddr, long ualen)
{
	struct file *f;
	long r;
	if (len < 0)
		return -EINVAL;
	struct sock *s = get_sock(fd, &f, &r);
	if (!s)
		return r;
	size_t n = MIN((size_t)len, (size_t)SOCK_IO_MAX);
	char *buf = kmalloc(MAX(n, 1));
	struct sock_addr from = {0};
	int fl;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	r = buf ? sock_recv(s, buf, n, (int)flags, &from, &fl, nonblock) : -ENOMEM;
	file_put(f);
	if (r > 0 && copy_to_user((uptr)ubuf, buf, MIN((size_t)r, n)))
		r = -EFAULT;
	kfree(buf);
	if (r >= 0 && uaddr) {
		int e = addr_out((uptr)uaddr, (uptr)ualen, from);
		if (e)
			r = e;
	}
	return r;
}

/* The user's msghdr and a kernel copy of its iovecs (kfree *iov). */
static long msg_in(uptr umsg, struct k_msghdr *m, struct k_iovec **iov)
{
	*iov = NULL;
	if (copy_from_user(m, umsg, sizeof *m))
		return -EFAULT;
	if (m->iovlen > IOV_MAX)
		return -EMSGSIZE;
	*iov = kmalloc(m->iovlen * sizeof **iov + 1);
	if (!*iov)
		return -ENOMEM;
	if (copy_from_user(*iov, (uptr)m->iov, m->iovlen * sizeof **iov))
		return -EFAULT;
	return 0;
}

long sys_sendmsg(long fd, long umsg, long flags, SYS_ARGS_FROM3)
{
	struct k_msghdr m;
	struct k_iovec *iov;
	struct sock_addr a;
	long r = msg_in((uptr)umsg, &m, &iov);
	if (!r && m.name)
		r = addr_in((uptr)m.name, m.namelen, false, &a);
	if (!r)
		r = send_iov(fd, iov, m.iovlen, (int)flags, m.name ? &a : NULL);
	kfree(iov);
	return r;
}

long sys_recvmsg(long fd, long umsg, long flags, SYS_ARGS_FROM3)
{
	struct k_msghdr m;
	struct k_iovec *iov;
	long r = msg_in((uptr)umsg, &m, &iov);
	size_t total = 0;
	for (size_t i = 0; !r && i < m.iovlen; i++)
		total += iov[i].len;
	struct file *f = NULL;
	struct sock *s = r ? NULL : get_sock(fd, &f, &r);
	char *buf = s ? kmalloc(MAX(MIN(total, (size_t)SOCK_IO_MAX), 1)) : NULL;
	struct sock_addr from = {0};
	int fl = 0;
	if (s && !buf)
		r = -ENOMEM;
	if (buf) {
		bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
		r = sock_recv(s, buf, MIN(total, (size_t)SOCK_IO_MAX), (int)flags, &from, &fl, nonblock);
	}
	if (f)
		file_put(f);
	if (r > 0 && scatter(iov, m.iovlen, buf, MIN((size_t)r, MIN(total, (size_t)SOCK_IO_MAX))))
		r = -EFAULT;
	if (r >= 0) {
		struct k_sockaddr_in sa = {.family = AF_INET, .port = swap16(from.port), .addr = from.addr};
		if (m.name && copy_to_user((uptr)m.name, &sa, MIN((size_t)m.namelen, sizeof sa)))
			r = -EFAULT;
		m.namelen = m.name ? sizeof sa : 0;
		m.controllen = 0;
		m.flags = fl;
		if (r >= 0 && copy_to_user((uptr)umsg, &m, sizeof m))
			r = -EFAULT;
	}
	kfree(buf);
	kfree(iov);
	return r;
}
