/*
 * optios.h (ABI) - structures and constants of OptiOS's own system calls
 * (numbers from 1000, listed in syscalls.def). Shared by the kernel and the SDK.
 */
#ifndef OPTIOS_ABI_OPTIOS_H
#define OPTIOS_ABI_OPTIOS_H

#include <stdint.h>

#define OPTIOS_SYSCALL_BASE 1000

/*
 * long optios_spawn(const char *path, char *const argv[], char *const envp[],
 *                   unsigned flags)
 * Starts the program at path (an absolute path, or a name looked up in /bin)
 * as a child of the caller with the given arguments and environment (envp may
 * be NULL: the caller's is not inherited implicitly). The child inherits the
 * caller's working directory and descriptors 0-2. Returns the child's pid, or
 * -ENOENT, -ENOEXEC (not a valid static ELF), -ENOMEM, -EFAULT, -E2BIG.
 * Wait for it with wait4(pid, &status, 0, NULL).
 */
#define OPTIOS_SPAWN_NEW_CONSOLE 0x1 /* run on a free console (foreground slot);
					 -EBUSY when all foreground.max are taken */

/* long optios_proc_list(struct optios_proc_info *out, unsigned long max):
 * fills up to max entries, returns how many processes exist. */
struct optios_proc_info {
	int32_t pid, ppid;
	uint32_t state; /* OPTIOS_PROC_* */
	uint32_t console; /* 0-based; UINT32_MAX: none */
	uint64_t mem_pages; /* user pages mapped */
	uint64_t cpu_ns; /* CPU time used */
	uint64_t start_ns; /* monotonic time it started */
	char name[32];
};
#define OPTIOS_PROC_RUNNABLE 1
#define OPTIOS_PROC_RUNNING 2
#define OPTIOS_PROC_BLOCKED 3
#define OPTIOS_PROC_ZOMBIE 4

/* long optios_pci_list(struct optios_pci_info *out, unsigned long max):
 * fills up to max entries (PCI functions in the order they were found:
 * depth first, a bridge's buses right after it), returns how many exist.
 * Open to every program, as ps and mem are. */
struct optios_pci_info {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t irq_kind; /* OPTIOS_PCI_IRQ_* (what the driver set up) */
	uint16_t vendor, device;
	char driver[24]; /* "" when no driver took it */
	char class_name[40];
};
#define OPTIOS_PCI_IRQ_NONE 0
#define OPTIOS_PCI_IRQ_INTX 1
#define OPTIOS_PCI_IRQ_MSI 2
#define OPTIOS_PCI_IRQ_MSIX 3

/* long optios_blk(unsigned op, const char *dev, uint64_t sector, void *buf,
 *                 unsigned long count): raw sectors of block device dev
 * ("vda"), below any file system. Needs the dev.block capability, which no
 * program of the user's image has: the tests use it to check the device
 * path (durability across a reboot, injected I/O errors).
 *   OPTIOS_BLK_INFO   buf: struct optios_blk_info
 *   OPTIOS_BLK_READ   count sectors from sector into buf
 *   OPTIOS_BLK_WRITE  count sectors from buf to sector
 *   OPTIOS_BLK_FLUSH  everything written before survives a power cut
 * count is 1..OPTIOS_BLK_MAX_SECTORS. Returns 0, or -ENODEV (no such
 * device), -EINVAL (range), -EIO (the device failed), -EFAULT. */
#define OPTIOS_BLK_INFO 0
#define OPTIOS_BLK_READ 1
#define OPTIOS_BLK_WRITE 2
#define OPTIOS_BLK_FLUSH 3
#define OPTIOS_BLK_MAX_SECTORS 128
struct optios_blk_info {
	uint64_t sectors;
	uint32_t sector_size;
	uint32_t reserved;
	uint64_t reads, writes, flushes, errors;
	uint64_t wait_ticks; /* TSC ticks the driver spent waiting for the device's answers */
};

/* long optios_store_info(struct optios_store_info *out): the disk store
 * (docs/STORAGE.md) and the RAM the writable file systems use (df). 0, or
 * -EFAULT. */
#define OPTIOS_STORE_MOUNTED 1u /* a store is mounted: /data persists */
#define OPTIOS_STORE_FAILED 2u /* the disk failed: no more changes until the next boot */
#define OPTIOS_STORE_DATA_RO 4u /* /data is read-only this boot (larger than its RAM) */
struct optios_store_info {
	uint32_t flags;
	uint32_t block_size; /* bytes of a store block (4096) */
	char device[16]; /* "vda", "nvme0n1"; "" without a store */
	uint64_t blocks, log_blocks; /* the store's size and its log */
	uint64_t used_blocks; /* log blocks between the tail and the head */
	uint64_t live_blocks; /* log blocks holding a live value */
	uint64_t keys;
	uint64_t committed_seq, durable_seq;
	uint64_t flushes, blocks_written; /* since boot */
	uint64_t device_reads, device_writes, device_flushes; /* the device's calls since boot */
	uint64_t device_ticks; /* TSC ticks spent inside them (the waits included) */
	uint64_t data_used, data_limit; /* bytes of RAM /data's cache holds, and may */
	uint64_t tmp_used, tmp_limit; /* bytes of RAM /tmp holds, and may */
};

/* long optios_mem_info(struct optios_mem_info *out) */
struct optios_mem_info {
	uint64_t page_size;
	uint64_t total_pages, free_pages;
	uint64_t kernel_heap_bytes;
	uint64_t handlers; /* handlers registered (each has one snapshot) */
	uint64_t snapshot_pages; /* user pages in their snapshots */
};

/* long optios_fb_map(struct optios_fb_info *out): maps the framebuffer into the
 * caller (writable, not executable) and describes it; the console stops drawing
 * on that screen until the caller exits. -ENODEV without a framebuffer. */
struct optios_fb_info {
	uint64_t addr; /* where it is mapped in the caller */
	uint32_t width, height, pitch, bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	uint8_t reserved[2];
};

/* long optios_console_info(struct optios_console_info *out) */
struct optios_console_info {
	uint32_t current; /* the console the caller runs on (0-based) */
	uint32_t active; /* the console on screen */
	uint32_t count; /* consoles that exist = foreground.max */
	uint32_t busy; /* bitmask: consoles with a foreground program */
};

/* long optios_console_switch(unsigned index): shows console index (0-based). */

/* long optios_net_list(struct optios_net_info *out, unsigned long max):
 * fills up to max entries (network interfaces eth0, eth1, ... in order),
 * returns how many exist. Open to every program, as lspci is. Addresses
 * are IPv4 in network byte order (0: none). */
struct optios_net_info {
	char name[8];
	char driver[16];
	uint8_t mac[6];
	uint16_t mtu;
	uint8_t link_up; /* the device's link */
	uint8_t up; /* the interface is configured up */
	uint8_t config; /* OPTIOS_NET_DHCP, _STATIC, _OFF (/etc/net.conf) */
	uint8_t bound; /* it has an address */
	uint32_t addr, netmask, gateway;
	uint32_t dns[2]; /* the system's DNS servers (the same on every line) */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
	uint64_t irqs; /* interrupts the device raised */
};
#define OPTIOS_NET_DHCP 0
#define OPTIOS_NET_STATIC 1
#define OPTIOS_NET_OFF 2

/* int optios_net_ping(uint32_t addr, unsigned seq, unsigned size,
 *                     unsigned timeout_ms, struct optios_ping_reply *out):
 * one ICMP echo request to addr (network byte order) with sequence number
 * seq and size bytes of payload (0..OPTIOS_PING_MAX), waiting at most
 * timeout_ms (1..60000) for its reply. Needs the net.ping capability.
 * Returns 0 with *out, or -ETIMEDOUT (no reply in time), -ENETUNREACH (no
 * interface is up with an address), -EINVAL, -ENOMEM, -EFAULT, -EINTR (a
 * signal), -EAGAIN (in a handler's run: it cannot wait). */
#define OPTIOS_PING_MAX 1472
struct optios_ping_reply {
	uint64_t rtt_ns; /* round trip, on the kernel's clock */
	uint32_t size; /* payload bytes in the reply */
	uint8_t ttl;
	uint8_t reserved[3];
};

/* int optios_net_resolve(const char *name, uint32_t *addr, unsigned timeout_ms):
 * the IPv4 address of name (a host name through DNS, the servers DHCP or
 * /etc/net.conf gave; a dotted quad as it is) in network byte order.
 * Needs the net.resolve capability. 0, or -ENOENT (no such name, or no
 * answer), -ETIMEDOUT, -ENETUNREACH (no DNS server), -EINVAL,
 * -ENAMETOOLONG (over OPTIOS_HOSTNAME_MAX bytes), -EFAULT, -EINTR, -EAGAIN. */
#define OPTIOS_HOSTNAME_MAX 255

#endif
