/*
 * bench - commit cost as a function of the pages a run dirties. The payload
 * is a decimal page count N: the run writes one byte in each of N-1 distinct
 * pages of a static array, so with the stack page N pages are dirty. N = 0,
 * an empty or a malformed payload touch nothing. No output: printing would
 * dirty stdio's pages too.
 */
#include <stdint.h>

#include <optios/handler.h>

#define PAGES 256
#define PAGE 4096

static uint8_t pages[PAGES][PAGE] __attribute__((aligned(PAGE)));

static unsigned long payload_number(const struct optios_event *ev)
{
	unsigned long n = 0;
	for (uint32_t i = 0; i < ev->payload_len && i < 8; i++) {
		if (ev->payload[i] < '0' || ev->payload[i] > '9')
			return 0;
		n = n * 10 + (ev->payload[i] - '0');
	}
	return n;
}

void on_event(const struct optios_event *ev)
{
	unsigned long n = payload_number(ev);
	volatile uint8_t *p = &pages[0][0];
	for (unsigned long i = 0; i + 1 < n && i < PAGES; i++)
		p[i * PAGE] = (uint8_t)(ev->seq + 1);
}
