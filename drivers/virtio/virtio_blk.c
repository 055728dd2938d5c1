/*
 * virtio_blk.c - virtio block devices (virtio spec 5.2) over the modern PCI
 * transport, registered as block devices vda, vdb, ... (kernel/block).
 *
 * Theory of operation. Probe negotiates VERSION_1 and FLUSH, sets up
 * queue 0 with its interrupt (MSI-X when the device has it, else INTx) and
 * registers the disk. A request is a chain of three descriptors: the
 * 16-byte header (type, sector), the data, the status byte the device
 * writes. One request is in flight at a time, so the chain always fits.
 *
 * Data moves through a bounce buffer of BOUNCE_BYTES owned by the disk:
 * callers' buffers may be on a kernel stack or anywhere (not physically
 * contiguous, not in the direct map), and the copy costs less than the
 * device's answer under QEMU. Larger requests are split.
 *
 * Waiting: the caller waits in block_wait (kernel/block) for the used
 * ring to move: a process sleeps (others run meanwhile: a flush in flight
 * does not stop the machine), the boot and self-tests halt the CPU; the
 * completion interrupt, or a timer armed at the deadline, wakes it. Who
 * may call: any kernel context that is not an interrupt handler - boot
 * code, self-tests, system calls, the handler runner. One request is in
 * flight at a time: a caller finding the disk busy sleeps until it is
 * free (a caller that cannot sleep gets -EBUSY: nothing would free it).
 * Called with interrupts disabled, it polls instead of waiting. A request
 * not answered within TIMEOUT_NS fails with -EIO and takes the disk
 * offline (the device is reset; every later call is -EIO): the system
 * stays up. Any status other than OK is -EIO.
 *
 * State: struct vblk, one per disk, allocated at probe and never freed.
 * irqs is written by the interrupt handler; busy (changed with interrupts
 * off) says a request is in flight, waiters sleep on &busy.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/block/block.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"
#include "virtio_pci.h"

#define VIRTIO_BLK_DEVICE 0x1042 /* modern: 0x1040 + device id 2 */
#define VIRTIO_BLK_LEGACY 0x1001 /* transitional: modern if it has the capabilities */
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define SECTOR 512
#define QUEUE_SIZE 16
#define BOUNCE_PAGES 16
#define BOUNCE_BYTES (BOUNCE_PAGES * PAGE_SIZE)
#define TIMEOUT_NS (10 * NS_PER_SEC)

struct vblk_req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct vblk {
	struct blkdev blk;
	struct virtio_pci vp;
	struct virtq q;
	volatile uint16_t *notify;
	uint16_t queue_index;
	bool flush, ro, dead, busy;
	/* The request page: header at 0, status byte at 64. */
	uint64_t req_pa;
	uint64_t bounce_pa;
	struct timer wake;
	uint64_t timeout_ns; /* TIMEOUT_NS (a self-test shortens it) */
	uint64_t irqs; /* interrupt handler */
};

static unsigned disk_count;

static void on_irq(void *arg)
{
	struct vblk *vb = arg;
	if (vb->vp.pci->irq_kind == PCI_IRQ_INTX && !(virtio_pci_isr(&vb->vp) & 1))
		return; /* a device sharing the line */
	vb->irqs++;
	block_wake(vb); /* the waiting caller reaps the used ring */
}

static void on_deadline(struct timer *t, void *arg)
{
	(void)t;
	block_wake(arg); /* the caller sees the deadline passed */
}

/* Waits for the chain at head to come back. 0, or -EIO (a device breaking
 * the ring's rules, or silent past the deadline: the disk goes offline). */
static int wait_done(struct vblk *vb, int head)
{
	uint64_t deadline = clock_now_ns() + vb->timeout_ns, t0 = block_clock();
	timer_arm(&vb->wake, deadline);
	int err = 0;
	for (;;) {
		uint64_t f = irq_save();
		uint16_t got;
		uint32_t len;
		int r = virtq_reap(&vb->q, &got, &len);
		bool late = r == 0 && clock_now_ns() >= deadline;
		if (r == 0 && !late && (f & (1 << 9))) {
			block_wait(vb); /* sleeps or halts; no interrupt is lost between the check and it */
			continue;
		}
		irq_restore(f);
		if (r == 0 && !late) {
			cpu_relax();
			continue;
		}
		if (r == 1 && got == head)
			break;
		err = -EIO;
		klog(KLOG_ERROR, "%s: %s: the disk is now offline", vb->blk.name,
		     late ? "the device did not answer in time" : "the device broke the queue's rules");
		vb->dead = true;
		virtio_pci_reset(&vb->vp);
		break;
	}
	timer_cancel(&vb->wake);
	vb->blk.wait_ticks += block_clock() - t0;
	return err;
}

/* One request of at most BOUNCE_BYTES of data (len 0: a flush). */
static int request(struct vblk *vb, uint32_t type, uint64_t sector, uint32_t len)
{
	if (vb->dead)
		return -EIO;
	struct vblk_req_hdr *hdr = phys_to_virt(vb->req_pa);
	volatile uint8_t *status = (volatile uint8_t *)hdr + 64;
	*hdr = (struct vblk_req_hdr){.type = type, .sector = sector};
	*status = 0xFF;
	struct virtq_buf bufs[3] = {{vb->req_pa, sizeof *hdr, false}};
	size_t n = 1;
	if (len)
		bufs[n++] = (struct virtq_buf){vb->bounce_pa, len, type == VIRTIO_BLK_T_IN};
	bufs[n++] = (struct virtq_buf){vb->req_pa + 64, 1, true};
	/* A caller with interrupts off polls: ask the device for no interrupt
	 * (without EVENT_IDX it honours the hint), or the completions would
	 * leave one pending that lands at the next sti (the boot's mount). */
	vb->q.avail->flags = irq_enabled() ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	int head = virtq_submit(&vb->q, bufs, n);
	if (head < 0)
		return -EIO; /* cannot happen with one request in flight */
	*vb->notify = vb->queue_index;
	int err = wait_done(vb, head);
	return err ? err : *status == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

/* Takes the disk for one call. 0, or -EBUSY for a caller that cannot
 * sleep while another's request is in flight. */
static int acquire(struct vblk *vb)
{
	uint64_t f = irq_save();
	while (vb->busy && block_wait_sleeps()) {
		block_wait(&vb->busy);
		irq_disable();
	}
	int err = vb->busy ? -EBUSY : 0;
	vb->busy = true;
	irq_restore(f);
	return err;
}

static void release(struct vblk *vb)
{
	vb->busy = false;
	block_wake(&vb->busy);
}

/* Reads or writes count sectors in bounce-sized pieces. */
static int transfer(struct blkdev *b, uint64_t sector, uint32_t count, uint8_t *buf, bool write)
{
	struct vblk *vb = b->priv;
	if (write && vb->ro)
		return -EIO;
	int err = acquire(vb);
	if (err)
		return err;
	while (count && !err) {
		uint32_t n = count < BOUNCE_BYTES / SECTOR ? count : BOUNCE_BYTES / SECTOR;
		if (write)
			memcpy(phys_to_virt(vb->bounce_pa), buf, (size_t)n * SECTOR);
		err = request(vb, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, n * SECTOR);
		if (!err && !write)
			memcpy(buf, phys_to_virt(vb->bounce_pa), (size_t)n * SECTOR);
		sector += n;
		count -= n;
		buf += (size_t)n * SECTOR;
	}
	release(vb);
	return err;
}

static int vblk_read(struct blkdev *b, uint64_t sector, uint32_t count, void *buf)
{
	return transfer(b, sector, count, buf, false);
}

static int vblk_write(struct blkdev *b, uint64_t sector, uint32_t count, const void *buf)
{
	return transfer(b, sector, count, (uint8_t *)buf, true);
}

/* Without the FLUSH feature the device promises nothing about its cache:
 * a flush cannot be honoured, so it fails (the durability contract). */
static int vblk_flush(struct blkdev *b)
{
	struct vblk *vb = b->priv;
	if (!vb->flush)
		return -EIO;
	int err = acquire(vb);
	if (err)
		return err;
	err = request(vb, VIRTIO_BLK_T_FLUSH, 0, 0);
	release(vb);
	return err;
}

static const struct blkdev_ops vblk_ops = {.read = vblk_read, .write = vblk_write, .flush = vblk_flush};

/* Memory the device reads and writes: the request page and the bounce buffer. */
static int alloc_dma(struct vblk *vb)
{
	vb->req_pa = pmm_alloc_zeroed();
	vb->bounce_pa = pmm_alloc_contig(BOUNCE_PAGES, 1);
	if (vb->req_pa && vb->bounce_pa)
		return 0;
	if (vb->req_pa)
		pmm_free(vb->req_pa);
	if (vb->bounce_pa)
		pmm_free_contig(vb->bounce_pa, BOUNCE_PAGES);
	return -ENOMEM;
}

static int bring_up(struct vblk *vb, struct pci_dev *dev)
{
	int err = virtio_pci_open(&vb->vp, dev);
	if (err)
		return err;
	uint64_t got;
	uint64_t wanted = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO;
	if ((err = virtio_pci_negotiate(&vb->vp, wanted, &got)))
		return err;
	vb->flush = got & (1ull << VIRTIO_BLK_F_FLUSH);
	vb->ro = got & (1ull << VIRTIO_BLK_F_RO);
	if (!vb->vp.device_cfg || vb->vp.device_cfg_len < 8)
		return -EIO;
	uint64_t capacity = *(volatile uint32_t *)vb->vp.device_cfg |
			    (uint64_t) * (volatile uint32_t *)(vb->vp.device_cfg + 4) << 32;
	int v = pci_irq_setup(dev, on_irq, vb, vb->blk.name);
	if (v < 0)
		return v;
	vb->vp.msix = dev->irq_kind == PCI_IRQ_MSIX;
	if ((err = virtio_pci_queue_setup(&vb->vp, 0, &vb->q, QUEUE_SIZE, &vb->notify)))
		return err;
	if ((err = alloc_dma(vb)))
		return err;
	virtio_pci_ready(&vb->vp);
	vb->blk.sectors = capacity;
	vb->blk.sector_size = SECTOR;
	return capacity ? 0 : -EIO;
}

static int vblk_probe(struct pci_dev *dev)
{
	if (dev->device != VIRTIO_BLK_DEVICE && dev->device != VIRTIO_BLK_LEGACY)
		return -ENODEV;
	if (disk_count >= 26)
		return -ENOSPC;
	struct vblk *vb = kzalloc(sizeof *vb);
	if (!vb)
		return -ENOMEM;
	ksnprintf(vb->blk.name, sizeof vb->blk.name, "vd%c", 'a' + disk_count);
	vb->blk.ops = &vblk_ops;
	vb->blk.priv = vb;
	timer_init(&vb->wake, on_deadline, vb);
	vb->timeout_ns = TIMEOUT_NS;
	int err = bring_up(vb, dev);
	if (!err)
		err = block_register(&vb->blk);
	if (err) {
		if (vb->vp.common)
			virtio_pci_reset(&vb->vp);
		return err; /* what was allocated stays: the device may still point at it */
	}
	disk_count++;
	dev->driver_data = vb;
	klog(KLOG_INFO, "%s: virtio-blk, %lu sectors of %u bytes (%lu MiB)%s%s", vb->blk.name,
	     (unsigned long)vb->blk.sectors, SECTOR, (unsigned long)(vb->blk.sectors >> 11),
	     vb->flush ? "" : ", no FLUSH: flushes fail", vb->ro ? ", read-only" : "");
	return 0;
}

const struct pci_driver virtio_blk_driver = {
	.name = "virtio-blk",
	.vendor = VIRTIO_VENDOR,
	.device = PCI_ANY,
	.class_code = -1,
	.subclass = -1,
	.prog_if = -1,
	.probe = vblk_probe,
};

/* A device that never answers: a disk whose registers and queue are plain
 * memory with nothing behind them. The request must come back -EIO after
 * the timeout - the CPU woken by the deadline timer, not hung in hlt - and
 * the disk must refuse everything after. */
SELFTEST(virtio_blk_silent_device_times_out)
{
	static uint8_t regs[64] __attribute__((aligned(8)));
	static uint16_t notify;
	struct vblk *vb = kzalloc(sizeof *vb);
	uint64_t ring = pmm_alloc_zeroed();
	int err = vb && ring ? alloc_dma(vb) : -ENOMEM;
	if (err) {
		kfree(vb);
		if (ring)
			pmm_free(ring);
		return err;
	}
	ksnprintf(vb->blk.name, sizeof vb->blk.name, "silent");
	vb->blk.priv = vb;
	vb->vp.common = regs;
	vb->notify = &notify;
	vb->flush = true;
	vb->timeout_ns = 200 * NS_PER_MS;
	timer_init(&vb->wake, on_deadline, vb);
	virtq_init(&vb->q, QUEUE_SIZE, phys_to_virt(ring));
	uint64_t f = irq_save();
	irq_enable();
	uint64_t t0 = clock_now_ns();
	int r1 = vblk_flush(&vb->blk);
	uint64_t took = clock_now_ns() - t0;
	uint8_t buf[512];
	int r2 = vblk_read(&vb->blk, 0, 1, buf);
	irq_disable();
	irq_restore(f);
	bool dead = vb->dead, armed = timer_armed(&vb->wake);
	pmm_free(ring);
	pmm_free(vb->req_pa);
	pmm_free_contig(vb->bounce_pa, BOUNCE_PAGES);
	kfree(vb);
	ST_CHECK(r1 == -EIO && dead);
	ST_CHECK(took >= 200 * NS_PER_MS && took < 2 * NS_PER_SEC);
	ST_CHECK(r2 == -EIO); /* offline: refused at once */
	ST_CHECK(!armed);
	return 0;
}
