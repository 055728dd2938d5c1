/*
 * sensor.c - sensors: devices on serial ports, their clients, and the
 * events they raise (docs/SENSORS.md; ABI include/optios/abi/sensor.h).
 *
 * Theory of operation. Three kinds of objects, all static arrays:
 *   device  one line of /etc/sensors.conf: its port (kernel/serial), its
 *           frame decoder (lib/sensor_frame.h), last sample, counters, and
 *           one timer: a polled device's next command, or a streaming
 *           device's silence check. The timer runs only while the device
 *           has a running client: no subscriber, no interrupt of ours.
 *   client  a (device, subscription) pair made at registration
 *           (sensor_attach) for every device the pattern matches; its
 *           batch (batch.c) and a timer for the batch's latency.
 *   sample  made in the UART's interrupt when a frame completes: the time
 *           the driver took at that interrupt (clock_now_ns) is its time.
 * Path of a byte: UART interrupt -> port_rx -> decoder -> on a good frame
 * sample(): the device's sample number and last values, then each running
 * client's batch takes it or skips it (period, rate cap); a batch that is
 * ready goes out as an event raised to that subscription alone
 * (event_raise_to), one that waits arms its latency timer. Nothing on
 * this path allocates or sleeps.
 *
 * Silence: a polled device answers each command before the next (else a
 * timeout); three timeouts in a row, or a streaming device without a good
 * frame for its silence time, make it SILENT: counted, a log line, and a
 * sys:sensor.silent event (payload: its name). Its next good frame makes it
 * ACTIVE again (a log line). Bad frames are logged at most once per
 * device every BAD_LOG_NS, with the counts since the last such line.
 *
 * Invariants (interrupts off: everything here runs in interrupts or under
 * irq_save): a client is running only while its subscription is linked and
 * its device has a port; dev->running counts its running clients; a
 * device's timer is armed only while running > 0 (and for a streaming one,
 * not silent); a client's flush timer is armed only while its batch holds
 * samples. Counters only grow.
 */
#include "sensor.h"

#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/conf/conf.h"
#include "kernel/fs/vfs.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/serial/serial.h"
#include "kernel/time/time.h"
#include "lib/lib.h"
#include "sensor_internal.h"

#define CLIENTS_MAX 32
#define MISSES_SILENT 3 /* polls without answer in a row */
#define BAD_LOG_NS (10 * NS_PER_SEC)
/* A pause inside a frame this long cuts it. A 32-byte frame takes 33 ms at
 * 9600 baud and comes whole; 100 ms keeps a guest stalled by its host (a
 * loaded test machine) from cutting good frames. */
#define GAP_NS (100 * NS_PER_MS)

struct device {
	/* Set by sensor_init, constant afterwards. */
	struct sensor_spec spec;
	char topic[OPTIOS_EVENT_TOPIC_MAX];
	struct serial_port *port;
	struct timer timer;
	/* Interrupts off. */
	struct sensor_decoder dec;
	uint32_t state, running, misses;
	bool answered;
	uint64_t samples, last_ns, last_good_ns;
	int32_t last[OPTIOS_SENSOR_VALUES_MAX];
	uint64_t polls, timeouts, silences, delivered, ratelimited;
	uint64_t win_start_ns, win_count, rate_millihz;
	uint64_t bad_logged_ns, bad_logged; /* bad frames as of the last log line */
};

struct client {
	struct device *dev; /* NULL: free */
	struct event_sub *sub;
	bool running;
	struct sensor_batch b;
	struct timer flush;
};

static struct device devices[SENSOR_DEVICES_MAX];
static size_t ndevices;
static struct client clients[CLIENTS_MAX];

/* ---- raising ---- */

static void raise_batch(struct client *c, uint64_t time_ns)
{
	uint8_t payload[OPTIOS_EVENT_PAYLOAD_MAX];
	uint32_t n = c->b.n;
	size_t len = sensor_batch_take(&c->b, payload);
	timer_cancel(&c->flush);
	if (!len)
		return;
	c->dev->delivered += n;
	event_raise_to(c->sub, c->dev->topic, "kernel", payload, len, time_ns);
}

static void flush_fire(struct timer *t, void *arg)
{
	(void)t;
	raise_batch(arg, clock_now_ns());
}

/* A good frame's values, completed at now. */
static void sample(struct device *d, const int32_t *v, uint64_t now)
{
	d->samples++;
	d->last_ns = d->last_good_ns = now;
	d->answered = true;
	d->misses = 0;
	memcpy(d->last, v, d->spec.m->nvalues * sizeof *v);
	if (now - d->win_start_ns >= NS_PER_SEC) {
		d->rate_millihz =
			d->win_start_ns ? d->win_count * 1000 * NS_PER_SEC / (now - d->win_start_ns) : 0;
		d->win_start_ns = now;
		d->win_count = 0;
	}
	d->win_count++;
	if (d->state == OPTIOS_SENSOR_SILENT) {
		klog(KLOG_INFO, "sensor %s (%s): answering again", d->spec.name, d->spec.port);
		if (d->running && !d->spec.m->polled)
			timer_arm(&d->timer, now + d->spec.silence_ns);
	}
	d->state = OPTIOS_SENSOR_ACTIVE;
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &clients[i];
		if (c->dev != d || !c->running)
			continue;
		int r = sensor_batch_add(&c->b, (uint32_t)d->samples, now, v);
		if (r == SENSOR_BATCH_SKIPPED)
			d->ratelimited++;
		else if (r == SENSOR_BATCH_READY)
			raise_batch(c, now);
		else if (!timer_armed(&c->flush))
			timer_arm(&c->flush, sensor_batch_due(&c->b));
	}
}

/* Bad frames: one log line per BAD_LOG_NS at most, with the counts. */
static void log_bad(struct device *d, uint64_t now)
{
	const struct sensor_decoder *k = &d->dec;
	uint64_t bad = k->bad_checksum + k->truncated + k->garbage;
	if (bad == d->bad_logged || (d->bad_logged_ns && now - d->bad_logged_ns < BAD_LOG_NS))
		return;
	klog(KLOG_WARN,
	     "sensor %s (%s): bad input: %llu bad checksum, %llu truncated, %llu garbage bytes so far",
	     d->spec.name, d->spec.port, (unsigned long long)k->bad_checksum,
	     (unsigned long long)k->truncated, (unsigned long long)k->garbage);
	d->bad_logged = bad;
	d->bad_logged_ns = now;
}

/* The UART's interrupt: bytes read at now. */
static void port_rx(void *arg, const uint8_t *buf, size_t n, uint64_t now)
{
	struct device *d = arg;
	int32_t v[OPTIOS_SENSOR_VALUES_MAX];
	for (size_t i = 0; i < n; i++)
		if (sensor_decoder_feed(&d->dec, buf[i], now, v))
			sample(d, v, now);
	log_bad(d, now);
}

/* ---- the device's timer: polls and silence ---- */

static void go_silent(struct device *d, uint64_t now)
{
	sensor_decoder_cut(&d->dec);
	log_bad(d, now);
	if (d->state == OPTIOS_SENSOR_SILENT)
		return;
	d->state = OPTIOS_SENSOR_SILENT;
	d->silences++;
	klog(KLOG_WARN, "sensor %s (%s): silent: no good frame for %llu ms", d->spec.name, d->spec.port,
	     (unsigned long long)((now - d->last_good_ns) / NS_PER_MS));
	event_raise("sys:sensor.silent", "kernel", d->spec.name, strlen(d->spec.name), now);
}

static void device_fire(struct timer *t, void *arg)
{
	struct device *d = arg;
	uint64_t now = clock_now_ns();
	if (!d->running)
		return;
	if (!d->spec.m->polled) {
		if (now - d->last_good_ns >= d->spec.silence_ns)
			go_silent(d, now); /* the next frame re-arms */
		else
			timer_arm(t, d->last_good_ns + d->spec.silence_ns);
		return;
	}
	if (d->polls && !d->answered) {
		d->timeouts++;
		if (++d->misses >= MISSES_SILENT)
			go_silent(d, now);
	}
	uint8_t cmd[MHZ19B_FRAME_LEN];
	mhz19b_command_read(cmd);
	d->answered = false;
	d->polls++;
	d->port->write(d->port, cmd, sizeof cmd);
	timer_arm(t, now + d->spec.period_ns);
}

/* ---- clients ---- */

static void client_run(struct client *c, bool run)
{
	struct device *d = c->dev;
	if (c->running == run || !d->port)
		return;
	c->running = run;
	if (!run) {
		timer_cancel(&c->flush);
		if (--d->running == 0)
			timer_cancel(&d->timer);
		return;
	}
	if (d->running++ == 0) {
		uint64_t now = clock_now_ns();
		d->last_good_ns = now; /* silence counts from the first subscriber */
		d->answered = false;
		d->misses = 0;
		timer_arm(&d->timer, d->spec.m->polled ? now : now + d->spec.silence_ns);
	}
}

static void clients_of(struct event_sub *s, bool run)
{
	uint64_t f = irq_save();
	for (size_t i = 0; i < CLIENTS_MAX; i++)
		if (clients[i].dev && clients[i].sub == s)
			client_run(&clients[i], run);
	irq_restore(f);
}

void sensor_start(struct event_sub *s)
{
	clients_of(s, true);
}

void sensor_stop(struct event_sub *s)
{
	clients_of(s, false);
}

void sensor_detach(struct event_sub *s)
{
	uint64_t f = irq_save();
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		if (!clients[i].dev || clients[i].sub != s)
			continue;
		client_run(&clients[i], false);
		clients[i].dev = NULL;
	}
	irq_restore(f);
}

int sensor_attach(struct event_sub *s, const struct sensor_request *r, char *msg, size_t msglen)
{
	uint64_t hz = (uint64_t)conf_int(CONF_SENSOR_BACKGROUND_HZ);
	uint64_t cap_gap = r->fast ? 0 : NS_PER_SEC / hz;
	if (r->period_ns && r->period_ns < cap_gap) {
		ksnprintf(msg, msglen,
			  "event %s: period=%llu us is above the background rate cap of %llu Hz "
			  "(sensor.background_hz): needs the capability sensor.fast",
			  s->pattern, (unsigned long long)(r->period_ns / NS_PER_US), (unsigned long long)hz);
		return -EPERM;
	}
	uint64_t f = irq_save();
	size_t i = 0, made = 0;
	for (size_t k = 0; k < ndevices; k++) {
		struct device *d = &devices[k];
		if (!topic_matches(s->pattern, d->topic))
			continue;
		while (i < CLIENTS_MAX && clients[i].dev)
			i++;
		if (i == CLIENTS_MAX) {
			irq_restore(f);
			sensor_detach(s);
			ksnprintf(msg, msglen, "event %s: all %d sensor clients are taken", s->pattern,
				  CLIENTS_MAX);
			return -ENOSPC;
		}
		struct client *c = &clients[i];
		c->dev = d;
		c->sub = s;
		c->running = false;
		sensor_batch_init(&c->b, d->spec.m, r->period_ns, cap_gap, r->latency_ns);
		timer_init(&c->flush, flush_fire, c);
		made++;
	}
	irq_restore(f);
	return 0;
}

/* ---- boot ---- */

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	klog(KLOG_WARN, "%s", msg);
}

static void device_open(struct device *d)
{
	ksnprintf(d->topic, sizeof d->topic, "sensor:%s", d->spec.name);
	sensor_decoder_init(&d->dec, d->spec.m, GAP_NS);
	timer_init(&d->timer, device_fire, d);
	d->state = OPTIOS_SENSOR_NOPORT;
	struct serial_port *p = serial_port_find(d->spec.port);
	int err = p ? serial_port_open(p, d->spec.baud, d->spec.fifo, port_rx, d) : -ENODEV;
	if (err) { /* a port missing is this machine's shape (info); one that will not open, a fault */
		klog(p ? KLOG_WARN : KLOG_INFO, "sensor %s: port %s %s (error %d)", d->spec.name,
		     d->spec.port, p ? "cannot be opened" : "is not there", err);
		return;
	}
	d->port = p;
	d->state = OPTIOS_SENSOR_IDLE;
	klog(KLOG_INFO, "sensor %s: %s on %s at %u baud, period %llu ms", d->spec.name, d->spec.m->name,
	     d->spec.port, d->spec.baud, (unsigned long long)(d->spec.period_ns / NS_PER_MS));
}

void sensor_init(void)
{
	void *text = NULL;
	size_t len = 0;
	struct sensor_spec specs[SENSOR_DEVICES_MAX];
	int err = vfs_read_file("/etc/sensors.conf", &text, &len);
	if (err) {
		if (err != -ENOENT)
			klog(KLOG_WARN, "sensor: /etc/sensors.conf unreadable (error %d): no sensors", err);
		return;
	}
	ndevices = sensor_conf_parse(text, len, specs, SENSOR_DEVICES_MAX, report, NULL);
	kfree(text);
	for (size_t i = 0; i < ndevices; i++) {
		devices[i].spec = specs[i];
		device_open(&devices[i]);
	}
}

/* ---- sensors ---- */

static void info_fill(struct optios_sensor_info *o, const struct device *d)
{
	memset(o, 0, sizeof *o);
	memcpy(o->name, d->spec.name, sizeof o->name);
	memcpy(o->port, d->spec.port, sizeof o->port);
	o->model = d->spec.m->model;
	o->state = d->state == OPTIOS_SENSOR_ACTIVE && !d->running && d->spec.m->polled ? OPTIOS_SENSOR_IDLE
											: d->state;
	o->baud = d->spec.baud;
	o->unit = d->spec.m->unit;
	o->scale = d->spec.m->scale;
	o->nvalues = d->spec.m->nvalues;
	o->period_ns = d->spec.period_ns;
	o->subscribers = d->running;
	o->samples = d->samples;
	o->last_time_ns = d->last_ns;
	memcpy(o->last, d->last, sizeof o->last);
	o->rx_bytes = d->dec.bytes;
	o->bad_checksum = d->dec.bad_checksum;
	o->truncated = d->dec.truncated;
	o->garbage = d->dec.garbage;
	o->overruns = d->port ? d->port->overruns : 0;
	o->polls = d->polls;
	o->timeouts = d->timeouts;
	o->silences = d->silences;
	o->delivered = d->delivered;
	o->ratelimited = d->ratelimited;
	o->rate_millihz = clock_now_ns() - d->last_ns < 2 * NS_PER_SEC ? d->rate_millihz : 0;
}

size_t sensor_list(struct optios_sensor_info *out, size_t max)
{
	uint64_t f = irq_save();
	for (size_t i = 0; i < ndevices && i < max; i++)
		info_fill(&out[i], &devices[i]);
	irq_restore(f);
	return ndevices;
}
