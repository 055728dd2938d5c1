/* drivers.c - the driver table, in the order they come up. */
#include "driver.h"

#include "kernel/log/klog.h"

extern const struct driver uart_driver, fbcon_driver, ps2kbd_driver;

static const struct driver *const drivers[] = {
	&fbcon_driver, /* first: later messages show on screen too */
	&uart_driver,
	&ps2kbd_driver,
};

void drivers_init(const struct bootinfo *bi)
{
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
		int err = drivers[i]->init(bi);
		if (err == 0)
			klog(KLOG_INFO, "driver %s: up", drivers[i]->name);
		else if (err == -ENODEV)
			klog(KLOG_INFO, "driver %s: no device", drivers[i]->name);
		else
			klog(KLOG_ERROR, "driver %s: failed (%d)", drivers[i]->name, err);
	}
}
