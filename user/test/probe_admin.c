/* probe_admin - probe.c under probe_admin.manifest: the bare capabilities: log, handlers, policy, display */
#include "probe.c"
