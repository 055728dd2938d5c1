/*
 * clock - an analog clock drawn straight into the framebuffer (optios_fb_map).
 *
 * A dial with twelve hour marks and hour, minute and second hands (UTC) on a
 * dark blue screen, redrawn every second. Colours are built from the
 * framebuffer's own field positions and sizes, so any RGB layout works. Any
 * key (read in raw mode, without blocking) or Ctrl+C ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <optios.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct rgb {
	uint8_t r, g, b;
};

static const struct rgb BACKGROUND = {0x10, 0x18, 0x40}, DIAL = {0xf0, 0xf0, 0xe0}, MARK = {0xff, 0xd0, 0x40},
			HOUR = {0xff, 0xd0, 0x40}, MINUTE = {0x40, 0xd0, 0xff}, SECOND = {0xff, 0x30, 0x30};

static struct optios_fb_info fb;

static uint32_t field(uint8_t v, uint8_t pos, uint8_t size)
{
	return size ? (uint32_t)(v >> (8 - (size > 8 ? 8 : size))) << pos : 0;
}

static void put_pixel(int x, int y, struct rgb c)
{
	if (x < 0 || y < 0 || (uint32_t)x >= fb.width || (uint32_t)y >= fb.height)
		return;
	uint32_t v = field(c.r, fb.red_pos, fb.red_size) | field(c.g, fb.green_pos, fb.green_size) |
		     field(c.b, fb.blue_pos, fb.blue_size);
	uint8_t *p = (uint8_t *)(uintptr_t)fb.addr + (size_t)y * fb.pitch + (size_t)x * (fb.bpp / 8);
	for (unsigned i = 0; i < fb.bpp / 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fill_disc(int cx, int cy, int r, struct rgb c)
{
	for (int y = -r; y <= r; y++)
		for (int x = -r; x <= r; x++)
			if (x * x + y * y <= r * r)
				put_pixel(cx + x, cy + y, c);
}

/* A line from the centre at angle (0 = 12 o'clock, clockwise), from radius r0 to r1. */
static void ray(int cx, int cy, double angle, int r0, int r1, int width, struct rgb c)
{
	double dx = sin(angle), dy = -cos(angle);
	for (int r = r0; r <= r1; r++)
		fill_disc(cx + (int)lround(dx * r), cy + (int)lround(dy * r), width, c);
}

static void draw_dial(int cx, int cy, int radius)
{
	for (uint32_t y = 0; y < fb.height; y++)
		for (uint32_t x = 0; x < fb.width; x++)
			put_pixel((int)x, (int)y, BACKGROUND);
	fill_disc(cx, cy, radius, MARK);
	fill_disc(cx, cy, radius - radius / 30 - 2, DIAL);
}

static void draw_hands(int cx, int cy, int radius, time_t now)
{
	int face = radius - radius / 30 - 2;
	fill_disc(cx, cy, face, DIAL);
	for (int h = 0; h < 12; h++)
		ray(cx, cy, h * M_PI / 6, face * 8 / 10, face * 9 / 10, h % 3 ? 1 : 3, BACKGROUND);
	int s = (int)(now % 60), m = (int)(now / 60 % 60), h = (int)(now / 3600 % 12);
	ray(cx, cy, (h + m / 60.0) * M_PI / 6, 0, face / 2, 4, HOUR);
	ray(cx, cy, (m + s / 60.0) * M_PI / 30, 0, face * 3 / 4, 3, MINUTE);
	ray(cx, cy, s * M_PI / 30, 0, face * 85 / 100, 1, SECOND);
	fill_disc(cx, cy, 6, SECOND);
}

/* Raw, non-blocking input so a key press can end the loop; undone at exit. */
static struct termios saved_tio;
static int saved_flags = -1;

static void input_begin(void)
{
	if (tcgetattr(0, &saved_tio) == 0) {
		struct termios t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(0, TCSANOW, &t);
	}
	saved_flags = fcntl(0, F_GETFL);
	if (saved_flags >= 0)
		fcntl(0, F_SETFL, saved_flags | O_NONBLOCK);
}

static void input_end(void)
{
	if (saved_flags >= 0)
		fcntl(0, F_SETFL, saved_flags);
	tcsetattr(0, TCSANOW, &saved_tio);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: clock\n");
		return 2;
	}
	if (optios_fb_map(&fb) < 0) {
		fprintf(stderr, "clock: no framebuffer: %s\n", strerror(errno));
		return 1;
	}
	if (fb.bpp < 16 || fb.bpp % 8) {
		fprintf(stderr, "clock: %u bits per pixel not supported\n", fb.bpp);
		return 1;
	}
	int cx = (int)fb.width / 2, cy = (int)fb.height / 2;
	int radius = (int)(fb.width < fb.height ? fb.width : fb.height) * 2 / 5;
	printf("clock: %ux%u, %u bpp; any key ends it\n", fb.width, fb.height, fb.bpp);
	fflush(stdout);
	input_begin();
	draw_dial(cx, cy, radius);
	char c;
	while (read(0, &c, 1) != 1) {
		struct timespec now, second = {1, 0};
		clock_gettime(CLOCK_REALTIME, &now);
		draw_hands(cx, cy, radius, now.tv_sec);
		second.tv_sec = 0;
		second.tv_nsec = 1000000000 - now.tv_nsec;
		nanosleep(&second, NULL);
	}
	input_end();
	return 0;
}
