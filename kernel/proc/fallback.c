/*
 * fallback.c - weak stand-ins for what the file system and console
 * subsystems provide, so processes can be built and tested without them:
 * programs are read straight from the root cpio boot module, and write or
 * writev to descriptors 1 and 2 go to the kernel console. A strong
 * definition elsewhere (kernel/fs, kernel/tty) replaces each one.
 *
 * sys_write and sys_writev here are weak like the -ENOSYS aliases in
 * kernel/syscall/syscall.c; the linker keeps the first weak definition it
 * meets, and kernel/proc links before kernel/syscall.
 */
#include <optios/abi/stat.h>

#include "kernel/boot/bootinfo.h"
#include "kernel/console/console.h"
#include "kernel/exec/exec.h"
#include "kernel/fs/cpio.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/proc_internal.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

static const struct boot_module *rootfs_module(void)
{
	const struct bootinfo *bi = proc_bootinfo();
	if (!bi || bi->module_count == 0)
		return NULL;
	for (size_t i = 0; i < bi->module_count; i++)
		if (strcmp(bi->modules[i].cmdline, "rootfs") == 0)
			return &bi->modules[i];
	return &bi->modules[0];
}

__attribute__((weak)) int vfs_read_file(const char *path, void **data, size_t *len)
{
	const struct boot_module *m = rootfs_module();
	if (!m)
		return -ENOENT;
	struct cpio_entry e;
	int err = cpio_find(phys_to_virt(m->start), m->end - m->start, path, &e);
	if (err)
		return err;
	if ((e.mode & S_IFMT) != S_IFREG)
		return -EISDIR;
	*data = kmalloc(e.size);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, e.data, e.size);
	*len = e.size;
	return 0;
}

static long console_write(int fd, uptr buf, size_t len)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	char chunk[256];
	size_t done = 0;
	while (done < len) {
		size_t n = MIN(len - done, sizeof chunk);
		if (copy_from_user(chunk, buf + done, n))
			return done ? (long)done : -EFAULT;
		con_write(chunk, n);
		done += n;
	}
	return (long)done;
}

__attribute__((weak)) long sys_write(long fd, long buf, long len, long a3, long a4, long a5)
{
	(void)a3, (void)a4, (void)a5;
	if (len < 0)
		return -EINVAL;
	return console_write((int)fd, (uptr)buf, (size_t)len);
}

__attribute__((weak)) long sys_writev(long fd, long iov, long cnt, long a3, long a4, long a5)
{
	(void)a3, (void)a4, (void)a5;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	long total = 0;
	for (long i = 0; i < cnt; i++) {
		uint64_t v[2];
		if (copy_from_user(v, (uptr)iov + (uint64_t)i * 16, sizeof v))
			return -EFAULT;
		long n = console_write((int)fd, v[0], v[1]);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}
