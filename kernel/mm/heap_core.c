/*
 * heap_core.c - size-class slabs for small blocks, whole pages for large ones.
 *
 * Every block starts with a 16-byte header (struct block) right before the
 * pointer handed out: a magic number saying used or free, its size class and
 * the size asked for. Small blocks (header + size + red zone <= 2016 bytes)
 * come from slabs: one page holding a struct heap_slab and equal blocks of one
 * class. Large blocks are runs of whole pages with the header at the start.
 *
 *   slab page:  [heap_slab 64][hdr|payload...|red zone][hdr|payload...]...
 *   large run:  [hdr|payload ............................|red zone]
 *
 * Invariants:
 *   - a slab is on partial[cls] exactly when it has a free block; a slab
 *     with no used block goes back to the page source at once (so the
 *     self-test runner sees pages come back);
 *   - free slab blocks are linked through their headers (magic MAGIC_FREE);
 *   - in debug mode every byte between the end of the asked size and the end
 *     of the block is CANARY while the block is used (at least REDZONE of
 *     them), and every payload byte of a free block is POISON.
 * Nothing here panics: errors are returned and heap.c decides.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "heap_core.h"

#include "lib/lib.h"

#define MAGIC_USED 0xA110C8EDu
#define MAGIC_FREE 0xF4EEB10Cu
#define SLAB_MAGIC 0x5AB5AB5Au
#define CLASS_LARGE 0xFF
#define HDR 16
#define SLAB_HDR 64
#define REDZONE 8
#define CANARY 0xCB
#define POISON 0xDF

struct block {
	uint32_t magic;
	uint8_t cls;
	uint8_t pad[3];
	union {
		struct {
			uint32_t size; /* bytes asked for */
			uint32_t pages; /* large blocks: pages in the run */
		} used;
		struct block *next; /* free slab blocks: the slab's free list */
	};
};
_Static_assert(sizeof(struct block) == HDR, "block header size");

struct heap_slab {
	uint32_t magic;
	uint16_t cls, used, total;
	struct block *free;
	struct heap_slab *prev, *next; /* on the class's partial list */
};
_Static_assert(sizeof(struct heap_slab) <= SLAB_HDR, "slab header size");

/* Block sizes (header included), multiples of 16; the big ones divide a
 * page's 4032 usable bytes evenly. */
static const uint16_t class_size[HEAP_CLASSES] = {
	32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
};

static struct block *header(const void *p)
{
	return (struct block *)((uintptr_t)p - HDR);
}

static size_t capacity(const struct block *b)
{
	if (b->cls == CLASS_LARGE)
		return (size_t)b->used.pages * HEAP_PAGE - HDR;
	return (size_t)class_size[b->cls] - HDR;
}

static int class_for(size_t need)
{
	for (int c = 0; c < HEAP_CLASSES; c++)
		if (need <= class_size[c])
			return c;
	return -1;
}

void heap_core_init(struct heap *h, void *(*page_alloc)(size_t), void (*page_free)(void *, size_t),
		    bool debug)
{
	memset(h, 0, sizeof *h);
	h->page_alloc = page_alloc;
	h->page_free = page_free;
	h->debug = debug;
}

/* ---- slabs ---- */

static void partial_link(struct heap *h, struct heap_slab *s)
{
	s->prev = NULL;
	s->next = h->partial[s->cls];
	if (s->next)
		s->next->prev = s;
	h->partial[s->cls] = s;
}

static void partial_unlink(struct heap *h, struct heap_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		h->partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

static struct heap_slab *slab_create(struct heap *h, int c)
{
	struct heap_slab *s = h->page_alloc(1);
	if (!s)
		return NULL;
	h->pages++;
	*s = (struct heap_slab){.magic = SLAB_MAGIC, .cls = (uint16_t)c};
	s->total = (HEAP_PAGE - SLAB_HDR) / class_size[c];
	for (int i = s->total - 1; i >= 0; i--) {
		struct block *b = (struct block *)((char *)s + SLAB_HDR + (size_t)i * class_size[c]);
		b->magic = MAGIC_FREE;
		b->cls = (uint8_t)c;
		b->next = s->free;
		s->free = b;
	}
	partial_link(h, s);
	return s;
}

static struct block *slab_take(struct heap *h, int c)
{
	struct heap_slab *s = h->partial[c];
	if (!s && !(s = slab_create(h, c)))
		return NULL;
	struct block *b = s->free;
	s->free = b->next;
	if (++s->used == s->total)
		partial_unlink(h, s);
	b->used.pages = 0;
	return b;
}

static void slab_put(struct heap *h, struct block *b)
{
	struct heap_slab *s = (struct heap_slab *)ALIGN_DOWN((uintptr_t)b, HEAP_PAGE);
	b->magic = MAGIC_FREE;
	if (h->debug)
		memset(b + 1, POISON, capacity(b));
	b->next = s->free;
	s->free = b;
	if (s->used-- == s->total)
		partial_link(h, s);
	if (s->used == 0) {
		partial_unlink(h, s);
		s->magic = 0;
		h->page_free(s, 1);
		h->pages--;
	}
}

/* ---- large blocks ---- */

static struct block *large_take(struct heap *h, size_t need)
{
	size_t pages = (need + HEAP_PAGE - 1) / HEAP_PAGE;
	struct block *b = h->page_alloc(pages);
	if (!b)
		return NULL;
	h->pages += pages;
	b->cls = CLASS_LARGE;
	b->used.pages = (uint32_t)pages;
	return b;
}

static void large_put(struct heap *h, struct block *b)
{
	size_t pages = b->used.pages;
	b->magic = MAGIC_FREE;
	h->page_free(b, pages);
	h->pages -= pages;
}

/* ---- the interface ---- */

void *heap_core_alloc(struct heap *h, size_t size)
{
	if (size > HEAP_MAX_SIZE)
		return NULL;
	size_t need = HDR + size + (h->debug ? REDZONE : 0);
	int c = class_for(need);
	struct block *b = c >= 0 ? slab_take(h, c) : large_take(h, need);
	if (!b)
		return NULL;
	b->magic = MAGIC_USED;
	b->used.size = (uint32_t)size;
	if (h->debug)
		memset((char *)(b + 1) + size, CANARY, capacity(b) - size);
	h->bytes_in_use += size;
	h->blocks++;
	return b + 1;
}

static int check_large(const struct block *b)
{
	if (b->cls != CLASS_LARGE || b->magic == MAGIC_FREE)
		return b->magic == MAGIC_FREE && b->cls == CLASS_LARGE ? HEAP_ERR_FREED : HEAP_ERR_NOT_BLOCK;
	if (b->magic != MAGIC_USED || b->used.pages == 0 || b->used.size > capacity(b))
		return HEAP_ERR_NOT_BLOCK;
	return 0;
}

static int check_small(const struct block *b)
{
	const struct heap_slab *s = (const struct heap_slab *)ALIGN_DOWN((uintptr_t)b, HEAP_PAGE);
	if (s->magic != SLAB_MAGIC || s->cls >= HEAP_CLASSES)
		return HEAP_ERR_NOT_BLOCK;
	uintptr_t off = (uintptr_t)b - (uintptr_t)s, size = class_size[s->cls];
	if (off < SLAB_HDR || (off - SLAB_HDR) % size || (off - SLAB_HDR) / size >= s->total)
		return HEAP_ERR_NOT_BLOCK;
	if (b->magic == MAGIC_FREE)
		return HEAP_ERR_FREED;
	if (b->magic != MAGIC_USED || b->cls != s->cls || b->used.size > capacity(b))
		return HEAP_ERR_NOT_BLOCK;
	return 0;
}

typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;

/* Are the n bytes at rz all CANARY? Eight at a time: a large block's red
 * zone is most of a page, and every kfree checks it. */
static bool canary_intact(const uint8_t *rz, size_t n)
{
	const uint64_t word = 0x0101010101010101ull * CANARY;
	for (; n && ((uintptr_t)rz & 7); n--, rz++)
		if (*rz != CANARY)
			return false;
	for (; n >= 8; n -= 8, rz += 8)
		if (*(const word_t *)rz != word)
			return false;
	for (; n; n--, rz++)
		if (*rz != CANARY)
			return false;
	return true;
}

int heap_core_check(const struct heap *h, const void *p)
{
	if (!p || ((uintptr_t)p & 15))
		return HEAP_ERR_NOT_BLOCK;
	const struct block *b = header(p);
	/* a slab block never starts a page: the slab header is there */
	int err = ((uintptr_t)b % HEAP_PAGE == 0) ? check_large(b) : check_small(b);
	if (err || !h->debug)
		return err;
	return canary_intact((const uint8_t *)p + b->used.size, capacity(b) - b->used.size)
		       ? 0
		       : HEAP_ERR_OVERRUN;
}

int heap_core_free(struct heap *h, void *p)
{
	int err = heap_core_check(h, p);
	if (err)
		return err;
	struct block *b = header(p);
	h->bytes_in_use -= b->used.size;
	h->blocks--;
	if (b->cls == CLASS_LARGE)
		large_put(h, b);
	else
		slab_put(h, b);
	return 0;
}

size_t heap_core_size(const void *p)
{
	return header(p)->used.size;
}

size_t heap_core_capacity(const void *p)
{
	return capacity(header(p));
}
