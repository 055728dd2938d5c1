/*
 * nvme_core.c - the NVMe driver's logic that needs no hardware: decoding
 * CAP, doorbell offsets, queue indices and phase tags, PRP lists, splitting
 * a transfer into commands, Identify parsing, command encoding, status
 * names (the driver itself: nvme.c).
 *
 * Everything a controller hands back - CAP, Identify pages, completion
 * entries - is treated as hostile: a value outside what the specification
 * allows is refused with an error, never trusted as an index, a shift count
 * or a size.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "nvme_internal.h"

#include "lib/lib.h"

/* ---- registers ---- */

int nvme_cap_parse(uint64_t cap, struct nvme_cap *out)
{
	unsigned mpsmin = (cap >> 48) & 0xf, mpsmax = (cap >> 52) & 0xf;
	out->max_entries = (uint32_t)(cap & 0xffff) + 1;
	out->ready_timeout_ms = (uint32_t)((cap >> 24) & 0xff) * 500;
	out->doorbell_stride = 4u << ((cap >> 32) & 0xf);
	out->nvm_command_set = (cap >> 37) & 1;
	out->page_4k = mpsmin == 0 && mpsmax >= mpsmin;
	if (out->ready_timeout_ms == 0)
		out->ready_timeout_ms = 500; /* TO 0 is out of spec: allow the unit */
	if (!out->nvm_command_set || !out->page_4k || out->max_entries < 2)
		return -ENODEV;
	return 0;
}

uint32_t nvme_doorbell_offset(uint16_t qid, bool cq, uint32_t stride)
{
	return NVME_REG_DOORBELLS + (2u * qid + (cq ? 1 : 0)) * stride;
}

/* ---- queue indices ---- */

void nvme_ring_init(struct nvme_ring *r, uint32_t size)
{
	r->size = size;
	r->sq_tail = r->sq_head = r->cq_head = 0;
	r->cq_phase = 1;
}

bool nvme_ring_sq_full(const struct nvme_ring *r)
{
	return (r->sq_tail + 1) % r->size == r->sq_head;
}

uint32_t nvme_ring_sq_push(struct nvme_ring *r)
{
	uint32_t slot = r->sq_tail;
	r->sq_tail = (slot + 1) % r->size;
	return slot;
}

bool nvme_ring_cq_ready(const struct nvme_ring *r, const struct nvme_cqe *e)
{
	return (e->status & 1) == r->cq_phase;
}

int nvme_ring_cq_pop(struct nvme_ring *r, const struct nvme_cqe *e)
{
	if (++r->cq_head == r->size) {
		r->cq_head = 0;
		r->cq_phase ^= 1;
	}
	if (e->sq_head >= r->size)
		return -EIO;
	r->sq_head = e->sq_head;
	return 0;
}

/* ---- data pointers ---- */

size_t nvme_pages_spanned(uintptr_t va, size_t len)
{
	uintptr_t first = ALIGN_DOWN(va, NVME_PAGE);
	return len ? (ALIGN_UP(va + len, NVME_PAGE) - first) / NVME_PAGE : 0;
}

int nvme_prp_build(uintptr_t va, size_t len, nvme_xlate_fn xlate, void *arg, uint64_t *list, size_t list_cap,
		   uint64_t list_pa, uint64_t *prp1, uint64_t *prp2)
{
	if (len == 0 || (va & 3) || va + len < va)
		return -EINVAL;
	size_t pages = nvme_pages_spanned(va, len);
	if (pages > list_cap + 1)
		return -E2BIG;
	int err = xlate(arg, va, prp1);
	if (err)
		return err;
	*prp2 = 0;
	uintptr_t page = ALIGN_DOWN(va, NVME_PAGE);
	for (size_t i = 1; i < pages; i++) {
		uint64_t pa;
		err = xlate(arg, page + i * NVME_PAGE, &pa);
		if (err)
			return err;
		if (pages == 2)
			*prp2 = pa;
		else
			list[i - 1] = pa;
	}
	if (pages > 2)
		*prp2 = list_pa;
	return 0;
}

uint64_t nvme_max_transfer(uint8_t mdts)
{
	uint64_t list_bytes = (uint64_t)NVME_PRP_LIST_ENTRIES * NVME_PAGE;
	if (mdts == 0 || mdts >= 32)
		return list_bytes;
	return MIN((uint64_t)NVME_PAGE << mdts, list_bytes);
}

uint32_t nvme_chunk_sectors(uintptr_t va, uint64_t count, uint32_t sector_size, uint64_t max_bytes,
			    size_t max_pages)
{
	uint64_t room = (uint64_t)max_pages * NVME_PAGE - (va & (NVME_PAGE - 1));
	uint64_t n = MIN(max_bytes, room) / sector_size;
	n = MIN(n, count);
	return (uint32_t)MIN(n, 65536);
}

/* ---- Identify ---- */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* An Identify string (space padded ASCII) into a C string: trailing spaces
 * dropped, anything unprintable shown as '?'. */
static void id_string(char *dst, const uint8_t *src, size_t len)
{
	size_t n = len;
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == 0))
		n--;
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[n] = 0;
}

void nvme_id_ctrl_parse(const uint8_t *page, struct nvme_ctrl_id *out)
{
	id_string(out->serial, page + 4, 20);
	id_string(out->model, page + 24, 40);
	id_string(out->firmware, page + 64, 8);
	out->mdts = page[77];
	out->namespaces = le32(page + 516);
	out->volatile_cache = page[525] & 1;
}

int nvme_id_ns_parse(const uint8_t *page, struct nvme_ns_id *out)
{
	uint64_t nsze = le64(page);
	unsigned nlbaf = page[25], flbas = page[26];
	/* FLBAS bits 3:0 pick the format; bits 6:5 extend the index past 16
	 * (NVMe 2.0) when NLBAF says there are that many. */
	unsigned fmt = (flbas & 0xf) | ((flbas >> 5) & 3) << 4;
	if (nsze == 0)
		return -ENODEV;
	if (fmt > nlbaf || fmt >= 64)
		return -EINVAL;
	uint32_t lbaf = le32(page + 128 + 4 * fmt);
	unsigned ms = lbaf & 0xffff, lbads = (lbaf >> 16) & 0xff;
	if (ms != 0 || lbads < 9 || lbads > 12)
		return -EINVAL;
	out->sectors = nsze;
	out->sector_size = 1u << lbads;
	return 0;
}

/* ---- commands ---- */

void nvme_cmd_identify(struct nvme_sqe *c, uint8_t cns, uint32_t nsid, uint64_t prp1)
{
	memset(c, 0, sizeof *c);
	c->opc = NVME_ADMIN_IDENTIFY;
	c->nsid = nsid;
	c->prp1 = prp1;
	c->cdw10 = cns;
}

void nvme_cmd_create_cq(struct nvme_sqe *c, uint16_t qid, uint32_t entries, uint64_t pa)
{
	memset(c, 0, sizeof *c);
	c->opc = NVME_ADMIN_CREATE_CQ;
	c->prp1 = pa;
	c->cdw10 = (entries - 1) << 16 | qid;
	c->cdw11 = 1; /* physically contiguous; interrupts off (IEN 0): the driver polls */
}

void nvme_cmd_create_sq(struct nvme_sqe *c, uint16_t qid, uint32_t entries, uint64_t pa, uint16_t cqid)
{
	memset(c, 0, sizeof *c);
	c->opc = NVME_ADMIN_CREATE_SQ;
	c->prp1 = pa;
	c->cdw10 = (entries - 1) << 16 | qid;
	c->cdw11 = (uint32_t)cqid << 16 | 1; /* physically contiguous, medium priority */
}

void nvme_cmd_rw(struct nvme_sqe *c, uint8_t opc, uint32_t nsid, uint64_t lba, uint32_t count, uint64_t prp1,
		 uint64_t prp2)
{
	memset(c, 0, sizeof *c);
	c->opc = opc;
	c->nsid = nsid;
	c->prp1 = prp1;
	c->prp2 = prp2;
	c->cdw10 = (uint32_t)lba;
	c->cdw11 = (uint32_t)(lba >> 32);
	c->cdw12 = (count - 1) & 0xffff; /* NLB is 0's based */
}

void nvme_cmd_flush(struct nvme_sqe *c, uint32_t nsid)
{
	memset(c, 0, sizeof *c);
	c->opc = NVME_CMD_FLUSH;
	c->nsid = nsid;
}

/* ---- status ---- */

const char *nvme_status_str(uint16_t status)
{
	unsigned sct = NVME_STATUS_SCT(status), sc = NVME_STATUS_SC(status);
	if (sct == 0) {
		switch (sc) {
		case 0x00: return "success";
		case 0x01: return "generic: invalid opcode";
		case 0x02: return "generic: invalid field";
		case 0x04: return "generic: data transfer error";
		case 0x06: return "generic: internal error";
		case 0x07: return "generic: aborted by request";
		case 0x0b: return "generic: invalid namespace or format";
		case 0x80: return "generic: LBA out of range";
		case 0x81: return "generic: capacity exceeded";
		case 0x82: return "generic: namespace not ready";
		default: return "generic: other";
		}
	}
	if (sct == 1)
		return "command specific";
	if (sct == 2) {
		switch (sc) {
		case 0x80: return "media: write fault";
		case 0x81: return "media: unrecovered read error";
		case 0x86: return "media: access denied";
		default: return "media: other";
		}
	}
	return "path or vendor specific";
}
