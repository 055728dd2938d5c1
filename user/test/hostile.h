/*
 * hostile.h - what the hostile programs (hostile_*.c, handlers/hostile_*.c)
 * share: each tries one escape and prints one line per attempt,
 *
 *   NAME: WHAT: allowed
 *   NAME: WHAT: denied (EACCES: Permission denied)
 *
 * and a foreground one exits 0 when every escape was refused, 1 when one got
 * through (tests/system/test_hostile.py reads both).
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int hostile_escaped; /* escapes that were allowed */

static const char *hostile_errno_name(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ENOEXEC: return "ENOEXEC";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case ELOOP: return "ELOOP";
	case EXDEV: return "EXDEV";
	}
	return "errno";
}

/* Reports an attempt that returned ret (negative: failed with errno). An
 * escape (escape true) that succeeds is counted. Returns ret. */
static long hostile_report(const char *name, const char *what, long ret, bool escape)
{
	int e = errno;
	if (ret >= 0)
		printf("%s: %s: allowed\n", name, what);
	else
		printf("%s: %s: denied (%s: %s)\n", name, what, hostile_errno_name(e), strerror(e));
	if (ret >= 0 && escape)
		hostile_escaped++;
	fflush(stdout);
	errno = e;
	return ret;
}

#endif
