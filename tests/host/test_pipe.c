/* test_pipe.c - a pipe's rules (kernel/syscall/pipe_core.c): end of file,
 * broken pipe, PIPE_BUF atomicity, partial long writes, readiness. */
#include <optios/abi/errno.h>
#include <optios/abi/poll.h>
#include <string.h>

#include "kernel/syscall/pipe_core.h"
#include "unit.h"

static char store[OPTIOS_PIPE_SIZE], big[OPTIOS_PIPE_SIZE + 10], out[OPTIOS_PIPE_SIZE];

static struct pipe_buf fresh(void)
{
	return (struct pipe_buf){RING_INIT(store), 1, 1};
}

TEST(pipe_read_waits_then_sees_end_of_file)
{
	struct pipe_buf p = fresh();
	CHECK_EQ(pipe_buf_read(&p, out, 10), -EAGAIN);
	CHECK_EQ(pipe_buf_poll(&p, true), 0);
	CHECK_EQ(pipe_buf_write(&p, "hello", 5), 5);
	CHECK(pipe_buf_poll(&p, true) & POLLIN);
	p.writers = 0;
	CHECK_EQ(pipe_buf_read(&p, out, 10), 5); /* what was written still comes */
	CHECK_EQ(pipe_buf_read(&p, out, 10), 0);
	CHECK(pipe_buf_poll(&p, true) & POLLHUP);
}

TEST(pipe_write_without_readers_is_broken)
{
	struct pipe_buf p = fresh();
	p.readers = 0;
	CHECK_EQ(pipe_buf_write(&p, "x", 1), -EPIPE);
	CHECK_EQ(pipe_buf_poll(&p, false), POLLERR);
}

TEST(pipe_small_writes_are_atomic)
{
	struct pipe_buf p = fresh();
	CHECK_EQ(pipe_buf_write(&p, big, OPTIOS_PIPE_SIZE - 100), OPTIOS_PIPE_SIZE - 100);
	CHECK_EQ(pipe_buf_write(&p, big, 101), -EAGAIN); /* fits only in part: waits */
	CHECK_EQ(pipe_buf_poll(&p, false), 0); /* less than PIPE_BUF free: not writable */
	CHECK_EQ(pipe_buf_write(&p, big, 100), 100);
	CHECK_EQ(pipe_buf_write(&p, big, 1), -EAGAIN);
}

TEST(pipe_long_writes_take_what_fits)
{
	struct pipe_buf p = fresh();
	CHECK_EQ(pipe_buf_write(&p, big, sizeof big), OPTIOS_PIPE_SIZE);
	CHECK_EQ(pipe_buf_read(&p, out, 5000), 5000);
	CHECK(pipe_buf_poll(&p, false) & POLLOUT);
	CHECK_EQ(pipe_buf_write(&p, big, sizeof big), 5000);
}

TEST(pipe_keeps_order_across_wraps)
{
	struct pipe_buf p = fresh();
	for (int i = 0; i < 100; i++) {
		char in[1000];
		memset(in, 'a' + i % 26, sizeof in);
		CHECK_EQ(pipe_buf_write(&p, in, sizeof in), 1000);
		if (i % 3 == 2) {
			CHECK_EQ(pipe_buf_read(&p, out, 3000), 3000);
			CHECK(out[0] == 'a' + (i - 2) % 26 && out[2999] == 'a' + i % 26);
		}
	}
}
