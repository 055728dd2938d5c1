/*
 * ptree.c - the contents of a writable file: a radix tree of page pointers.
 *
 * Theory of operation. Page i of a file holds bytes [i*FS_PAGE, (i+1)*FS_PAGE).
 * The tree maps i to its page the way a page table maps an address: every
 * node is one FS_PAGE page of FANOUT (512) pointers, indexed by 9 bits of i
 * per level, the top level first. A tree of height h covers page indices
 * [0, 512^h); it grows a level on top (the old root becomes the new root's
 * slot 0) when a write reaches past that. So the metadata of a file grows
 * with the pages actually written - at most `height` nodes per page, and a
 * height of 4 covers 512 GiB - never with the offset written at: one byte at
 * offset 62,000,000 costs three pages (two nodes and the data), all charged.
 *
 * Invariants (under the fs lock):
 *   - root == NULL exactly when height == 0; a node of level 1 points to data
 *     pages, a node of level l > 1 to nodes of level l - 1; NULL is a hole
 *     (reads as zeros);
 *   - every node and every data page comes from fs_page_alloc and is charged
 *     FS_PAGE to its file system's used (so a file system's limit bounds all
 *     the memory its files hold); pages and nodes count them;
 *   - a node may be empty only after a write that ran out of space part way;
 *     ptree_truncate frees every node it leaves empty, and truncating to 0
 *     frees everything and leaves height 0;
 *   - ptree_truncate never allocates, so removing a file can always free it.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "fs_internal.h"
#include "lib/lib.h"

#define FANOUT (FS_PAGE / sizeof(void *))
#define LEVEL_BITS 9
_Static_assert(FANOUT == 1u << LEVEL_BITS, "a node is one page of pointers");
#define HEIGHT_MAX 6 /* 512^6 pages: far beyond any limit */

/* Page indices one entry of a level-`level` node spans. */
static uint64_t span(unsigned level)
{
	return (uint64_t)1 << (LEVEL_BITS * (level - 1));
}

/* A charged page from fs (a node or data), zeroed; NULL at the limit. */
static void *charge_page(struct fs *fs)
{
	if (fs->used + FS_PAGE > fs->limit)
		return NULL;
	void *p = fs_page_alloc();
	if (p)
		fs->used += FS_PAGE;
	return p;
}

static void uncharge_page(struct fs *fs, void *p)
{
	fs_page_free(p);
	fs->used -= FS_PAGE;
}

uint8_t *ptree_find(const struct ptree *t, uint64_t idx)
{
	if (t->height == 0 || (t->height < HEIGHT_MAX && idx >= span(t->height + 1)))
		return NULL;
	void **node = t->root;
	for (unsigned level = t->height; level > 1; level--) {
		node = node[(idx / span(level)) % FANOUT];
		if (!node)
			return NULL;
	}
	return node[idx % FANOUT];
}

/* Makes the tree tall enough to hold idx: false if a new root does not fit.
 * An empty tree gets one root of the height needed; a tree that holds pages
 * gets new roots on top, the old one in slot 0. */
static bool grow(struct ptree *t, struct fs *fs, uint64_t idx)
{
	unsigned height = 1;
	while (height < HEIGHT_MAX && idx >= span(height + 1))
		height++;
	while (t->height < height) {
		void **node = charge_page(fs);
		if (!node)
			return false;
		node[0] = t->root; /* NULL when the tree was empty: then one root will do */
		t->height = t->root ? t->height + 1 : height;
		t->root = node;
		t->nodes++;
	}
	return true;
}

uint8_t *ptree_get(struct ptree *t, struct fs *fs, uint64_t idx)
{
	uint8_t *pg = ptree_find(t, idx);
	if (pg)
		return pg;
	if (!grow(t, fs, idx))
		return NULL;
	void **node = t->root;
	for (unsigned level = t->height; level > 1; level--) {
		void **slot = &node[(idx / span(level)) % FANOUT];
		if (!*slot) {
			if (!(*slot = charge_page(fs)))
				return NULL; /* the nodes made so far stay, empty: see the invariants */
			t->nodes++;
		}
		node = *slot;
	}
	if ((pg = charge_page(fs)) != NULL) {
		node[idx % FANOUT] = pg;
		t->pages++;
	}
	return pg;
}

/* Frees what node (of level, first page index base) holds at indices >=
 * keep, and its children left empty. Returns whether node is now empty. */
static bool trim(struct ptree *t, struct fs *fs, void **node, unsigned level, uint64_t base, uint64_t keep)
{
	bool empty = true;
	for (size_t i = 0; i < FANOUT; i++) {
		uint64_t first = base + i * span(level);
		if (!node[i])
			continue;
		if (first + span(level) <= keep) {
			empty = false; /* wholly kept */
		} else if (level == 1) {
			uncharge_page(fs, node[i]);
			node[i] = NULL;
			t->pages--;
		} else if (trim(t, fs, node[i], level - 1, first, keep)) {
			uncharge_page(fs, node[i]);
			node[i] = NULL;
			t->nodes--;
		} else {
			empty = false;
		}
	}
	return empty;
}

void ptree_truncate(struct ptree *t, struct fs *fs, uint64_t keep)
{
	if (t->height && trim(t, fs, t->root, t->height, 0, keep)) {
		uncharge_page(fs, t->root);
		t->root = NULL;
		t->height = 0;
		t->nodes--;
	}
}
