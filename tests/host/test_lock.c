/* test_lock.c - advisory locks (kernel/fs/lock.c): POSIX record locks
 * splitting and merging, conflicts between owners, release on close, flock. */
#include <optios/abi/errno.h>

#include "kernel/fs/file.h"
#include "unit.h"

extern int stub_locks_changed;

static int k1, k2; /* two files */
static int A, B; /* two owners */

static void clear(void)
{
	lock_posix_release(NULL, &A);
	lock_posix_release(NULL, &B);
	lock_flock_release(&A);
	lock_flock_release(&B);
}

TEST(lock_write_conflicts_with_another_owner_only)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 0, 100), 0);
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 50, 150), 0); /* own locks never conflict */
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_READ, 120, 130), -EAGAIN);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 150, 200), 0); /* adjacent, not overlapping */
	CHECK_EQ(lock_posix_set(&k2, &B, 2, LOCK_WRITE, 0, LOCK_EOF), 0); /* another file */
	struct lock_info li;
	CHECK(lock_posix_test(&k1, &B, LOCK_READ, 10, 11, &li));
	CHECK_EQ(li.pid, 1);
	CHECK_EQ(li.start, 0);
	CHECK_EQ(li.end, 150); /* merged into one record */
	CHECK(!lock_posix_test(&k1, &A, LOCK_WRITE, 10, 11, NULL));
	clear();
	CHECK_EQ(lock_count(), 0);
}

TEST(lock_readers_share)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_READ, 0, LOCK_EOF), 0);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_READ, 10, 20), 0);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 10, 20), -EAGAIN);
	CHECK_EQ(lock_count(), 2); /* the refused upgrade changed nothing */
	clear();
}

TEST(lock_unlock_in_the_middle_splits)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 0, 100), 0);
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_UNLOCK, 40, 60), 0);
	CHECK_EQ(lock_count(), 2);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 40, 60), 0); /* the hole is free */
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 39, 41), -EAGAIN);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 59, 61), -EAGAIN);
	clear();
}

TEST(lock_type_change_in_the_middle_makes_three)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 0, 100), 0);
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_READ, 40, 60), 0);
	CHECK_EQ(lock_count(), 3);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_READ, 45, 55), 0); /* shares the read part */
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_READ, 30, 45), -EAGAIN);
	/* back to write over all: one record again */
	lock_posix_release(&k1, &B);
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 0, 100), 0);
	CHECK_EQ(lock_count(), 1);
	clear();
}

TEST(lock_release_drops_all_of_an_owner_on_a_file)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 0, 10), 0);
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 20, 30), 0);
	CHECK_EQ(lock_posix_set(&k2, &A, 1, LOCK_WRITE, 0, 10), 0);
	int before = stub_locks_changed;
	CHECK_EQ(lock_posix_release(&k1, &A), 2);
	CHECK(stub_locks_changed > before); /* waiters are told */
	CHECK_EQ(lock_count(), 1);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 0, LOCK_EOF), 0);
	clear();
}

TEST(lock_empty_range_is_invalid)
{
	CHECK_EQ(lock_posix_set(&k1, &A, 1, LOCK_WRITE, 10, 10), -EINVAL);
	CHECK_EQ(lock_count(), 0);
}

TEST(lock_flock_exclusive_and_shared)
{
	CHECK_EQ(lock_flock(&k1, &A, LOCK_WRITE), 0);
	CHECK_EQ(lock_flock(&k1, &B, LOCK_READ), -EAGAIN);
	CHECK_EQ(lock_posix_set(&k1, &B, 2, LOCK_WRITE, 0, LOCK_EOF), 0); /* the kinds never meet */
	CHECK_EQ(lock_flock(&k1, &A, LOCK_READ), 0); /* downgrade */
	CHECK_EQ(lock_flock(&k1, &B, LOCK_READ), 0);
	CHECK_EQ(lock_flock(&k1, &A, LOCK_WRITE), -EAGAIN);
	CHECK_EQ(lock_flock_release(&B), 1);
	CHECK_EQ(lock_flock(&k1, &A, LOCK_WRITE), 0);
	CHECK_EQ(lock_flock(&k1, &A, LOCK_UNLOCK), 0);
	CHECK_EQ(lock_flock(&k1, &B, LOCK_WRITE), 0);
	clear();
	CHECK_EQ(lock_count(), 0);
}
