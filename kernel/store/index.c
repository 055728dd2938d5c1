/*
 * index.c - the store's in-memory index: key -> where its value lives in the
 * log. A treap (a binary search tree by key, a heap by a priority hashed
 * from the key), so the shape depends only on the set of keys and every
 * operation is O(log n) expected without rebalancing code. Rebuilt at mount
 * by replaying the log; never written to disk.
 *
 * Host-buildable: yes (tests/host/test_store*.c).
 */
#include "kernel/store/store_internal.h"

#include <optios/abi/errno.h>

struct inode_node {
	struct store_key k;
	struct loc l;
	uint64_t prio;
	struct inode_node *left, *right;
};

static uint64_t prio_of(struct store_key k)
{
	return store_hash(&k, sizeof k, 0x9e3779b97f4a7c15ull);
}

/* Splits t into keys < k (*lo) and keys >= k (*hi). */
static void split(struct inode_node *t, struct store_key k, struct inode_node **lo, struct inode_node **hi)
{
	if (!t) {
		*lo = *hi = NULL;
	} else if (key_cmp(t->k, k) < 0) {
		split(t->right, k, &t->right, hi);
		*lo = t;
	} else {
		split(t->left, k, lo, &t->left);
		*hi = t;
	}
}

/* Every key of a below every key of b. */
static struct inode_node *merge(struct inode_node *a, struct inode_node *b)
{
	if (!a || !b)
		return a ? a : b;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		return a;
	}
	b->left = merge(a, b->left);
	return b;
}

struct loc *index_find(struct index *ix, struct store_key k)
{
	struct inode_node *t = ix->root;
	while (t) {
		int c = key_cmp(k, t->k);
		if (c == 0)
			return &t->l;
		t = c < 0 ? t->left : t->right;
	}
	return NULL;
}

static struct inode_node *insert(struct inode_node *t, struct inode_node *n)
{
	if (!t)
		return n;
	if (n->prio > t->prio) {
		split(t, n->k, &n->left, &n->right);
		return n;
	}
	if (key_cmp(n->k, t->k) < 0)
		t->left = insert(t->left, n);
	else
		t->right = insert(t->right, n);
	return t;
}

int index_set(struct index *ix, const struct store_env *env, struct store_key k, struct loc l,
	      struct loc *old, bool *had)
{
	struct loc *cur = index_find(ix, k);
	*had = cur != NULL;
	if (cur) {
		*old = *cur;
		*cur = l;
		return 0;
	}
	struct inode_node *n = env->alloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = (struct inode_node){.k = k, .l = l, .prio = prio_of(k)};
	ix->root = insert(ix->root, n);
	ix->count++;
	return 0;
}

bool index_erase(struct index *ix, const struct store_env *env, struct store_key k, struct loc *old)
{
	struct inode_node **p = &ix->root;
	while (*p) {
		int c = key_cmp(k, (*p)->k);
		if (c == 0) {
			struct inode_node *n = *p;
			*old = n->l;
			*p = merge(n->left, n->right);
			env->free(n);
			ix->count--;
			return true;
		}
		p = c < 0 ? &(*p)->left : &(*p)->right;
	}
	return false;
}

struct loc *index_ceil(struct index *ix, struct store_key k, struct store_key *found)
{
	struct inode_node *t = ix->root, *best = NULL;
	while (t) {
		if (key_cmp(t->k, k) >= 0) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	if (!best)
		return NULL;
	*found = best->k;
	return &best->l;
}

static void destroy(struct inode_node *t, const struct store_env *env)
{
	while (t) {
		destroy(t->left, env);
		struct inode_node *r = t->right;
		env->free(t);
		t = r;
	}
}

void index_destroy(struct index *ix, const struct store_env *env)
{
	destroy(ix->root, env);
	ix->root = NULL;
	ix->count = 0;
}

static int walk(struct inode_node *t, int (*fn)(void *arg, struct store_key k, struct loc *l), void *arg)
{
	while (t) {
		int r = walk(t->left, fn, arg);
		if (r)
			return r;
		r = fn(arg, t->k, &t->l);
		if (r)
			return r;
		t = t->right;
	}
	return 0;
}

int index_walk(struct index *ix, int (*fn)(void *arg, struct store_key k, struct loc *l), void *arg)
{
	return walk(ix->root, fn, arg);
}
