/*
 * power.c - hardware events as sys: events, their default actions, and the
 * clean way off.
 *
 * Theory of operation. kernel/acpi owns the hardware (the SCI and its
 * registers: acpi/sci.c) and calls on_acpi_event in the interrupt, once
 * per event. The table `sources` turns each into a topic and a payload
 * (struct optios_hw_event), raised at once with the interrupt's time; a
 * new hardware event (lid, battery, thermal) is one more row: a topic, what
 * happened, and what to do when nobody listens. That decision is taken in
 * the interrupt, with event_watched: a handler subscribed to the topic owns
 * the event; otherwise the default action runs. The power button's default
 * is power_request(POWER_OFF).
 *
 * power_request may come from an interrupt or from the runner (a handler's
 * committed reboot), neither of which can wait for handlers to drain, so
 * the shutdown runs in a kernel process of its own, "power", started by
 * the scheduler (proc_create_kernel_soon). It exists only from then on: an
 * idle system has no such process and takes no SCI.
 *
 * Data: `requested` (the how of the first request; -1 none), `running`
 * and `counts` change with interrupts off.
 */
#include "power.h"

#include <optios/abi/hwevent.h>

#include "kernel/acpi/acpi.h"
#include "kernel/event/event.h"
#include "kernel/handler/handler.h"
#include "kernel/log/klog.h"
#include "kernel/persist/persist.h"
#include "kernel/proc/proc.h"
#include "kernel/time/time.h"

enum default_action { DEFAULT_NONE, DEFAULT_POWER_OFF };

static const struct source {
	const char *topic;
	enum optios_hw_what what;
	enum default_action unwatched;
} sources[ACPI_EVENT_COUNT] = {
	[ACPI_EVENT_POWER_BUTTON] = {"sys:power.button", OPTIOS_HW_PRESSED, DEFAULT_POWER_OFF},
};

static int requested = -1;
static bool running; /* the power process started */
static uint64_t counts[ACPI_EVENT_COUNT];

NORETURN void power_shutdown(enum power_how how)
{
	handler_shutdown(); /* sys:shutdown, and handlers finish their events */
	int err = persist_checkpoint(); /* a clean shutdown: everything durable, under a superblock */
	if (persist_store())
		klog(err ? KLOG_ERROR : KLOG_INFO, "store: %s",
		     err ? "could not sync the disk at shutdown" : "everything written is on the disk");
	if (how == POWER_REBOOT)
		acpi_reboot();
	acpi_poweroff();
}

/* The power process. A second one (asked for again while the first was
 * being created) only sleeps: one shutdown runs. */
static void power_main(void)
{
	uint64_t f = irq_save();
	bool second = running;
	running = true;
	irq_restore(f);
	while (second)
		sched_sleep(&running);
	power_shutdown(requested == POWER_REBOOT ? POWER_REBOOT : POWER_OFF);
}

void power_request(enum power_how how)
{
	uint64_t f = irq_save();
	if (requested < 0)
		requested = (int)how;
	bool start = !running; /* again if an earlier start found no process slot */
	irq_restore(f);
	if (start)
		proc_create_kernel_soon("power", power_main); /* false: asked already, not started yet */
}

/* In the SCI's interrupt: raise the event now, with now's time. */
static void on_acpi_event(enum acpi_event e)
{
	uint64_t now = clock_now_ns();
	const struct source *s = &sources[e];
	struct optios_hw_event p = {
		.version = OPTIOS_HW_EVENT_VERSION, .what = s->what, .time_ns = now, .count = ++counts[e]};
	bool watched = event_watched(s->topic);
	event_raise(s->topic, "kernel", &p, sizeof p, now);
	if (watched || s->unwatched == DEFAULT_NONE)
		return;
	klog(KLOG_INFO, "power: %s with no handler subscribed: powering off", s->topic);
	power_request(POWER_OFF);
}

void power_init(void)
{
	int err = acpi_events_init(on_acpi_event);
	if (err)
		klog(KLOG_WARN, "power: no ACPI events (%d): the power button is not seen", err);
}
