/*
 * gather.h - what the status page shows, read from the running system:
 * the handler list (optios_handler_list), the interfaces (optios_net_list),
 * the policy (optios_policy LIST: open to every program) and the latest log
 * records (optios_log_read: needs log.read). The status app and the test
 * program /test/statusdump both read through it.
 */
#ifndef APPS_STATUS_GATHER_H
#define APPS_STATUS_GATHER_H

#include "render.h"

#define STATUS_LOG_SHOWN 20 /* log records the page shows */
#define STATUS_HANDLERS_MAX 32

/*
 * Fills v (time_ns set by the caller) from the system; the arrays are this
 * module's and stay valid until the next call. Log records about the handler
 * named self, and EVENT records of the topic self_topic, are left out (the
 * page's own requests would push everything else out); either may be NULL.
 * Returns 0, or the errno of the first read that failed (that part of the
 * view is then empty), with *what naming it ("log", "policy" ...).
 */
int status_gather(struct status_view *v, const char *self, const char *self_topic, const char **what);

#endif
