/*
 * dir.c - the entries of a directory: found by name in O(1), listed in
 * creation order at offsets that stay valid while entries come and go.
 *
 * Theory of operation. Each entry gets a cookie when it is inserted: the
 * directory's next_cookie (2, 3, ...; 0 and 1 are "." and ".." for
 * getdents), never reused in that directory. The entries form a doubly
 * linked list in cookie order (a new one goes last), and a getdents offset is
 * a cookie: "the first entry whose cookie is >= off". Removing an entry
 * moves no other entry's cookie, so a listing interleaved with unlinks
 * returns every entry that is not removed exactly once (as Linux does),
 * which `rm -r` relies on. A rename re-inserts the entry with a new cookie.
 *
 * Names are found through a hash table of chains (FNV-1a of the name from
 * a per-boot random seed, so a program cannot pick names that collide),
 * doubled when the entries outnumber the buckets, so creating n files costs
 * O(n) rather than O(n^2). The table is charged to the file system like the
 * vnodes (a quarter of RAM bounds it); when growing it would pass the limit,
 * or memory is short, it stays as it is and the chains grow longer: insert
 * never fails. It halves when the entries fill less than a quarter of it,
 * if memory allows (else it stays: removing never fails), and goes when the
 * directory is empty.
 *
 * Invariants (under the fs lock):
 *   - an entry is in exactly one directory's list, at its cookie's place
 *     (cookies strictly increase from first to last), and its parent is that
 *     directory; count and subdirs count the list;
 *   - buckets == NULL exactly when nbuckets == 0; otherwise nbuckets is a
 *     power of two and every entry is in chain hash(name) & (nbuckets - 1);
 *     nbuckets * sizeof(pointer) bytes are charged to the file system;
 *   - an empty directory holds no table (dir_remove frees it at count 0);
 *     past BUCKETS_MIN, a table has at least a quarter as many entries as
 *     buckets unless memory was short when it should have halved.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "fs_internal.h"
#include "lib/lib.h"

#define BUCKETS_MIN 8

static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = fs_hash_seed();
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return h;
}

static struct vnode **chain(struct dir *d, const char *name, size_t len)
{
	return &d->buckets[name_hash(name, len) & (d->nbuckets - 1)];
}

static bool named(const struct vnode *v, const char *name, size_t len)
{
	return v->namelen == len && memcmp(v->name, name, len) == 0;
}

struct vnode *dir_find(struct vnode *dir, const char *name, size_t namelen)
{
	struct dir *d = &dir->dir;
	if (!d->buckets) {
		for (struct vnode *c = d->first; c; c = c->next)
			if (named(c, name, namelen))
				return c;
		return NULL;
	}
	for (struct vnode *c = *chain(d, name, namelen); c; c = c->hnext)
		if (named(c, name, namelen))
			return c;
	return NULL;
}

static void table_set(struct vnode *dir, struct vnode **buckets, size_t n)
{
	struct dir *d = &dir->dir;
	dir->fs->used = dir->fs->used - d->nbuckets * sizeof *buckets + n * sizeof *buckets;
	kfree(d->buckets);
	d->buckets = buckets;
	d->nbuckets = n;
	for (struct vnode *c = d->first; c; c = c->next) {
		struct vnode **h = chain(d, c->name, c->namelen);
		c->hnext = *h;
		*h = c;
	}
}

/* Doubles the table when the entries (count of them after an insert)
 * outnumber the buckets, if the limit and memory allow; else leaves it. */
static void table_grow(struct vnode *dir, size_t count)
{
	struct dir *d = &dir->dir;
	if (count <= d->nbuckets)
		return;
	size_t n = d->nbuckets ? d->nbuckets * 2 : BUCKETS_MIN;
	size_t more = (n - d->nbuckets) * sizeof(struct vnode *);
	if (dir->fs->used + more > dir->fs->limit)
		return;
	struct vnode **b = kzalloc(n * sizeof *b);
	if (b)
		table_set(dir, b, n);
}

/* Halves the table when the entries fill less than a quarter of it (so
 * what a directory is charged follows what it holds), if memory allows:
 * a removal that cannot get the smaller table keeps the larger one. */
static void table_shrink(struct vnode *dir)
{
	struct dir *d = &dir->dir;
	if (d->nbuckets <= BUCKETS_MIN || d->count >= d->nbuckets / 4)
		return;
	struct vnode **b = kzalloc(d->nbuckets / 2 * sizeof *b);
	if (b)
		table_set(dir, b, d->nbuckets / 2);
}

void dir_insert(struct vnode *dir, struct vnode *v)
{
	struct dir *d = &dir->dir;
	table_grow(dir, d->count + 1);
	if (d->next_cookie < 2)
		d->next_cookie = 2;
	v->cookie = d->next_cookie++;
	v->parent = dir;
	v->next = NULL;
	v->prev = d->last;
	if (d->last)
		d->last->next = v;
	else
		d->first = v;
	d->last = v;
	if (d->buckets) {
		struct vnode **h = chain(d, v->name, v->namelen);
		v->hnext = *h;
		*h = v;
	}
	d->count++;
	d->subdirs += vn_is_dir(v);
}

void dir_remove(struct vnode *dir, struct vnode *v)
{
	struct dir *d = &dir->dir;
	if (d->buckets) {
		struct vnode **pp = chain(d, v->name, v->namelen);
		while (*pp != v)
			pp = &(*pp)->hnext;
		*pp = v->hnext;
	}
	if (v->prev)
		v->prev->next = v->next;
	else
		d->first = v->next;
	if (v->next)
		v->next->prev = v->prev;
	else
		d->last = v->prev;
	v->next = v->prev = v->hnext = NULL;
	v->parent = NULL;
	d->count--;
	d->subdirs -= vn_is_dir(v);
	if (d->count == 0)
		dir_release(dir);
	else
		table_shrink(dir);
}

struct vnode *dir_seek(struct vnode *dir, uint64_t cookie, struct vnode *hint)
{
	if (hint && hint->parent == dir && hint->cookie >= cookie &&
	    (!hint->prev || hint->prev->cookie < cookie))
		return hint;
	struct vnode *c = dir->dir.first;
	while (c && c->cookie < cookie)
		c = c->next;
	return c;
}

void dir_release(struct vnode *dir)
{
	struct dir *d = &dir->dir;
	dir->fs->used -= d->nbuckets * sizeof(struct vnode *);
	kfree(d->buckets);
	d->buckets = NULL;
	d->nbuckets = 0;
}
