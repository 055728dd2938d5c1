/*
 * hrec.h - the persisted registration of a handler: the value of its
 * STORE_H_RECORD key in the system store (kernel/store/store.h), encoded
 * and decoded here so that a damaged or hostile value is refused with a
 * message, never trusted. Layout (little endian): docs/STORAGE.md,
 * "Handlers, the log and the policy on disk".
 *
 * Host-buildable: yes (tests/host/test_hrec.c).
 */
#ifndef KERNEL_HANDLER_HREC_H
#define KERNEL_HANDLER_HREC_H

#include <stddef.h>
#include <stdint.h>

#include <optios/abi/event.h>
#include <optios/abi/manifest.h>

#define HREC_PATH_MAX 128
#define HREC_TIMER_OFF UINT64_MAX /* a timer not armed when saved (a fired one-shot) */
#define HREC_SIZE_MAX (24 + 32 + 16 + 4 + MANIFEST_NAME_MAX + HREC_PATH_MAX + 8 * MANIFEST_TIMERS_MAX)

struct hrec {
	char name[MANIFEST_NAME_MAX]; /* NUL-terminated, 1..MANIFEST_NAME_MAX-1 bytes */
	char path[HREC_PATH_MAX]; /* absolute, NUL-terminated */
	uint32_t version;
	uint8_t hash[32]; /* SHA-256 of the program file: with version, its identity */
	uint32_t ntimers; /* <= MANIFEST_TIMERS_MAX */
	/* time from the save to each timer's next deadline (HREC_TIMER_OFF) */
	uint64_t timer_left_ns[MANIFEST_TIMERS_MAX];
	uint64_t runs, failures; /* statistics carried across boots */
};

/* Encodes r into buf (at least HREC_SIZE_MAX bytes): its length. */
size_t hrec_encode(const struct hrec *r, uint8_t *buf);
/* Decodes len bytes: 0, or -EINVAL with the reason in msg. */
int hrec_decode(const void *buf, size_t len, struct hrec *out, char *msg, size_t msgsize);
/* An event kept in a handler's queue keys (STORE_H_QUEUE): the index of
 * the subscription it waited in (inbox events: unused) and the event. */
struct hrec_event {
	uint32_t sub;
	uint32_t pad;
	struct optios_event ev;
};
/* Checks a stored event of len bytes (inbox: any subscription matching
 * its topic takes it, else sub must be < nsubs): 0, or -EINVAL with the
 * reason in msg. */
int hrec_event_check(const struct hrec_event *e, size_t len, uint32_t nsubs, int inbox, char *msg,
		     size_t msgsize);

/* The 56-bit id of a name in the store's HANDLER class (never 0): stable
 * across boots, unlike the registry's slot. */
uint64_t hrec_id(const char *name);

#endif
