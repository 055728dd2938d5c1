/* test_nvme.c - the NVMe driver's hardware-free logic (drivers/nvme/nvme_core.c):
 * PRP lists for every alignment and length, splitting transfers, queue
 * indices and phase tags, CAP decoding, Identify pages with hostile values. */
#include <string.h>

#include "drivers/nvme/nvme_internal.h"
#include "unit.h"

/* ---- a fake address translation: virtual pages land on scattered
 * physical pages; one virtual page can be made unmapped ---- */
#define NO_PAGE UINTPTR_MAX
static uintptr_t unmapped_page = NO_PAGE;

static uint64_t phys_of(uintptr_t va)
{
	uint64_t vpn = va / NVME_PAGE;
	return ((vpn * 7919 + 13) % 1000003) * NVME_PAGE + va % NVME_PAGE;
}

static int fake_xlate(void *arg, uintptr_t va, uint64_t *pa)
{
	int *calls = arg;
	if (calls)
		(*calls)++;
	if (va / NVME_PAGE == unmapped_page)
		return -EFAULT;
	*pa = phys_of(va);
	return 0;
}

/* Walks prp1/prp2/list as a controller would for len bytes; returns the
 * number of bytes whose physical address is not phys_of(va + i). */
static size_t device_walk_mismatches(uintptr_t va, size_t len, uint64_t prp1, uint64_t prp2,
				     const uint64_t *list, uint64_t list_pa)
{
	size_t bad = 0, done = 0, page = 0;
	size_t pages = nvme_pages_spanned(va, len);
	while (done < len) {
		uint64_t pa;
		if (page == 0)
			pa = prp1;
		else if (pages == 2)
			pa = prp2;
		else {
			if (prp2 != list_pa)
				return len;
			pa = list[page - 1];
		}
		if (page > 0 && pa % NVME_PAGE)
			return len; /* entries after the first must have no offset */
		size_t in_page = NVME_PAGE - pa % NVME_PAGE;
		size_t n = in_page < len - done ? in_page : len - done;
		if (pa != phys_of(va + done) || pa + n - 1 != phys_of(va + done + n - 1))
			bad += n;
		done += n;
		page++;
	}
	return bad;
}

TEST(nvme_prp_covers_every_alignment_and_length)
{
	static uint64_t list[NVME_PRP_LIST_ENTRIES];
	const uint64_t list_pa = 0x7000000;
	size_t lens[] = {4,	    512,       508, 4096 - 4, 4096, 4100, 8192, 3 * 4096, 3 * 4096 + 512,
			 64 * 1024, 512 * 4096};
	unmapped_page = NO_PAGE;
	for (uintptr_t off = 0; off < NVME_PAGE; off += 4) {
		for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
			uintptr_t va = 0x40000000 + off;
			size_t len = lens[k];
			uint64_t prp1 = 1, prp2 = 1;
			memset(list, 0xff, sizeof list);
			int err = nvme_prp_build(va, len, fake_xlate, NULL, list, NVME_PRP_LIST_ENTRIES,
						 list_pa, &prp1, &prp2);
			size_t pages = nvme_pages_spanned(va, len);
			if (pages > NVME_PRP_LIST_ENTRIES + 1) {
				CHECK_EQ(err, -E2BIG);
				continue;
			}
			CHECK_EQ(err, 0);
			if (err)
				return;
			CHECK_EQ(prp1, phys_of(va));
			if (pages == 1)
				CHECK_EQ(prp2, 0);
			CHECK_EQ(device_walk_mismatches(va, len, prp1, prp2, list, list_pa), 0);
		}
	}
}

TEST(nvme_prp_page_counts)
{
	CHECK_EQ(nvme_pages_spanned(0x1000, 4096), 1);
	CHECK_EQ(nvme_pages_spanned(0x1004, 4096), 2);
	CHECK_EQ(nvme_pages_spanned(0x1ffc, 8), 2);
	CHECK_EQ(nvme_pages_spanned(0x1000, 1), 1);
	CHECK_EQ(nvme_pages_spanned(0x1000, 0), 0);
	CHECK_EQ(nvme_pages_spanned(0x1800, 3 * 4096), 4);
}

TEST(nvme_prp_refuses_bad_buffers)
{
	uint64_t list[4], prp1, prp2;
	unmapped_page = NO_PAGE;
	CHECK_EQ(nvme_prp_build(0x1002, 512, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -EINVAL);
	CHECK_EQ(nvme_prp_build(0x1001, 512, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -EINVAL);
	CHECK_EQ(nvme_prp_build(0x1000, 0, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -EINVAL);
	CHECK_EQ(nvme_prp_build(UINTPTR_MAX - 511, 1024, fake_xlate, NULL, list, 4, 0, &prp1, &prp2),
		 -EINVAL);
	/* 5 pages fit a list of 4 (plus prp1); 6 do not */
	CHECK_EQ(nvme_prp_build(0x1000, 5 * 4096, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), 0);
	CHECK_EQ(nvme_prp_build(0x1200, 5 * 4096, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -E2BIG);
	/* an unmapped page in the middle: the translation's error comes back */
	unmapped_page = 0x3;
	CHECK_EQ(nvme_prp_build(0x1000, 4 * 4096, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -EFAULT);
	CHECK_EQ(nvme_prp_build(0x3000, 512, fake_xlate, NULL, list, 4, 0, &prp1, &prp2), -EFAULT);
	unmapped_page = NO_PAGE;
}

TEST(nvme_prp_translates_each_page_once)
{
	uint64_t list[8], prp1, prp2;
	int calls = 0;
	unmapped_page = NO_PAGE;
	CHECK_EQ(nvme_prp_build(0x10010, 3 * 4096, fake_xlate, &calls, list, 8, 0x9000, &prp1, &prp2), 0);
	CHECK_EQ(calls, 4);
	CHECK_EQ(prp2, 0x9000);
}

TEST(nvme_chunks_cover_the_transfer_and_each_fits_one_command)
{
	static uint64_t list[NVME_PRP_LIST_ENTRIES];
	uint32_t sizes[] = {512, 4096};
	uint8_t mdts_values[] = {0, 1, 5, 7, 9, 200};
	unmapped_page = NO_PAGE;
	for (size_t s = 0; s < 2; s++) {
		for (size_t m = 0; m < sizeof mdts_values; m++) {
			for (uintptr_t off = 0; off < NVME_PAGE; off += 508) {
				uint32_t ss = sizes[s];
				uint64_t max = nvme_max_transfer(mdts_values[m]), count = (5u << 20) / ss,
					 done = 0;
				uintptr_t va = 0x200000 + (off & ~(uintptr_t)3);
				int chunks = 0;
				while (done < count) {
					uint32_t n = nvme_chunk_sectors(va, count - done, ss, max,
									NVME_PRP_LIST_ENTRIES + 1);
					CHECK(n >= 1);
					if (n < 1)
						return;
					CHECK((uint64_t)n * ss <= max);
					uint64_t prp1, prp2;
					CHECK_EQ(nvme_prp_build(va, (size_t)n * ss, fake_xlate, NULL, list,
								NVME_PRP_LIST_ENTRIES, 0, &prp1, &prp2),
						 0);
					va += (size_t)n * ss;
					done += n;
					chunks++;
				}
				CHECK_EQ(done, count);
				CHECK(chunks >= (int)((5u << 20) / max));
			}
		}
	}
}

TEST(nvme_max_transfer_follows_mdts)
{
	CHECK_EQ(nvme_max_transfer(0), 2u << 20); /* no limit: one PRP list page */
	CHECK_EQ(nvme_max_transfer(1), 8192);
	CHECK_EQ(nvme_max_transfer(7), 512u << 10); /* QEMU's default */
	CHECK_EQ(nvme_max_transfer(9), 2u << 20);
	CHECK_EQ(nvme_max_transfer(63), 2u << 20); /* hostile: no shift overflow */
	CHECK_EQ(nvme_max_transfer(255), 2u << 20);
	CHECK_EQ(nvme_chunk_sectors(0x1000, 200000, 512, 2u << 20, 513), 4096);
	CHECK_EQ(nvme_chunk_sectors(0x1000, 3, 512, 2u << 20, 513), 3);
	CHECK_EQ(nvme_chunk_sectors(0, 1u << 20, 512, 64u << 20, 1u << 20), 65536); /* 16-bit NLB */
}

/* ---- queue indices and phase tags ---- */

TEST(nvme_ring_phase_flips_on_each_wrap)
{
	struct nvme_ring r;
	struct nvme_cqe cq[4];
	uint8_t device_phase = 1;
	uint32_t device_tail = 0;
	nvme_ring_init(&r, 4);
	memset(cq, 0, sizeof cq);
	CHECK(!nvme_ring_cq_ready(&r, &cq[r.cq_head])); /* zeroed queue: nothing new */
	for (int i = 0; i < 23; i++) {
		/* the driver submits one, the device completes it */
		CHECK(!nvme_ring_sq_full(&r));
		uint32_t slot = nvme_ring_sq_push(&r);
		CHECK_EQ(slot, (uint32_t)i % 4);
		cq[device_tail] = (struct nvme_cqe){
			.sq_head = (uint16_t)r.sq_tail, .cid = (uint16_t)i, .status = device_phase};
		if (++device_tail == 4) {
			device_tail = 0;
			device_phase ^= 1;
		}
		CHECK(nvme_ring_cq_ready(&r, &cq[r.cq_head]));
		CHECK_EQ(cq[r.cq_head].cid, i);
		CHECK_EQ(nvme_ring_cq_pop(&r, &cq[(r.cq_head)]), 0);
		CHECK(!nvme_ring_cq_ready(&r, &cq[r.cq_head])); /* the old entry, last lap's phase */
		CHECK_EQ(r.sq_head, r.sq_tail);
	}
	CHECK_EQ(r.cq_head, 23 % 4);
	CHECK_EQ(r.cq_phase, (23 / 4) % 2 ? 0 : 1);
}

TEST(nvme_ring_sq_full_keeps_one_slot_empty)
{
	struct nvme_ring r;
	nvme_ring_init(&r, 3);
	CHECK(!nvme_ring_sq_full(&r));
	nvme_ring_sq_push(&r);
	nvme_ring_sq_push(&r);
	CHECK(nvme_ring_sq_full(&r));
	struct nvme_cqe e = {.sq_head = 1};
	CHECK_EQ(nvme_ring_cq_pop(&r, &e), 0);
	CHECK(!nvme_ring_sq_full(&r));
	CHECK_EQ(nvme_ring_sq_push(&r), 2);
	CHECK_EQ(r.sq_tail, 0);
	CHECK(nvme_ring_sq_full(&r));
}

TEST(nvme_ring_refuses_hostile_sq_head)
{
	struct nvme_ring r;
	nvme_ring_init(&r, 8);
	nvme_ring_sq_push(&r);
	struct nvme_cqe e = {.sq_head = 8};
	CHECK_EQ(nvme_ring_cq_pop(&r, &e), -EIO);
	CHECK_EQ(r.sq_head, 0); /* not taken */
	CHECK_EQ(r.cq_head, 1); /* the entry is consumed all the same */
	e.sq_head = 0xffff;
	CHECK_EQ(nvme_ring_cq_pop(&r, &e), -EIO);
	CHECK(!nvme_ring_sq_full(&r));
}

/* ---- registers ---- */

static uint64_t cap_of(unsigned mqes, unsigned to, unsigned dstrd, unsigned css, unsigned mpsmin,
		       unsigned mpsmax)
{
	return mqes | (uint64_t)to << 24 | (uint64_t)dstrd << 32 | (uint64_t)css << 37 |
	       (uint64_t)mpsmin << 48 | (uint64_t)mpsmax << 52;
}

TEST(nvme_cap_decodes_and_refuses)
{
	struct nvme_cap c;
	CHECK_EQ(nvme_cap_parse(cap_of(2047, 15, 0, 1, 0, 4), &c), 0); /* QEMU's */
	CHECK_EQ(c.max_entries, 2048);
	CHECK_EQ(c.ready_timeout_ms, 7500);
	CHECK_EQ(c.doorbell_stride, 4);
	CHECK_EQ(nvme_cap_parse(cap_of(0xffff, 255, 15, 1, 0, 0), &c), 0);
	CHECK_EQ(c.max_entries, 65536);
	CHECK_EQ(c.ready_timeout_ms, 127500);
	CHECK_EQ(c.doorbell_stride, 4u << 15);
	CHECK_EQ(nvme_cap_parse(cap_of(63, 0, 0, 1, 0, 0), &c), 0);
	CHECK_EQ(c.ready_timeout_ms, 500); /* TO 0: at least one unit */
	CHECK_EQ(nvme_cap_parse(cap_of(0, 1, 0, 1, 0, 0), &c), -ENODEV); /* one entry per queue */
	CHECK_EQ(nvme_cap_parse(cap_of(63, 1, 0, 0x80, 0, 0), &c), -ENODEV); /* no NVM command set */
	CHECK_EQ(nvme_cap_parse(cap_of(63, 1, 0, 1, 1, 4), &c), -ENODEV); /* no 4 KiB pages */
	CHECK_EQ(nvme_doorbell_offset(0, false, 4), 0x1000);
	CHECK_EQ(nvme_doorbell_offset(0, true, 4), 0x1004);
	CHECK_EQ(nvme_doorbell_offset(1, false, 4), 0x1008);
	CHECK_EQ(nvme_doorbell_offset(1, true, 16), 0x1000 + 3 * 16);
}

/* ---- Identify ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

TEST(nvme_identify_controller_strings_are_trimmed_and_printable)
{
	static uint8_t page[4096];
	struct nvme_ctrl_id id;
	memset(page, 0, sizeof page);
	memcpy(page + 4, "optios0             ", 20);
	memcpy(page + 24, "QEMU NVMe Ctrl\x01\xff                          ", 40);
	memcpy(page + 64, "8.2.0   ", 8);
	page[77] = 7;
	put32(page + 516, 256);
	page[525] = 0x7;
	nvme_id_ctrl_parse(page, &id);
	CHECK_STR(id.serial, "optios0");
	CHECK_STR(id.model, "QEMU NVMe Ctrl??");
	CHECK_STR(id.firmware, "8.2.0");
	CHECK_EQ(id.mdts, 7);
	CHECK_EQ(id.namespaces, 256);
	CHECK(id.volatile_cache);
	memset(page, 0xff, sizeof page); /* all ones: strings bounded, unprintable */
	nvme_id_ctrl_parse(page, &id);
	CHECK_EQ(strlen(id.serial), 20);
	CHECK_EQ(strlen(id.model), 40);
	CHECK_EQ(id.serial[0], '?');
	CHECK_EQ(id.namespaces, 0xffffffffu);
}

static void ns_page(uint8_t *page, uint64_t nsze, unsigned nlbaf, unsigned flbas, unsigned fmt, uint32_t lbaf)
{
	memset(page, 0, 4096);
	put64(page, nsze);
	page[25] = (uint8_t)nlbaf;
	page[26] = (uint8_t)flbas;
	put32(page + 128 + 4 * fmt, lbaf);
}

TEST(nvme_identify_namespace_hostile_values)
{
	static uint8_t page[4096];
	struct nvme_ns_id ns;
	ns_page(page, 2048, 0, 0, 0, 9u << 16);
	CHECK_EQ(nvme_id_ns_parse(page, &ns), 0);
	CHECK_EQ(ns.sectors, 2048);
	CHECK_EQ(ns.sector_size, 512);
	ns_page(page, 100, 1, 1, 1, 12u << 16); /* the second format, 4 KiB */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), 0);
	CHECK_EQ(ns.sector_size, 4096);
	ns_page(page, UINT64_MAX, 0, 0, 0, 9u << 16); /* huge size: taken as it is */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), 0);
	CHECK(ns.sectors == UINT64_MAX);
	ns_page(page, 0, 0, 0, 0, 9u << 16); /* size 0: an inactive namespace */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), -ENODEV);
	unsigned bad_lbads[] = {0, 1, 8, 13, 16, 63, 64, 255};
	for (size_t i = 0; i < sizeof bad_lbads / sizeof bad_lbads[0]; i++) {
		ns_page(page, 2048, 0, 0, 0, bad_lbads[i] << 16);
		CHECK_EQ(nvme_id_ns_parse(page, &ns), -EINVAL);
	}
	ns_page(page, 2048, 0, 0, 0, 9u << 16 | 8); /* 8 bytes of metadata per sector */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), -EINVAL);
	ns_page(page, 2048, 0, 3, 3, 9u << 16); /* format 3 of a list of 1 */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), -EINVAL);
	ns_page(page, 2048, 63, 0x6f, 63, 9u << 16); /* index 63 through FLBAS bits 6:5 */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), 0);
	ns_page(page, 2048, 255, 0xff, 63, 12u << 16); /* NLBAF out of spec: index still bounded */
	CHECK_EQ(nvme_id_ns_parse(page, &ns), 0);
	CHECK_EQ(ns.sector_size, 4096);
}

/* ---- commands ---- */

TEST(nvme_commands_encode_fields)
{
	struct nvme_sqe c;
	nvme_cmd_rw(&c, NVME_CMD_WRITE, 1, 0x123456789ull, 65536, 0x1000, 0x2000);
	CHECK_EQ(c.opc, 1);
	CHECK_EQ(c.nsid, 1);
	CHECK_EQ(c.cdw10, 0x23456789u);
	CHECK_EQ(c.cdw11, 0x1);
	CHECK_EQ(c.cdw12, 0xffff);
	CHECK_EQ(c.prp1, 0x1000);
	CHECK_EQ(c.prp2, 0x2000);
	CHECK_EQ(c.flags, 0);
	nvme_cmd_rw(&c, NVME_CMD_READ, 1, 7, 1, 0x1000, 0);
	CHECK_EQ(c.cdw12, 0);
	nvme_cmd_create_cq(&c, 1, 64, 0x5000);
	CHECK_EQ(c.opc, NVME_ADMIN_CREATE_CQ);
	CHECK_EQ(c.cdw10, 63u << 16 | 1);
	CHECK_EQ(c.cdw11, 1);
	nvme_cmd_create_sq(&c, 1, 64, 0x6000, 1);
	CHECK_EQ(c.cdw10, 63u << 16 | 1);
	CHECK_EQ(c.cdw11, 1u << 16 | 1);
	nvme_cmd_identify(&c, NVME_CNS_CONTROLLER, 0, 0x7000);
	CHECK_EQ(c.cdw10, 1);
	nvme_cmd_flush(&c, 1);
	CHECK_EQ(c.opc, 0);
	CHECK_EQ(c.nsid, 1);
	CHECK_EQ(c.prp1, 0);
}

TEST(nvme_status_names)
{
	CHECK_STR(nvme_status_str(0), "success");
	CHECK_STR(nvme_status_str(0x02), "generic: invalid field");
	CHECK_STR(nvme_status_str(2u << 8 | 0x81), "media: unrecovered read error");
	CHECK_STR(nvme_status_str(2u << 8 | 0x80), "media: write fault");
	CHECK_STR(nvme_status_str(7u << 8 | 0x12), "path or vendor specific");
	CHECK_EQ(NVME_STATUS_DNR(1u << 14 | 0x06), 1);
}
