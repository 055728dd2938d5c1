/* fbcon.c - PROVISIONAL: stands in until the framebuffer console lands. */
#include "drivers/driver.h"
#include "fbcon_internal.h"

static int fbcon_init(const struct bootinfo *bi)
{
	(void)bi;
	return -ENODEV;
}

const struct driver fbcon_driver = {.name = "fbcon", .init = fbcon_init};
