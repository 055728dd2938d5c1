/*
 * nvme.c - NVMe controllers on PCI (class 01h, subclass 08h, prog-if 02h),
 * namespace 1 of each registered as a block device: nvme0n1, nvme1n1, ...
 *
 * Theory of operation. Probe maps BAR0, resets the controller, gives it an
 * admin queue pair, enables it, asks Identify for the controller and for
 * namespace 1, then creates one I/O queue pair (queue 1) and registers the
 * disk. A read or write becomes one NVMe command per chunk (at most MDTS
 * and what one PRP list page describes, nvme_core.c); a flush is an NVMe
 * Flush command, always: the specification makes it a successful no-op
 * when the controller has no volatile write cache, so the durability
 * contract of kernel/block/block.h holds without trusting the VWC bit, at
 * the price of one round trip on such a device.
 *
 * Data pointers: the caller's buffer is described in place by PRPs, page
 * by page through the kernel's page tables (vm_translate), so it may be on
 * a kernel stack, in the heap or anywhere mapped; a read needs a writable
 * mapping. A buffer that is not 4-byte aligned (PRPs cannot say it) goes
 * through the controller's bounce page, one page at a time.
 *
 * Completion: polled. One command is in flight per controller; the caller
 * spins on the phase tag of the next completion entry until it flips,
 * checking the clock (and CSTS.CFS) every POLL_CHECK spins. The kernel is
 * not preemptible, so nothing else could run meanwhile anyway; polling
 * works with interrupts on or off, needs no wake-up path, and never halts
 * in a wait a timer must end (under -icount sleep=off, a halt jumps virtual
 * time to the next armed timer, so waiting would read as time passing, up
 * to the guard's own deadline; docs/DEVICES.md has the measurement).
 * Interrupts stay off at the controller (IEN 0, INTMS, INTx
 * disabled). Who may call block_* on an NVMe disk: any kernel context that
 * is not an interrupt handler or timer callback; a call while another is
 * in flight (from an interrupt) gets -EBUSY.
 *
 * Errors: a status other than success is -EIO, logged. A command not
 * answered within its timeout, or a controller reporting a fatal status,
 * is -EIO too, and the controller is reset (disabled, which stops it
 * touching the caller's memory, then brought up again with fresh queues);
 * if that fails the controller is stopped (disabled, else cut off from
 * memory) and the disk is dead: every later call is -EIO. Error lines
 * stop after LOG_LIMIT per controller (counted in blkdev.errors still).
 * Nothing here panics on anything the device does.
 *
 * State: ctrls[], filled by probe, never freed; each controller's pages
 * (queues, PRP list, bounce, Identify) are allocated at probe and kept.
 * Invariants: busy is set while a block call is in the driver, and the
 * queues' memory and rings change only then or during probe (before the
 * disk is registered); at most one command is outstanding, so a queue is
 * never full unless the controller stops consuming it.
 */
#include "arch.h"
#include "kernel/block/block.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/pci/pci.h"
#include "kernel/time/time.h"
#include "lib/lib.h"
#include "nvme_internal.h"

#define NVME_MAX_CTRLS 4
#define ADMIN_ENTRIES 32
#define IO_ENTRIES 64
#define ADMIN_TIMEOUT_NS (10 * NS_PER_SEC)
#define IO_TIMEOUT_NS (30 * NS_PER_SEC)
#define POLL_CHECK 256 /* spins between clock checks */
#define LOG_LIMIT 16
#define NSID 1
_Static_assert(IO_ENTRIES * sizeof(struct nvme_sqe) <= PAGE_SIZE && ADMIN_ENTRIES <= IO_ENTRIES,
	       "each queue fits its one page");

enum { PG_ASQ, PG_ACQ, PG_IOSQ, PG_IOCQ, PG_PRP, PG_BOUNCE, PG_IDENTIFY, PG_COUNT };

struct nvme_queue {
	uint16_t qid;
	struct nvme_ring ring;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_pa, cq_pa;
	volatile uint32_t *sq_db, *cq_db;
	uint16_t next_cid;
};

struct nvme_ctrl {
	/* Set by probe, constant afterwards. */
	unsigned index;
	struct pci_dev *pci;
	volatile uint8_t *regs;
	struct nvme_cap cap;
	struct nvme_ctrl_id id;
	uint64_t page[PG_COUNT]; /* physical; reached through the direct map */
	uint64_t max_bytes; /* per command */
	struct blkdev blk;
	/* Owned by whoever set busy. */
	struct nvme_queue admin, io;
	bool busy, dead;
	bool starting; /* being brought up (probe, reset): a timeout fails that, no nested reset */
	unsigned logged;
	struct nvme_stats stats;
	/* Self-tests: the next test_lose commands are queued without ringing
	 * their doorbell, each given test_timeout_ns. */
	unsigned test_lose;
	uint64_t test_timeout_ns;
};

static struct nvme_ctrl ctrls[NVME_MAX_CTRLS];
static unsigned nctrls;

/* ---- registers ---- */

static uint32_t reg_read(const struct nvme_ctrl *c, unsigned off)
{
	return *(volatile const uint32_t *)(c->regs + off);
}

static void reg_write(const struct nvme_ctrl *c, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(c->regs + off) = v;
}

static void reg_write64(const struct nvme_ctrl *c, unsigned off, uint64_t v)
{
	reg_write(c, off, (uint32_t)v);
	reg_write(c, off + 4, (uint32_t)(v >> 32));
}

static void *page_va(const struct nvme_ctrl *c, int which)
{
	return phys_to_virt(c->page[which]);
}

static void log_error(struct nvme_ctrl *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void log_error(struct nvme_ctrl *c, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	if (c->logged > LOG_LIMIT)
		return;
	if (c->logged++ == LOG_LIMIT) {
		klog(KLOG_ERROR, "nvme%u: more errors: counted, no longer logged", c->index);
		return;
	}
	va_start(ap, fmt);
	kvsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	klog(KLOG_ERROR, "nvme%u: %s", c->index, line);
}

/* Whether a wait that began timeout_ns before deadline is over. The clock
 * runs by the time PCI is scanned; should it not, the spin count bounds the
 * wait instead (a spin takes more than 8 ns). */
static bool expired(uint64_t deadline, uint64_t timeout_ns, uint64_t spins)
{
	return clock_now_ns() >= deadline || (!clock_tsc_hz() && spins > timeout_ns / 8);
}

/* Waits until CSTS.RDY equals ready; 0, or -EIO on timeout, fatal status
 * or a controller that reads as all ones (gone). */
static int wait_ready(struct nvme_ctrl *c, bool ready)
{
	uint64_t timeout_ns = (uint64_t)c->cap.ready_timeout_ms * NS_PER_MS;
	uint64_t deadline = clock_now_ns() + timeout_ns;
	for (uint64_t spins = 0;; spins++) {
		uint32_t csts = reg_read(c, NVME_REG_CSTS);
		if (csts == 0xffffffffu)
			return -EIO;
		if (ready && (csts & NVME_CSTS_CFS))
			return -EIO;
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return 0;
		if (expired(deadline, timeout_ns, spins))
			return -EIO;
		cpu_relax();
	}
}

/* ---- commands ---- */

static void queue_init(struct nvme_ctrl *c, struct nvme_queue *q, uint16_t qid, int sq_page, int cq_page,
		       uint32_t entries)
{
	q->qid = qid;
	q->sq_pa = c->page[sq_page];
	q->cq_pa = c->page[cq_page];
	q->sq = page_va(c, sq_page);
	q->cq = page_va(c, cq_page);
	memset(q->sq, 0, PAGE_SIZE);
	memset((void *)q->cq, 0, PAGE_SIZE);
	q->sq_db = (volatile uint32_t *)(c->regs + nvme_doorbell_offset(qid, false, c->cap.doorbell_stride));
	q->cq_db = (volatile uint32_t *)(c->regs + nvme_doorbell_offset(qid, true, c->cap.doorbell_stride));
	nvme_ring_init(&q->ring, entries);
}

/*
 * Spins until the completion of command cid arrives on q; other entries
 * (there should be none) are consumed and dropped. Returns 0 with *status
 * (0 = success), -ETIMEDOUT, or -EIO (fatal controller status).
 */
static int wait_completion(struct nvme_ctrl *c, struct nvme_queue *q, uint16_t cid, uint64_t timeout_ns,
			   uint16_t *status)
{
	uint64_t deadline = clock_now_ns() + timeout_ns;
	for (uint64_t spins = 1;; spins++) {
		volatile struct nvme_cqe *v = &q->cq[q->ring.cq_head];
		if ((v->status & 1) == q->ring.cq_phase) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the entry after its phase tag */
			struct nvme_cqe e = {v->result, 0, v->sq_head, v->sq_id, v->cid, v->status};
			if (nvme_ring_cq_pop(&q->ring, &e))
				log_error(c, "queue %u: completion names SQ head %u of %u", q->qid, e.sq_head,
					  q->ring.size);
			*q->cq_db = q->ring.cq_head;
			if (e.cid == cid) {
				*status = e.status >> 1;
				c->stats.spins += spins;
				return 0;
			}
		}
		if (spins % POLL_CHECK == 0) {
			if (expired(deadline, timeout_ns, spins))
				return -ETIMEDOUT;
			if (reg_read(c, NVME_REG_CSTS) & NVME_CSTS_CFS)
				return -EIO;
		}
		cpu_relax();
	}
}

static int ctrl_reset(struct nvme_ctrl *c);

/*
 * Submits cmd on q and waits for it. Returns 0, a positive NVMe status
 * (the caller logs it with its context), or -EIO: no room, or no answer
 * in time (the controller is then reset, logged here).
 */
static int submit(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_sqe *cmd, uint64_t timeout_ns)
{
	bool lose = c->test_lose > 0;
	if (lose) {
		c->test_lose--;
		timeout_ns = c->test_timeout_ns;
	}
	if (nvme_ring_sq_full(&q->ring)) {
		log_error(c, "queue %u full: the controller stopped consuming it", q->qid);
		return -EIO;
	}
	cmd->cid = q->next_cid++;
	q->sq[nvme_ring_sq_push(&q->ring)] = *cmd;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the entry before the doorbell */
	if (!lose)
		*q->sq_db = q->ring.sq_tail;
	c->stats.commands++;
	uint16_t status;
	uint64_t t0 = rdtsc();
	int err = wait_completion(c, q, cmd->cid, timeout_ns, &status);
	c->stats.wait_tsc += rdtsc() - t0;
	c->blk.wait_ticks += rdtsc() - t0; /* the TSC is the block clock too */
	if (err == 0)
		return status;
	c->stats.timeouts++;
	log_error(c, "queue %u opcode %#x: %s%s", q->qid, cmd->opc,
		  err == -ETIMEDOUT ? "no answer in time" : "fatal controller status",
		  c->starting ? "" : ": resetting the controller");
	if (!c->starting && ctrl_reset(c) == 0)
		log_error(c, "reset done: the disk works again");
	return -EIO;
}

static int admin(struct nvme_ctrl *c, struct nvme_sqe *cmd, const char *what)
{
	int r = submit(c, &c->admin, cmd, ADMIN_TIMEOUT_NS);
	if (r > 0)
		log_error(c, "%s: %s (status %#x)", what, nvme_status_str((uint16_t)r), r);
	return r ? -EIO : 0;
}

/* ---- bring-up ---- */

static int create_io_queues(struct nvme_ctrl *c)
{
	struct nvme_sqe cmd;
	uint32_t entries = MIN(IO_ENTRIES, c->cap.max_entries);
	queue_init(c, &c->io, 1, PG_IOSQ, PG_IOCQ, entries);
	nvme_cmd_create_cq(&cmd, 1, entries, c->io.cq_pa);
	int err = admin(c, &cmd, "create I/O completion queue");
	if (err)
		return err;
	nvme_cmd_create_sq(&cmd, 1, entries, c->io.sq_pa, 1);
	return admin(c, &cmd, "create I/O submission queue");
}

/* Disables the controller, gives it a fresh admin queue, enables it. */
static int ctrl_enable(struct nvme_ctrl *c)
{
	if ((reg_read(c, NVME_REG_CC) & NVME_CC_EN) || (reg_read(c, NVME_REG_CSTS) & NVME_CSTS_RDY)) {
		reg_write(c, NVME_REG_CC, reg_read(c, NVME_REG_CC) & ~NVME_CC_EN);
		if (wait_ready(c, false)) {
			log_error(c, "does not leave the ready state");
			return -EIO;
		}
	}
	uint32_t entries = MIN(ADMIN_ENTRIES, c->cap.max_entries);
	queue_init(c, &c->admin, 0, PG_ASQ, PG_ACQ, entries);
	reg_write(c, NVME_REG_INTMS, 0xffffffffu); /* polled: no interrupt wanted */
	reg_write(c, NVME_REG_AQA, (entries - 1) << 16 | (entries - 1));
	reg_write64(c, NVME_REG_ASQ, c->admin.sq_pa);
	reg_write64(c, NVME_REG_ACQ, c->admin.cq_pa);
	reg_write(c, NVME_REG_CC,
		  NVME_CC_EN | NVME_CC_CSS_NVM | NVME_CC_MPS_4K | NVME_CC_AMS_RR | NVME_CC_IOSQES |
			  NVME_CC_IOCQES);
	if (wait_ready(c, true)) {
		log_error(c, "does not become ready (CSTS %#x)", reg_read(c, NVME_REG_CSTS));
		return -EIO;
	}
	return 0;
}

/* Stops the controller for good: disabled, and if it will not stop, cut off
 * from memory (bus mastering off), so it never writes where it should not. */
static void ctrl_stop(struct nvme_ctrl *c)
{
	reg_write(c, NVME_REG_CC, reg_read(c, NVME_REG_CC) & ~NVME_CC_EN);
	if (wait_ready(c, false))
		pci_write16(c->pci, PCI_COMMAND, pci_read16(c->pci, PCI_COMMAND) & ~PCI_COMMAND_MASTER);
}

/* After a lost command: disabling the controller ends every command it
 * holds (none will write into memory after), then it gets fresh queues. */
static int ctrl_reset(struct nvme_ctrl *c)
{
	c->starting = true;
	c->stats.resets++;
	int err = ctrl_enable(c);
	if (!err)
		err = create_io_queues(c);
	c->starting = false;
	if (err) {
		c->dead = true;
		ctrl_stop(c);
		log_error(c, "reset failed: %s gives EIO from now on", c->blk.name);
	}
	return err;
}

static int identify(struct nvme_ctrl *c, struct nvme_ns_id *ns)
{
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, c->page[PG_IDENTIFY]);
	int err = admin(c, &cmd, "identify controller");
	if (err)
		return err;
	nvme_id_ctrl_parse(page_va(c, PG_IDENTIFY), &c->id);
	c->max_bytes = nvme_max_transfer(c->id.mdts);
	if (c->id.namespaces < NSID) {
		klog(KLOG_WARN, "nvme%u: no namespace", c->index);
		return -ENXIO;
	}
	nvme_cmd_identify(&cmd, NVME_CNS_NAMESPACE, NSID, c->page[PG_IDENTIFY]);
	err = admin(c, &cmd, "identify namespace 1");
	if (err)
		return err;
	err = nvme_id_ns_parse(page_va(c, PG_IDENTIFY), ns);
	if (err)
		klog(KLOG_WARN, "nvme%u: namespace 1 %s", c->index,
		     err == -ENODEV ? "is inactive" : "has a format the block layer cannot use");
	return err ? -ENXIO : 0;
}

/* ---- the block device ---- */

struct xlate_arg {
	bool need_write; /* the device writes the buffer (a read) */
};

static int xlate(void *arg, uintptr_t va, uint64_t *pa)
{
	const struct xlate_arg *x = arg;
	unsigned flags;
	if (vm_translate(NULL, va, pa, &flags))
		return -EFAULT;
	if (x->need_write && !(flags & VM_WRITE))
		return -EFAULT;
	return 0;
}

static bool enter(struct nvme_ctrl *c)
{
	uint64_t f = irq_save();
	bool ok = !c->busy;
	c->busy = true;
	irq_restore(f);
	return ok;
}

static int transfer(struct nvme_ctrl *c, bool write, uint64_t lba, uint32_t n, uintptr_t va)
{
	struct xlate_arg x = {.need_write = !write};
	struct nvme_sqe cmd;
	uint64_t prp1, prp2;
	uint32_t ss = c->blk.sector_size;
	int err = nvme_prp_build(va, (size_t)n * ss, xlate, &x, page_va(c, PG_PRP), NVME_PRP_LIST_ENTRIES,
				 c->page[PG_PRP], &prp1, &prp2);
	if (err)
		return err;
	nvme_cmd_rw(&cmd, write ? NVME_CMD_WRITE : NVME_CMD_READ, NSID, lba, n, prp1, prp2);
	int r = submit(c, &c->io, &cmd, IO_TIMEOUT_NS);
	if (r > 0)
		log_error(c, "%s of sectors %llu..%llu: %s (status %#x)", write ? "write" : "read",
			  (unsigned long long)lba, (unsigned long long)(lba + n - 1),
			  nvme_status_str((uint16_t)r), r);
	return r ? -EIO : 0;
}

/* A buffer PRPs cannot describe (not 4-byte aligned): through the bounce
 * page, a page at a time. */
static int transfer_bounced(struct nvme_ctrl *c, bool write, uint64_t lba, uint32_t count, uint8_t *buf)
{
	uint32_t ss = c->blk.sector_size, per = PAGE_SIZE / ss;
	uint8_t *bounce = page_va(c, PG_BOUNCE);
	while (count) {
		uint32_t n = MIN(count, per);
		if (write)
			memcpy(bounce, buf, (size_t)n * ss);
		int err = transfer(c, write, lba, n, (uintptr_t)bounce);
		if (err)
			return err;
		if (!write)
			memcpy(buf, bounce, (size_t)n * ss);
		lba += n, count -= n, buf += (size_t)n * ss;
	}
	return 0;
}

static int rw(struct blkdev *b, bool write, uint64_t lba, uint32_t count, void *buf)
{
	struct nvme_ctrl *c = b->priv;
	if (!enter(c))
		return -EBUSY;
	int err = 0;
	uintptr_t va = (uintptr_t)buf;
	if (c->dead)
		err = -EIO;
	else if (va & 3)
		err = transfer_bounced(c, write, lba, count, buf);
	while (!err && !(va & 3) && count) {
		uint32_t n = nvme_chunk_sectors(va, count, b->sector_size, c->max_bytes,
						NVME_PRP_LIST_ENTRIES + 1);
		err = transfer(c, write, lba, n, va);
		lba += n, count -= n, va += (size_t)n * b->sector_size;
	}
	c->busy = false;
	return err;
}

static int nvme_read(struct blkdev *b, uint64_t sector, uint32_t count, void *buf)
{
	return rw(b, false, sector, count, buf);
}

static int nvme_write(struct blkdev *b, uint64_t sector, uint32_t count, const void *buf)
{
	return rw(b, true, sector, count, (void *)buf);
}

static int nvme_flush(struct blkdev *b)
{
	struct nvme_ctrl *c = b->priv;
	struct nvme_sqe cmd;
	if (!enter(c))
		return -EBUSY;
	int r = -EIO;
	if (!c->dead) {
		nvme_cmd_flush(&cmd, NSID);
		r = submit(c, &c->io, &cmd, IO_TIMEOUT_NS);
		if (r > 0)
			log_error(c, "flush: %s (status %#x)", nvme_status_str((uint16_t)r), r);
	}
	c->busy = false;
	return r ? -EIO : 0;
}

static const struct blkdev_ops nvme_ops = {nvme_read, nvme_write, nvme_flush};

/* ---- probe ---- */

static void free_pages(struct nvme_ctrl *c)
{
	for (int i = 0; i < PG_COUNT; i++)
		if (c->page[i])
			pmm_free(c->page[i]);
}

static int setup(struct nvme_ctrl *c)
{
	struct nvme_ns_id ns;
	for (int i = 0; i < PG_COUNT; i++)
		if (!(c->page[i] = pmm_alloc_zeroed()))
			return -ENOMEM;
	int err = ctrl_enable(c);
	if (!err)
		err = identify(c, &ns);
	if (!err)
		err = create_io_queues(c);
	if (err)
		return err;
	ksnprintf(c->blk.name, sizeof c->blk.name, "nvme%un1", c->index);
	c->blk.sector_size = ns.sector_size;
	c->blk.sectors = ns.sectors;
	c->blk.ops = &nvme_ops;
	c->blk.priv = c;
	klog(KLOG_INFO,
	     "nvme%u: %s (serial %s, firmware %s), %s: %llu sectors of %u bytes (%llu MiB), write cache %s",
	     c->index, c->id.model, c->id.serial, c->id.firmware, c->blk.name, (unsigned long long)ns.sectors,
	     ns.sector_size, (unsigned long long)(ns.sectors >> (20 - __builtin_ctz(ns.sector_size))),
	     c->id.volatile_cache ? "on" : "absent");
	return block_register(&c->blk);
}

static int nvme_probe(struct pci_dev *pci)
{
	if (nctrls == NVME_MAX_CTRLS) {
		klog(KLOG_WARN, "nvme: more than %d controllers: the rest are not used", NVME_MAX_CTRLS);
		return -ENOSPC;
	}
	struct nvme_ctrl *c = &ctrls[nctrls];
	memset(c, 0, sizeof *c);
	c->index = nctrls;
	c->pci = pci;
	const struct pci_bar *bar = &pci->bar[0];
	if (bar->io || bar->size < 0x2000 || !(c->regs = pci_map_bar(pci, 0)))
		return -ENODEV;
	pci_enable(pci, true);
	pci_write16(pci, PCI_COMMAND, pci_read16(pci, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
	uint64_t cap = reg_read(c, NVME_REG_CAP) | (uint64_t)reg_read(c, NVME_REG_CAP + 4) << 32;
	if (nvme_cap_parse(cap, &c->cap) ||
	    nvme_doorbell_offset(1, true, c->cap.doorbell_stride) + 4 > bar->size) {
		klog(KLOG_WARN, "nvme%u: controller not usable (CAP %#llx)", c->index,
		     (unsigned long long)cap);
		return -ENODEV;
	}
	c->starting = true;
	int err = setup(c);
	c->starting = false;
	if (err) {
		ctrl_stop(c); /* first: it may not write into pages given back */
		free_pages(c);
		return err;
	}
	pci->driver_data = c;
	nctrls++;
	return 0;
}

const struct pci_driver nvme_driver = {
	.name = "nvme",
	.vendor = PCI_ANY,
	.device = PCI_ANY,
	.class_code = 0x01,
	.subclass = 0x08,
	.prog_if = 0x02,
	.probe = nvme_probe,
};

/* ---- for the self-tests (nvme_internal.h) ---- */

static struct nvme_ctrl *ctrl_of(struct blkdev *b)
{
	return b && b->ops == &nvme_ops ? b->priv : NULL;
}

int nvme_test_lose_commands(struct blkdev *b, unsigned count, uint64_t timeout_ns)
{
	struct nvme_ctrl *c = ctrl_of(b);
	if (!c)
		return -ENODEV;
	c->test_lose = count;
	c->test_timeout_ns = timeout_ns;
	return 0;
}

int nvme_stats_get(struct blkdev *b, struct nvme_stats *out)
{
	struct nvme_ctrl *c = ctrl_of(b);
	if (!c)
		return -ENODEV;
	*out = c->stats;
	out->dead = c->dead;
	out->max_bytes = c->max_bytes;
	return 0;
}
