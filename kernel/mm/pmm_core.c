/*
 * pmm_core.c - physical page bookkeeping: which pages exist, which are free,
 * how many references each allocated page has.
 *
 * Managed memory is a sorted list of disjoint page ranges, computed once from
 * the memory map by set arithmetic (add usable, subtract everything that must
 * never be handed out). Pages are numbered 0..total-1 in address order across
 * the ranges, so one bitmap and one reference-count array cover them with no
 * space spent on holes (a machine with RAM above 4 GiB pays nothing for the
 * PCI hole). Both arrays live in pages carved from the lowest range that fits.
 *
 * Invariants:
 *   - refs[i] == 0 exactly when freemap bit i is set, and free == the number
 *     of set bits;
 *   - a page outside the ranges (kernel, modules, reserved, low 1 MiB,
 *     bookkeeping) is never handed out and cannot be freed;
 *   - numbering follows addresses, so "below the limit" is "index below
 *     limit_pages";
 *   - every page numbered below low_free is taken (a free lowers it).
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "pmm_core.h"

#include "lib/lib.h"

/* ---- range-set arithmetic on p->range ---- */

static void set_insert_at(struct pmm *p, size_t i, uint64_t start, uint64_t end)
{
	memmove(&p->range[i + 1], &p->range[i], (p->nranges - i) * sizeof p->range[0]);
	p->range[i] = (struct pmm_range){start, end, 0};
	p->nranges++;
}

static void set_delete_at(struct pmm *p, size_t i, size_t count)
{
	memmove(&p->range[i], &p->range[i + count], (p->nranges - i - count) * sizeof p->range[0]);
	p->nranges -= count;
}

/* Adds [start, end), merging with every range it overlaps or touches. */
static void set_add(struct pmm *p, uint64_t start, uint64_t end)
{
	if (start >= end)
		return;
	size_t i = 0;
	while (i < p->nranges && p->range[i].end < start)
		i++;
	size_t j = i;
	while (j < p->nranges && p->range[j].start <= end) {
		start = MIN(start, p->range[j].start);
		end = MAX(end, p->range[j].end);
		j++;
	}
	if (i == j) {
		if (p->nranges == PMM_MAX_RANGES) {
			p->lost_bytes += end - start;
			return;
		}
		set_insert_at(p, i, start, end);
		return;
	}
	set_delete_at(p, i + 1, j - i - 1);
	p->range[i].start = start;
	p->range[i].end = end;
}

/* Removes [start, end) from the set. */
static void set_remove(struct pmm *p, uint64_t start, uint64_t end)
{
	if (start >= end)
		return;
	for (size_t i = 0; i < p->nranges;) {
		struct pmm_range *r = &p->range[i];
		if (r->end <= start || r->start >= end) {
			i++;
		} else if (r->start < start && r->end > end) {
			/* a hole in the middle: split (or drop the top part if full) */
			if (p->nranges == PMM_MAX_RANGES)
				p->lost_bytes += r->end - end;
			else
				set_insert_at(p, i + 1, end, r->end);
			p->range[i].end = start;
			return;
		} else if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			i++;
		} else {
			set_delete_at(p, i, 1);
		}
	}
}

static uint64_t clip_end(uint64_t base, uint64_t len)
{
	if (base >= PMM_PHYS_MAX)
		return PMM_PHYS_MAX;
	return len > PMM_PHYS_MAX - base ? PMM_PHYS_MAX : base + len;
}

/* ---- numbering ---- */

static size_t range_pages(const struct pmm_range *r)
{
	return (size_t)((r->end - r->start) / PMM_PAGE);
}

/* Index of the managed page at pa, or -1. */
static long pa_index(const struct pmm *p, uint64_t pa)
{
	if (pa & (PMM_PAGE - 1))
		return -1;
	const struct pmm_range *big = &p->range[p->big];
	if (pa >= big->start && pa < big->end) /* most pages: no search */
		return (long)(big->first + (pa - big->start) / PMM_PAGE);
	size_t lo = 0, hi = p->nranges;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct pmm_range *r = &p->range[mid];
		if (pa < r->start)
			hi = mid;
		else if (pa >= r->end)
			lo = mid + 1;
		else
			return (long)(r->first + (pa - r->start) / PMM_PAGE);
	}
	return -1;
}

/* The range holding page index idx (idx < p->total). */
static const struct pmm_range *range_of(const struct pmm *p, size_t idx)
{
	size_t lo = 0, hi = p->nranges;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (p->range[mid].first <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return &p->range[lo];
}

static uint64_t index_pa(const struct pmm *p, size_t idx)
{
	const struct pmm_range *r = range_of(p, idx);
	return r->start + (idx - r->first) * PMM_PAGE;
}

static void take(struct pmm *p, size_t i)
{
	p->freemap[i / 64] &= ~(1ull << (i % 64));
	p->refs[i] = 1;
	p->free--;
}

/* ---- set-up ---- */

static void build_ranges(struct pmm *p, const struct bootinfo *bi, uint64_t kstart, uint64_t kend)
{
	for (size_t i = 0; i < bi->region_count; i++) {
		const struct boot_region *g = &bi->regions[i];
		if (g->type == BOOT_MEM_USABLE)
			set_add(p, ALIGN_UP(MIN(g->base, PMM_PHYS_MAX), PMM_PAGE),
				ALIGN_DOWN(clip_end(g->base, g->len), PMM_PAGE));
	}
	for (size_t i = 0; i < p->nranges; i++)
		p->ram_bytes += p->range[i].end - p->range[i].start;
	for (size_t i = 0; i < bi->region_count; i++) {
		const struct boot_region *g = &bi->regions[i];
		if (g->type != BOOT_MEM_USABLE)
			set_remove(p, ALIGN_DOWN(MIN(g->base, PMM_PHYS_MAX), PMM_PAGE),
				   ALIGN_UP(clip_end(g->base, g->len), PMM_PAGE));
	}
	set_remove(p, 0, PMM_LOW_RESERVED);
	set_remove(p, ALIGN_DOWN(kstart, PMM_PAGE), ALIGN_UP(kend, PMM_PAGE));
	p->kernel_bytes = kend - kstart;
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		set_remove(p, ALIGN_DOWN(m->start, PMM_PAGE),
			   ALIGN_UP(clip_end(m->start, m->end - m->start), PMM_PAGE));
		p->module_bytes += m->end - m->start;
	}
	set_remove(p, ALIGN_DOWN(bi->info_phys, PMM_PAGE),
		   ALIGN_UP(clip_end(bi->info_phys, bi->info_size), PMM_PAGE));
}

static size_t count_pages(const struct pmm *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nranges; i++)
		n += range_pages(&p->range[i]);
	return n;
}

/* Carves the freemap and refs arrays from the lowest range that fits below limit. */
static int place_meta(struct pmm *p, uint64_t limit, pmm_virt_fn virt)
{
	size_t pages = count_pages(p);
	size_t map_bytes = (pages / 64 + 1) * sizeof(uint64_t);
	uint64_t bytes = ALIGN_UP(map_bytes + pages * sizeof(uint16_t), PMM_PAGE);
	for (size_t i = 0; i < p->nranges; i++) {
		uint64_t at = p->range[i].start;
		if (p->range[i].end - at < bytes || at + bytes > limit)
			continue;
		set_remove(p, at, at + bytes);
		p->meta_pa = at;
		p->meta_bytes = bytes;
		p->freemap = virt(at);
		p->refs = (uint16_t *)((char *)p->freemap + map_bytes);
		memset(p->freemap, 0, bytes);
		return 0;
	}
	return -ENOMEM;
}

int pmm_core_init(struct pmm *p, const struct bootinfo *bi, uint64_t kernel_start, uint64_t kernel_end,
		  uint64_t limit, pmm_virt_fn virt)
{
	memset(p, 0, sizeof *p);
	build_ranges(p, bi, kernel_start, kernel_end);
	int err = place_meta(p, limit, virt);
	if (err)
		return err;
	size_t n = 0;
	for (size_t i = 0; i < p->nranges; i++) {
		p->range[i].first = n;
		n += range_pages(&p->range[i]);
		if (range_pages(&p->range[i]) > range_pages(&p->range[p->big]))
			p->big = i;
	}
	p->total = p->free = n;
	for (size_t i = 0; i < n; i++)
		p->freemap[i / 64] |= 1ull << (i % 64);
	pmm_core_set_limit(p, limit);
	return 0;
}

void pmm_core_set_limit(struct pmm *p, uint64_t limit)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nranges; i++) {
		const struct pmm_range *r = &p->range[i];
		if (r->end <= limit)
			n += range_pages(r);
		else if (r->start < limit)
			n += (size_t)((limit - r->start) / PMM_PAGE);
	}
	p->limit_pages = n;
}

/* ---- allocation ---- */

uint64_t pmm_core_alloc(struct pmm *p)
{
	size_t words = (p->limit_pages + 63) / 64;
	for (size_t k = 0; k < words; k++) {
		size_t w = (p->hint + k) % words;
		uint64_t bits = p->freemap[w];
		if (!bits)
			continue;
		size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
		if (i >= p->limit_pages)
			continue; /* the lowest free page of this word is above the limit */
		take(p, i);
		p->hint = w;
		return index_pa(p, i);
	}
	return 0;
}

/* The first free page at or after index i, or p->total. Word by word: the
 * bits past p->total are never set. */
static size_t next_free(const struct pmm *p, size_t i)
{
	size_t words = p->total / 64 + 1, w = i / 64;
	if (i >= p->total)
		return p->total;
	uint64_t bits = p->freemap[w] & (~0ull << (i % 64));
	while (!bits) {
		if (++w >= words)
			return p->total;
		bits = p->freemap[w];
	}
	return MIN(w * 64 + (size_t)__builtin_ctzll(bits), p->total);
}

/* The first page in [i, end) that is not free, or end. */
static size_t next_busy(const struct pmm *p, size_t i, size_t end)
{
	while (i < end) {
		uint64_t busy = ~p->freemap[i / 64] & (~0ull << (i % 64));
		if (busy)
			return MIN(i / 64 * 64 + (size_t)__builtin_ctzll(busy), end);
		i = (i / 64 + 1) * 64;
	}
	return end;
}

/*
 * First fit from the lowest free page (p->low_free: every page below it is
 * taken, so the search skips the busy bottom of memory at once), free runs
 * found a word of the bitmap at a time.
 */
uint64_t pmm_core_alloc_contig(struct pmm *p, size_t count, size_t align_pages)
{
	if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
		return 0;
	if (count == 1 && align_pages == 1)
		return pmm_core_alloc(p);
	uint64_t align = align_pages * PMM_PAGE;
	size_t i = p->low_free = next_free(p, p->low_free);
	while (i < p->limit_pages) {
		const struct pmm_range *g = range_of(p, i);
		size_t g_end = g->first + range_pages(g);
		uint64_t pa = ALIGN_UP(g->start + (i - g->first) * PMM_PAGE, align);
		size_t at = g->first + (size_t)((pa - g->start) / PMM_PAGE);
		if (pa >= g->end || count > g_end - at) {
			i = next_free(p, g_end); /* no room left in this range */
			continue;
		}
		if (at + count > p->limit_pages)
			return 0;
		size_t busy = next_busy(p, at, at + count);
		if (busy == at + count) {
			for (size_t k = at; k < at + count; k++)
				take(p, k);
			return pa;
		}
		i = next_free(p, busy);
	}
	return 0;
}

int pmm_core_free(struct pmm *p, uint64_t pa)
{
	long i = pa_index(p, pa);
	if (i < 0)
		return PMM_ERR_UNMANAGED;
	if (p->refs[i] == 0)
		return PMM_ERR_FREE;
	if (--p->refs[i] == 0) {
		p->freemap[i / 64] |= 1ull << (i % 64);
		p->free++;
		if ((size_t)i < p->low_free)
			p->low_free = (size_t)i;
	}
	return 0;
}

int pmm_core_get(struct pmm *p, uint64_t pa)
{
	long i = pa_index(p, pa);
	if (i < 0)
		return PMM_ERR_UNMANAGED;
	if (p->refs[i] == 0)
		return PMM_ERR_FREE;
	if (p->refs[i] == PMM_REF_MAX)
		return -EOVERFLOW;
	p->refs[i]++;
	return 0;
}

int pmm_core_refcount(const struct pmm *p, uint64_t pa)
{
	long i = pa_index(p, pa);
	return i < 0 ? PMM_ERR_UNMANAGED : p->refs[i];
}
