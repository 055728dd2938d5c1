/*
 * optios.h - the OptiOS SDK for user programs, built with sdk/bin/optios-cc
 * (musl-gcc -static against this header, the manifest checked and embedded).
 *
 * Ordinary POSIX calls come from musl; this header adds OptiOS's own calls
 * (numbers from include/optios/abi/syscalls.def, structures from
 * include/optios/abi/optios.h and handler.h). Each wrapper returns what the kernel returns,
 * as musl's syscall() does: -1 with errno set on failure.
 */
#ifndef OPTIOS_SDK_H
#define OPTIOS_SDK_H

#include <optios/abi/handler.h>
#include <optios/abi/net.h>
#include <optios/abi/optios.h>
#include <optios/abi/policy.h>
#include <optios/abi/sensor.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
#define SYSCALL(nr, name, perm) OPTIOS_SYS_##name = nr,
#include <optios/abi/syscalls.def>
#undef SYSCALL
};

/* Starts path (absolute, or a name in /bin) with argv and envp; returns the pid.
 * Wait for it with waitpid(). */
static inline int optios_spawn(const char *path, char *const argv[], char *const envp[], unsigned flags)
{
	return (int)syscall(OPTIOS_SYS_optios_spawn, path, argv, envp, flags);
}

static inline long optios_proc_list(struct optios_proc_info *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_proc_list, out, max);
}

static inline int optios_mem_info(struct optios_mem_info *out)
{
	return (int)syscall(OPTIOS_SYS_optios_mem_info, out);
}

static inline long optios_pci_list(struct optios_pci_info *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_pci_list, out, max);
}

/* The disk store and the writable file systems' RAM (df). */
static inline int optios_store_info(struct optios_store_info *out)
{
	return (int)syscall(OPTIOS_SYS_optios_store_info, out);
}

/* The network (include/optios/abi/optios.h): interfaces and counters; one
 * ICMP echo (needs net.ping); a name's address (needs net.resolve). */
static inline long optios_net_list(struct optios_net_info *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_net_list, out, max);
}

static inline int optios_net_ping(uint32_t addr, unsigned seq, unsigned size, unsigned timeout_ms,
				  struct optios_ping_reply *out)
{
	return (int)syscall(OPTIOS_SYS_optios_net_ping, addr, seq, size, timeout_ms, out);
}

static inline int optios_net_resolve(const char *name, uint32_t *addr, unsigned timeout_ms)
{
	return (int)syscall(OPTIOS_SYS_optios_net_resolve, name, addr, timeout_ms);
}

/* Network events of handlers (include/optios/abi/net.h): the data of the
 * net: event being handled, and a send staged until the run commits. The
 * helpers for handlers (reply, write, close) are in <optios/handler.h>. */
static inline long optios_net_recv(void *buf, unsigned long len, unsigned long offset)
{
	return syscall(OPTIOS_SYS_optios_net_recv, buf, len, offset);
}

static inline long optios_net_send(const struct optios_net_send *s, const void *data, unsigned long len)
{
	return syscall(OPTIOS_SYS_optios_net_send, s, data, len);
}

/* The sensors (include/optios/abi/sensor.h): devices, last readings and
 * counters, for up to max devices; returns how many there are. */
static inline long optios_sensor_list(struct optios_sensor_info *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_sensor_list, out, max);
}

/* Raw sectors of a block device (needs dev.block: tests only). */
static inline int optios_blk(unsigned op, const char *dev, uint64_t sector, void *buf, unsigned long count)
{
	return (int)syscall(OPTIOS_SYS_optios_blk, op, dev, sector, buf, count);
}

static inline int optios_fb_map(struct optios_fb_info *out)
{
	return (int)syscall(OPTIOS_SYS_optios_fb_map, out);
}

static inline int optios_console_info(struct optios_console_info *out)
{
	return (int)syscall(OPTIOS_SYS_optios_console_info, out);
}

static inline int optios_console_switch(unsigned index)
{
	return (int)syscall(OPTIOS_SYS_optios_console_switch, index);
}

/* Events, handlers and the event log: the calls are described in
 * include/optios/abi/handler.h. */
static inline long optios_event_next(struct optios_event *out)
{
	return syscall(OPTIOS_SYS_optios_event_next, out);
}

static inline long optios_emit(const char *topic, const void *payload, unsigned long len)
{
	return syscall(OPTIOS_SYS_optios_emit, topic, payload, len);
}

static inline long optios_handler_add(const char *path, char *msg, unsigned long msglen)
{
	return syscall(OPTIOS_SYS_optios_handler_add, path, msg, msglen);
}

static inline long optios_handler_remove(const char *name)
{
	return syscall(OPTIOS_SYS_optios_handler_remove, name);
}

static inline long optios_handler_list(struct optios_handler_info *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_handler_list, out, max);
}

/* Re-injects up to max of the handler's dead letters (ULONG_MAX: all). */
static inline long optios_handler_retry(const char *name, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_handler_retry, name, max);
}

static inline long optios_log_read(uint64_t from, struct optios_log_record *out, unsigned long max)
{
	return syscall(OPTIOS_SYS_optios_log_read, from, out, max);
}

/* The policy: grant, revoke, and the questions (ops in optios/abi/policy.h).
 * The answer's text goes to out (NUL-terminated); returns its full length. */
static inline long optios_policy(unsigned op, const char *a, const char *b, char *out, unsigned long outlen)
{
	return syscall(OPTIOS_SYS_optios_policy, op, a, b, out, outlen);
}

#endif
