/*
 * block.h - block devices: the one interface between disk drivers and the
 * store that keeps /data, handler snapshots, the log and the policy.
 *
 * Theory of operation. A driver (virtio-blk, NVMe, a host test's simulated
 * disk) fills a struct blkdev and registers it; the kernel's users find it
 * by name or take the first one. Every call is synchronous: it returns when
 * the device has answered (a driver may sleep the caller or poll; it never
 * returns early). Units are the device's sectors (sector_size bytes, a
 * power of two from 512 to 4096).
 *
 * Durability contract, which the store's crash safety rests on:
 *   - write returning 0 means the device has the data, not that it survives
 *     a power cut: writes not yet covered by a flush may be lost or land in
 *     any order, each sector whole or not at all;
 *   - flush returning 0 means every write that returned before the flush was
 *     issued survives a power cut;
 *   - any failure is a negative errno (-EIO for a device error, -EINVAL for
 *     a range outside the device); a failed write leaves the sectors it
 *     covered unspecified, a failed flush promises nothing new.
 *
 * Host-buildable: yes (an interface with no kernel dependency).
 */
#ifndef KERNEL_BLOCK_BLOCK_H
#define KERNEL_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct blkdev;

struct blkdev_ops {
	int (*read)(struct blkdev *dev, uint64_t sector, uint32_t count, void *buf);
	int (*write)(struct blkdev *dev, uint64_t sector, uint32_t count, const void *buf);
	int (*flush)(struct blkdev *dev);
};

struct blkdev {
	char name[16]; /* "vda", "nvme0n1", ... */
	uint32_t sector_size; /* bytes, power of two, 512..4096 */
	uint64_t sectors; /* capacity */
	const struct blkdev_ops *ops;
	void *priv; /* the driver's */
	struct blkdev *next; /* registry link, owned by block.c */
	/* Counters kept by block_read/write/flush (bench, df, tests). */
	uint64_t reads, writes, flushes, sectors_written, errors;
	uint64_t ticks; /* clock ticks spent inside the device calls (block_set_clock; the bench) */
	uint64_t wait_ticks; /* of those, the driver's waiting for the device to answer (polls or sleeps) */
};

/* The device calls: range-checked, counted, forwarded to the driver. */
int block_read(struct blkdev *dev, uint64_t sector, uint32_t count, void *buf);
int block_write(struct blkdev *dev, uint64_t sector, uint32_t count, const void *buf);
int block_flush(struct blkdev *dev);

/* The clock the device calls are timed with (dev->ticks): the kernel's
 * TSC; none on the host (ticks stay 0). */
void block_set_clock(uint64_t (*now)(void));
/* That clock now (0 when none is set): drivers time their waits with it. */
uint64_t block_clock(void);

/* Registry (kernel only). A driver registers each device it brings up. */
int block_register(struct blkdev *dev);
struct blkdev *block_find(const char *name); /* or NULL */
struct blkdev *block_first(void); /* the first registered, or NULL */

/*
 * Waiting for a device (kernel only: wait.c). A driver waiting for its
 * device's answer, or a caller waiting for a device to be free, calls
 * block_wait(chan) with interrupts disabled after testing its condition,
 * and re-tests after it returns (wake-ups may be spurious); the completion
 * interrupt calls block_wake(chan). block_wait sleeps the current process
 * (others run meanwhile: a flush in flight does not stop the machine), or,
 * with no process to sleep (the boot, self-tests) or before kernel/proc
 * registered its functions, halts the CPU until the next interrupt. It
 * returns with interrupts enabled. The sleep is not interruptible (a
 * killed process ends after its request is answered) and works for a
 * handler run too. block_wait_sleeps(): whether block_wait would sleep a
 * process (false: it halts, so nothing else can run meanwhile).
 */
void block_wait(const void *chan);
void block_wake(const void *chan);
bool block_wait_sleeps(void);
/* kernel/proc's: sleep(chan) blocks the current process until wake(chan)
 * (called with interrupts disabled, returns with them disabled) and
 * returns true, or returns false at once when there is no process;
 * can_sleep() says which it would do. */
struct block_waiter {
	bool (*sleep)(const void *chan);
	void (*wake)(const void *chan);
	bool (*can_sleep)(void);
};
void block_wait_register(const struct block_waiter *w);

#endif
