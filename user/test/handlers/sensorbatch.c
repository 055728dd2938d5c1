/* sensorbatch - sensorlog.c under sensorbatch.manifest. */
#include "sensorlog.c"
