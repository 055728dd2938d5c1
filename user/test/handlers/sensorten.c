/* sensorten - sensorlog.c under sensorten.manifest (100 Hz: refused under a cap of 50). */
#include "sensorlog.c"
