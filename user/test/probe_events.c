/* probe_events - probe.c under probe_events.manifest: emits app:probe.*, starts /test/proc_hello */
#include "probe.c"
