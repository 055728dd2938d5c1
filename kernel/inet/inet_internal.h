/*
 * inet_internal.h - what the files of kernel/inet share (the port's
 * pieces; the interface is inet.h).
 */
#ifndef KERNEL_INET_INET_INTERNAL_H
#define KERNEL_INET_INET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* timers.c: lwIP's timers on real deadlines. */
/* A frame went in or out: an ARP request or an IPv4 fragment starts a timer. */
void inet_timers_frame(const uint8_t *frame, size_t len, bool out);
uint64_t inet_timers_next_ms(void); /* the earliest deadline, UINT64_MAX: none */

/* port.c */
uint64_t inet_now_ms(void);
void inet_mem_set_limit(uint64_t bytes);

/* inet.c: every entry into lwIP is bracketed by these: enter catches the
 * timers up (before anything new is aged by the idle time), leave arms the
 * kernel timer for the next deadline. */
void inet_enter(void);
void inet_leave(void);

/* endpoints.c */
void inet_ping_init(void);
bool inet_dns_waiting(void); /* a DNS query awaits its answer */

#endif
