/*
 * pit.c - the 8254 PIT as a stopwatch for calibrating the TSC.
 *
 * Channel 2's gate is port 0x61 bit 0 and it never raises an interrupt, so
 * it can be used by polling with nothing else disturbed (the speaker enable,
 * bit 1, is kept off). It is loaded with 0xFFFF in mode 0 and left counting
 * down at 1.193182 MHz. Each end of the measurement is a latched read of the
 * count taken between two TSC reads; of a few such reads the tightest pair
 * is kept, so a stall during a read (an SMI, an emulator's I/O exit) widens
 * that pair and is discarded instead of skewing the result. Waiting for the
 * output pin to rise would fold any such stall straight into the answer.
 * The pin is still read once at the end: it rises when the count passes 0,
 * so a stall long enough to wrap the 16-bit count (55 ms: a loaded host
 * descheduling the emulator) is seen and the measurement refused, instead
 * of a wrapped count making 102 ms read as 50.
 */
#include "arch.h"

#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_LOHI_MODE0 0xB0
#define PIT_CH2_LATCH 0x80
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20 /* channel 2's output pin: high once the count passed 0 */
#define MAX_TICKS 60000
/* A real PIT passes 60000 ticks (50 ms) in far fewer polls than this. */
#define MAX_POLLS 5000000ul

static uint16_t ch2_read(void)
{
	outb(PIT_COMMAND, PIT_CH2_LATCH);
	uint8_t lo = inb(PIT_CH2_DATA);
	uint8_t hi = inb(PIT_CH2_DATA);
	return (uint16_t)(lo | hi << 8);
}

/* The count and the TSC at the middle of the tightest of four reads. */
static uint16_t ch2_pair(uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	uint16_t count = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t t0 = rdtsc();
		uint16_t c = ch2_read();
		uint64_t t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			count = c;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return count;
}

uint64_t arch_pit_tsc_ticks(uint16_t pit_ticks)
{
	if (pit_ticks == 0 || pit_ticks > MAX_TICKS)
		return 0;
	uint8_t saved = inb(PORT_B);
	uint8_t off = saved & (uint8_t) ~(PORT_B_GATE2 | PORT_B_SPEAKER);
	outb(PORT_B, off);
	outb(PIT_COMMAND, PIT_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, 0xFF);
	outb(PIT_CH2_DATA, 0xFF);
	outb(PORT_B, off | PORT_B_GATE2);
	uint64_t t0 = 0, t1 = 0;
	uint16_t c0 = ch2_pair(&t0), c1 = c0;
	unsigned long polls = 0;
	while ((uint16_t)(c0 - c1) < pit_ticks && polls++ < MAX_POLLS)
		c1 = ch2_read();
	c1 = ch2_pair(&t1);
	bool wrapped = inb(PORT_B) & PORT_B_OUT2;
	outb(PORT_B, saved & (uint8_t)~PORT_B_SPEAKER);
	uint16_t elapsed = (uint16_t)(c0 - c1);
	if (wrapped)
		return 0; /* the count passed 0: elapsed is short by a multiple of 65536 */
	if (polls >= MAX_POLLS || elapsed < pit_ticks || t1 <= t0)
		return 0; /* no PIT, or it does not count */
	return (t1 - t0) * pit_ticks / elapsed;
}
