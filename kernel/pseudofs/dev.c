/*
 * dev.c - /dev: a fixed table of character devices with Linux's names,
 * numbers and modes. No device keeps state; an open file of one holds
 * nothing (priv: its table entry), /dev/tty excepted: it opens the caller's
 * own console as descriptors 0-2 are (kernel/tty).
 *
 * Permissions (docs/PERMISSIONS.md, "Devices"): every device in the table
 * is "free" - opened for reading and writing without a file grant -
 * because none reaches anything of anyone else: null and full discard,
 * zero and the random devices make bytes, tty is the caller's own console.
 * A device that would reach something shared (a disk, another console)
 * would be left out of `free` and checked by path as any file.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/proc/proc.h"
#include "kernel/rand/rand.h"
#include "kernel/tty/tty.h"
#include "lib/lib.h"
#include "pseudofs.h"
#include "pseudofs_internal.h"

enum dev_kind { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_TTY };

struct dev {
	const char *name;
	enum dev_kind kind;
	unsigned major, minor; /* Linux's (Documentation/admin-guide/devices.txt) */
};

static const struct dev devices[] = {
	{"full", DEV_FULL, 1, 7}, {"null", DEV_NULL, 1, 3},	 {"random", DEV_RANDOM, 1, 8},
	{"tty", DEV_TTY, 5, 0},	  {"urandom", DEV_RANDOM, 1, 9}, {"zero", DEV_ZERO, 1, 5},
};

static const struct dev *find(const char *rest)
{
	if (rest[0] != '/')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (strcmp(rest + 1, devices[i].name) == 0)
			return &devices[i];
	return NULL;
}

bool devfs_free(const char *rest)
{
	return find(rest) != NULL;
}

static long dev_read(struct file *f, void *buf, size_t len)
{
	const struct dev *d = f->priv;
	switch (d->kind) {
	case DEV_NULL: return 0;
	case DEV_RANDOM: rand_fill(buf, len); return (long)len;
	default: memset(buf, 0, len); return (long)len;
	}
}

static long dev_write(struct file *f, const void *buf, size_t len)
{
	const struct dev *d = f->priv;
	(void)buf;
	return d->kind == DEV_FULL ? -ENOSPC : (long)len;
}

static long dev_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dev_read(f, buf, len);
}

static long dev_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dev_write(f, buf, len);
}

/* Linux: seeking these always succeeds and leaves the offset 0. */
static long dev_lseek(struct file *f, int64_t off, int whence)
{
	(void)off, (void)whence;
	f->off = 0;
	return 0;
}

static void fill(const struct dev *d, struct kstat *st)
{
	pseudofs_stat_fill(st, S_IFCHR | 0666, PSEUDOFS_DEV_DEV, (uint64_t)(d - devices) + 2);
	st->st_rdev = ((uint64_t)d->major << 8) | d->minor;
}

static int dev_stat(struct file *f, struct kstat *st)
{
	fill(f->priv, st);
	return 0;
}

static void dev_release(struct file *f)
{
	(void)f; /* the table entry is static */
}

/* No poll op: always ready to read and write, as Linux's. */
static const struct file_ops dev_ops = {
	.read = dev_read,
	.write = dev_write,
	.pread = dev_pread,
	.pwrite = dev_pwrite,
	.lseek = dev_lseek,
	.stat = dev_stat,
	.release = dev_release,
};

static int open_dir(int flags, struct file **out)
{
	const char *names[ARRAY_SIZE(devices)];
	unsigned char types[ARRAY_SIZE(devices)];
	if ((flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		names[i] = devices[i].name;
		types[i] = PSEUDOFS_DT_CHR;
	}
	*out = pseudofs_dir_file("/dev", names, types, ARRAY_SIZE(devices));
	return *out ? 0 : -ENOMEM;
}

int devfs_open(const char *rest, int flags, struct file **out)
{
	if (rest[0] == '\0')
		return open_dir(flags, out);
	const struct dev *d = find(rest);
	if (!d)
		return flags & O_CREAT ? -EACCES : -ENOENT;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (d->kind == DEV_TTY) {
		struct proc *p = proc_current();
		if (!p || !p->tty)
			return -ENXIO;
		*out = tty_open(p->tty);
	} else {
		*out = file_create(&dev_ops, (void *)d, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	}
	return *out ? 0 : -ENOMEM;
}

int devfs_stat(const char *rest, struct kstat *st)
{
	if (rest[0] == '\0') {
		pseudofs_stat_fill(st, S_IFDIR | 0755, PSEUDOFS_DEV_DEV, 1);
		return 0;
	}
	const struct dev *d = find(rest);
	if (!d)
		return -ENOENT;
	fill(d, st);
	return 0;
}
