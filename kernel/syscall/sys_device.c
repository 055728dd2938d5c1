/*
 * sys_device.c - devices seen from programs: the PCI list (lspci) and raw
 * block access for tests (optios_pci_list, optios_blk; ABI in
 * include/optios/abi/optios.h).
 *
 * optios_blk reads and writes sectors below any file system, so the
 * dispatcher lets only programs granted dev.block call it (syscalls.def);
 * the user's image grants it to nobody. Sectors move through a kernel
 * buffer of at most OPTIOS_BLK_MAX_SECTORS sectors: the user's pages are
 * never handed to a driver.
 */
#include <optios/abi/optios.h>

#include "kernel/block/block.h"
#include "kernel/fs/vfs.h"
#include "kernel/persist/persist.h"
#include "kernel/mm/mm.h"
#include "kernel/pci/pci.h"
#include "kernel/sensor/sensor.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"

_Static_assert(PCI_IRQ_NONE == OPTIOS_PCI_IRQ_NONE && PCI_IRQ_INTX == OPTIOS_PCI_IRQ_INTX &&
		       PCI_IRQ_MSI == OPTIOS_PCI_IRQ_MSI && PCI_IRQ_MSIX == OPTIOS_PCI_IRQ_MSIX,
	       "the ABI's interrupt kinds are the kernel's");

static void pci_info_fill(struct optios_pci_info *o, const struct pci_dev *d)
{
	memset(o, 0, sizeof *o);
	o->segment = d->seg;
	o->bus = d->bus, o->dev = d->dev, o->fn = d->fn;
	o->class_code = d->class_code, o->subclass = d->subclass;
	o->prog_if = d->prog_if, o->revision = d->revision;
	o->irq_kind = (uint8_t)d->irq_kind;
	o->vendor = d->vendor, o->device = d->device;
	if (d->driver)
		ksnprintf(o->driver, sizeof o->driver, "%s", d->driver->name);
	ksnprintf(o->class_name, sizeof o->class_name, "%s", pci_class_name(d->class_code, d->subclass));
}

long sys_optios_pci_list(long uout, long max, SYS_ARGS_FROM2)
{
	long count = 0;
	for (const struct pci_dev *d = pci_first(); d; d = d->next, count++) {
		if ((unsigned long)count >= (unsigned long)max)
			continue; /* counting the rest */
		struct optios_pci_info o;
		pci_info_fill(&o, d);
		if (copy_to_user((uptr)uout + (uptr)count * sizeof o, &o, sizeof o))
			return -EFAULT;
	}
	return count;
}

static long blk_info(struct blkdev *d, uptr ubuf)
{
	struct optios_blk_info info = {.sectors = d->sectors,
				       .sector_size = d->sector_size,
				       .reads = d->reads,
				       .writes = d->writes,
				       .flushes = d->flushes,
				       .errors = d->errors,
				       .wait_ticks = d->wait_ticks};
	return copy_to_user(ubuf, &info, sizeof info) ? -EFAULT : 0;
}

/* READ or WRITE of count sectors through a kernel buffer. */
static long blk_rw(struct blkdev *d, bool write, uint64_t sector, uptr ubuf, unsigned long count)
{
	if (count == 0 || count > OPTIOS_BLK_MAX_SECTORS)
		return -EINVAL;
	size_t bytes = (size_t)count * d->sector_size;
	void *buf = kmalloc(bytes);
	if (!buf)
		return -ENOMEM;
	long err = 0;
	if (write && copy_from_user(buf, ubuf, bytes))
		err = -EFAULT;
	if (!err)
		err = write ? block_write(d, sector, (uint32_t)count, buf)
			    : block_read(d, sector, (uint32_t)count, buf);
	if (!err && !write && copy_to_user(ubuf, buf, bytes))
		err = -EFAULT;
	kfree(buf);
	return err;
}

long sys_optios_blk(long op, long uname, long sector, long ubuf, long count, UNUSED long a5)
{
	char name[sizeof((struct blkdev *)0)->name];
	long n = strncpy_from_user(name, (uptr)uname, sizeof name);
	if (n < 0)
		return n == -ENAMETOOLONG ? -ENODEV : n;
	struct blkdev *d = block_find(name);
	if (!d)
		return -ENODEV;
	switch (op) {
	case OPTIOS_BLK_INFO: return blk_info(d, (uptr)ubuf);
	case OPTIOS_BLK_READ: return blk_rw(d, false, (uint64_t)sector, (uptr)ubuf, (unsigned long)count);
	case OPTIOS_BLK_WRITE: return blk_rw(d, true, (uint64_t)sector, (uptr)ubuf, (unsigned long)count);
	case OPTIOS_BLK_FLUSH: return block_flush(d);
	default: return -EINVAL;
	}
}

/* df: the store's counters (under its lock) and the RAM of /data and /tmp. */
long sys_optios_store_info(SYS_ARGS)
{
	struct optios_store_info o;
	memset(&o, 0, sizeof o);
	o.block_size = STORE_BLOCK;
	struct store *st = persist_store();
	if (st) {
		struct store_stats s;
		persist_lock();
		store_stats_get(st, &s);
		struct blkdev *dev = store_device(st);
		ksnprintf(o.device, sizeof o.device, "%s", dev->name);
		o.device_reads = dev->reads, o.device_writes = dev->writes;
		o.device_flushes = dev->flushes, o.device_ticks = dev->ticks;
		persist_unlock();
		o.flags = OPTIOS_STORE_MOUNTED | (persist_failed() ? OPTIOS_STORE_FAILED : 0);
		o.blocks = s.blocks, o.log_blocks = s.log_blocks;
		o.used_blocks = s.used_blocks, o.live_blocks = s.live_blocks, o.keys = s.keys;
		o.committed_seq = s.committed_seq, o.durable_seq = s.durable_seq;
		o.flushes = s.flushes, o.blocks_written = s.blocks_written;
	}
	struct vfs_usage u;
	bool ro;
	vfs_data_usage(&u, &ro);
	o.data_used = u.used, o.data_limit = u.limit;
	if (ro)
		o.flags |= OPTIOS_STORE_DATA_RO;
	if (vfs_usage("/tmp", &u) == 0)
		o.tmp_used = u.used, o.tmp_limit = u.limit;
	return copy_to_user((uptr)a0, &o, sizeof o) ? -EFAULT : 0;
}

/* The sensors (sensors): copied out of a kernel buffer, filled with
 * interrupts off so one device's numbers are consistent. */
long sys_optios_sensor_list(long uout, long max, SYS_ARGS_FROM2)
{
	struct optios_sensor_info *buf = kmalloc(SENSOR_DEVICES_LIST_MAX * sizeof *buf);
	if (!buf)
		return -ENOMEM;
	size_t n = sensor_list(buf, SENSOR_DEVICES_LIST_MAX);
	size_t copy = MIN(n, MIN((unsigned long)max, SENSOR_DEVICES_LIST_MAX));
	long r = copy && copy_to_user((uptr)uout, buf, copy * sizeof *buf) ? -EFAULT : (long)n;
	kfree(buf);
	return r;
}
