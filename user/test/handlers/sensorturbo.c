/* sensorturbo - sensorstorm.c under sensorturbo.manifest (1 kHz, granted sensor.fast). */
#include "sensorstorm.c"
