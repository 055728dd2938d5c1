/*
 * sys_handler.c - the handler system calls (contracts in
 * include/optios/abi/handler.h): optios_event_next, optios_emit,
 * optios_handler_add, optios_handler_remove, optios_handler_list,
 * optios_handler_retry.
 */
#include <optios/abi/errno.h>

#include "kernel/handler/handler_internal.h"
#include "kernel/mm/mm.h"
#include "kernel/perm/perm.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/uaccess.h"
#include "kernel/syscall/syscall.h"
#include "lib/lib.h"


long sys_optios_event_next(SYS_ARGS)
{
	struct proc *p = proc_current();
	if (!p->handler)
		return -EPERM;
	struct trapframe *tf = (struct trapframe *)((uint8_t *)p->kstack_top - sizeof *tf);
	return runner_event_next(tf);
}

long sys_optios_emit(long utopic, long upayload, long len, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	char topic[OPTIOS_EVENT_TOPIC_MAX];
	uint8_t payload[OPTIOS_EVENT_PAYLOAD_MAX];
	long n = strncpy_from_user(topic, (uptr)utopic, sizeof topic);
	if (n == -ENAMETOOLONG || (n >= 0 && !optios_event_topic_valid(topic, sizeof topic)))
		return -EINVAL;
	if (n < 0)
		return n;
	if (len < 0 || len > OPTIOS_EVENT_PAYLOAD_MAX)
		return -EINVAL;
	if (len && copy_from_user(payload, (uptr)upayload, (size_t)len))
		return -EFAULT;
	struct proc *p = proc_current();
	long err = perm_check(p, CAP_EMIT, topic, NULL);
	if (err)
		return err;
	if (p->handler) /* raised when the run commits */
		return runner_emit(topic, payload, (size_t)len);
	if (!persist_store() || persist_failed()) {
		int64_t seq = event_raise(topic, p->name, payload, (size_t)len, 0);
		return seq < 0 ? seq : 0;
	}
	struct optios_event *ev = kzalloc(sizeof *ev); /* on the disk first: never lost once emit returns */
	if (!ev)
		return -ENOMEM;
	memcpy(ev->topic, topic, sizeof ev->topic);
	memcpy(ev->source, p->name, MIN(sizeof ev->source - 1, sizeof p->name));
	memcpy(ev->payload, payload, (size_t)len);
	ev->payload_len = (uint32_t)len;
	err = hstore_emit(ev);
	kfree(ev);
	if (err == -ENOSPC || err == -ENOMEM)
		return err;
	int64_t seq = event_raise(topic, p->name, payload, (size_t)len, 0);
	handler_log_soon(); /* its log record: on the disk when the runner is next idle */
	return seq < 0 ? seq : 0;
}

/* Waits for h's start-up to end; w lives on this stack until we return. */
static int wait_startup(struct handler *h, struct handler_waiter *w)
{
	uint64_t f = irq_save();
	h->waiter = w;
	int err = 0;
	while (!w->done && err == 0)
		err = sched_sleep(w);
	if (!w->done) { /* interrupted: the start-up goes on without us */
		h->waiter = NULL;
		w->result = err;
	}
	irq_restore(f);
	return w->result;
}

static long add(const char *path, char *msg, size_t msglen)
{
	if (path[0] != '/') {
		ksnprintf(msg, msglen, "give the program's absolute path");
		return -EINVAL;
	}
	struct handler *h;
	int err = handler_create(path, msg, msglen, &h);
	if (err)
		return err;
	struct handler_waiter w = {0};
	err = wait_startup(h, &w);
	if (err)
		memcpy(msg, w.msg, MIN(msglen, sizeof w.msg));
	return err;
}

long sys_optios_handler_add(long upath, long umsg, long msglen, UNUSED long a3, UNUSED long a4, UNUSED long a5)
{
	char path[HANDLER_PATH_MAX];
	long n = strncpy_from_user(path, (uptr)upath, sizeof path);
	if (n < 0)
		return n;
	/* a refusal names each missing grant, which may name a 4 KiB path */
	char *msg = kzalloc(PERM_REFUSAL_MAX);
	if (!msg)
		return -ENOMEM;
	long err = add(path, msg, PERM_REFUSAL_MAX);
	msg[PERM_REFUSAL_MAX - 1] = 0;
	if (err && umsg && msglen > 0) {
		size_t len = MIN((size_t)msglen, strlen(msg) + 1);
		if (copy_to_user((uptr)umsg, msg, len) || copy_to_user((uptr)umsg + len - 1, "", 1))
			err = -EFAULT;
	}
	kfree(msg);
	return err;
}

/* The handler the user string uname names: 0 and *out, or -ENOENT, -EFAULT. */
static long named(long uname, struct handler **out)
{
	char name[MANIFEST_NAME_MAX];
	long n = strncpy_from_user(name, (uptr)uname, sizeof name);
	if (n < 0)
		return n == -ENAMETOOLONG ? -ENOENT : n;
	uint64_t f = irq_save();
	*out = handler_find(name);
	irq_restore(f);
	return *out ? 0 : -ENOENT;
}

long sys_optios_handler_remove(long uname, UNUSED long a1, SYS_ARGS_FROM2)
{
	struct handler *h;
	long err = named(uname, &h);
	if (err)
		return err;
	evlog_add(OPTIOS_LOG_HANDLER, h->name, "", 0, 0, h->version, 0, 0, "removed");
	return handler_remove(h, true);
}

long sys_optios_handler_retry(long uname, long max, SYS_ARGS_FROM2)
{
	struct handler *h;
	long err = named(uname, &h);
	return err ? err : handler_retry(h, (uint64_t)max);
}

long sys_optios_handler_list(long uout, long max, SYS_ARGS_FROM2)
{
	static struct optios_handler_info info; /* large: built one at a time */
	long count = 0;
	for (int i = 0; i < HANDLER_MAX; i++) {
		struct handler *h = handler_table[i];
		if (!h || h->removing)
			continue;
		if (count < max) {
			handler_info(h, &info);
			if (copy_to_user((uptr)uout + (uptr)count * sizeof info, &info, sizeof info))
				return -EFAULT;
		}
		count++;
	}
	return count;
}
