/* probe_files - probe.c under probe_files.manifest: reads /etc/, writes below /data/probe/ and one file in /tmp */
#include "probe.c"
