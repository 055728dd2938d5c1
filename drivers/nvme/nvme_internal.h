/*
 * nvme_internal.h - what the NVMe driver's files share: the controller's
 * registers and queue entries as the NVMe base specification lays them out,
 * and the hardware-free logic of nvme_core.c (queue arithmetic, PRP lists,
 * Identify parsing, command encoding) that the host unit tests also build.
 */
#ifndef DRIVERS_NVME_NVME_INTERNAL_H
#define DRIVERS_NVME_NVME_INTERNAL_H

#include <optios/abi/errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The memory page size the driver programs (CC.MPS = 0) and PRPs address. */
#define NVME_PAGE 4096u
/* PRP entries in one list page; the driver uses one list page per command. */
#define NVME_PRP_LIST_ENTRIES (NVME_PAGE / 8)

/* ---- controller registers (BAR0) ---- */
#define NVME_REG_CAP 0x00 /* 64-bit */
#define NVME_REG_VS 0x08
#define NVME_REG_INTMS 0x0c
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28 /* 64-bit */
#define NVME_REG_ACQ 0x30 /* 64-bit */
#define NVME_REG_DOORBELLS 0x1000

#define NVME_CC_EN (1u << 0)
#define NVME_CC_CSS_NVM (0u << 4)
#define NVME_CC_MPS_4K (0u << 7)
#define NVME_CC_AMS_RR (0u << 11)
#define NVME_CC_SHN_NORMAL (1u << 14)
#define NVME_CC_IOSQES (6u << 16) /* 2^6 = 64-byte submission entries */
#define NVME_CC_IOCQES (4u << 20) /* 2^4 = 16-byte completion entries */
#define NVME_CSTS_RDY (1u << 0)
#define NVME_CSTS_CFS (1u << 1)

/* CAP decoded: what the driver needs, checked. */
struct nvme_cap {
	uint32_t max_entries; /* MQES + 1: entries per queue, 2..65536 */
	uint32_t ready_timeout_ms; /* TO: how long CSTS.RDY may take to follow CC.EN */
	uint32_t doorbell_stride; /* bytes between doorbells: 4 << DSTRD */
	bool nvm_command_set; /* CSS bit 0 */
	bool page_4k; /* 4 KiB lies within [MPSMIN, MPSMAX] */
};
/* Decodes CAP; 0, or -ENODEV when the controller cannot be driven (no NVM
 * command set, no 4 KiB pages, fewer than 2 queue entries). */
int nvme_cap_parse(uint64_t cap, struct nvme_cap *out);
/* The doorbell of queue qid: its submission tail (cq false) or completion
 * head (cq true), as an offset into BAR0. */
uint32_t nvme_doorbell_offset(uint16_t qid, bool cq, uint32_t stride);

/* ---- queue entries ---- */
struct nvme_sqe {
	uint8_t opc;
	uint8_t flags; /* FUSE, PSDT (0: PRPs) */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "NVMe submission entry is 64 bytes");

struct nvme_cqe {
	uint32_t result; /* DW0, command specific */
	uint32_t rsvd;
	uint16_t sq_head; /* SQHD: how far the controller has consumed the SQ */
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status; /* bit 0: phase tag; bits 15:1 the status field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "NVMe completion entry is 16 bytes");

/* Opcodes. */
#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02

#define NVME_CNS_NAMESPACE 0x00
#define NVME_CNS_CONTROLLER 0x01

/* A status field (cqe.status >> 1): 0 is success. */
#define NVME_STATUS_SC(s) ((s)&0xff)
#define NVME_STATUS_SCT(s) (((s) >> 8) & 0x7)
#define NVME_STATUS_DNR(s) (((s) >> 14) & 0x1)
/* "generic: invalid field", "media: unrecovered read error", ... */
const char *nvme_status_str(uint16_t status);

/* ---- a queue pair's indices ----
 *
 * Invariants (size entries in each queue, 2 <= size <= 65536):
 *   sq_tail, sq_head, cq_head < size;
 *   the SQ is full when sq_tail + 1 == sq_head (mod size): one slot stays
 *   empty so that full and empty differ;
 *   the entry at cq_head is new iff its phase tag equals cq_phase; cq_phase
 *   starts at 1 (the queue memory is zeroed) and flips each time cq_head
 *   wraps to 0.
 */
struct nvme_ring {
	uint32_t size;
	uint32_t sq_tail; /* next slot the driver fills */
	uint32_t sq_head; /* as the controller last reported (SQHD) */
	uint32_t cq_head; /* next completion entry to look at */
	uint8_t cq_phase;
};
void nvme_ring_init(struct nvme_ring *r, uint32_t size);
bool nvme_ring_sq_full(const struct nvme_ring *r);
/* Takes the slot at sq_tail and advances the tail; returns the slot. The
 * caller has checked nvme_ring_sq_full. */
uint32_t nvme_ring_sq_push(struct nvme_ring *r);
/* Whether e (the entry at cq_head) is a new completion. */
bool nvme_ring_cq_ready(const struct nvme_ring *r, const struct nvme_cqe *e);
/* Consumes the entry at cq_head: records its SQHD, advances the head
 * (flipping the phase on wrap). 0, or -EIO if SQHD is outside the queue
 * (the head is advanced all the same; sq_head keeps its old value). */
int nvme_ring_cq_pop(struct nvme_ring *r, const struct nvme_cqe *e);

/* ---- data pointers ---- */

/* Physical address of the byte at va; 0 or -EFAULT. */
typedef int (*nvme_xlate_fn)(void *arg, uintptr_t va, uint64_t *pa);

/*
 * The PRP entries for the buffer [va, va + len): prp1 the first byte, prp2
 * the second page or (more than two pages) list_pa, the physical address of
 * list[], which gets one entry per page after the first. The buffer must be
 * dword aligned (PRP entries' low two bits are reserved). Returns 0, -EINVAL
 * (len 0 or va not dword aligned), -E2BIG (more than list_cap + 1 pages) or
 * the translation's error.
 */
int nvme_prp_build(uintptr_t va, size_t len, nvme_xlate_fn xlate, void *arg, uint64_t *list, size_t list_cap,
		   uint64_t list_pa, uint64_t *prp1, uint64_t *prp2);
/* Pages [va, va + len) touches. */
size_t nvme_pages_spanned(uintptr_t va, size_t len);
/* How many of count sectors (sector_size bytes) one command may move from
 * va: at most max_bytes, at most max_pages pages spanned, at most 65536 (the
 * 16-bit block count). At least 1 when count > 0 and max_pages >= 2 and
 * max_bytes >= sector_size. */
uint32_t nvme_chunk_sectors(uintptr_t va, uint64_t count, uint32_t sector_size, uint64_t max_bytes,
			    size_t max_pages);
/* Bytes per command the controller takes: MDTS (2^mdts minimum-size pages;
 * 0 = no limit), capped at what one PRP list page can describe. */
uint64_t nvme_max_transfer(uint8_t mdts);

/* ---- Identify data (4096 bytes each, from the device: hostile) ---- */
struct nvme_ctrl_id {
	char serial[21], model[41], firmware[9]; /* trimmed, printable ASCII */
	uint32_t namespaces; /* NN */
	uint8_t mdts;
	bool volatile_cache; /* VWC bit 0 */
};
void nvme_id_ctrl_parse(const uint8_t *page, struct nvme_ctrl_id *out);

struct nvme_ns_id {
	uint64_t sectors; /* NSZE */
	uint32_t sector_size; /* 2^LBADS of the format in use */
};
/* 0; -ENODEV for an inactive namespace (size 0); -EINVAL for a format the
 * block layer cannot use (sector size outside 512..4096, metadata, a format
 * index beyond the formats listed). */
int nvme_id_ns_parse(const uint8_t *page, struct nvme_ns_id *out);

/* ---- commands ---- */
void nvme_cmd_identify(struct nvme_sqe *c, uint8_t cns, uint32_t nsid, uint64_t prp1);
void nvme_cmd_create_cq(struct nvme_sqe *c, uint16_t qid, uint32_t entries, uint64_t pa);
void nvme_cmd_create_sq(struct nvme_sqe *c, uint16_t qid, uint32_t entries, uint64_t pa, uint16_t cqid);
void nvme_cmd_rw(struct nvme_sqe *c, uint8_t opc, uint32_t nsid, uint64_t lba, uint32_t count, uint64_t prp1,
		 uint64_t prp2);
void nvme_cmd_flush(struct nvme_sqe *c, uint32_t nsid);

/* ---- the driver's test hooks (nvme.c; kernel only) ---- */
struct blkdev;
struct nvme_stats {
	uint64_t commands; /* submitted, admin and I/O */
	uint64_t spins; /* polls of a completion entry, summed */
	uint64_t wait_tsc; /* TSC ticks from doorbell to completion seen, summed */
	uint64_t timeouts; /* commands not answered in time (or fatal status) */
	uint64_t resets; /* controller resets after them */
	bool dead; /* a reset failed: every call is -EIO */
	uint64_t max_bytes; /* per command (MDTS, one PRP list page) */
};
/* 0, or -ENODEV when b is not an NVMe disk. */
int nvme_stats_get(struct blkdev *b, struct nvme_stats *out);
/* The next count commands on b (I/O or admin) are queued without ringing
 * their doorbell, each given timeout_ns: they cannot be answered, as if the
 * controller lost them. */
int nvme_test_lose_commands(struct blkdev *b, unsigned count, uint64_t timeout_ns);

#endif
