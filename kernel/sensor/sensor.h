/*
 * sensor.h - sensors: devices on serial ports raising sensor:<name> events
 * (docs/SENSORS.md; the payload: include/optios/abi/sensor.h).
 *
 * /etc/sensors.conf names the devices (sensor_init, at boot). A handler's
 * subscription whose pattern matches a device's topic gets a client of that
 * device (sensor_attach, at registration): its own batches, at most one
 * sample per period (never faster than sensor.background_hz without the
 * capability sensor.fast), raised to it alone. Clients run while their
 * subscription is linked (sensor_start/sensor_stop, with event_subscribe
 * and event_unsubscribe); a polled device is asked only while one runs.
 */
#ifndef KERNEL_SENSOR_SENSOR_H
#define KERNEL_SENSOR_SENSOR_H

#include <optios/abi/sensor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/event/event.h"

/* Reads /etc/sensors.conf (problems logged as sensors.conf:LINE: ...) and
 * opens each device's port. After vfs_init, drivers_init and kernel.conf. */
void sensor_init(void);

/* What a subscription asks (its manifest line) and may have. */
struct sensor_request {
	uint64_t period_ns; /* 0: as fast as it may */
	uint64_t latency_ns; /* 0: an event per sample */
	bool fast; /* sensor.fast granted */
};

/* Gives s a client of every device whose topic its pattern matches.
 * 0, or -EPERM (a period faster than the cap without fast) / -ENOSPC (no
 * client left) with the reason in msg; nothing is kept then. */
int sensor_attach(struct event_sub *s, const struct sensor_request *r, char *msg, size_t msglen);
/* Its clients run (after event_subscribe(s)) / stop (before event_unsubscribe). */
void sensor_start(struct event_sub *s);
void sensor_stop(struct event_sub *s);
/* Frees s's clients (stopped first). */
void sensor_detach(struct event_sub *s);

#define SENSOR_DEVICES_LIST_MAX 8 /* devices sensors.conf may name */
/* Fills out[0..max) in sensors.conf order; returns how many devices there are. */
size_t sensor_list(struct optios_sensor_info *out, size_t max);

#endif
