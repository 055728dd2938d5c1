/*
 * manifest.h (ABI) - a program's manifest: what it declares about itself.
 *
 * The source is a text file beside the program's code (NAME.manifest), one
 * directive per line; the build copies it verbatim into the ELF section
 * ".optios.manifest", so the manifest and the code travel as one file. The
 * kernel and the host tools parse it with manifest_parse (lib/manifest.c).
 *
 *   # a comment; blank lines are ignored; tokens are separated by blanks
 *   (space, tab, CR); a token starting with '#' starts a comment
 *   name     counter                  required; [a-z0-9_-], 1-31 chars
 *   version  1                        required; 1 .. 2^31-1
 *   context  background               foreground | background | both
 *   event    timer:counter.tick latest [16]
 *                                     a topic pattern (see event.h), a policy
 *                                     (queue | coalesce | latest) and an
 *                                     optional queue length 1..64 (default 16;
 *                                     latest always holds 1)
 *   event    sensor:co2 queue 8 period=1s latency=10s
 *                                     an exact sensor: topic may add
 *                                     period=DURATION (the rate it needs)
 *                                     and latency=DURATION (batching), each
 *                                     once, after the length if any
 *   timer    tick every 1s            timer:<name>.<tick>, periodic ...
 *   timer    wake after 500ms         ... or once, that long after start-up
 *                                     durations: N followed by ns|us|ms|s
 *   budget   10ms                     CPU per run (the kernel clamps it)
 *   memory   256                      pages the program may map at most
 *   output   file.write:/data/        a capability requested (issue 5); one
 *                                     may name any path the file system
 *                                     takes (up to 4095 bytes)
 *
 * Limits below; a manifest breaking one is an error, never truncated. The
 * outputs are kept back to back in one buffer (output_text, at most
 * MANIFEST_OUTPUTS_BYTES together): one long path fits, many long ones do
 * not ("outputs take more than 6144 bytes in all").
 */
#ifndef OPTIOS_ABI_MANIFEST_H
#define OPTIOS_ABI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <optios/abi/event.h>

#define MANIFEST_SECTION ".optios.manifest"
#define MANIFEST_TEXT_MAX 8192
#define MANIFEST_LINE_MAX 4352 /* bytes in a line, its newline not counted */
#define MANIFEST_NAME_MAX 32
#define MANIFEST_EVENTS_MAX 8
#define MANIFEST_TIMERS_MAX 4
#define MANIFEST_TIMER_NAME_MAX 24
#define MANIFEST_OUTPUTS_MAX 16
/* bytes in one output, NUL included: "file.write:" and a path of PATH_MAX - 1 (4095) bytes */
#define MANIFEST_OUTPUT_MAX 4112
#define MANIFEST_OUTPUTS_BYTES 6144 /* bytes of all outputs together, NULs included */
#define MANIFEST_QUEUE_DEFAULT 16
#define MANIFEST_QUEUE_MAX 64
/* timer durations: a period under a millisecond would be a tick storm (each
 * expiry is an interrupt, an event and a log record); over a year, a typo */
#define MANIFEST_TIMER_MIN_NS 1000000ull
#define MANIFEST_TIMER_MAX_NS (366ull * 24 * 3600 * 1000000000ull)

#define MANIFEST_CTX_FOREGROUND 0x1
#define MANIFEST_CTX_BACKGROUND 0x2

struct manifest_event {
	char pattern[OPTIOS_EVENT_TOPIC_MAX];
	uint32_t policy;    /* OPTIOS_POLICY_* (handler.h) */
	uint32_t queue_len; /* 1 for latest */
	uint64_t period_ns;  /* sensor: at most one sample per period (0: not declared) */
	uint64_t latency_ns; /* sensor: maximum report latency, samples batched (0: none) */
};

struct manifest_timer {
	char name[MANIFEST_TIMER_NAME_MAX]; /* raises timer:<manifest name>.<name> */
	uint64_t period_ns;                 /* 0: one-shot */
	uint64_t first_ns;                  /* delay after start-up of the first expiry */
};

struct manifest {
	char name[MANIFEST_NAME_MAX];
	uint32_t version;
	uint32_t contexts;      /* MANIFEST_CTX_* bits; default background when absent */
	uint64_t budget_ns;     /* 0: not declared (kernel default) */
	uint64_t memory_pages;  /* 0: not declared */
	uint32_t nevents, ntimers, noutputs;
	struct manifest_event events[MANIFEST_EVENTS_MAX];
	struct manifest_timer timers[MANIFEST_TIMERS_MAX];
	uint16_t output_at[MANIFEST_OUTPUTS_MAX]; /* output i starts at output_text[output_at[i]] */
	uint32_t output_bytes; /* bytes of output_text in use */
	char output_text[MANIFEST_OUTPUTS_BYTES]; /* the outputs in order, each NUL-terminated */
};

/* The i-th output capability of m (i < m->noutputs). */
static inline const char *manifest_output(const struct manifest *m, uint32_t i)
{
	return m->output_text + m->output_at[i];
}

/*
 * Parses text[0..len) (not necessarily NUL-terminated) into *m. Returns 0, or
 * -EINVAL with a one-line reason in err ("line 3: unknown policy 'often'")
 * when err is not NULL. Never reads outside text, never allocates.
 */
int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen);

#endif
