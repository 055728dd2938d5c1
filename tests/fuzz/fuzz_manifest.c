/*
 * fuzz_manifest.c - libFuzzer target for manifest_parse. Properties: the
 * result is 0 or -EINVAL; the message is one bounded line ("" on success);
 * a refused manifest leaves *m zeroed; an accepted one keeps every invariant
 * lib/manifest.c states, and printing it back as a manifest and parsing that
 * gives the same struct (nothing is lost, nothing invented).
 */
#include <string.h>

#include <optios/abi/errno.h>
#include <optios/abi/handler.h>
#include <optios/abi/manifest.h>

#include "fuzz.h"

static struct manifest m, again, zero;
static char err[128], text[MANIFEST_TEXT_MAX + 1];

static size_t checked_len(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	FUZZ_ASSERT(n < size);
	return n;
}

static void check_invariants(const struct manifest *p)
{
	size_t n = checked_len(p->name, sizeof p->name);
	FUZZ_ASSERT(n >= 1 && strspn(p->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n);
	FUZZ_ASSERT(p->version >= 1 && p->version <= 0x7fffffff);
	FUZZ_ASSERT(p->contexts >= 1 && p->contexts <= 3);
	FUZZ_ASSERT(p->nevents <= MANIFEST_EVENTS_MAX && p->ntimers <= MANIFEST_TIMERS_MAX);
	FUZZ_ASSERT(p->noutputs <= MANIFEST_OUTPUTS_MAX);
	for (uint32_t i = 0; i < p->nevents; i++) {
		const struct manifest_event *e = &p->events[i];
		FUZZ_ASSERT(checked_len(e->pattern, sizeof e->pattern) >= 1);
		FUZZ_ASSERT(e->policy <= OPTIOS_POLICY_LATEST);
		FUZZ_ASSERT(e->queue_len >= 1 && e->queue_len <= MANIFEST_QUEUE_MAX);
		FUZZ_ASSERT(e->policy != OPTIOS_POLICY_LATEST || e->queue_len == 1);
	}
	for (uint32_t i = 0; i < p->ntimers; i++) {
		FUZZ_ASSERT(checked_len(p->timers[i].name, sizeof p->timers[i].name) >= 1);
		FUZZ_ASSERT(p->timers[i].first_ns > 0);
		FUZZ_ASSERT(p->timers[i].period_ns == 0 || p->timers[i].period_ns == p->timers[i].first_ns);
	}
	/* the outputs back to back in output_text, in order */
	size_t at = 0;
	for (uint32_t i = 0; i < p->noutputs; i++) {
		FUZZ_ASSERT(p->output_at[i] == at && at < p->output_bytes);
		size_t len = checked_len(p->output_text + at, p->output_bytes - at);
		FUZZ_ASSERT(len >= 1 && len < MANIFEST_OUTPUT_MAX);
		at += len + 1;
	}
	FUZZ_ASSERT(at == p->output_bytes && p->output_bytes <= MANIFEST_OUTPUTS_BYTES);
}

/* Writes p back in the manifest format; returns the length. */
static size_t print(const struct manifest *p)
{
	static const char *const ctx[] = {"", "foreground", "background", "both"};
	static const char *const pol[] = {"queue", "coalesce", "latest"};
	size_t n = (size_t)snprintf(text, sizeof text, "name %s\nversion %u\ncontext %s\n", p->name,
				    p->version, ctx[p->contexts]);
	for (uint32_t i = 0; i < p->nevents; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "event %s %s %u\n", p->events[i].pattern,
				      pol[p->events[i].policy], p->events[i].queue_len);
	for (uint32_t i = 0; i < p->ntimers; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "timer %s %s %lluns\n", p->timers[i].name,
				      p->timers[i].period_ns ? "every" : "after",
				      (unsigned long long)p->timers[i].first_ns);
	if (p->budget_ns)
		n += (size_t)snprintf(text + n, sizeof text - n, "budget %lluns\n",
				      (unsigned long long)p->budget_ns);
	if (p->memory_pages)
		n += (size_t)snprintf(text + n, sizeof text - n, "memory %llu\n",
				      (unsigned long long)p->memory_pages);
	for (uint32_t i = 0; i < p->noutputs; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "output %s\n", manifest_output(p, i));
	FUZZ_ASSERT(n < sizeof text);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(err, 'x', sizeof err);
	int r = manifest_parse((const char *)data, size, &m, err, sizeof err);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	size_t elen = checked_len(err, sizeof err);
	FUZZ_ASSERT(memchr(err, '\n', elen) == NULL);
	if (r) {
		FUZZ_ASSERT(elen > 0 && memcmp(&m, &zero, sizeof m) == 0);
		return 0;
	}
	FUZZ_ASSERT(elen == 0);
	check_invariants(&m);
	size_t n = print(&m);
	FUZZ_ASSERT(manifest_parse(text, n, &again, err, sizeof err) == 0);
	FUZZ_ASSERT(memcmp(&m, &again, sizeof m) == 0);
	return 0;
}
