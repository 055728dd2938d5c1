/*
 * sys_log.c - the event log's call, optios_log_read: the log is kernel/event's
 * (evlog_read), the call that copies it to a program is here, with the other
 * system calls, so kernel/event includes no service above it.
 */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "kernel/event/event.h"
#include "kernel/handler/handler.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "kernel/test/selftest.h"

/* Records copied per step, through the stack (2.5 KiB): the log is read
 * under the event lock, the user copy is made without it. */
#define LOG_READ_STEP 8

/* Copies up to max records (at most EVLOG_RECORDS per call) with seq >= from
 * to uout; returns how many, or -EFAULT. Records of earlier boots come from
 * the disk (kernel/handler/hstore.c), this boot's from the ring. Records written while it copies may
 * be included; records overwritten while it copies are skipped (a gap in seq). */
long sys_optios_log_read(long from, long uout, long max, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	struct optios_log_record buf[LOG_READ_STEP];
	size_t want = MIN((unsigned long)max, (unsigned long)EVLOG_RECORDS), done = 0;
	uint64_t next = (uint64_t)from;
	while (done < want) {
		size_t step = MIN(want - done, (size_t)LOG_READ_STEP);
		size_t n = hstore_log_read(next, buf, step); /* earlier boots' records, from the disk */
		if (!n)
			n = evlog_read(MAX(next, evlog_first()), buf, step);
		if (!n)
			break;
		if (copy_to_user((uptr)uout + done * sizeof buf[0], buf, n * sizeof buf[0]))
			return -EFAULT;
		done += n;
		next = buf[n - 1].seq + 1;
	}
	return (long)done;
}

/* The system call's paths that need no process: nothing to copy is 0, a
 * copy to an address that is not user memory is -EFAULT. */
SELFTEST(event_log_read_syscall)
{
	static struct optios_log_record buf[2];
	uint64_t seq = evlog_add(OPTIOS_LOG_HANDLER, "selftest", NULL, 0, 0, 0, 0, 0, "log read");
	ST_CHECK(evlog_read(seq, buf, 2) == 1 && strcmp(buf[0].text, "log read") == 0);
	ST_CHECK(sys_optios_log_read((long)seq, (long)buf, 2, 0, 0, 0) == -EFAULT);
	ST_CHECK(sys_optios_log_read((long)seq, (long)buf, 0, 0, 0, 0) == 0);
	ST_CHECK(sys_optios_log_read((long)seq + 1, (long)buf, 2, 0, 0, 0) == 0);
	ST_CHECK(sys_optios_log_read((long)seq, 0, -1, 0, 0, 0) == -EFAULT);
	return 0;
}

int syscall_log_durable(void)
{
	return handler_log_sync();
}
