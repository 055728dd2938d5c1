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

/* The priority: a hash of the key and the caller's seed (store_env.seed),
 * so that keys written by a hostile image cannot be chosen to make the tree
 * a list. Even then nothing here recurses: a degenerate tree is slow, never
 * a deep stack. */
static uint64_t prio_of(const struct index *ix, struct store_key k)
{
	return store_hash(&k, sizeof k, 0x9e3779b97f4a7c15ull ^ ix->seed);
}

/* Splits t into keys < k (*lo) and keys >= k (*hi). */
static void split(struct inode_node *t, struct store_key k, struct inode_node **lo, struct inode_node **hi)
{
	while (t) {
		if (key_cmp(t->k, k) < 0) {
			*lo = t;
			lo = &t->right;
			t = t->right;
		} else {
			*hi = t;
			hi = &t->left;
			t = t->left;
		}
	}
	*lo = *hi = NULL;
}

/* Every key of a below every key of b. */
static struct inode_node *merge(struct inode_node *a, struct inode_node *b)
{
	struct inode_node *root = NULL, **p = &root;
	while (a && b) {
		if (a->prio > b->prio) {
			*p = a;
			p = &a->right;
			a = a->right;
		} else {
			*p = b;
			p = &b->left;
			b = b->left;
		}
	}
	*p = a ? a : b;
	return root;
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
	*n = (struct inode_node){.k = k, .l = l, .prio = prio_of(ix, k)};
	struct inode_node **p = &ix->root;
	while (*p && (*p)->prio >= n->prio)
		p = key_cmp(k, (*p)->k) < 0 ? &(*p)->left : &(*p)->right;
	split(*p, k, &n->left, &n->right);
	*p = n;
	ix->count++;
	return 0;
}

int index_append(struct index *ix, const struct store_env *env, struct store_key k, struct loc l)
{
	struct inode_node *n = env->alloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = (struct inode_node){.k = k, .l = l, .prio = prio_of(ix, k)};
	/* k is above every key: its place is on the right spine, below the
	 * nodes of higher priority, the rest of the spine its left subtree */
	struct inode_node **p = &ix->root;
	while (*p && (*p)->prio >= n->prio)
		p = &(*p)->right;
	n->left = *p;
	*p = n;
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

void index_destroy(struct index *ix, const struct store_env *env)
{
	struct inode_node *t = ix->root;
	while (t) {
		if (t->left) { /* rotate right until there is no left child */
			struct inode_node *l = t->left;
			t->left = l->right;
			l->right = t;
			t = l;
		} else {
			struct inode_node *r = t->right;
			env->free(t);
			t = r;
		}
	}
	ix->root = NULL;
	ix->count = 0;
}

/* In key order without a stack (Morris): the tree is threaded through
 * empty right links while walking and restored by the end, so the walk
 * always runs to the end; fn's first nonzero return is what it returns. */
int index_walk(struct index *ix, int (*fn)(void *arg, struct store_key k, struct loc *l), void *arg)
{
	struct inode_node *cur = ix->root;
	int r = 0;
	while (cur) {
		struct inode_node *pre = cur->left;
		if (pre) {
			while (pre->right && pre->right != cur)
				pre = pre->right;
			if (!pre->right) {
				pre->right = cur;
				cur = cur->left;
				continue;
			}
			pre->right = NULL;
		}
		if (!r)
			r = fn(arg, cur->k, &cur->l);
		cur = cur->right;
	}
	return r;
}
