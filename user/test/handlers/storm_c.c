/* storm_c - storm.c under storm_c.manifest. */
#include "storm.c"
