/*
 * netcount.so - a QEMU 7.2 TCG plugin for the network benchmarks
 * (tools/netbench.py): counts every guest instruction (inline, cheap) and
 * writes a line to its output file, flushed at once so the host reads it
 * while the guest runs, each time
 *   - an instruction at a marked address runs: "mark ADDR ICOUNT HOSTNS"
 *     (a span's ends: e.g. Linux's napi_gro_receive and dev_hard_start_xmit);
 *   - a HLT runs: "hlt ICOUNT HOSTNS" - the CPU goes idle; while a guest
 *     idles, each wake-up (an interrupt) is followed by one HLT, so the HLTs
 *     in a window of host time count the interrupts that woke it.
 * and every 10 ms of host time "tick ICOUNT HOSTNS" (a thread reads the
 * count: a window of host time then has its instruction count, busy or idle).
 * ICOUNT is the instructions executed before this one; HOSTNS the host's
 * CLOCK_MONOTONIC (Python's time.monotonic_ns()).
 *
 * Arguments (comma-separated after the plugin's path):
 *   out=FILE     the output (required)
 *   mark=HEX     (repeatable, up to 16) a guest virtual address to report
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qp.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t icount;
static FILE *out;
static uint64_t marks[16];
static int nmarks;

static uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void at_mark(unsigned int vcpu, void *ud)
{
	(void)vcpu;
	fprintf(out, "mark %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", (uint64_t)(uintptr_t)ud, icount,
		host_ns());
}

static void at_hlt(unsigned int vcpu, void *ud)
{
	(void)vcpu, (void)ud;
	fprintf(out, "hlt %" PRIu64 " %" PRIu64 "\n", icount, host_ns());
}

static void *ticker(void *arg)
{
	(void)arg;
	struct timespec ten_ms = {0, 10000000};
	for (;;) {
		nanosleep(&ten_ms, NULL);
		fprintf(out, "tick %" PRIu64 " %" PRIu64 "\n", __atomic_load_n(&icount, __ATOMIC_RELAXED),
			host_ns());
	}
	return NULL;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	size_t n = qemu_plugin_tb_n_insns(tb);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(qi);
		const uint8_t *bytes = qemu_plugin_insn_data(qi);
		for (int k = 0; k < nmarks; k++)
			if (marks[k] == va)
				qemu_plugin_register_vcpu_insn_exec_cb(qi, at_mark, QEMU_PLUGIN_CB_NO_REGS,
								       (void *)(uintptr_t)va);
		if (qemu_plugin_insn_size(qi) == 1 && bytes[0] == 0xf4)
			qemu_plugin_register_vcpu_insn_exec_cb(qi, at_hlt, QEMU_PLUGIN_CB_NO_REGS, NULL);
		qemu_plugin_register_vcpu_insn_exec_inline(qi, QEMU_PLUGIN_INLINE_ADD_U64, &icount, 1);
	}
}

static void at_exit(qemu_plugin_id_t id, void *ud)
{
	(void)id, (void)ud;
	fprintf(out, "total %" PRIu64 " %" PRIu64 "\n", icount, host_ns());
	fflush(out); /* not closed: the ticker may still write */
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	(void)info;
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5) && nmarks < 16)
			marks[nmarks++] = strtoull(argv[i] + 5, NULL, 16);
		else {
			fprintf(stderr, "netcount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!path || !(out = fopen(path, "w")))
		return -1;
	setvbuf(out, NULL, _IOLBF, 0);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	pthread_t t;
	return pthread_create(&t, NULL, ticker, NULL) == 0 ? 0 : -1;
}
