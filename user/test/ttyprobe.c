/*
 * ttyprobe - drives the console from inside a program, for the system tests
 * (tests/system/test_tty.py). It reads commands, one line each, in cooked mode:
 *   raw N      raw mode (no echo, no ICANON, ISIG kept): reads N bytes, prints
 *              them in hex, then restores the settings
 *   winsize    the console's rows and columns (TIOCGWINSZ)
 *   info       optios_console_info: this console, the one shown, count, busy mask
 *   start ARG  starts /test/ttyprobe on a free console (OPTIOS_SPAWN_NEW_CONSOLE)
 *   switch N   shows console N
 *   draw       maps the framebuffer and fills its top-left 256x128 pixels red
 *   spin       loops forever (for Ctrl+C)
 *   exit N     ends with status N
 * With the argument "draw" it draws first. Any other line is printed back as "line: [TEXT]"; an end of file (Ctrl+D on
 * an empty line) prints "eof" and goes on.
 */
#include <errno.h>
#include <stdint.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static void raw_bytes(int n)
{
	struct termios old, raw;
	if (tcgetattr(0, &old) != 0) {
		printf("tcgetattr: %s\n", strerror(errno));
		return;
	}
	raw = old;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &raw);
	printf("raw mode\n");
	fflush(stdout);
	printf("bytes:");
	for (int i = 0; i < n; i++) {
		unsigned char c;
		if (read(0, &c, 1) != 1)
			break;
		printf(" %02x", c);
	}
	printf("\n");
	tcsetattr(0, TCSANOW, &old);
}

static void console_info(void)
{
	struct optios_console_info ci;
	if (optios_console_info(&ci) != 0) {
		printf("console_info: %s\n", strerror(errno));
		return;
	}
	printf("console %u active %u count %u busy %#x\n", ci.current, ci.active, ci.count, ci.busy);
}

static void start(const char *arg)
{
	char *argv[] = {"/test/ttyprobe", (char *)arg, NULL};
	int pid = optios_spawn("/test/ttyprobe", argv, NULL, OPTIOS_SPAWN_NEW_CONSOLE);
	if (pid < 0)
		printf("start: %s\n", strerror(errno));
	else
		printf("started pid %d\n", pid);
}

static void draw(void)
{
	struct optios_fb_info fb;
	if (optios_fb_map(&fb) != 0) {
		printf("fb_map: %s\n", strerror(errno));
		return;
	}
	unsigned bytes = fb.bpp / 8;
	uint32_t red = ((1u << fb.red_size) - 1) << fb.red_pos;
	for (uint32_t y = 0; y < 128 && y < fb.height; y++) {
		uint8_t *row = (uint8_t *)(uintptr_t)fb.addr + (size_t)y * fb.pitch;
		for (uint32_t x = 0; x < 256 && x < fb.width; x++)
			memcpy(row + x * bytes, &red, bytes);
	}
	printf("drew %ux%u at %#lx\n", fb.width, fb.height, (unsigned long)fb.addr);
}

static void command(char *line)
{
	struct winsize ws;
	if (strncmp(line, "raw ", 4) == 0) {
		raw_bytes(atoi(line + 4));
	} else if (strcmp(line, "winsize") == 0) {
		if (ioctl(1, TIOCGWINSZ, &ws) == 0)
			printf("winsize %u %u\n", ws.ws_row, ws.ws_col);
		else
			printf("winsize: %s\n", strerror(errno));
	} else if (strcmp(line, "info") == 0) {
		console_info();
	} else if (strncmp(line, "start ", 6) == 0) {
		start(line + 6);
	} else if (strncmp(line, "switch ", 7) == 0) {
		if (optios_console_switch((unsigned)atoi(line + 7)) != 0)
			printf("switch: %s\n", strerror(errno));
	} else if (strcmp(line, "draw") == 0) {
		draw();
	} else if (strcmp(line, "spin") == 0) {
		printf("spinning\n");
		fflush(stdout);
		for (volatile unsigned long i = 0;; i++)
			;
	} else if (strncmp(line, "exit ", 5) == 0) {
		exit(atoi(line + 5));
	} else {
		printf("line: [%s]\n", line);
	}
}

int main(int argc, char **argv)
{
	char buf[256];
	if (argc > 1 && strcmp(argv[1], "draw") == 0)
		draw(); /* at once, whether or not this console is on screen */
	printf("ttyprobe ready%s%s\n", argc > 1 ? ": " : "", argc > 1 ? argv[1] : "");
	for (;;) {
		printf("> ");
		fflush(stdout);
		ssize_t n = read(0, buf, sizeof buf - 1);
		if (n < 0) {
			printf("read: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0) {
			printf("eof\n");
			continue;
		}
		buf[n] = '\0';
		if (buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		command(buf);
	}
}
