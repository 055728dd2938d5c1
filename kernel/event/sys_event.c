/* sys_event.c - the system calls of kernel/event: optios_log_read. */
#include <optios/abi/errno.h>
#include <optios/abi/handler.h>

#include "event.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"

/* Records copied per step, through the stack (2.5 KiB): the log is read
 * under the event lock, the user copy is made without it. */
#define LOG_READ_STEP 8

/* Copies up to max records (at most EVLOG_RECORDS per call) with seq >= from
 * to uout; returns how many, or -EFAULT. Records written while it copies may
 * be included; records overwritten while it copies are skipped (a gap in seq). */
long sys_optios_log_read(long from, long uout, long max, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	struct optios_log_record buf[LOG_READ_STEP];
	size_t want = MIN((unsigned long)max, (unsigned long)EVLOG_RECORDS), done = 0;
	uint64_t next = (uint64_t)from;
	while (done < want) {
		size_t n = evlog_read(next, buf, MIN(want - done, (size_t)LOG_READ_STEP));
		if (!n)
			break;
		if (copy_to_user((uptr)uout + done * sizeof buf[0], buf, n * sizeof buf[0]))
			return -EFAULT;
		done += n;
		next = buf[n - 1].seq + 1;
	}
	return (long)done;
}
