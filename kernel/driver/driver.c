/* driver.c - bringing up the drivers of the table (contract in driver.h). */
#include "driver.h"

#include "kernel/log/klog.h"

void drivers_early_init(void)
{
	for (size_t i = 0; i < driver_count; i++)
		if (driver_table[i]->early_init)
			driver_table[i]->early_init();
}

void drivers_init(const struct bootinfo *bi)
{
	for (size_t i = 0; i < driver_count; i++) {
		const struct driver *d = driver_table[i];
		if (!d->init)
			continue;
		int err = d->init(bi);
		if (err == 0)
			klog(KLOG_INFO, "driver %s: up", d->name);
		else if (err == -ENODEV)
			klog(KLOG_INFO, "driver %s: no device", d->name);
		else
			klog(KLOG_ERROR, "driver %s: failed (%d)", d->name, err);
	}
}
