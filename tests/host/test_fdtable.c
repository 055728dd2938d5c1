/*
 * test_fdtable.c - descriptor tables and their checkpoints (kernel/fs/file.c),
 * the mechanism behind each handler's own descriptors: a run that rolls back
 * gets its table back as it was, a committed run keeps its changes, and no
 * file is freed while a checkpoint may still put it back. Files here are
 * bare struct files whose release counts, so every reference is accounted for.
 */
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/fs_internal.h"
#include "unit.h"

static int released;

static void count_release(struct file *f)
{
	(void)f;
	released++;
}

static const struct file_ops plain_ops = {.release = count_release};

static struct file *plain(int flags)
{
	return file_create(&plain_ops, NULL, flags);
}

/* A handler's table as it starts: its output on 0, 1 and 2. */
static struct fdtable *standard(struct file **out)
{
	struct fdtable *t = fdtable_create();
	*out = plain(O_RDWR);
	fd_install(t, *out, 0);
	fd_install(t, file_get(*out), 1);
	fd_install(t, file_get(*out), 2);
	return t;
}

/* The issue 9 leak, in one table: a run dup2s a secret onto 0 and closes 1,
 * then rolls back: 0-2 are its output again, the secret is closed. */
TEST(fd_dup2_onto_0_in_a_rolled_back_run_is_undone)
{
	struct file *out, *secret;
	released = 0;
	struct fdtable *t = standard(&out);
	fdtable_checkpoint(t);
	secret = plain(O_RDONLY);
	int fd = fd_install(t, secret, 0);
	CHECK_EQ(fd, 3);
	CHECK_EQ(fd_install_at(t, file_get(secret), 0), 0);
	CHECK_EQ(fd_close(t, 3), 0);
	CHECK_EQ(fd_close(t, 1), 0);
	CHECK_EQ(released, 0); /* the checkpoint still holds the output */
	fdtable_rollback(t);
	CHECK_EQ(released, 1); /* the secret, and only it */
	CHECK_EQ(fd_count(t), 3);
	for (int i = 0; i < 3; i++) {
		struct file *f = fd_get(t, i);
		CHECK(f == out);
		if (f)
			file_put(f);
	}
	CHECK(fd_get(t, 3) == NULL);
	CHECK_EQ(out->refs, 3);
	fdtable_destroy(t);
	CHECK_EQ(released, 2);
}

TEST(fd_committed_run_keeps_its_table)
{
	struct file *out;
	released = 0;
	struct fdtable *t = standard(&out);
	fdtable_checkpoint(t);
	struct file *kept = plain(O_RDONLY);
	CHECK_EQ(fd_install_at(t, kept, 0), 0);
	CHECK_EQ(fd_close(t, 1), 0);
	fdtable_commit(t);
	CHECK_EQ(fd_count(t), 2);
	CHECK_EQ(out->refs, 1); /* on 2 only: the checkpoint let go */
	struct file *f = fd_get(t, 0);
	CHECK(f == kept);
	file_put(f);
	fdtable_rollback(t); /* without a checkpoint: nothing */
	CHECK_EQ(fd_count(t), 2);
	fdtable_destroy(t);
	CHECK_EQ(released, 2);
}

/* A rolled-back run's reads, seeks and F_SETFL do not move the files the
 * snapshot keeps open; FD_CLOEXEC comes back too. */
TEST(fd_rollback_restores_offsets_and_flags)
{
	struct file *out;
	released = 0;
	struct fdtable *t = standard(&out);
	struct file *kept = plain(O_RDONLY);
	CHECK_EQ(fd_install(t, kept, 0), 3);
	CHECK_EQ(fd_flags_set(t, 3, FD_CLOEXEC), 0);
	kept->off = 5;
	fdtable_checkpoint(t);
	kept->off = 99;
	kept->flags |= O_NONBLOCK;
	fdtable_rollback(t); /* no slot changed: only the files' state */
	CHECK_EQ(kept->off, 5);
	CHECK_EQ(kept->flags, O_RDONLY);
	fdtable_checkpoint(t);
	CHECK_EQ(fd_flags_set(t, 3, 0), 0);
	kept->off = 7;
	fdtable_rollback(t);
	CHECK_EQ(fd_flags_get(t, 3), FD_CLOEXEC);
	CHECK_EQ(kept->off, 5);
	fdtable_checkpoint(t);
	fdtable_destroy(t); /* armed and held or not, destroy frees all */
	CHECK_EQ(released, 2);
}

TEST(fd_destroy_during_a_changed_run_frees_everything)
{
	struct file *out;
	released = 0;
	struct fdtable *t = standard(&out);
	fdtable_checkpoint(t);
	CHECK_EQ(fd_close(t, 0), 0);
	CHECK_EQ(fd_install(t, plain(O_RDONLY), 0), 0);
	fdtable_destroy(t);
	CHECK_EQ(released, 2);
}
