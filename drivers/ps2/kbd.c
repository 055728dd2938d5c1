/* kbd.c - PROVISIONAL: stands in until the PS/2 keyboard driver lands. */
#include "drivers/driver.h"

static int kbd_init(const struct bootinfo *bi)
{
	(void)bi;
	return -ENODEV;
}

const struct driver ps2kbd_driver = {.name = "ps2-keyboard", .init = kbd_init};
