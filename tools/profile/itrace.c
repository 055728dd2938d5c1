/*
 * itrace.so - a QEMU 7.2 TCG plugin that counts guest instructions for
 * `make profile` (tools/profile.py). From the shared itrace tool
 * (../shared/tools/itrace), with a window set by log records.
 *
 * Counts every executed guest instruction (a callback before each one, so an
 * instruction cut short by an I/O recompile is still counted once). Under
 * -icount shift=0 the count is the guest TSC while the CPU does not halt, so
 * a window between two log records adds up to the bench's TSC difference.
 *
 * Arguments (comma-separated after the plugin's path):
 *   out=PREFIX      files written: PREFIX.markers, PREFIX.hist, PREFIX.trace
 *   rec=HEXADDR     (repeatable, up to 8) an instruction executed once per log
 *                   record written, where the record's TSC is read: the n-th
 *                   execution of any of them is record number n of the boot
 *   span=FROM-TO    the window: from record FROM's TSC read to record TO's
 *                   (record numbers, 1 = the boot's first record)
 *   trace=1         also write every instruction of the window to PREFIX.trace
 *                   ("n vaddr hexbytes": a call tree can be rebuilt from it)
 *   mark=HEXADDR    (repeatable, up to 64) log "icount addr" in PREFIX.markers
 *                   each time the instruction at this address executes
 * PREFIX.hist: "vaddr count hexbytes" per instruction executed in the window
 * (a retranslated address may appear more than once). PREFIX.markers ends with
 * "total N" and "window N FROM TO" (instructions in the window, -1 if it never
 * closed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qp.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

struct insn {
	uint64_t vaddr;
	uint8_t bytes[8];
	uint8_t len;
	uint8_t mark; /* 1: a marker address, 2: a record address */
	uint64_t hcount; /* executions inside the window */
};

static uint64_t icount, records, in_window;
static uint64_t span_from = UINT64_MAX, span_to = UINT64_MAX;
static int open_window, closed, want_trace;
static FILE *fmark, *fhist, *ftrace;
static uint64_t marks[64], recs[8];
static int nmarks, nrecs;
static struct insn **all_insns;
static size_t n_insns, cap_insns;

static void put_bytes(FILE *f, const struct insn *in)
{
	for (int i = 0; i < in->len && i < 8; i++)
		fprintf(f, "%02x", in->bytes[i]);
	fputc('\n', f);
}

static void insn_exec(unsigned int vcpu, void *ud)
{
	(void)vcpu;
	struct insn *in = ud;
	uint64_t n = icount++;
	if (open_window) {
		in->hcount++;
		in_window++;
		if (ftrace) {
			fprintf(ftrace, "%" PRIu64 " %" PRIx64 " ", n, in->vaddr);
			put_bytes(ftrace, in);
		}
	}
	if (in->mark & 1)
		fprintf(fmark, "%" PRIu64 " %" PRIx64 "\n", n, in->vaddr);
	if (in->mark & 2) {
		records++;
		if (records == span_from)
			open_window = 1;
		if (records == span_to && open_window) {
			open_window = 0;
			closed = 1;
		}
	}
}

static int listed(const uint64_t *v, int n, uint64_t a)
{
	for (int i = 0; i < n; i++)
		if (v[i] == a)
			return 1;
	return 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	size_t n = qemu_plugin_tb_n_insns(tb);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
		struct insn *in = calloc(1, sizeof *in); /* never freed: TBs are retranslated rarely */
		in->vaddr = qemu_plugin_insn_vaddr(qi);
		size_t len = qemu_plugin_insn_size(qi);
		in->len = (uint8_t)len;
		memcpy(in->bytes, qemu_plugin_insn_data(qi), len < 8 ? len : 8);
		in->mark = (uint8_t)(listed(marks, nmarks, in->vaddr) | listed(recs, nrecs, in->vaddr) << 1);
		qemu_plugin_register_vcpu_insn_exec_cb(qi, insn_exec, QEMU_PLUGIN_CB_NO_REGS, in);
		if (n_insns == cap_insns) {
			cap_insns = cap_insns ? cap_insns * 2 : 65536;
			all_insns = realloc(all_insns, cap_insns * sizeof *all_insns);
		}
		all_insns[n_insns++] = in;
	}
}

static void at_exit(qemu_plugin_id_t id, void *ud)
{
	(void)id, (void)ud;
	fprintf(fmark, "total %" PRIu64 "\n", icount);
	fprintf(fmark, "window %" PRId64 " %" PRIu64 " %" PRIu64 "\n", closed ? (int64_t)in_window : -1, span_from,
		span_to);
	for (size_t i = 0; i < n_insns; i++) {
		struct insn *in = all_insns[i];
		if (!in->hcount)
			continue;
		fprintf(fhist, "%" PRIx64 " %" PRIu64 " ", in->vaddr, in->hcount);
		put_bytes(fhist, in);
	}
	fclose(fhist);
	fclose(fmark);
	if (ftrace)
		fclose(ftrace);
}

static FILE *open_out(const char *prefix, const char *ext)
{
	char path[4096];
	snprintf(path, sizeof path, "%s.%s", prefix, ext);
	return fopen(path, "w");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	const char *out = "itrace";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "out=", 4))
			out = a + 4;
		else if (!strncmp(a, "mark=", 5) && nmarks < 64)
			marks[nmarks++] = strtoull(a + 5, NULL, 16);
		else if (!strncmp(a, "rec=", 4) && nrecs < 8)
			recs[nrecs++] = strtoull(a + 4, NULL, 16);
		else if (!strncmp(a, "span=", 5)) {
			char *dash;
			span_from = strtoull(a + 5, &dash, 10);
			span_to = strtoull(dash + 1, NULL, 10);
		} else if (!strcmp(a, "trace=1")) {
			want_trace = 1;
		} else {
			fprintf(stderr, "itrace: unknown argument %s\n", a);
			return -1;
		}
	}
	fmark = open_out(out, "markers");
	fhist = open_out(out, "hist");
	ftrace = want_trace ? open_out(out, "trace") : NULL;
	if (!fmark || !fhist || (want_trace && !ftrace))
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
