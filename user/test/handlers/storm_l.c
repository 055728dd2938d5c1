/* storm_l - storm.c under storm_l.manifest. */
#include "storm.c"
