/*
 * monitor.c - the kernel monitor.
 *
 * Input bytes (serial and keyboard, merged by the console) are echoed and
 * collected into one line buffer; Enter runs the line as a command from the
 * table below. Between inputs the CPU halts: the monitor takes no timer and
 * polls nothing, so it never spoils an idle measurement.
 */
#include "monitor.h"

#include "arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/console/console.h"
#include "kernel/irq/irq.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/time/time.h"

#define LINE_MAX 128

struct command {
	const char *name;
	const char *help;
	void (*run)(void);
};

static void cmd_help(void);

static void cmd_irqs(void)
{
	irq_report();
}

static void cmd_uptime(void)
{
	uint64_t ns = clock_now_ns();
	kprintf("up %lu.%03lu s\n", (unsigned long)(ns / 1000000000), (unsigned long)(ns / 1000000 % 1000));
}

static void cmd_mem(void)
{
	mm_report();
}

static void cmd_log(void)
{
	static char buf[8192];
	size_t n = klog_read(buf, sizeof buf);
	con_write(buf, n);
}

static void cmd_poweroff(void)
{
	acpi_poweroff();
}

static void cmd_reboot(void)
{
	acpi_reboot();
}

static const struct command commands[] = {
	{"help", "list commands", cmd_help},
	{"irqs", "interrupts taken, by source", cmd_irqs},
	{"uptime", "time since boot", cmd_uptime},
	{"mem", "memory summary", cmd_mem},
	{"log", "the most recent kernel log", cmd_log},
	{"poweroff", "switch the machine off (ACPI S5)", cmd_poweroff},
	{"reboot", "restart the machine", cmd_reboot},
};

static void cmd_help(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		kprintf("  %-8s %s\n", commands[i].name, commands[i].help);
}

static void run_line(const char *line)
{
	while (*line == ' ')
		line++;
	if (!*line)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(line, commands[i].name) == 0) {
			commands[i].run();
			return;
		}
	}
	kprintf("%s: unknown command (try help)\n", line);
}

static void prompt(void)
{
	con_puts("kmon> ");
}

/* Feeds one input byte; returns true when a full line is ready in line[].
 * Escape sequences (arrow keys: ESC [ A) are swallowed whole: the monitor
 * has no cursor movement. */
static bool feed(char *line, size_t *len, char c)
{
	static enum { PLAIN, ESC, CSI } state;
	if (state == ESC) {
		state = c == '[' ? CSI : PLAIN;
		return false;
	}
	if (state == CSI) {
		if (c >= 0x40 && c <= 0x7e)
			state = PLAIN; /* the final byte ends the sequence */
		return false;
	}
	if (c == 0x1b) {
		state = ESC;
		return false;
	}
	if (c == '\n' || c == '\r') {
		con_puts("\n");
		line[*len] = '\0';
		return true;
	}
	if (c == '\b' || c == 0x7f) {
		if (*len) {
			(*len)--;
			con_puts("\b \b");
		}
		return false;
	}
	if ((unsigned char)c < 0x20 || *len + 1 >= LINE_MAX)
		return false; /* control bytes and overlong lines are dropped */
	line[(*len)++] = c;
	con_write(&c, 1);
	return false;
}

void monitor_run(void)
{
	char line[LINE_MAX];
	size_t len = 0;
	con_input_set_consumer(NULL); /* take input back from the consoles, if they had it */
	kprintf("kernel monitor ready: type help\n");
	prompt();
	for (;;) {
		int c;
		while ((c = con_getc()) >= 0) {
			if (feed(line, &len, (char)c)) {
				run_line(line);
				len = 0;
				prompt();
			}
		}
		arch_idle();
	}
}
